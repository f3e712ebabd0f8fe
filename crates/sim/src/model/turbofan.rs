//! A turbofan engine whose sensors degrade like those of NASA's C-MAPSS
//! data sets (Saxena et al., 2008): one snapshot per flight cycle, at one
//! of six operating conditions, with a health index that falls
//! exponentially toward failure plus sensor noise. See docs/simulator.md
//! ("Turbofan").

use super::{Model, Prop, SignalInfo, magnitude};
use crate::fault::{ActiveFault, FaultKind};
use crate::rng::Rng;

/// Operating conditions (altitude kft, Mach, throttle resolver angle).
pub const CONDITIONS: [[f64; 3]; 6] = [
    [0.0, 0.0, 100.0],
    [10.0, 0.25, 100.0],
    [20.0, 0.7, 100.0],
    [25.0, 0.62, 60.0],
    [35.0, 0.84, 100.0],
    [42.0, 0.84, 100.0],
];

/// Healthy sensor means per operating condition, in the order of
/// [`SIGNALS`] after `cycle` and the three settings. Calibrated as the
/// per-condition means of the public FD002 training set.
const BASE: [[f64; 21]; 6] = [
    [
        518.67, 642.68, 1590.42, 1408.86, 14.62, 21.61, 553.36, 2388.1, 9062.83, 1.3, 47.54, 521.4,
        2388.1, 8141.66, 8.44, 0.03, 393.2, 2388.0, 100.0, 38.82, 23.29,
    ],
    [
        489.05, 604.91, 1502.01, 1311.25, 10.52, 15.49, 394.32, 2318.96, 8785.44, 1.26, 45.49,
        371.45, 2388.16, 8135.13, 8.66, 0.03, 369.7, 2319.0, 100.0, 28.53, 17.12,
    ],
    [
        491.19, 607.56, 1485.59, 1253.12, 9.35, 13.66, 334.5, 2324.02, 8729.77, 1.08, 44.45,
        314.87, 2388.15, 8065.91, 9.23, 0.02, 365.38, 2324.0, 100.0, 24.45, 14.67,
    ],
    [
        462.54, 536.87, 1262.68, 1050.32, 7.05, 9.03, 175.43, 1915.42, 8015.5, 0.94, 36.8, 164.57,
        2028.31, 7878.46, 10.91, 0.02, 307.35, 1915.0, 84.93, 14.26, 8.56,
    ],
    [
        449.44, 555.8, 1366.71, 1131.53, 5.48, 8.0, 194.44, 2223.04, 8356.1, 1.02, 41.98, 183.02,
        2388.14, 8072.2, 9.33, 0.02, 334.24, 2223.0, 100.0, 14.83, 8.9,
    ],
    [
        445.0, 549.7, 1354.46, 1127.8, 3.91, 5.72, 138.63, 2211.97, 8327.89, 1.02, 42.15, 130.55,
        2388.05, 8089.44, 9.38, 0.02, 331.07, 2212.0, 100.0, 10.59, 6.35,
    ],
];

/// Change from healthy to failure at sea level (end of life minus start,
/// FD001 training set means), per sensor.
const DELTA: [f64; 21] = [
    0.0, 1.2892, 15.4492, 26.1684, 0.0, 0.0005, -2.4558, 0.1738, 41.9851, 0.0, 0.7897, -2.1007,
    0.1778, 29.4936, 0.1021, 0.0, 3.9795, 0.0, 0.0, -0.4868, -0.2901,
];

/// Measurement noise (standard deviation) at sea level, per sensor.
const NOISE: [f64; 21] = [
    0.0, 0.38, 4.6, 5.9, 0.0, 0.002, 0.62, 0.055, 8.3, 0.0, 0.18, 0.51, 0.055, 7.9, 0.027, 0.0,
    1.1, 0.0, 0.0, 0.13, 0.08,
];

const SIGNALS: &[SignalInfo] = &[
    SignalInfo {
        name: "cycle",
        unit: "cycles",
    },
    SignalInfo {
        name: "altitude",
        unit: "kft",
    },
    SignalInfo {
        name: "mach",
        unit: "1",
    },
    SignalInfo {
        name: "throttle",
        unit: "deg",
    },
    SignalInfo {
        name: "t2",
        unit: "degR",
    },
    SignalInfo {
        name: "t24",
        unit: "degR",
    },
    SignalInfo {
        name: "t30",
        unit: "degR",
    },
    SignalInfo {
        name: "t50",
        unit: "degR",
    },
    SignalInfo {
        name: "p2",
        unit: "psia",
    },
    SignalInfo {
        name: "p15",
        unit: "psia",
    },
    SignalInfo {
        name: "p30",
        unit: "psia",
    },
    SignalInfo {
        name: "nf",
        unit: "rpm",
    },
    SignalInfo {
        name: "nc",
        unit: "rpm",
    },
    SignalInfo {
        name: "epr",
        unit: "1",
    },
    SignalInfo {
        name: "ps30",
        unit: "psia",
    },
    SignalInfo {
        name: "phi",
        unit: "pps/psi",
    },
    SignalInfo {
        name: "nrf",
        unit: "rpm",
    },
    SignalInfo {
        name: "nrc",
        unit: "rpm",
    },
    SignalInfo {
        name: "bpr",
        unit: "1",
    },
    SignalInfo {
        name: "farB",
        unit: "1",
    },
    SignalInfo {
        name: "htBleed",
        unit: "1",
    },
    SignalInfo {
        name: "nfDmd",
        unit: "rpm",
    },
    SignalInfo {
        name: "pcnfrDmd",
        unit: "1",
    },
    SignalInfo {
        name: "w31",
        unit: "lbm/s",
    },
    SignalInfo {
        name: "w32",
        unit: "lbm/s",
    },
];

/// Degradation's curvature: wear `(e^(K u) - 1) / (e^K - 1)` at life fraction u.
const K: f64 = 4.0;

/// One engine.
pub struct Turbofan {
    cycle_secs: f64,
    multi_condition: bool,
    /// Cycles from new to failure at the nominal rate.
    life: f64,
    /// Initial wear, 0 to 0.1: engines do not start equal.
    initial: f64,
    /// Life used, 0 to 1.
    used: f64,
    cycle: u64,
    condition: usize,
    into_cycle: f64,
    fresh: bool,
    failed_at: Option<f64>,
}

impl Turbofan {
    /// An engine flying `cycle_secs`-long cycles; `multi_condition` picks one
    /// of six operating conditions per cycle (FD002-like), else sea level (FD001-like).
    pub fn new(rng: &mut Rng, cycle_secs: f64, multi_condition: bool) -> Turbofan {
        Turbofan {
            cycle_secs,
            multi_condition,
            life: (128.0 + rng.exponential(78.0)).min(362.0),
            initial: 0.1 * rng.uniform(),
            used: 0.0,
            cycle: 0,
            condition: 0,
            into_cycle: 0.0,
            fresh: false,
            failed_at: None,
        }
    }

    /// Wear 0 (new) to 1 (failed): initial wear plus exponential growth.
    pub fn wear(&self) -> f64 {
        let x = (K * self.used.min(1.0)).exp_m1() / K.exp_m1();
        self.initial + (1.0 - self.initial) * x
    }

    /// Remaining useful life in cycles at the current rate.
    pub fn rul_cycles(&self, rate: f64) -> f64 {
        ((1.0 - self.used) * self.life / rate).max(0.0)
    }
}

impl Model for Turbofan {
    fn faults(&self) -> &'static [FaultKind] {
        &[FaultKind::HpcDegradation]
    }

    fn signal_info(&self) -> &'static [SignalInfo] {
        SIGNALS
    }

    fn step(&mut self, t: f64, dt: f64, faults: &[ActiveFault], rng: &mut Rng) {
        if self.failed_at.is_some() {
            return;
        }
        self.into_cycle += dt;
        if self.into_cycle + 1e-9 < self.cycle_secs {
            return;
        }
        self.into_cycle -= self.cycle_secs;
        let rate = 1.0 + 4.0 * magnitude(faults, FaultKind::HpcDegradation, t);
        self.used += rate / self.life;
        self.cycle += 1;
        self.condition = if self.multi_condition {
            rng.below(6)
        } else {
            0
        };
        self.fresh = true;
        if self.used >= 1.0 {
            self.failed_at = Some(t);
        }
    }

    /// An overhaul: the engine's life starts over from a small initial
    /// wear, as a new one's does; its cycle count goes on.
    fn repair(&mut self, _t: f64, rng: &mut Rng) {
        self.initial = 0.1 * rng.uniform();
        self.used = 0.0;
        self.failed_at = None;
    }

    fn sample_due(&mut self) -> bool {
        std::mem::take(&mut self.fresh)
    }

    fn signals(&self, rng: &mut Rng, out: &mut Vec<f64>) {
        let c = CONDITIONS[self.condition];
        out.push(self.cycle as f64);
        for v in c {
            out.push(v + 0.001 * rng.normal());
        }
        let w = self.wear();
        for s in 0..21 {
            let scale = BASE[self.condition][s] / BASE[0][s];
            let v = BASE[self.condition][s] + scale * (DELTA[s] * w + NOISE[s] * rng.normal());
            out.push(v);
        }
    }

    fn properties(&self) -> Vec<(&'static str, Prop)> {
        let status = if self.failed_at.is_some() {
            "fault"
        } else {
            "running"
        };
        vec![
            ("status", Prop::Text(status)),
            ("cycles", Prop::Num(self.cycle as f64)),
        ]
    }

    fn health(&self) -> f64 {
        1.0 - self.wear()
    }

    fn failed_at(&self) -> Option<f64> {
        self.failed_at
    }

    fn predicted_failure(&self, t: f64, faults: &[ActiveFault]) -> Option<f64> {
        let rate = 1.0 + 4.0 * magnitude(faults, FaultKind::HpcDegradation, t);
        self.failed_at.or(Some(
            t - self.into_cycle + self.rul_cycles(rate).ceil() * self.cycle_secs,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensors_trend_like_cmapss_and_the_engine_fails_at_its_life() {
        let mut rng = Rng::new(5, 1);
        let mut e = Turbofan::new(&mut rng, 100.0, false);
        let life = e.life;
        let predicted = e.predicted_failure(0.0, &[]).unwrap();
        let mut rows = vec![];
        let mut t = 0.0;
        while e.failed_at().is_none() && t < 1e6 {
            t += 10.0;
            e.step(t, 10.0, &[], &mut rng);
            if e.sample_due() {
                let mut s = vec![];
                e.signals(&mut rng, &mut s);
                rows.push(s);
            }
        }
        assert!(
            (rows.len() as f64 - life.ceil()).abs() <= 1.0,
            "{} vs {life}",
            rows.len()
        );
        assert_eq!(e.failed_at(), Some(predicted));
        let mean =
            |rs: &[Vec<f64>], i: usize| rs.iter().map(|r| r[i]).sum::<f64>() / rs.len() as f64;
        let (first, last) = (&rows[..20], &rows[rows.len() - 5..]);
        // T50 (LPT outlet temperature) rises, W31 (HPT coolant bleed) falls.
        assert!(mean(last, 7) - mean(first, 7) > 15.0);
        assert!(mean(last, 23) - mean(first, 23) < -0.25);
    }
}
