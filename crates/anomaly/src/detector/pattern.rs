//! Sequence memories: counts of the next quantised level (one of
//! [`LEVELS`] across the series' range) given a context, such as the
//! previous two levels or the previous level and the hour of day. The
//! surprise, `-log2 P(level | context)`, is low for anything the series
//! has done before in the same context (a familiar ramp, the daily jump
//! at its usual hour) and high for a transition it has not, such as a
//! cycle that stalls or a jump where none belongs.

/// Quantisation levels across the series' range.
pub(super) const LEVELS: usize = 12;
/// Samples between halvings of all counts: the memory of a table.
const HALVE_EVERY: u32 = 4096;
/// Pseudo-count per outcome, so unseen transitions are rare, not impossible.
const PRIOR: f64 = 0.5;

/// Counts of the next level per context, halved periodically so old
/// habits fade. `N` is the number of contexts times [`LEVELS`].
#[derive(Clone, Debug)]
pub(super) struct Transitions<const N: usize> {
    counts: [u8; N],
    since_halving: u32,
}

impl<const N: usize> Default for Transitions<N> {
    fn default() -> Self {
        Transitions {
            counts: [0; N],
            since_halving: 0,
        }
    }
}

impl<const N: usize> Transitions<N> {
    fn row(&self, context: usize) -> &[u8] {
        &self.counts[context * LEVELS..(context + 1) * LEVELS]
    }

    /// Probability of level `q` in `context`; its surprise in bits is `-log2` of it.
    pub(super) fn probability(&self, context: usize, q: u8) -> f64 {
        let row = self.row(context);
        let total: u32 = row.iter().map(|&c| u32::from(c)).sum();
        let n = f64::from(row[usize::from(q)]);
        (n + PRIOR) / (f64::from(total) + PRIOR * LEVELS as f64)
    }

    /// The level that most often followed in `context`.
    pub(super) fn usual_next(&self, context: usize) -> u8 {
        let row = self.row(context);
        (0..LEVELS).max_by_key(|&i| row[i]).unwrap_or(0) as u8
    }

    /// Learns level `q` in `context`.
    pub(super) fn add(&mut self, context: usize, q: u8) {
        let i = context * LEVELS + usize::from(q);
        if self.counts[i] == u8::MAX {
            // Keep the row's proportions when a count saturates.
            self.counts[context * LEVELS..(context + 1) * LEVELS]
                .iter_mut()
                .for_each(|c| *c /= 2);
        }
        self.counts[i] += 1;
        self.since_halving += 1;
        if self.since_halving >= HALVE_EVERY {
            self.since_halving = 0;
            self.counts.iter_mut().for_each(|c| *c /= 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_cycle_becomes_predictable_and_a_break_is_surprising() {
        let mut p = Transitions::<{ LEVELS * LEVELS * LEVELS }>::default();
        let cycle = [2u8, 4, 6, 8, 6, 4];
        let context =
            |i: usize| usize::from(cycle[i % 6]) * LEVELS + usize::from(cycle[(i + 1) % 6]);
        for i in 0..600 {
            p.add(context(i), cycle[(i + 2) % 6]);
        }
        let (c, next) = (context(600), cycle[602 % 6]);
        assert!(p.probability(c, next) > 0.9, "{}", p.probability(c, next));
        assert_eq!(p.usual_next(c), next);
        assert!(p.probability(c, 11) < 0.01, "{}", p.probability(c, 11));
    }
}
