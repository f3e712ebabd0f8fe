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
/// Share of the mass treated as the tail.
const TAIL_SHARE: f32 = 0.05;
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
        Rarity {
            bins: [0.0; BINS],
            total: 0.0,
            weight: 1.0,
        }
    }
}

/// Mantissas at which the next quarter octave starts: 2^(1/4), 2^(1/2), 2^(3/4).
const QUARTERS: [f64; 3] = [
    1.189_207_115_002_721,
    std::f64::consts::SQRT_2,
    1.681_792_830_507_429,
];

/// The bin of `z`: `⌊4 log2 z⌋` read from the float's exponent and
/// mantissa, exact and without a logarithm (this runs four times per sample).
fn bin(z: f64) -> usize {
    if z.is_nan() || z < (2f64).powi(LOW_OCTAVE as i32) {
        return 0;
    }
    if z >= (2f64).powi(LOW_OCTAVE as i32 + (BINS as i32 - 1) / PER_OCTAVE as i32 + 1) {
        return BINS - 1;
    }
    let bits = z.to_bits();
    let octave = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mantissa = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    let quarter = QUARTERS.iter().filter(|&&q| mantissa >= q).count() as i64;
    let b = (octave - LOW_OCTAVE as i64) * PER_OCTAVE as i64 + quarter + 1;
    b.clamp(0, BINS as i64 - 1) as usize
}

impl Rarity {
    /// Exceedance probability `p` of `z`: the decayed share of past values
    /// at least as large (a mid-p for the own bin, plus one
    /// pseudo-observation, so that little history cannot claim much
    /// rarity). Beyond the largest value seen, an exponential tail in
    /// log z (a Pareto tail in z) extrapolates, its scale fitted to the
    /// top of the histogram as in peaks-over-threshold methods.
    pub(super) fn exceedance(&self, z: f64) -> f64 {
        let b = bin(z);
        let above: f32 = self.bins[b + 1..].iter().sum();
        let at = self.bins[b];
        let p = f64::from(above + 0.5 * at + self.weight) / f64::from(self.total + self.weight);
        if above > 0.0 || at > self.total * 1e-6 {
            return p;
        }
        // Beyond everything remembered: an exponential tail in log z whose
        // scale is the mean excess of the top TAIL_SHARE of the mass.
        let mut tail_mass = 0.0f32;
        let mut excess = 0.0f32;
        let mut u = b;
        let mut top = None;
        for j in (0..b).rev() {
            if tail_mass >= self.total * TAIL_SHARE {
                break;
            }
            if self.bins[j] > self.total * 1e-6 {
                top.get_or_insert(j);
            }
            tail_mass += self.bins[j];
            excess += self.bins[j] * j as f32;
            u = j;
        }
        let Some(top) = top else { return p };
        let beta = f64::from(excess / tail_mass - u as f32).max(0.5) + 0.5;
        p * (-((b - top) as f64) / beta).exp()
    }

    /// Learns `z`; `growth` is `e^(steps / horizon)`, the weight of a new
    /// value relative to the previous one.
    pub(super) fn add(&mut self, z: f64, growth: f32) {
        self.weight *= growth;
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
            r.add(1.0 + (i % 10) as f64 * 0.1, (1f64 / 2000.0).exp() as f32);
        }
        let s = |z| -r.exceedance(z).log10();
        let (common, edge, beyond, far) = (s(1.2), s(1.95), s(4.0), s(64.0));
        assert!(common < 0.5, "{common}");
        assert!(edge > common);
        assert!(beyond > 3.0, "{beyond}");
        assert!(far > beyond + 3.0, "{far} vs {beyond}");
    }

    #[test]
    fn bins_are_quarter_octaves() {
        for z in [
            0.13, 0.2, 0.99, 1.0, 1.19, 1.2, 1.5, 1.7, 3.0, 100.0, 1000.0,
        ] {
            let expected = ((f64::log2(z) - LOW_OCTAVE) * PER_OCTAVE).floor() as usize + 1;
            assert_eq!(bin(z), expected.min(BINS - 1), "{z}");
        }
        assert_eq!(bin(0.0), 0);
        assert_eq!(bin(0.01), 0);
        assert_eq!(bin(f64::INFINITY), BINS - 1);
        assert_eq!(bin(f64::NAN), 0);
    }

    #[test]
    fn forgets_with_time_and_survives_rescaling() {
        let mut r = Rarity::default();
        for _ in 0..100 {
            r.add(100.0, (1f64 / 50.0).exp() as f32);
        }
        let fresh = r.exceedance(100.0);
        for _ in 0..5000 {
            r.add(1.0, (1f64 / 50.0).exp() as f32);
        }
        assert!(r.total.is_finite());
        assert!(r.exceedance(100.0) < fresh / 100.0);
    }
}
