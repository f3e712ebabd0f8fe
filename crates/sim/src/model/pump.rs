//! A centrifugal pump on a variable-speed induction motor, pumping into a
//! system of static head plus friction. Equations and sources are in
//! docs/simulator.md ("Centrifugal pump").

use super::bearing::Geometry;
use super::thermal::Node;
use super::{Model, Prop, SignalInfo, full_at, magnitude};
use crate::fault::{ActiveFault, FaultKind};
use crate::rng::Rng;

const RHO: f64 = 998.0;
const G: f64 = 9.81;
/// Vapour pressure of water at 25 degC, bar.
const P_VAPOUR: f64 = 0.0317;

/// The pump's design data.
#[derive(Debug, Clone)]
pub struct PumpCurve {
    /// Rated speed, rpm.
    pub n0: f64,
    /// Head at zero flow and rated speed, m.
    pub shutoff_head: f64,
    /// Best-efficiency flow at rated speed, m3/h.
    pub q_bep: f64,
    /// Head at the best-efficiency flow and rated speed, m.
    pub h_bep: f64,
    /// Peak efficiency.
    pub eta_max: f64,
    /// NPSH required at the best-efficiency point and rated speed, m.
    pub npshr_bep: f64,
}

impl PumpCurve {
    /// A CP-80 style pump: 45 m3/h at 32 m, 2950 rpm.
    pub const CP80: PumpCurve = PumpCurve {
        n0: 2950.0,
        shutoff_head: 40.0,
        q_bep: 45.0,
        h_bep: 32.0,
        eta_max: 0.78,
        npshr_bep: 3.0,
    };

    fn k(&self) -> f64 {
        (self.shutoff_head - self.h_bep) / (self.q_bep * self.q_bep)
    }

    /// Head (m) at flow `q` (m3/h) and speed `n` (rpm), by the affinity
    /// laws: `H(Q, N) = H0 (N/N0)^2 - k Q^2`.
    pub fn head(&self, q: f64, n: f64) -> f64 {
        let r = n / self.n0;
        self.shutoff_head * r * r - self.k() * q * q
    }

    /// Efficiency at `q` and `n`: a parabola peaking at the
    /// best-efficiency flow, which scales with speed.
    pub fn efficiency(&self, q: f64, n: f64) -> f64 {
        let bep = self.q_bep * n / self.n0;
        if bep <= 0.0 {
            return 0.0;
        }
        (self.eta_max * (1.0 - (q / bep - 1.0).powi(2))).max(0.15)
    }

    /// NPSH required (m): `NPSHr_bep (N/N0)^2 (Q/Q_bep(N))^2`, floored at a third.
    pub fn npsh_required(&self, q: f64, n: f64) -> f64 {
        let r = n / self.n0;
        let bep = self.q_bep * r;
        let rel = if bep > 0.0 { q / bep } else { 0.0 };
        self.npshr_bep * r * r * rel.powi(2).max(0.33)
    }

    /// Where the pump curve, derated by `head_factor`, meets the system
    /// curve `H = static + R Q^2`; returns (flow, head).
    pub fn operating_point(
        &self,
        n: f64,
        static_head: f64,
        r: f64,
        head_factor: f64,
    ) -> (f64, f64) {
        let ratio = n / self.n0;
        let hs = self.shutoff_head * ratio * ratio * head_factor;
        let q2 = (hs - static_head) / (self.k() * head_factor + r);
        if q2 <= 0.0 {
            return (0.0, hs.max(0.0));
        }
        let q = q2.sqrt();
        (q, static_head + r * q2)
    }
}

/// Pump, motor and drive-end bearing.
pub struct Pump {
    curve: PumpCurve,
    bearing: Geometry,
    static_head: f64,
    friction: f64,
    setpoint_rpm: f64,
    motor_eff: f64,
    volts: f64,
    power_factor: f64,
    ambient: f64,
    thermal: Node,
    // State.
    speed: f64,
    flow: f64,
    head: f64,
    suction: f64,
    power: f64,
    current: f64,
    wear: f64,
    imbalance: f64,
    misalignment: f64,
    cavitation: f64,
    leak: f64,
    hours: f64,
    failed_at: Option<f64>,
}

const FAULTS: &[FaultKind] = &[
    FaultKind::BearingWear,
    FaultKind::Imbalance,
    FaultKind::Misalignment,
    FaultKind::Cavitation,
    FaultKind::SealLeak,
];

const SIGNALS: &[SignalInfo] = &[
    SignalInfo {
        name: "speed",
        unit: "rpm",
    },
    SignalInfo {
        name: "flow",
        unit: "m3/h",
    },
    SignalInfo {
        name: "suctionPressure",
        unit: "bar",
    },
    SignalInfo {
        name: "dischargePressure",
        unit: "bar",
    },
    SignalInfo {
        name: "motorCurrent",
        unit: "A",
    },
    SignalInfo {
        name: "motorPower",
        unit: "kW",
    },
    SignalInfo {
        name: "bearingTemperature",
        unit: "degC",
    },
    SignalInfo {
        name: "vibrationRms",
        unit: "mm/s",
    },
    SignalInfo {
        name: "vib1x",
        unit: "mm/s",
    },
    SignalInfo {
        name: "vib2x",
        unit: "mm/s",
    },
    SignalInfo {
        name: "vibBpfo",
        unit: "mm/s",
    },
    SignalInfo {
        name: "vibBpfi",
        unit: "mm/s",
    },
    SignalInfo {
        name: "vibBsf",
        unit: "mm/s",
    },
    SignalInfo {
        name: "vibFtf",
        unit: "mm/s",
    },
];

impl Pump {
    /// A pump at rated speed, cold, with small unit-to-unit differences drawn from `rng`.
    pub fn new(rng: &mut Rng) -> Pump {
        let curve = PumpCurve::CP80;
        let static_head = 12.0 * (1.0 + 0.05 * rng.normal());
        let friction = (curve.h_bep - static_head) / (curve.q_bep * curve.q_bep);
        Pump {
            setpoint_rpm: curve.n0,
            curve,
            bearing: Geometry::B6309,
            static_head,
            friction,
            motor_eff: 0.9,
            volts: 400.0,
            power_factor: 0.85,
            ambient: 25.0,
            thermal: Node {
                temp: 25.0,
                r_th: 0.5,
                tau: 1200.0,
            },
            speed: 0.0,
            flow: 0.0,
            head: 0.0,
            suction: 1.8,
            power: 0.0,
            current: 0.0,
            wear: 0.0,
            imbalance: 0.0,
            misalignment: 0.0,
            cavitation: 0.0,
            leak: 0.0,
            hours: 0.0,
            failed_at: None,
        }
    }

    fn bands(&self) -> [f64; 7] {
        let r = self.speed / self.curve.n0;
        let r2 = r * r;
        let w = self.wear;
        let v1x = r2 * (0.7 + 6.0 * self.imbalance) + 1.2 * self.misalignment * r;
        let v2x = r2 * (0.3 + 4.0 * self.misalignment);
        let on = if self.speed > 0.0 { 1.0 } else { 0.0 };
        let bpfo = on * (0.05 + 3.0 * w.powf(1.5));
        let bpfi = on * (0.03 + 1.2 * w * w);
        let bsf = on * (0.02 + 0.8 * w * w);
        let ftf = on * (0.02 + 0.5 * w * w);
        let broad = on * (0.5 + 4.0 * self.cavitation + 2.0 * (w - 0.6).max(0.0));
        let rms = [v1x, v2x, bpfo, bpfi, bsf, ftf, broad]
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt();
        [rms, v1x, v2x, bpfo, bpfi, bsf, ftf]
    }
}

impl Model for Pump {
    fn faults(&self) -> &'static [FaultKind] {
        FAULTS
    }

    fn signal_info(&self) -> &'static [SignalInfo] {
        SIGNALS
    }

    fn step(&mut self, t: f64, dt: f64, faults: &[ActiveFault], _rng: &mut Rng) {
        self.wear = magnitude(faults, FaultKind::BearingWear, t);
        self.imbalance = magnitude(faults, FaultKind::Imbalance, t);
        self.misalignment = magnitude(faults, FaultKind::Misalignment, t);
        self.leak = magnitude(faults, FaultKind::SealLeak, t);
        let cav = magnitude(faults, FaultKind::Cavitation, t);
        if self.failed_at.is_none() && self.wear >= 1.0 {
            self.failed_at = Some(t);
        }
        self.speed = if self.failed_at.is_some() {
            0.0
        } else {
            // A daily demand cycle of +-4 % on the drive's setpoint.
            self.setpoint_rpm * (1.0 + 0.04 * (std::f64::consts::TAU * t / 86_400.0).sin())
        };
        // Suction pressure (bar abs) falls with the cavitation fault's magnitude.
        self.suction = 1.8 - 1.65 * cav;
        let npsha = (self.suction - P_VAPOUR) * 1e5 / (RHO * G);
        // Solve once at full head to find NPSHr, then derate the head by
        // the deficit (a 3 % head drop marks the onset; we let it reach 30 %).
        let (q, _) = self
            .curve
            .operating_point(self.speed, self.static_head, self.friction, 1.0);
        let npshr = self.curve.npsh_required(q, self.speed);
        self.cavitation = if npshr > 0.0 {
            ((1.3 * npshr - npsha) / npshr).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let factor = 1.0 - 0.3 * self.cavitation;
        let (q, h) =
            self.curve
                .operating_point(self.speed, self.static_head, self.friction, factor);
        self.flow = q;
        self.head = h;
        let hydraulic = RHO * G * q / 3600.0 * h;
        let eta = self.curve.efficiency(q, self.speed) * factor.sqrt();
        let shaft = if self.speed > 0.0 {
            hydraulic / eta * (1.0 + 0.03 * self.misalignment + 0.02 * self.wear)
        } else {
            0.0
        };
        self.power = shaft / self.motor_eff;
        self.current = self.power / (3f64.sqrt() * self.volts * self.power_factor);
        let r = self.speed / self.curve.n0;
        let loss = 60.0
            * r
            * (1.0 + 2.0 * self.wear * self.wear + 1.5 * self.misalignment + 0.5 * self.imbalance);
        self.thermal.step(dt, loss, self.ambient);
        if self.speed > 0.0 {
            self.hours += dt / 3600.0;
        }
    }

    fn signals(&self, rng: &mut Rng, out: &mut Vec<f64>) {
        let b = self.bands();
        let mut noisy = |v: f64, rel: f64| v * (1.0 + rel * rng.normal());
        out.extend([
            noisy(self.speed, 0.001),
            noisy(self.flow * (1.0 - 0.15 * self.leak), 0.01),
            noisy(self.suction, 0.005),
            noisy(self.suction + RHO * G * self.head / 1e5, 0.005),
            noisy(self.current, 0.01),
            noisy(self.power / 1000.0, 0.01),
            self.thermal.temp + 0.2 * rng.normal(),
        ]);
        for v in b {
            out.push(v * (1.0 + 0.05 * rng.normal()).max(0.0));
        }
    }

    fn properties(&self) -> Vec<(&'static str, Prop)> {
        let fr = self.curve.n0 / 60.0;
        let d = self.bearing.defects(fr);
        let status = if self.failed_at.is_some() {
            "fault"
        } else {
            "running"
        };
        vec![
            ("status", Prop::Text(status)),
            (
                "operatingHours",
                Prop::Num((self.hours * 100.0).round() / 100.0),
            ),
            ("bpfoHz", Prop::Num(d.bpfo)),
            ("bpfiHz", Prop::Num(d.bpfi)),
            ("bsfHz", Prop::Num(d.bsf)),
            ("ftfHz", Prop::Num(d.ftf)),
        ]
    }

    /// Bearing, seal and alignment come from the faults, which the repair
    /// cleared; what is left is to restart a pump that had failed.
    fn repair(&mut self, _t: f64, _rng: &mut Rng) {
        self.failed_at = None;
    }

    fn health(&self) -> f64 {
        1.0 - self.wear
    }

    fn failed_at(&self) -> Option<f64> {
        self.failed_at
    }

    fn predicted_failure(&self, _t: f64, faults: &[ActiveFault]) -> Option<f64> {
        self.failed_at
            .or_else(|| full_at(faults, FaultKind::BearingWear))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_laws_scale_flow_with_speed_and_head_with_its_square() {
        let c = PumpCurve::CP80;
        // On a friction-only system curve the operating point moves along a
        // parabola through the origin: Q ~ N, H ~ N^2.
        let r = c.h_bep / (c.q_bep * c.q_bep);
        let (q1, h1) = c.operating_point(2950.0, 0.0, r, 1.0);
        let (q2, h2) = c.operating_point(2950.0 * 0.8, 0.0, r, 1.0);
        assert!((q2 / q1 - 0.8).abs() < 1e-9, "{q1} {q2}");
        assert!((h2 / h1 - 0.64).abs() < 1e-9, "{h1} {h2}");
        // The curve itself: H(Q N2/N1, N2) = H(Q, N1) (N2/N1)^2.
        let s = 1480.0 / 2950.0;
        assert!((c.head(30.0 * s, 1480.0) - c.head(30.0, 2950.0) * s * s).abs() < 1e-9);
        // Rated point.
        assert!((c.head(45.0, 2950.0) - 32.0).abs() < 1e-9);
        assert!((c.efficiency(45.0, 2950.0) - 0.78).abs() < 1e-12);
        assert!((c.efficiency(45.0 * s, 1480.0) - 0.78).abs() < 1e-12);
    }

    fn fault(kind: FaultKind, severity: f64, duration: f64) -> ActiveFault {
        ActiveFault {
            id: 1,
            spec: crate::fault::FaultSpec {
                asset: "p".into(),
                kind,
                severity,
                progression: crate::fault::Progression::Linear,
                duration_secs: duration,
                target: None,
            },
            start_secs: 0.0,
        }
    }

    fn run(faults: &[ActiveFault], secs: usize) -> (Pump, Vec<f64>) {
        let mut rng = Rng::new(7, 0);
        let mut p = Pump::new(&mut rng);
        for i in 1..=secs {
            p.step(i as f64, 1.0, faults, &mut rng);
        }
        let mut out = vec![];
        p.signals(&mut rng, &mut out);
        (p, out)
    }

    #[test]
    fn rated_motor_current_and_warm_bearing() {
        let (_, s) = run(&[], 7200);
        assert!((40.0..50.0).contains(&s[1]), "flow {}", s[1]);
        assert!((6.0..13.0).contains(&s[4]), "current {}", s[4]);
        assert!((45.0..65.0).contains(&s[6]), "bearing temperature {}", s[6]);
    }

    #[test]
    fn faults_show_in_their_own_bands() {
        let (_, healthy) = run(&[], 3600);
        let (_, imb) = run(&[fault(FaultKind::Imbalance, 0.5, 0.0)], 3600);
        let (_, mis) = run(&[fault(FaultKind::Misalignment, 0.5, 0.0)], 3600);
        let (_, bw) = run(&[fault(FaultKind::BearingWear, 0.8, 0.0)], 3600);
        let (_, cav) = run(&[fault(FaultKind::Cavitation, 1.0, 0.0)], 3600);
        assert!(imb[8] > 2.0 * healthy[8], "1x {} vs {}", imb[8], healthy[8]);
        assert!(mis[9] > 2.0 * healthy[9], "2x");
        assert!(bw[10] > 10.0 * healthy[10], "BPFO");
        assert!(
            bw[6] > healthy[6] + 10.0,
            "bearing heats: {} vs {}",
            bw[6],
            healthy[6]
        );
        assert!(
            cav[2] < 0.5 && cav[1] < 0.9 * healthy[1],
            "cavitation: flow {} vs {}",
            cav[1],
            healthy[1]
        );
        assert!(cav[7] > healthy[7] + 2.0, "cavitation noise");
    }

    #[test]
    fn bearing_wear_runs_to_failure_when_predicted() {
        let f = fault(FaultKind::BearingWear, 1.0, 3000.0);
        let (p, s) = run(std::slice::from_ref(&f), 3600);
        assert_eq!(p.predicted_failure(0.0, &[f]), Some(3000.0));
        assert_eq!(p.failed_at(), Some(3000.0));
        assert!(s[1].abs() < 1e-9, "a failed pump stops");
    }
}
