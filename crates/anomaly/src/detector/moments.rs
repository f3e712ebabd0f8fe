//! Exponentially weighted mean and variance with winsorised updates: a
//! spike moves the estimate by at most a few standard deviations, so one
//! outlier does not redefine normal.

/// Residuals beyond this many standard deviations are clipped before they
/// update the estimate.
const CLIP: f64 = 4.0;

/// A robust running mean and variance.
#[derive(Clone, Debug, Default)]
pub(super) struct Moments {
    pub(super) mean: f64,
    pub(super) var: f64,
    seeded: bool,
}

impl Moments {
    /// Standard deviation, never zero relative to the level's magnitude,
    /// so that flat series give finite z-scores.
    pub(super) fn sd(&self) -> f64 {
        self.var.sqrt() + 1e-9 * (1.0 + self.mean.abs())
    }

    /// Absolute z-score of `x` against the estimate (before it learns `x`).
    pub(super) fn z(&self, x: f64) -> f64 {
        (x - self.mean).abs() / self.sd()
    }

    /// Learns `x`; `keep` is the weight the old estimate retains.
    pub(super) fn update(&mut self, x: f64, keep: f64, robust: bool) {
        if !self.seeded {
            self.mean = x;
            self.seeded = true;
            return;
        }
        let mut r = x - self.mean;
        // A flat history has no spread to clip to; clipping to zero would
        // freeze the estimate forever.
        if robust && self.var > 0.0 {
            let bound = CLIP * self.var.sqrt();
            r = r.clamp(-bound, bound);
        }
        let a = 1.0 - keep;
        self.mean += a * r;
        self.var = keep * (self.var + a * r * r);
    }
}
