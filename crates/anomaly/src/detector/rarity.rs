//! How rare a deviation is *for this series*: a decaying histogram of a
//! feature's past values on a log scale, read as an exceedance
//! probability. This is what lets one parameter set serve noisy and quiet
//! series alike: a z-score of 5 is routine in a heavy-tailed series and
//! alarming in a calm one.

/// Histogram bins per octave of the feature value.
const PER_OCTAVE: f64 = 4.0;
/// Smallest value with its own bin (2^-3); smaller ones share bin 0.
const LOW_OCTAVE: f64 = -3.0;
/// Number of bins: 2^-3 up to about 2^10.
const BINS: usize = 53;
/// Renormalise the forward-decay weights before they overflow `f32`.
const RESCALE_AT: f32 = 1e18;

/// A fixed-size, exponentially decaying histogram of a non-negative
/// feature. Decay is applied lazily by growing the weight of new samples
/// ("forward decay"), so an update is O(1) rather than O(bins).
#[derive(Clone, Debug)]
pub(super) struct Rarity {
    bins: [f32; BINS],
    total: f32,
    weight: f32,
}

impl Default for Rarity {
    fn default() -> Self {
        Rarity { bins: [0.0; BINS], total: 0.0, weight: 1.0 }
    }
}

fn bin(z: f64) -> usize {
    if z.is_nan() || z <= 0.0 {
        return 0;
    }
    let b = ((z.log2() - LOW_OCTAVE) * PER_OCTAVE).floor() + 1.0;
    b.clamp(0.0, (BINS - 1) as f64) as usize
}

impl Rarity {
    /// Surprise of `z` in decades, `-log10 p`, where `p` is the decayed
    /// share of past values at least as large (a mid-p for the own bin,
    /// plus one pseudo-observation, so that little history cannot claim
    /// much rarity). Beyond the largest value seen, a Pareto tail with
    /// exponent `tail` extrapolates.
    pub(super) fn surprise(&self, z: f64, tail: f64) -> f64 {
        let b = bin(z);
        let above: f32 = self.bins[b + 1..].iter().sum();
        let at = self.bins[b];
        let mut p = f64::from(above + 0.5 * at + self.weight) / f64::from(self.total + self.weight);
        if above == 0.0 && at <= self.total * 1e-6 {
            let top = self.bins[..b].iter().rposition(|&m| m > self.total * 1e-6).unwrap_or(0);
            let octaves = (b - top) as f64 / PER_OCTAVE;
            p *= (-tail * octaves).exp2();
        }
        -p.log10()
    }

    /// Learns `z` after `steps` intervals with memory `horizon`.
    pub(super) fn add(&mut self, z: f64, steps: f64, horizon: f64) {
        self.weight *= (steps / horizon).exp() as f32;
        if self.weight > RESCALE_AT {
            let s = 1.0 / self.weight;
            self.bins.iter_mut().for_each(|m| *m *= s);
            self.total *= s;
            self.weight = 1.0;
        }
        self.bins[bin(z)] += self.weight;
        self.total += self.weight;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rarer_values_surprise_more() {
        let mut r = Rarity::default();
        for i in 0..1000 {
            r.add(1.0 + (i % 10) as f64 * 0.1, 1.0, 2000.0);
        }
        let common = r.surprise(1.2, 2.0);
        let edge = r.surprise(1.95, 2.0);
        let beyond = r.surprise(4.0, 2.0);
        let far = r.surprise(64.0, 2.0);
        assert!(common < 0.5, "{common}");
        assert!(edge > common);
        assert!(beyond > 3.0, "{beyond}");
        // Four octaves further at exponent 2: 2^-8, 2.4 decades rarer.
        assert!((far - beyond - 8.0 * 2f64.log10()).abs() < 0.1, "{far} vs {beyond}");
    }

    #[test]
    fn forgets_with_time_and_survives_rescaling() {
        let mut r = Rarity::default();
        for _ in 0..100 {
            r.add(100.0, 1.0, 50.0);
        }
        let fresh = r.surprise(100.0, 2.0);
        for _ in 0..5000 {
            r.add(1.0, 1.0, 50.0);
        }
        assert!(r.total.is_finite());
        assert!(r.surprise(100.0, 2.0) > fresh + 2.0);
    }
}
