//! Operating conditions and per-condition sensor normalisation.
//!
//! C-MAPSS engines fly at a handful of discrete operating conditions (one
//! in FD001/FD003, six in FD002/FD004), and a sensor's level depends far
//! more on the condition than on wear. Conditions are found by clustering
//! the three settings; each sensor is then z-scored with its mean and
//! standard deviation within the cycle's condition, so that what is left
//! is wear and noise, comparable across conditions.

use serde::{Deserialize, Serialize};

use crate::Cycle;

/// Settings closer than this (after [`SCALE`]) to a centroid belong to it.
const RADIUS: f64 = 1.0;

/// Units of the settings for clustering: 1 kft, 0.01 Mach, 1 degree. The
/// known conditions lie at least 5 of these apart; within-condition
/// jitter in the data is below 0.1.
const SCALE: [f64; 3] = [1.0, 0.01, 1.0];

/// A sensor with fewer distinct values than this in every condition is
/// constant up to the data's rounding (T2, P2, farB, nfDmd, ... in
/// C-MAPSS) and is dropped: z-scored, its rare rounding flips would be
/// large spikes of noise. A spread threshold cannot tell these from Nf,
/// whose informative spread is 3e-5 of its level.
const DISTINCT: usize = 6;

/// Learned operating conditions and the sensor statistics within each.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conditions {
    /// Centroids of the settings, one per condition.
    pub centroids: Vec<[f64; 3]>,
    /// Per condition, each sensor's mean.
    pub mean: Vec<[f64; 21]>,
    /// Per condition, each sensor's standard deviation (never 0).
    pub std: Vec<[f64; 21]>,
    /// Indices of the sensors kept (not constant within conditions).
    pub kept: Vec<usize>,
}

impl Conditions {
    /// Clusters the settings of `cycles` and computes per-condition statistics.
    pub fn fit<'a>(cycles: impl Iterator<Item = &'a Cycle> + Clone) -> Conditions {
        let mut sums: Vec<([f64; 3], f64)> = Vec::new();
        for c in cycles.clone() {
            let found = sums
                .iter_mut()
                .find(|(s, n)| distance(&c.settings, &s.map(|v| v / *n)) < RADIUS);
            match found {
                Some((s, n)) => {
                    for (a, b) in s.iter_mut().zip(c.settings) {
                        *a += b;
                    }
                    *n += 1.0;
                }
                None => sums.push((c.settings, 1.0)),
            }
        }
        let centroids: Vec<[f64; 3]> = sums.iter().map(|(s, n)| s.map(|v| v / n)).collect();
        let k = centroids.len();
        let mut n = vec![0.0; k];
        let mut sum = vec![[0.0; 21]; k];
        let mut sq = vec![[0.0; 21]; k];
        let mut distinct = vec![[const { Vec::<u64>::new() }; 21]; k];
        let partial = Conditions {
            centroids,
            mean: Vec::new(),
            std: Vec::new(),
            kept: Vec::new(),
        };
        for c in cycles {
            let j = partial.condition(&c.settings);
            n[j] += 1.0;
            for s in 0..21 {
                sum[j][s] += c.sensors[s];
                sq[j][s] += c.sensors[s] * c.sensors[s];
                let seen = &mut distinct[j][s];
                let bits = c.sensors[s].to_bits();
                if seen.len() < DISTINCT && !seen.contains(&bits) {
                    seen.push(bits);
                }
            }
        }
        let mean: Vec<[f64; 21]> = (0..k)
            .map(|j| std::array::from_fn(|s| sum[j][s] / n[j]))
            .collect();
        let var: Vec<[f64; 21]> = (0..k)
            .map(|j| std::array::from_fn(|s| (sq[j][s] / n[j] - mean[j][s] * mean[j][s]).max(0.0)))
            .collect();
        let kept = (0..21)
            .filter(|&s| (0..k).any(|j| distinct[j][s].len() >= DISTINCT))
            .collect();
        let std = var
            .iter()
            .map(|v| v.map(|x| if x > 0.0 { x.sqrt() } else { 1.0 }))
            .collect();
        Conditions {
            mean,
            std,
            kept,
            ..partial
        }
    }

    /// The condition nearest to `settings`.
    pub fn condition(&self, settings: &[f64; 3]) -> usize {
        (0..self.centroids.len())
            .min_by(|&a, &b| {
                distance(settings, &self.centroids[a])
                    .total_cmp(&distance(settings, &self.centroids[b]))
            })
            .unwrap_or(0)
    }

    /// The kept sensors of `cycle`, z-scored within its condition.
    pub fn normalise(&self, cycle: &Cycle) -> Vec<f64> {
        let j = self.condition(&cycle.settings);
        self.kept
            .iter()
            .map(|&s| (cycle.sensors[s] - self.mean[j][s]) / self.std[j][s])
            .collect()
    }
}

fn distance(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (0..3)
        .map(|i| ((a[i] - b[i]) / SCALE[i]).powi(2))
        .sum::<f64>()
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(settings: [f64; 3], level: f64, noise: f64) -> Cycle {
        let mut sensors = [7.0; 21];
        sensors[3] = level + noise;
        sensors[5] = if noise > 0.0 { 21.61 } else { 21.6 };
        Cycle { settings, sensors }
    }

    #[test]
    fn finds_conditions_and_normalises_within_each() {
        let mut cycles = Vec::new();
        for i in 0..100 {
            let jitter = if i % 2 == 0 { 0.001 } else { -0.001 };
            let noise = if i % 2 == 0 { 1.0 } else { -1.0 } * (1.0 + (i % 5) as f64 / 100.0);
            cycles.push(cycle([0.0 + jitter, 0.0, 100.0], 1400.0, noise));
            cycles.push(cycle([25.0 + jitter, 0.62, 60.0], 1050.0, 2.0 * noise));
        }
        let c = Conditions::fit(cycles.iter());
        assert_eq!(c.centroids.len(), 2);
        assert_eq!(
            c.kept,
            vec![3],
            "constant and two-valued sensors are dropped"
        );
        let z = c.normalise(&cycle([25.01, 0.621, 60.0], 1052.0, 0.0));
        assert!((z[0] - 1.0).abs() < 0.05, "{z:?}");
        let z = c.normalise(&cycle([0.0, 0.0, 100.0], 1399.0, 0.0));
        assert!((z[0] + 1.0).abs() < 0.05, "{z:?}");
    }
}
