//! A CNC milling machine cutting the same part over and over: spindle
//! speed and feed from the cutting data, spindle load from the specific
//! cutting force, tool wear by Taylor's tool-life law, breakage as a hazard
//! that grows with wear. See docs/simulator.md ("CNC mill").

use super::thermal::Node;
use super::{Model, Prop, SignalInfo, magnitude};
use crate::fault::{ActiveFault, FaultKind};
use crate::rng::Rng;

/// Taylor's tool-life law `V T^n = C`: minutes of cutting at `v` m/min.
pub fn taylor_life_min(v: f64, n: f64, c: f64) -> f64 {
    (c / v).powf(1.0 / n)
}

/// What the machine is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Loading,
    Cutting,
    ToolChange,
    Broken,
}

/// The cutting data and the machine's state.
pub struct Cnc {
    tool_d: f64,
    teeth: f64,
    v_cut: f64,
    feed_per_tooth: f64,
    taylor_n: f64,
    taylor_c: f64,
    kc: f64,
    depth: f64,
    width: f64,
    rated_kw: f64,
    cut_secs: f64,
    load_secs: f64,
    change_secs: f64,
    repair_secs: f64,
    coolant: Node,
    phase: Phase,
    phase_left: f64,
    wear: f64,
    tool_c: f64,
    parts: u64,
    scrap: u64,
    tool_changes: u64,
    breakages: u64,
    broken_faults: Vec<u64>,
    failed_at: Option<f64>,
}

const FAULTS: &[FaultKind] = &[FaultKind::ToolWear, FaultKind::ToolBreakage];

const SIGNALS: &[SignalInfo] = &[
    SignalInfo {
        name: "spindleSpeed",
        unit: "rpm",
    },
    SignalInfo {
        name: "feedRate",
        unit: "mm/min",
    },
    SignalInfo {
        name: "spindleLoad",
        unit: "%",
    },
    SignalInfo {
        name: "vibration",
        unit: "mm/s",
    },
    SignalInfo {
        name: "coolantTemperature",
        unit: "degC",
    },
];

impl Cnc {
    /// A mill with a 12 mm four-flute carbide end mill in steel.
    pub fn new(rng: &mut Rng) -> Cnc {
        let mut c = Cnc {
            tool_d: 12.0,
            teeth: 4.0,
            v_cut: 120.0,
            feed_per_tooth: 0.05,
            taylor_n: 0.25,
            taylor_c: 300.0,
            kc: 2000.0,
            depth: 10.0,
            width: 8.0,
            rated_kw: 5.5,
            cut_secs: 90.0,
            load_secs: 30.0,
            change_secs: 60.0,
            repair_secs: 600.0,
            coolant: Node {
                temp: 22.0,
                r_th: 0.004,
                tau: 900.0,
            },
            phase: Phase::Loading,
            phase_left: 30.0,
            wear: 0.0,
            tool_c: 300.0,
            parts: 0,
            scrap: 0,
            tool_changes: 0,
            breakages: 0,
            broken_faults: vec![],
            failed_at: None,
        };
        c.new_tool(rng);
        c
    }

    fn new_tool(&mut self, rng: &mut Rng) {
        self.wear = 0.0;
        // Tool-to-tool scatter of Taylor's constant.
        self.tool_c = self.taylor_c * (1.0 + 0.04 * rng.normal());
    }

    /// Spindle speed while cutting: `N = 1000 V / (pi D)`.
    pub fn spindle_rpm(&self) -> f64 {
        1000.0 * self.v_cut / (std::f64::consts::PI * self.tool_d)
    }

    /// Table feed: `f = fz z N`.
    pub fn feed_mm_min(&self) -> f64 {
        self.feed_per_tooth * self.teeth * self.spindle_rpm()
    }

    /// Tool life in minutes of cutting for this tool.
    pub fn tool_life_min(&self) -> f64 {
        taylor_life_min(self.v_cut, self.taylor_n, self.tool_c)
    }

    /// Cutting power, kW: `kc * ap * ae * f / 6e7`, rising with flank wear.
    fn cut_kw(&self) -> f64 {
        self.kc * self.depth * self.width * self.feed_mm_min() / 6e7 * (1.0 + 0.8 * self.wear)
    }

    fn cutting(&self) -> bool {
        self.phase == Phase::Cutting
    }

    fn enter(&mut self, phase: Phase) {
        self.phase = phase;
        self.phase_left = match phase {
            Phase::Loading => self.load_secs,
            Phase::Cutting => self.cut_secs,
            Phase::ToolChange => self.change_secs,
            Phase::Broken => self.repair_secs,
        };
    }

    fn break_tool(&mut self, t: f64) {
        self.breakages += 1;
        self.scrap += 1;
        self.failed_at.get_or_insert(t);
        self.enter(Phase::Broken);
    }
}

impl Model for Cnc {
    fn faults(&self) -> &'static [FaultKind] {
        FAULTS
    }

    fn signal_info(&self) -> &'static [SignalInfo] {
        SIGNALS
    }

    fn step(&mut self, t: f64, dt: f64, faults: &[ActiveFault], rng: &mut Rng) {
        for f in faults {
            if f.spec.kind == FaultKind::ToolBreakage
                && f.active(t)
                && !self.broken_faults.contains(&f.id)
            {
                self.broken_faults.push(f.id);
                self.break_tool(t);
            }
        }
        if self.cutting() {
            let rate = 1.0 + 4.0 * magnitude(faults, FaultKind::ToolWear, t);
            self.wear += dt / (self.tool_life_min() * 60.0) * rate;
            // Breakage hazard per second of cutting, growing with wear.
            let hazard = (5.0 * self.wear.min(1.5)).exp() / 720_000.0;
            if rng.chance(hazard * dt) {
                self.break_tool(t);
            }
        }
        let heat = if self.cutting() {
            600.0 * self.cut_kw()
        } else {
            0.0
        };
        self.coolant.step(dt, heat, 22.0);
        self.phase_left -= dt;
        if self.phase_left > 0.0 {
            return;
        }
        match self.phase {
            Phase::Loading => self.enter(Phase::Cutting),
            Phase::Cutting => {
                self.parts += 1;
                if self.wear >= 1.0 {
                    self.enter(Phase::ToolChange);
                } else {
                    self.enter(Phase::Loading);
                }
            }
            Phase::ToolChange | Phase::Broken => {
                if self.phase == Phase::ToolChange {
                    self.tool_changes += 1;
                }
                self.new_tool(rng);
                self.enter(Phase::Loading);
            }
        }
    }

    fn signals(&self, rng: &mut Rng, out: &mut Vec<f64>) {
        let (rpm, feed, load, vib) = if self.cutting() {
            let frac = self.cut_kw() / self.rated_kw;
            (
                self.spindle_rpm(),
                self.feed_mm_min(),
                100.0 * frac + 3.0,
                0.5 + 1.5 * frac + 3.0 * self.wear * self.wear,
            )
        } else if self.phase == Phase::Broken && self.phase_left > self.repair_secs - 5.0 {
            // The breakage itself: a load spike in the seconds before the machine stops.
            (0.0, 0.0, 250.0, 12.0)
        } else {
            (0.0, 0.0, 0.0, 0.2)
        };
        out.extend([
            rpm * (1.0 + 0.001 * rng.normal()),
            feed * (1.0 + 0.001 * rng.normal()),
            (load * (1.0 + 0.03 * rng.normal())).max(0.0),
            (vib * (1.0 + 0.08 * rng.normal())).max(0.0),
            self.coolant.temp + 0.1 * rng.normal(),
        ]);
    }

    fn properties(&self) -> Vec<(&'static str, Prop)> {
        let status = match self.phase {
            Phase::Broken => "fault",
            Phase::ToolChange => "maintenance",
            Phase::Loading | Phase::Cutting => "running",
        };
        vec![
            ("status", Prop::Text(status)),
            ("partCount", Prop::Num(self.parts as f64)),
            ("scrapCount", Prop::Num(self.scrap as f64)),
            (
                "toolWear",
                Prop::Num((0.3 * self.wear * 1000.0).round() / 1000.0),
            ),
            ("toolChanges", Prop::Num(self.tool_changes as f64)),
            (
                "health",
                Prop::Num(((1.0 - self.wear).max(0.0) * 1000.0).round() / 1000.0),
            ),
        ]
    }

    fn health(&self) -> f64 {
        (1.0 - self.wear).max(0.0)
    }

    fn failed_at(&self) -> Option<f64> {
        self.failed_at
    }

    /// A fresh tool in the spindle and the next part loading.
    fn repair(&mut self, _t: f64, rng: &mut Rng) {
        self.new_tool(rng);
        self.failed_at = None;
        self.enter(Phase::Loading);
    }

    fn predicted_failure(&self, t: f64, faults: &[ActiveFault]) -> Option<f64> {
        // Remaining cutting time to the wear limit, over the share of time spent cutting.
        let rate = 1.0 + 4.0 * magnitude(faults, FaultKind::ToolWear, t);
        let left = (1.0 - self.wear).max(0.0) * self.tool_life_min() * 60.0 / rate;
        Some(t + left * (self.cut_secs + self.load_secs) / self.cut_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taylor_tool_life() {
        // V T^n = C: 300 m/min and n = 0.25 give 39.0625 min at 120 m/min,
        // and halving V multiplies life by 2^(1/n) = 16.
        assert!((taylor_life_min(120.0, 0.25, 300.0) - 39.0625).abs() < 1e-9);
        let r = taylor_life_min(60.0, 0.25, 300.0) / taylor_life_min(120.0, 0.25, 300.0);
        assert!((r - 16.0).abs() < 1e-9);
        let v = 150.0;
        let t = taylor_life_min(v, 0.3, 400.0);
        assert!((v * t.powf(0.3) - 400.0).abs() < 1e-9);
    }

    #[test]
    fn cutting_data_and_tool_changes_follow_tool_life() {
        let mut rng = Rng::new(3, 0);
        let mut c = Cnc::new(&mut rng);
        assert!((c.spindle_rpm() - 3183.1).abs() < 0.1);
        assert!((c.feed_mm_min() - 636.6).abs() < 0.1);
        let life = c.tool_life_min();
        // Run long enough for several tools; count parts per tool.
        for i in 1..=8 * 3600 {
            c.step(i as f64, 1.0, &[], &mut rng);
        }
        assert!(c.parts >= 200, "parts {}", c.parts);
        assert!(c.tool_changes + c.breakages >= 3, "tools used");
        let per_tool = c.parts as f64 / (c.tool_changes + c.breakages) as f64;
        let expected = life * 60.0 / 90.0;
        assert!(
            (per_tool - expected).abs() < 0.35 * expected,
            "{per_tool} vs {expected}"
        );
    }

    #[test]
    fn injected_breakage_stops_the_machine() {
        let mut rng = Rng::new(3, 0);
        let mut c = Cnc::new(&mut rng);
        let f = ActiveFault {
            id: 9,
            spec: crate::fault::FaultSpec {
                asset: "c".into(),
                kind: FaultKind::ToolBreakage,
                severity: 1.0,
                progression: crate::fault::Progression::Step,
                duration_secs: 0.0,
                target: None,
            },
            start_secs: 100.0,
        };
        for i in 1..=200 {
            c.step(i as f64, 1.0, std::slice::from_ref(&f), &mut rng);
        }
        assert_eq!(c.failed_at(), Some(100.0));
        assert_eq!(c.breakages, 1);
        assert!(matches!(c.properties()[0].1, Prop::Text("fault")));
    }
}
