//! The simulated plant: assets on one fixed-step clock, each with its own
//! seeded random stream, faults and sensor faults applied to what it
//! reports, and the ground truth. Simulated time is seconds since the run
//! began; nothing here reads the wall clock.

use std::collections::HashMap;

use serde::Serialize;

use crate::SimError;
use crate::fault::{ActiveFault, FaultKind, FaultSpec};
use crate::model::cnc::Cnc;
use crate::model::line::Line;
use crate::model::pump::Pump;
use crate::model::turbofan::Turbofan;
use crate::model::{Model, Prop, SignalInfo};
use crate::rng::Rng;

/// The kinds of simulated asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetKind {
    /// Centrifugal pump with induction motor.
    Pump,
    /// CNC milling machine.
    Cnc,
    /// Production line.
    Line,
    /// Turbofan engine.
    Turbofan,
}

impl AssetKind {
    /// The name in `--assets` and in twin ids.
    pub fn name(self) -> &'static str {
        match self {
            AssetKind::Pump => "pump",
            AssetKind::Cnc => "cnc",
            AssetKind::Line => "line",
            AssetKind::Turbofan => "turbofan",
        }
    }

    fn parse(s: &str) -> Option<AssetKind> {
        [
            AssetKind::Pump,
            AssetKind::Cnc,
            AssetKind::Line,
            AssetKind::Turbofan,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// Parses `pump:3,cnc:1,line:1,turbofan:2` (a missing count means 1).
pub fn parse_assets(s: &str) -> Result<Vec<(AssetKind, usize)>, SimError> {
    let mut out = vec![];
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, n) = part.split_once(':').unwrap_or((part, "1"));
        let kind = AssetKind::parse(name).ok_or_else(|| {
            SimError::Invalid(format!(
                "--assets: unknown asset kind `{name}` in `{part}` (pump, cnc, line, turbofan)"
            ))
        })?;
        let n: usize = n.parse().map_err(|_| {
            SimError::Invalid(format!("--assets: `{n}` in `{part}` is not a count"))
        })?;
        out.push((kind, n));
    }
    if out.is_empty() {
        return Err(SimError::Invalid("--assets: no assets given".into()));
    }
    Ok(out)
}

/// One simulated asset.
pub struct Asset {
    /// Its twin id.
    pub id: String,
    /// What it is.
    pub kind: AssetKind,
    model: Box<dyn Model>,
    rng: Rng,
    faults: Vec<ActiveFault>,
    stuck: HashMap<u64, f64>,
    scratch: Vec<f64>,
}

impl Asset {
    /// The signals it reports.
    pub fn signals(&self) -> &'static [SignalInfo] {
        self.model.signal_info()
    }

    /// Its reported properties now.
    pub fn properties(&self) -> Vec<(&'static str, Prop)> {
        self.model.properties()
    }
}

/// A reading of one asset at one time: named values, some possibly lost
/// to sensor dropout.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Simulated seconds since the run began.
    pub t: f64,
    /// Signal names and values.
    pub values: Vec<(&'static str, f64)>,
}

/// The ground truth of one asset.
#[derive(Debug, Clone, Serialize)]
pub struct AssetTruth {
    /// Twin id.
    pub id: String,
    /// Kind.
    pub kind: AssetKind,
    /// Health now, 1 new to 0 failed.
    pub health: f64,
    /// When it failed (simulated seconds), if it has.
    pub failed_at_secs: Option<f64>,
    /// When it will fail if nothing changes, if known.
    pub predicted_failure_secs: Option<f64>,
    /// Faults injected, with their start times.
    pub faults: Vec<ActiveFault>,
}

/// The ground truth of the whole plant.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// Simulated seconds since the run began.
    pub sim_secs: f64,
    /// The run's seed.
    pub seed: u64,
    /// Per asset.
    pub assets: Vec<AssetTruth>,
}

/// How a plant is built.
#[derive(Debug, Clone)]
pub struct PlantConfig {
    /// Seed of every random stream.
    pub seed: u64,
    /// Model time step, simulated seconds.
    pub dt: f64,
    /// Flight cycle length of the turbofans, simulated seconds.
    pub cycle_secs: f64,
    /// Prefix of twin ids.
    pub prefix: String,
}

impl Default for PlantConfig {
    fn default() -> Self {
        PlantConfig {
            seed: 1,
            dt: 1.0,
            cycle_secs: 3600.0,
            prefix: String::new(),
        }
    }
}

/// Every asset on one clock.
pub struct Plant {
    /// The assets, in creation order.
    pub assets: Vec<Asset>,
    steps: u64,
    dt: f64,
    seed: u64,
    next_fault: u64,
    pending: Vec<ActiveFault>,
}

impl Plant {
    /// Builds the assets; ids are `{prefix}{kind}-{n}` counting from 1.
    pub fn new(cfg: &PlantConfig, assets: &[(AssetKind, usize)]) -> Result<Plant, SimError> {
        if !(cfg.dt > 0.0 && cfg.dt.is_finite()) {
            return Err(SimError::Invalid(format!(
                "the time step must be positive, got {}",
                cfg.dt
            )));
        }
        let mut out = vec![];
        let mut counts: HashMap<AssetKind, usize> = HashMap::new();
        for &(kind, n) in assets {
            for _ in 0..n {
                let k = counts.entry(kind).or_default();
                *k += 1;
                let stream = out.len() as u64;
                let mut rng = Rng::new(cfg.seed, stream);
                let model: Box<dyn Model> = match kind {
                    AssetKind::Pump => Box::new(Pump::new(&mut rng)),
                    AssetKind::Cnc => Box::new(Cnc::new(&mut rng)),
                    AssetKind::Line => Box::new(Line::new(&mut rng)),
                    // Odd engines fly at sea level (FD001-like), even ones in six conditions.
                    AssetKind::Turbofan => Box::new(Turbofan::new(
                        &mut rng,
                        cfg.cycle_secs,
                        (*k).is_multiple_of(2),
                    )),
                };
                out.push(Asset {
                    id: format!("{}{}-{}", cfg.prefix, kind.name(), k),
                    kind,
                    model,
                    rng,
                    faults: vec![],
                    stuck: HashMap::new(),
                    scratch: vec![],
                });
            }
        }
        Ok(Plant {
            assets: out,
            steps: 0,
            dt: cfg.dt,
            seed: cfg.seed,
            next_fault: 1,
            pending: vec![],
        })
    }

    /// Simulated seconds since the run began.
    pub fn now(&self) -> f64 {
        self.steps as f64 * self.dt
    }

    /// The fixed time step.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Advances every asset by one step.
    pub fn step(&mut self) {
        self.steps += 1;
        let t = self.now();
        let pending = std::mem::take(&mut self.pending);
        for f in pending {
            if f.start_secs <= t {
                if let Some(a) = self.assets.iter_mut().find(|a| a.id == f.spec.asset) {
                    a.faults.push(f);
                }
            } else {
                self.pending.push(f);
            }
        }
        for a in &mut self.assets {
            a.model.step(t, self.dt, &a.faults, &mut a.rng);
        }
    }

    /// Injects a fault starting at `at` (simulated seconds; now if None or
    /// past); returns its id. Checks that the asset has the signal or
    /// reacts to the fault.
    pub fn inject(&mut self, spec: FaultSpec, at: Option<f64>) -> Result<u64, SimError> {
        spec.check()?;
        let a = self
            .assets
            .iter()
            .find(|a| a.id == spec.asset)
            .ok_or_else(|| SimError::UnknownAsset(spec.asset.clone()))?;
        if spec.kind.is_sensor() {
            let target = spec.target.as_deref().unwrap_or_default();
            if !a.signals().iter().any(|s| s.name == target) {
                let names: Vec<&str> = a.signals().iter().map(|s| s.name).collect();
                return Err(SimError::Invalid(format!(
                    "{} has no signal `{target}`; it has {}",
                    a.id,
                    names.join(", ")
                )));
            }
        } else if spec.kind != FaultKind::NetworkLoss && !a.model.faults().contains(&spec.kind) {
            let kinds: Vec<String> = a.model.faults().iter().map(|k| k.name()).collect();
            return Err(SimError::Invalid(format!(
                "a {} cannot have a {} fault; it can have {}, a sensor fault (drift, stuck, noise_burst, dropout) or network_loss",
                a.kind.name(),
                spec.kind.name(),
                kinds.join(", ")
            )));
        }
        a.model.check(&spec).map_err(SimError::Invalid)?;
        let id = self.next_fault;
        self.next_fault += 1;
        let now = self.now();
        let start = at.map_or(now, |s| s.max(now));
        self.pending.push(ActiveFault {
            id,
            spec,
            start_secs: start,
        });
        Ok(id)
    }

    /// Repairs an asset now, as maintenance would: clears its faults of
    /// the given kinds (all of them, sensor faults and pending ones too,
    /// when `kinds` is empty) and, unless only sensor or network faults
    /// were named, puts the machine back in order ([`Model::repair`]).
    /// Returns the faults cleared, oldest first.
    pub fn repair(
        &mut self,
        asset: &str,
        kinds: &[FaultKind],
    ) -> Result<Vec<ActiveFault>, SimError> {
        let t = self.now();
        let i = self
            .assets
            .iter()
            .position(|a| a.id == asset)
            .ok_or_else(|| SimError::UnknownAsset(asset.to_string()))?;
        let a = &mut self.assets[i];
        for k in kinds {
            if !k.is_sensor() && *k != FaultKind::NetworkLoss && !a.model.faults().contains(k) {
                let names: Vec<String> = a.model.faults().iter().map(|k| k.name()).collect();
                return Err(SimError::Invalid(format!(
                    "a {} has no {} to repair; its machine faults are {}",
                    a.kind.name(),
                    k.name(),
                    names.join(", ")
                )));
            }
        }
        let hit = |f: &ActiveFault| kinds.is_empty() || kinds.contains(&f.spec.kind);
        let mut cleared: Vec<ActiveFault> = a.faults.iter().filter(|f| hit(f)).cloned().collect();
        a.faults.retain(|f| !hit(f));
        cleared.extend(
            self.pending
                .iter()
                .filter(|f| f.spec.asset == asset && hit(f))
                .cloned(),
        );
        self.pending.retain(|f| !(f.spec.asset == asset && hit(f)));
        for f in &cleared {
            a.stuck.remove(&f.id);
        }
        let machine = kinds.is_empty()
            || kinds
                .iter()
                .any(|k| !k.is_sensor() && *k != FaultKind::NetworkLoss);
        if machine {
            a.model.repair(t, &mut a.rng);
        }
        cleared.sort_by_key(|f| f.id);
        Ok(cleared)
    }

    /// A reading of asset `i` now, with sensor faults applied; None when
    /// the device is silent (network loss) or has nothing new to report.
    pub fn sample(&mut self, i: usize) -> Option<Sample> {
        let t = self.now();
        let a = &mut self.assets[i];
        if !a.model.sample_due() {
            return None;
        }
        let mut values = std::mem::take(&mut a.scratch);
        values.clear();
        a.model.signals(&mut a.rng, &mut values);
        let info = a.model.signal_info();
        let mut lost = vec![false; values.len()];
        let mut silent = false;
        for f in &a.faults {
            if !f.active(t) {
                continue;
            }
            if f.spec.kind == FaultKind::NetworkLoss {
                silent = true;
                continue;
            }
            let Some(j) = f
                .spec
                .target
                .as_deref()
                .and_then(|n| info.iter().position(|s| s.name == n))
            else {
                continue;
            };
            let v = values[j];
            match f.spec.kind {
                FaultKind::Drift => values[j] = v + f.magnitude(t) * v.abs().max(1e-3),
                FaultKind::Stuck => values[j] = *a.stuck.entry(f.id).or_insert(v),
                FaultKind::NoiseBurst => {
                    values[j] = v + f.spec.severity * v.abs().max(1e-3) * a.rng.normal()
                }
                FaultKind::Dropout => lost[j] |= a.rng.chance(f.spec.severity),
                _ => {}
            }
        }
        let out = (!silent).then(|| Sample {
            t,
            values: info
                .iter()
                .zip(&values)
                .zip(&lost)
                .filter(|(_, l)| !**l)
                .map(|((s, v), _)| (s.name, *v))
                .collect(),
        });
        a.scratch = values;
        out
    }

    /// The ground truth now.
    pub fn truth(&self) -> Truth {
        let t = self.now();
        Truth {
            sim_secs: t,
            seed: self.seed,
            assets: self
                .assets
                .iter()
                .map(|a| {
                    let mut faults = a.faults.clone();
                    faults.extend(
                        self.pending
                            .iter()
                            .filter(|f| f.spec.asset == a.id)
                            .cloned(),
                    );
                    AssetTruth {
                        id: a.id.clone(),
                        kind: a.kind,
                        health: a.model.health(),
                        failed_at_secs: a.model.failed_at(),
                        predicted_failure_secs: a.model.predicted_failure(t, &faults),
                        faults,
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(seed: u64, secs: usize) -> Vec<Sample> {
        let cfg = PlantConfig {
            seed,
            cycle_secs: 600.0,
            ..PlantConfig::default()
        };
        let mut p = Plant::new(
            &cfg,
            &parse_assets("pump:2,cnc:1,line:1,turbofan:2").unwrap(),
        )
        .unwrap();
        p.inject(
            FaultSpec::parse_cli("pump-2:bearing_wear:1:3000:exponential").unwrap(),
            Some(600.0),
        )
        .unwrap();
        p.inject(
            FaultSpec::parse_cli("pump-1:dropout:0.5:0:step:flow").unwrap(),
            None,
        )
        .unwrap();
        let mut out = vec![];
        for s in 1..=secs {
            p.step();
            if s % 10 == 0 {
                for i in 0..p.assets.len() {
                    out.extend(p.sample(i));
                }
            }
        }
        out
    }

    #[test]
    fn a_repair_clears_the_faults_and_restarts_a_failed_machine() {
        let mut p = Plant::new(
            &PlantConfig::default(),
            &parse_assets("pump:1,cnc:1").unwrap(),
        )
        .unwrap();
        p.inject(
            FaultSpec::parse_cli("pump-1:bearing_wear:1:600:linear").unwrap(),
            None,
        )
        .unwrap();
        p.inject(
            FaultSpec::parse_cli("pump-1:stuck:1:0:step:flow").unwrap(),
            None,
        )
        .unwrap();
        p.inject(
            FaultSpec::parse_cli("pump-1:imbalance:1").unwrap(),
            Some(5000.0),
        )
        .unwrap();
        for _ in 0..700 {
            p.step();
        }
        let pump = |p: &Plant| p.truth().assets[0].clone();
        assert!(pump(&p).failed_at_secs.is_some());
        assert_eq!(
            p.sample(0)
                .unwrap()
                .values
                .iter()
                .find(|v| v.0 == "speed")
                .unwrap()
                .1,
            0.0
        );
        // Only the sensor: the machine stays failed.
        let cleared = p.repair("pump-1", &[FaultKind::Stuck]).unwrap();
        assert_eq!(cleared.len(), 1);
        assert!(pump(&p).failed_at_secs.is_some());
        // The whole machine: the wear, and the imbalance still pending.
        let cleared = p.repair("pump-1", &[]).unwrap();
        let kinds: Vec<FaultKind> = cleared.iter().map(|f| f.spec.kind).collect();
        assert_eq!(kinds, [FaultKind::BearingWear, FaultKind::Imbalance]);
        p.step();
        let after = pump(&p);
        assert!(
            after.faults.is_empty() && after.failed_at_secs.is_none(),
            "{after:?}"
        );
        assert!(after.health > 0.99, "{after:?}");
        assert!(
            p.sample(0)
                .unwrap()
                .values
                .iter()
                .find(|v| v.0 == "speed")
                .unwrap()
                .1
                > 1000.0
        );
        for _ in 0..6000 {
            p.step();
        }
        assert!(
            pump(&p).faults.is_empty(),
            "the pending imbalance was cleared too"
        );
        // Refusals name what was wrong.
        let e = p
            .repair("pump-1", &[FaultKind::ToolBreakage])
            .unwrap_err()
            .to_string();
        assert!(e.contains("a pump has no tool_breakage"), "{e}");
        assert!(matches!(
            p.repair("pump-9", &[]),
            Err(SimError::UnknownAsset(_))
        ));
        // A mill gets a fresh tool.
        p.inject(FaultSpec::parse_cli("cnc-1:tool_breakage:1").unwrap(), None)
            .unwrap();
        p.step();
        p.step();
        assert!(p.truth().assets[1].failed_at_secs.is_some());
        p.repair("cnc-1", &[]).unwrap();
        assert_eq!(p.truth().assets[1].failed_at_secs, None);
        assert!(p.truth().assets[1].health > 0.99);
    }

    #[test]
    fn same_seed_same_series_other_seed_other_series() {
        let a = series(42, 3600);
        let b = series(42, 3600);
        let c = series(43, 3600);
        assert!(a.len() > 1000);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn sensor_faults_change_only_the_reported_value() {
        let cfg = PlantConfig::default();
        let mut p = Plant::new(&cfg, &[(AssetKind::Pump, 1)]).unwrap();
        for _ in 0..600 {
            p.step();
        }
        let flow = |s: &Sample| s.values.iter().find(|v| v.0 == "flow").map(|v| v.1);
        let before = flow(&p.sample(0).unwrap()).unwrap();
        p.inject(
            FaultSpec::parse_cli("pump-1:stuck:1:0:step:flow").unwrap(),
            None,
        )
        .unwrap();
        p.step();
        let stuck = flow(&p.sample(0).unwrap()).unwrap();
        for _ in 0..100 {
            p.step();
        }
        assert_eq!(flow(&p.sample(0).unwrap()), Some(stuck));
        assert!((stuck - before).abs() < 0.1 * before);
        p.inject(
            FaultSpec::parse_cli("pump-1:network_loss:1:60").unwrap(),
            None,
        )
        .unwrap();
        p.step();
        assert!(p.sample(0).is_none(), "silent during network loss");
        for _ in 0..60 {
            p.step();
        }
        assert!(p.sample(0).is_some(), "back after it");
        let e = p
            .inject(
                FaultSpec::parse_cli("pump-1:drift:0.1:0:step:speedz").unwrap(),
                None,
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("no signal `speedz`"), "{e}");
        let e = p
            .inject(FaultSpec::parse_cli("pump-1:tool_breakage").unwrap(), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a pump cannot have a tool_breakage fault"),
            "{e}"
        );
        assert!(matches!(
            p.inject(FaultSpec::parse_cli("pump-9:imbalance").unwrap(), None),
            Err(SimError::UnknownAsset(_))
        ));
    }

    #[test]
    fn truth_reports_fault_start_and_failure() {
        let mut p = Plant::new(&PlantConfig::default(), &[(AssetKind::Pump, 1)]).unwrap();
        p.inject(
            FaultSpec::parse_cli("pump-1:bearing_wear:1:1000:linear").unwrap(),
            Some(100.0),
        )
        .unwrap();
        for _ in 0..500 {
            p.step();
        }
        let t = p.truth();
        let a = &t.assets[0];
        assert_eq!(a.faults[0].start_secs, 100.0);
        assert_eq!(a.predicted_failure_secs, Some(1100.0));
        assert!((a.health - 0.6).abs() < 1e-9, "{}", a.health);
        for _ in 0..700 {
            p.step();
        }
        assert_eq!(p.truth().assets[0].failed_at_secs, Some(1100.0));
    }
}
