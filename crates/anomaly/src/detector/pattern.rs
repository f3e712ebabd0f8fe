//! Novelty of the recent shape: the last three values, quantised to
//! [`LEVELS`] levels around the normal range, form a context; a context
//! seldom or never seen before is novel. This catches anomalies that stay
//! within the normal range but break the usual sequence, such as a daily
//! cycle that stalls.

/// Quantisation levels across mean ± [`SPAN`] standard deviations.
pub(super) const LEVELS: usize = 10;
/// Half-width of the quantised range, in standard deviations.
const SPAN: f64 = 3.0;
/// Contexts: every (previous-previous, previous, current) level triple.
const CONTEXTS: usize = LEVELS * LEVELS * LEVELS;
/// Samples between halvings of all counts: the memory of the pattern table.
const HALVE_EVERY: u32 = 2048;

/// Counts of level triples, halved periodically so old habits fade.
#[derive(Clone, Debug)]
pub(super) struct Pattern {
    counts: [u8; CONTEXTS],
    prev: [u8; 2],
    since_halving: u32,
}

impl Default for Pattern {
    fn default() -> Self {
        Pattern { counts: [0; CONTEXTS], prev: [0; 2], since_halving: 0 }
    }
}

/// The level of `x` in the normal range `mean ± SPAN·sd`.
pub(super) fn level(x: f64, mean: f64, sd: f64) -> u8 {
    let u = (x - mean) / (2.0 * SPAN * sd) + 0.5;
    (u * LEVELS as f64).floor().clamp(0.0, (LEVELS - 1) as f64) as u8
}

/// The value at the centre of level `q`.
pub(super) fn centre(q: u8, mean: f64, sd: f64) -> f64 {
    mean + ((f64::from(q) + 0.5) / LEVELS as f64 - 0.5) * 2.0 * SPAN * sd
}

impl Pattern {
    fn index(&self, q: u8) -> usize {
        (usize::from(self.prev[0]) * LEVELS + usize::from(self.prev[1])) * LEVELS + usize::from(q)
    }

    /// Novelty of level `q` after the previous two: 1 for a context never
    /// seen, falling as `1 / (1 + count)`.
    pub(super) fn novelty(&self, q: u8) -> f64 {
        1.0 / (1.0 + f64::from(self.counts[self.index(q)]))
    }

    /// The level that most often followed the previous two.
    pub(super) fn usual_next(&self) -> u8 {
        let base = self.index(0);
        let row = &self.counts[base..base + LEVELS];
        let best = (0..LEVELS).max_by_key(|&i| row[i]).unwrap_or(0);
        best as u8
    }

    /// Learns level `q`.
    pub(super) fn add(&mut self, q: u8) {
        let i = self.index(q);
        self.counts[i] = self.counts[i].saturating_add(2);
        self.prev = [self.prev[1], q];
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
    fn a_repeated_cycle_becomes_familiar_and_a_break_is_novel() {
        let mut p = Pattern::default();
        let cycle = [2u8, 4, 6, 8, 6, 4];
        for i in 0..600 {
            p.add(cycle[i % cycle.len()]);
        }
        assert!(p.novelty(cycle[600 % cycle.len()]) < 0.05);
        assert_eq!(p.usual_next(), cycle[600 % cycle.len()]);
        assert_eq!(p.novelty(9), 1.0);
    }

    #[test]
    fn levels_span_the_normal_range() {
        assert_eq!(level(0.0, 0.0, 1.0), 5);
        assert_eq!(level(-100.0, 0.0, 1.0), 0);
        assert_eq!(level(100.0, 0.0, 1.0), 9);
        assert!((centre(5, 0.0, 1.0) - 0.3).abs() < 1e-12);
    }
}
