//! A serial production line: stations with stochastic cycle times,
//! failures (exponential time between failures) and repairs, joined by a
//! conveyor into finite buffers. Reports throughput, work in progress and
//! OEE. See docs/simulator.md ("Production line").

use std::collections::VecDeque;

use super::{Model, Prop, SignalInfo};
use crate::fault::{ActiveFault, FaultKind};
use crate::rng::Rng;

struct Station {
    cycle: f64,
    mtbf: f64,
    mttr: f64,
    /// Seconds of work left on the part held, if any.
    work: Option<f64>,
    down_left: f64,
    down_secs: f64,
}

/// The line.
pub struct Line {
    stations: Vec<Station>,
    /// Ready times of parts on the conveyor and in the buffer after each station.
    buffers: Vec<VecDeque<f64>>,
    capacity: usize,
    transport: f64,
    scrap_rate: f64,
    done: VecDeque<f64>,
    good: u64,
    scrap: u64,
    elapsed: f64,
    forced: Vec<bool>,
}

const FAULTS: &[FaultKind] = &[FaultKind::StationFailure];

const SIGNALS: &[SignalInfo] = &[
    SignalInfo {
        name: "throughput",
        unit: "parts/h",
    },
    SignalInfo {
        name: "wip",
        unit: "parts",
    },
    SignalInfo {
        name: "oee",
        unit: "1",
    },
    SignalInfo {
        name: "availability",
        unit: "1",
    },
    SignalInfo {
        name: "performance",
        unit: "1",
    },
    SignalInfo {
        name: "quality",
        unit: "1",
    },
    SignalInfo {
        name: "conveyorSpeed",
        unit: "m/min",
    },
    SignalInfo {
        name: "stationsDown",
        unit: "stations",
    },
];

impl Line {
    /// Five stations (cycle times 50 to 60 s, the third the bottleneck),
    /// buffers of 5, 20 s of conveyor between stations, MTBF 8 h, MTTR 15 min.
    pub fn new(_rng: &mut Rng) -> Line {
        let cycles = [50.0, 55.0, 60.0, 52.0, 48.0];
        Line {
            stations: cycles
                .iter()
                .map(|&cycle| Station {
                    cycle,
                    mtbf: 8.0 * 3600.0,
                    mttr: 900.0,
                    work: None,
                    down_left: 0.0,
                    down_secs: 0.0,
                })
                .collect(),
            buffers: vec![VecDeque::new(); cycles.len() - 1],
            capacity: 5,
            transport: 20.0,
            scrap_rate: 0.01,
            done: VecDeque::new(),
            good: 0,
            scrap: 0,
            elapsed: 0.0,
            forced: vec![false; cycles.len()],
        }
    }

    fn bottleneck(&self) -> usize {
        (0..self.stations.len())
            .max_by(|&a, &b| self.stations[a].cycle.total_cmp(&self.stations[b].cycle))
            .unwrap_or(0)
    }

    fn station_of(&self, f: &ActiveFault) -> usize {
        f.spec
            .target
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| self.bottleneck())
    }

    fn down(&self, i: usize) -> bool {
        self.forced[i] || self.stations[i].down_left > 0.0
    }

    /// Good parts, scrapped parts.
    pub fn counts(&self) -> (u64, u64) {
        (self.good, self.scrap)
    }

    fn kpis(&self) -> (f64, f64, f64, f64) {
        if self.elapsed <= 0.0 {
            return (0.0, 1.0, 0.0, 1.0);
        }
        let n = self.stations.len() as f64;
        let ideal = self.stations[self.bottleneck()].cycle;
        let down: f64 = self.stations.iter().map(|s| s.down_secs).sum();
        let a = 1.0 - down / (n * self.elapsed);
        let total = (self.good + self.scrap) as f64;
        let q = if total > 0.0 {
            self.good as f64 / total
        } else {
            1.0
        };
        let oee = self.good as f64 * ideal / self.elapsed;
        let p = if a * q > 0.0 { oee / (a * q) } else { 0.0 };
        (oee, a, p, q)
    }
}

impl Model for Line {
    fn faults(&self) -> &'static [FaultKind] {
        FAULTS
    }

    fn signal_info(&self) -> &'static [SignalInfo] {
        SIGNALS
    }

    fn check(&self, f: &crate::fault::FaultSpec) -> Result<(), String> {
        match f.target.as_deref() {
            Some(t) if f.kind == FaultKind::StationFailure => match t.parse::<usize>() {
                Ok(i) if i < self.stations.len() => Ok(()),
                _ => Err(format!(
                    "target `{t}` is not a station index (0 to {})",
                    self.stations.len() - 1
                )),
            },
            _ => Ok(()),
        }
    }

    fn step(&mut self, t: f64, dt: f64, faults: &[ActiveFault], rng: &mut Rng) {
        self.elapsed += dt;
        self.forced.iter_mut().for_each(|f| *f = false);
        for f in faults
            .iter()
            .filter(|f| f.spec.kind == FaultKind::StationFailure)
        {
            let d = if f.spec.duration_secs > 0.0 {
                f.spec.duration_secs
            } else {
                1800.0
            };
            if t >= f.start_secs && t < f.start_secs + d {
                let i = self.station_of(f);
                if i < self.forced.len() {
                    self.forced[i] = true;
                }
            }
        }
        let last = self.stations.len() - 1;
        // Downstream first, so a part leaving frees space in the same step.
        for i in (0..=last).rev() {
            if self.down(i) {
                let s = &mut self.stations[i];
                s.down_secs += dt;
                s.down_left = (s.down_left - dt).max(0.0);
                continue;
            }
            if let Some(w) = self.stations[i].work {
                if w > 0.0 {
                    self.stations[i].work = Some(w - dt);
                    if rng.chance(dt / self.stations[i].mtbf) {
                        self.stations[i].down_left = rng.exponential(self.stations[i].mttr);
                    }
                    continue;
                }
                // Finished: pass the part on, or stay blocked.
                if i == last {
                    if rng.chance(self.scrap_rate) {
                        self.scrap += 1;
                    } else {
                        self.good += 1;
                    }
                    self.done.push_back(t);
                    self.stations[i].work = None;
                } else if self.buffers[i].len() < self.capacity {
                    self.buffers[i].push_back(t + self.transport);
                    self.stations[i].work = None;
                } else {
                    continue;
                }
            }
            let fed = i == 0 || self.buffers[i - 1].front().is_some_and(|&r| r <= t);
            if fed {
                if i > 0 {
                    self.buffers[i - 1].pop_front();
                }
                let c = self.stations[i].cycle * (0.05 * rng.normal()).exp();
                self.stations[i].work = Some(c);
            }
        }
        while self.done.front().is_some_and(|&d| d <= t - 3600.0) {
            self.done.pop_front();
        }
    }

    fn signals(&self, rng: &mut Rng, out: &mut Vec<f64>) {
        let wip = self.buffers.iter().map(VecDeque::len).sum::<usize>()
            + self.stations.iter().filter(|s| s.work.is_some()).count();
        let hour = self.elapsed.min(3600.0);
        let throughput = if hour > 0.0 {
            self.done.len() as f64 * 3600.0 / hour
        } else {
            0.0
        };
        let (oee, a, p, q) = self.kpis();
        let downs = (0..self.stations.len()).filter(|&i| self.down(i)).count();
        let conveyor = if downs == self.stations.len() {
            0.0
        } else {
            12.0 * (1.0 + 0.01 * rng.normal())
        };
        out.extend([throughput, wip as f64, oee, a, p, q, conveyor, downs as f64]);
    }

    fn properties(&self) -> Vec<(&'static str, Prop)> {
        let any_down = (0..self.stations.len()).any(|i| self.down(i));
        vec![
            (
                "status",
                Prop::Text(if any_down { "fault" } else { "running" }),
            ),
            ("goodCount", Prop::Num(self.good as f64)),
            ("scrapCount", Prop::Num(self.scrap as f64)),
        ]
    }

    fn health(&self) -> f64 {
        let n = self.stations.len();
        (n - (0..n).filter(|&i| self.down(i)).count()) as f64 / n as f64
    }

    fn failed_at(&self) -> Option<f64> {
        None
    }

    fn predicted_failure(&self, _t: f64, _faults: &[ActiveFault]) -> Option<f64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_is_bounded_by_the_bottleneck_and_oee_is_consistent() {
        let mut rng = Rng::new(11, 0);
        let mut l = Line::new(&mut rng);
        for i in 1..=24 * 3600 {
            l.step(i as f64, 1.0, &[], &mut rng);
        }
        let mut s = vec![];
        l.signals(&mut rng, &mut s);
        let (oee, a, p, q) = (s[2], s[3], s[4], s[5]);
        // At most one part per bottleneck cycle (60 s) leaves the line.
        assert!(s[0] <= 61.0 && s[0] > 30.0, "throughput {}", s[0]);
        assert!((oee - a * p * q).abs() < 1e-9);
        assert!(oee > 0.5 && oee <= 1.0, "oee {oee}");
        assert!(a < 1.0 && a > 0.8, "failures and repairs happen: {a}");
        assert!(s[1] >= 1.0 && s[1] <= 5.0 + 4.0 * 5.0, "wip {}", s[1]);
    }

    #[test]
    fn a_failed_bottleneck_starves_the_line() {
        let mut rng = Rng::new(11, 0);
        let mut l = Line::new(&mut rng);
        let f = ActiveFault {
            id: 1,
            spec: crate::fault::FaultSpec {
                asset: "l".into(),
                kind: FaultKind::StationFailure,
                severity: 1.0,
                progression: crate::fault::Progression::Step,
                duration_secs: 7200.0,
                target: Some("2".into()),
            },
            start_secs: 3600.0,
        };
        for i in 1..=3600 + 7000 {
            l.step(i as f64, 1.0, std::slice::from_ref(&f), &mut rng);
        }
        let (good_before, _) = l.counts();
        for i in 3600 + 7001..=3600 + 7199 {
            l.step(i as f64, 1.0, std::slice::from_ref(&f), &mut rng);
        }
        let mut s = vec![];
        l.signals(&mut rng, &mut s);
        assert_eq!(
            l.counts().0,
            good_before,
            "nothing passes the failed station"
        );
        assert!(s[0] < 10.0, "throughput in the last hour {}", s[0]);
        assert!(s[7] >= 1.0);
    }
}
