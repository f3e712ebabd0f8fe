//! The range the sequence memories quantise over: it widens at once to
//! take in a new extreme and narrows only slowly, so that a repeating
//! shape keeps mapping to the same levels (a grid that followed the
//! running mean would make familiar shapes look new).

/// Memory of an extreme, in typical intervals: how slowly the range narrows.
pub(super) const HORIZON: f64 = 5_000.0;

/// A slowly narrowing [lo, hi] around the series.
#[derive(Clone, Debug, Default)]
pub(super) struct Range {
    lo: f64,
    hi: f64,
    seeded: bool,
}

impl Range {
    /// The level of `x` among `levels` equal slices of the range.
    pub(super) fn level(&self, x: f64, levels: usize) -> u8 {
        let width = (self.hi - self.lo).max(1e-9 * (1.0 + self.hi.abs()));
        let u = (x - self.lo) / width;
        (u * levels as f64).floor().clamp(0.0, (levels - 1) as f64) as u8
    }

    /// The value at the centre of level `q`.
    pub(super) fn centre(&self, q: u8, levels: usize) -> f64 {
        self.lo + (f64::from(q) + 0.5) / levels as f64 * (self.hi - self.lo)
    }

    /// Learns `x`, first narrowing the range by the share `narrow` of its
    /// distance to `mean`.
    pub(super) fn update(&mut self, x: f64, narrow: f64, mean: f64) {
        if !self.seeded {
            (self.lo, self.hi, self.seeded) = (x, x, true);
            return;
        }
        self.lo = (self.lo + narrow * (mean - self.lo)).min(x);
        self.hi = (self.hi - narrow * (self.hi - mean)).max(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_at_once_and_narrows_slowly() {
        let mut r = Range::default();
        for x in [0.0, 10.0, 5.0] {
            r.update(x, 1.0 / HORIZON, 5.0);
        }
        assert_eq!(r.level(0.0, 10), 0);
        assert_eq!(r.level(9.99, 10), 9);
        assert_eq!(r.level(5.5, 10), 5);
        for _ in 0..1000 {
            r.update(5.0, 1.0 / HORIZON, 5.0);
        }
        assert!(r.hi > 9.0 && r.lo < 1.0, "narrowed too fast: {r:?}");
    }
}
