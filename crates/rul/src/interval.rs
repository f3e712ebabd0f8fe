//! The ~80% interval around an estimate, from the quantiles of
//! cross-validation residuals (truth minus prediction) binned by the
//! predicted RUL: errors grow with the distance to failure, so one band
//! for all would be too wide near failure and too narrow far from it.
//! *Rationale:* the spread of an ensemble of boosted trees only shows how
//! much the members disagree, which is far less than how wrong they are;
//! out-of-fold residuals measure the error itself (split-conformal style).

use serde::{Deserialize, Serialize};

/// Lower and upper quantile of the interval.
pub const QUANTILES: (f64, f64) = (0.1, 0.9);

/// Upper edges of the predicted-RUL bins; the last bin is open.
const EDGES: [f64; 5] = [20.0, 40.0, 60.0, 80.0, 100.0];

/// Fewest residuals a bin needs; sparser bins borrow their neighbour's band.
const MIN_BIN: usize = 20;

/// Residual quantiles per predicted-RUL bin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Interval {
    /// Per bin, the lower and upper residual quantile.
    pub bands: Vec<(f64, f64)>,
}

impl Interval {
    /// From `(predicted, true)` pairs of held-out engines.
    pub fn from_residuals(pairs: &[(f64, f64)]) -> Option<Interval> {
        let mut bins: Vec<Vec<f64>> = vec![Vec::new(); EDGES.len() + 1];
        for &(p, t) in pairs {
            bins[bin(p)].push(t - p);
        }
        let mut bands: Vec<Option<(f64, f64)>> = bins
            .iter_mut()
            .map(|r| {
                (r.len() >= MIN_BIN).then(|| {
                    r.sort_by(f64::total_cmp);
                    (quantile(r, QUANTILES.0), quantile(r, QUANTILES.1))
                })
            })
            .collect();
        let any = bands.iter().flatten().next().copied()?;
        let mut last = any;
        for b in bands.iter_mut() {
            last = *b.get_or_insert(last);
        }
        Some(Interval {
            bands: bands.into_iter().map(|b| b.unwrap_or(any)).collect(),
        })
    }

    /// The interval around `predicted`, never below 0.
    pub fn around(&self, predicted: f64) -> (f64, f64) {
        let (lo, hi) = self.bands[bin(predicted).min(self.bands.len() - 1)];
        let lower = (predicted + lo).max(0.0);
        (lower, (predicted + hi).max(lower))
    }
}

fn bin(predicted: f64) -> usize {
    EDGES.iter().take_while(|&&e| predicted >= e).count()
}

/// Quantile of sorted values, by linear interpolation.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos.fract());
    let next = sorted[(i + 1).min(sorted.len() - 1)];
    sorted[i] + f * (next - sorted[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_residuals_of_each_bin() {
        let mut pairs = Vec::new();
        for i in 0..=100 {
            let r = i as f64 / 100.0 - 0.5;
            pairs.push((10.0, 10.0 + 2.0 * r));
            pairs.push((110.0, 110.0 + 40.0 * r));
        }
        let iv = Interval::from_residuals(&pairs).unwrap();
        let (lo, hi) = iv.around(10.0);
        assert!(
            (lo - 9.2).abs() < 1e-9 && (hi - 10.8).abs() < 1e-9,
            "{lo} {hi}"
        );
        let (lo, hi) = iv.around(110.0);
        assert!(
            (lo - 94.0).abs() < 1e-9 && (hi - 126.0).abs() < 1e-9,
            "{lo} {hi}"
        );
        let (lo, _) = iv.around(0.5);
        assert_eq!(lo, 0.0, "never below zero");
        let (lo, hi) = iv.around(50.0);
        assert!(hi - lo > 1.5, "an empty bin borrows a neighbour's band");
        assert!(Interval::from_residuals(&[]).is_none());
    }
}
