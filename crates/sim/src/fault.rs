//! Faults: what goes wrong, how badly, and how it develops over simulated
//! time. A fault's magnitude at time t is `severity * p(t)`, where the
//! progression p rises from 0 to 1 (see docs/simulator.md).

use serde::{Deserialize, Serialize};

use crate::SimError;

/// What goes wrong. Machine faults change the physics; sensor faults change
/// one reported signal; network loss silences the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Pump: rolling-bearing wear (outer race first); at magnitude 1 the bearing fails.
    BearingWear,
    /// Pump: rotor mass imbalance (1x vibration).
    Imbalance,
    /// Pump: shaft misalignment (2x vibration, bearing heat).
    Misalignment,
    /// Pump: suction pressure falls until NPSH available < NPSH required.
    Cavitation,
    /// Pump: mechanical seal leak, part of the flow lost.
    SealLeak,
    /// CNC: the tool wears `1 + 4 * magnitude` times faster than Taylor's law.
    ToolWear,
    /// CNC: the tool breaks at once.
    ToolBreakage,
    /// Line: a station breaks down (`target` names the station index).
    StationFailure,
    /// Turbofan: HPC degradation runs `1 + 4 * magnitude` times faster.
    HpcDegradation,
    /// Sensor: the signal drifts away by up to `severity` of its value.
    Drift,
    /// Sensor: the signal freezes at its value when the fault starts.
    Stuck,
    /// Sensor: noise of `severity` times the value for the fault's duration.
    NoiseBurst,
    /// Sensor: each sample of the signal is lost with probability `severity`.
    Dropout,
    /// Device: nothing is published for the fault's duration.
    NetworkLoss,
}

impl FaultKind {
    /// Faults that apply to one signal rather than to the machine.
    pub fn is_sensor(self) -> bool {
        matches!(
            self,
            FaultKind::Drift | FaultKind::Stuck | FaultKind::NoiseBurst | FaultKind::Dropout
        )
    }

    /// The name used on the CLI and the API.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// How a fault develops from its start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progression {
    /// Full magnitude at once.
    Step,
    /// Rises linearly to full magnitude over the duration.
    Linear,
    /// Rises like wear, slowly then fast: `(e^(3x) - 1) / (e^3 - 1)` of the
    /// duration `x`.
    Exponential,
}

/// A fault to inject, as the CLI and `POST /faults` take it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The asset (its twin id).
    pub asset: String,
    /// What goes wrong.
    pub kind: FaultKind,
    /// Final magnitude, 0 to 1.
    #[serde(default = "one")]
    pub severity: f64,
    /// How it develops.
    #[serde(default = "step")]
    pub progression: Progression,
    /// Simulated seconds to reach full magnitude (or, for noise bursts and
    /// network loss, how long they last); 0 means at once.
    #[serde(default)]
    pub duration_secs: f64,
    /// The signal of a sensor fault, or the station index of a station failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

fn one() -> f64 {
    1.0
}
fn step() -> Progression {
    Progression::Step
}

impl FaultSpec {
    /// Checks ranges; says which field is wrong.
    pub fn check(&self) -> Result<(), SimError> {
        if !(0.0..=1.0).contains(&self.severity) {
            return Err(SimError::Invalid(format!(
                "severity must be between 0 and 1, got {}",
                self.severity
            )));
        }
        if !self.duration_secs.is_finite() || self.duration_secs < 0.0 {
            return Err(SimError::Invalid(format!(
                "duration_secs must be 0 or more, got {}",
                self.duration_secs
            )));
        }
        if self.kind.is_sensor() && self.target.is_none() {
            return Err(SimError::Invalid(format!(
                "a {} fault needs a target: the signal it affects",
                self.kind.name()
            )));
        }
        Ok(())
    }

    /// Parses the CLI form `asset:kind[:severity[:duration[:progression[:target]]]]`,
    /// e.g. `pump-1:bearing_wear:1:259200:exponential`.
    pub fn parse_cli(s: &str) -> Result<FaultSpec, SimError> {
        let bad = |why: String| SimError::Invalid(format!("fault `{s}`: {why}"));
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() < 2 {
            return Err(bad(
                "expected asset:kind[:severity[:duration_secs[:progression[:target]]]]".into(),
            ));
        }
        let kind: FaultKind = serde_json::from_value(serde_json::Value::String(parts[1].into()))
            .map_err(|_| bad(format!("unknown kind `{}`", parts[1])))?;
        let num = |i: usize, what: &str, default: f64| -> Result<f64, SimError> {
            match parts.get(i) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| bad(format!("{what} `{v}` is not a number"))),
            }
        };
        let progression = match parts.get(4) {
            None => Progression::Step,
            Some(p) => {
                serde_json::from_value(serde_json::Value::String((*p).into())).map_err(|_| {
                    bad(format!(
                        "unknown progression `{p}` (step, linear, exponential)"
                    ))
                })?
            }
        };
        let f = FaultSpec {
            asset: parts[0].into(),
            kind,
            severity: num(2, "severity", 1.0)?,
            duration_secs: num(3, "duration", 0.0)?,
            progression,
            target: parts.get(5).map(|t| t.to_string()),
        };
        f.check().map_err(|e| bad(e.to_string()))?;
        Ok(f)
    }
}

/// An injected fault, with when it started.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveFault {
    /// Its id in the ground truth.
    pub id: u64,
    /// What was asked for.
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Simulated seconds since the run began when it started.
    pub start_secs: f64,
}

impl ActiveFault {
    /// Progress 0..1 at simulated time `t`.
    pub fn progress(&self, t: f64) -> f64 {
        let d = self.spec.duration_secs;
        if t < self.start_secs {
            return 0.0;
        }
        if d <= 0.0 {
            return 1.0;
        }
        let x = ((t - self.start_secs) / d).min(1.0);
        match self.spec.progression {
            Progression::Step => 1.0,
            Progression::Linear => x,
            Progression::Exponential => (3.0 * x).exp_m1() / 3f64.exp_m1(),
        }
    }

    /// Magnitude `severity * progress` at time `t`.
    pub fn magnitude(&self, t: f64) -> f64 {
        self.spec.severity * self.progress(t)
    }

    /// For bursts and network loss: whether the fault is still on at `t`.
    pub fn active(&self, t: f64) -> bool {
        match self.spec.kind {
            FaultKind::NoiseBurst | FaultKind::NetworkLoss if self.spec.duration_secs > 0.0 => {
                t >= self.start_secs && t < self.start_secs + self.spec.duration_secs
            }
            _ => t >= self.start_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_form_parses_and_bad_input_says_what() {
        let f = FaultSpec::parse_cli("pump-1:bearing_wear:1:259200:exponential").unwrap();
        assert_eq!(f.kind, FaultKind::BearingWear);
        assert_eq!(f.progression, Progression::Exponential);
        assert_eq!(f.duration_secs, 259200.0);
        let e = FaultSpec::parse_cli("pump-1:melt").unwrap_err().to_string();
        assert!(e.contains("unknown kind `melt`"), "{e}");
        let e = FaultSpec::parse_cli("pump-1:imbalance:2")
            .unwrap_err()
            .to_string();
        assert!(e.contains("severity"), "{e}");
        let e = FaultSpec::parse_cli("pump-1:drift:0.1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a target"), "{e}");
    }

    #[test]
    fn progressions_rise_from_zero_to_one() {
        for p in [Progression::Linear, Progression::Exponential] {
            let f = ActiveFault {
                id: 1,
                spec: FaultSpec {
                    asset: "a".into(),
                    kind: FaultKind::BearingWear,
                    severity: 0.5,
                    progression: p,
                    duration_secs: 100.0,
                    target: None,
                },
                start_secs: 10.0,
            };
            assert_eq!(f.magnitude(5.0), 0.0);
            assert!(f.magnitude(60.0) > 0.0 && f.magnitude(60.0) < 0.5);
            assert!((f.magnitude(110.0) - 0.5).abs() < 1e-12);
        }
    }
}
