//! Elapsed time in typical sampling intervals, so that irregularly spaced
//! series decay their statistics by time rather than by sample count.

/// How far a gap may stretch the decay: beyond this many typical intervals
/// the old statistics are already forgotten, and a larger number would
/// only risk underflow.
const MAX_STEPS: f64 = 1_000.0;
/// Memory, in samples, of the typical interval.
const STEP_HORIZON: f64 = 50.0;

/// Learns the series' typical sampling interval and converts each new
/// timestamp into a number of such intervals.
#[derive(Clone, Debug, Default)]
pub(super) struct Clock {
    last_ms: Option<i64>,
    step_ms: f64,
}

impl Clock {
    /// Elapsed typical intervals since the previous sample (1 until the
    /// interval is known; 0 for repeated or out-of-order timestamps).
    pub(super) fn advance(&mut self, t_ms: i64) -> f64 {
        let Some(last) = self
            .last_ms
            .replace(t_ms.max(self.last_ms.unwrap_or(i64::MIN)))
        else {
            return 1.0;
        };
        let dt = t_ms.saturating_sub(last) as f64;
        if dt <= 0.0 {
            return 0.0;
        }
        if self.step_ms == 0.0 {
            self.step_ms = dt;
            return 1.0;
        }
        let steps = dt / self.step_ms;
        // A long outage should not teach the clock that samples are rare.
        let a = 1.0 / STEP_HORIZON;
        self.step_ms += a * (dt.min(10.0 * self.step_ms) - self.step_ms);
        steps.min(MAX_STEPS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_gaps_in_typical_intervals() {
        let mut c = Clock::default();
        assert_eq!(c.advance(0), 1.0);
        assert_eq!(c.advance(1_000), 1.0);
        assert_eq!(c.advance(2_000), 1.0);
        assert!((c.advance(7_000) - 5.0).abs() < 1e-9);
        assert_eq!(c.advance(7_000), 0.0, "a repeated timestamp adds no time");
        assert_eq!(c.advance(6_000), 0.0, "time does not run backwards");
    }
}
