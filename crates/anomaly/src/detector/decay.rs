//! The per-sample decay factor of every horizon, recomputed only when the
//! elapsed time changes: a regularly sampled series advances by exactly
//! one interval each time, so it pays for the exponentials once.

use super::range;
use crate::Params;

/// Decay factors for one elapsed time.
#[derive(Clone, Debug)]
pub(super) struct Decay {
    steps: f64,
    /// Weight kept by the slow statistics.
    pub(super) slow: f64,
    /// Weight kept by the fast averages (at least one interval's worth:
    /// a repeated timestamp is still a new sample).
    pub(super) fast: f64,
    /// Relative weight of a new entry in the rarity histograms.
    pub(super) growth: f32,
    /// The same for the `shift` histogram.
    pub(super) shift_growth: f32,
    /// Share of its width the quantisation range narrows by.
    pub(super) narrow: f64,
    /// Weight kept by the memory of the recent high surprise.
    pub(super) suppress: f64,
}

impl Default for Decay {
    fn default() -> Self {
        Decay {
            steps: f64::NAN,
            slow: 0.0,
            fast: 0.0,
            growth: 1.0,
            shift_growth: 1.0,
            narrow: 0.0,
            suppress: 0.0,
        }
    }
}

impl Decay {
    /// The factors for `steps` elapsed intervals.
    pub(super) fn at(&mut self, steps: f64, p: &Params) -> &Self {
        if steps != self.steps {
            let at_least_one = steps.max(1.0);
            *self = Decay {
                steps,
                slow: (-steps / p.slow_horizon).exp(),
                fast: (-at_least_one / p.fast_horizon).exp(),
                growth: (at_least_one / p.rarity_horizon).exp() as f32,
                shift_growth: (at_least_one / p.shift_rarity_horizon).exp() as f32,
                narrow: 1.0 - (-steps / range::HORIZON).exp(),
                suppress: (-steps / p.suppress_half_life).exp2(),
            };
        }
        self
    }
}
