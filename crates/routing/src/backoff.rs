//! Exponential backoff with jitter between delivery attempts.

use std::time::Duration;

/// The delay before the next attempt; doubles on each failure.
pub(crate) struct Backoff {
    next: Duration,
    first: Duration,
    max: Duration,
}

impl Backoff {
    /// Starts at `first` and never waits longer than `max`.
    pub(crate) fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            next: first,
            first,
            max,
        }
    }

    /// The delay to wait now, at least `hint` (an endpoint's Retry-After),
    /// with up to 20% jitter so that many routes do not retry in step.
    pub(crate) fn fail(&mut self, hint: Option<Duration>) -> Duration {
        let base = self
            .next
            .max(hint.unwrap_or_default())
            .min(self.max.max(hint.unwrap_or_default()));
        self.next = (self.next * 2).min(self.max);
        let jitter = rand::random_range(0.0..0.2);
        base.mul_f64(1.0 + jitter)
    }

    /// After a success the next failure waits the shortest delay again.
    pub(crate) fn reset(&mut self) {
        self.next = self.first;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_honours_hints() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
        let waits: Vec<u128> = (0..6).map(|_| b.fail(None).as_millis()).collect();
        for (w, base) in waits.iter().zip([100, 200, 400, 800, 800, 800]) {
            assert!(*w >= base && *w <= base * 12 / 10, "{waits:?}");
        }
        assert!(b.fail(Some(Duration::from_secs(5))) >= Duration::from_secs(5));
        b.reset();
        assert!(b.fail(None) < Duration::from_millis(121));
    }
}
