//! Machine models: each turns simulated time, its faults and a seeded
//! random stream into true signal values. Models know nothing of wall
//! time, twins or protocols.

pub mod bearing;
pub mod cnc;
pub mod line;
pub mod pump;
pub mod thermal;
pub mod turbofan;

use crate::fault::{ActiveFault, FaultKind};
use crate::rng::Rng;

/// A reported property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    /// A number.
    Num(f64),
    /// A string.
    Text(&'static str),
}

/// One signal a model reports: its name on the wire and its unit.
#[derive(Debug, Clone, Copy)]
pub struct SignalInfo {
    /// Telemetry name.
    pub name: &'static str,
    /// Unit, for the sensor twin.
    pub unit: &'static str,
}

/// A simulated machine.
pub trait Model: Send + Sync {
    /// The machine faults this model reacts to.
    fn faults(&self) -> &'static [FaultKind];
    /// The signals it reports, in the order of [`Model::signals`].
    fn signal_info(&self) -> &'static [SignalInfo];
    /// Advances the state by `dt` seconds, ending at time `t`.
    fn step(&mut self, t: f64, dt: f64, faults: &[ActiveFault], rng: &mut Rng);
    /// The true values of the signals now, with measurement noise.
    fn signals(&self, rng: &mut Rng, out: &mut Vec<f64>);
    /// Reported properties (status, counters, health).
    fn properties(&self) -> Vec<(&'static str, Prop)>;
    /// Ground-truth health: 1 new, 0 failed.
    fn health(&self) -> f64;
    /// When it failed, in simulated seconds, if it has.
    fn failed_at(&self) -> Option<f64>;
    /// When it will fail if nothing changes, if that is known.
    fn predicted_failure(&self, t: f64, faults: &[ActiveFault]) -> Option<f64>;
    /// Checks a fault's model-specific fields (e.g. a station index).
    fn check(&self, _fault: &crate::fault::FaultSpec) -> Result<(), String> {
        Ok(())
    }
    /// Puts the machine back in order once maintenance cleared its faults:
    /// worn or broken parts replaced and a failure forgotten. Models whose
    /// degradation is all driven by faults have nothing more to do.
    fn repair(&mut self, _t: f64, _rng: &mut Rng) {}
    /// Whether a sample is due now; models that report once per cycle
    /// say so here (called once per sample time).
    fn sample_due(&mut self) -> bool {
        true
    }
}

/// The largest magnitude at `t` among faults of `kind`.
pub fn magnitude(faults: &[ActiveFault], kind: FaultKind, t: f64) -> f64 {
    faults
        .iter()
        .filter(|f| f.spec.kind == kind)
        .map(|f| f.magnitude(t))
        .fold(0.0, f64::max)
}

/// The earliest time a fault of `kind` with severity 1 reaches full
/// magnitude: when the part it wears out fails.
pub fn full_at(faults: &[ActiveFault], kind: FaultKind) -> Option<f64> {
    faults
        .iter()
        .filter(|f| f.spec.kind == kind && f.spec.severity >= 1.0)
        .map(|f| f.start_secs + f.spec.duration_secs)
        .reduce(f64::min)
}
