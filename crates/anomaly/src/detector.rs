//! The streaming detector: feature channels, each judged against its own
//! history (how rare is this value *for this series*), each damped by its
//! own recent high (and half of any feature's) so that one incident is
//! reported once, combined by taking the largest, which counts only as far
//! as the joint surprise of all features is a fresh high too.
//!
//! Channels, all computed from the state *before* the sample is learnt:
//! - `level`: distance of the value from the robust running mean, in
//!   running standard deviations;
//! - `shift`: the same for the value's short running mean (a sustained
//!   move that single samples leave ambiguous);
//! - `spread`: log ratio of the recent step size to the usual one (noise
//!   that appears or disappears);
//! - `pattern`: surprise of the sequence memories, averaged over a short
//!   horizon (a burst of unpredictability).

mod clock;
mod decay;
mod moments;
mod pattern;
mod range;
mod rarity;

use clock::Clock;
use decay::Decay;
use moments::Moments;
use pattern::{LEVELS, Transitions};
use range::Range;
use rarity::Rarity;

use crate::Params;

/// The channels, in the order of [`Detector::rarity`].
const FEATURES: [&str; 4] = ["level", "spread", "shift", "pattern"];
/// Index of `shift` in [`FEATURES`]: its rarity has its own memory.
const SHIFT: usize = 2;
/// Share of the highest recent surprise of *any* feature that each
/// feature must also exceed: an incident that one feature saw partly
/// mutes the echoes it causes in the others, while a much larger surprise
/// of another kind still counts.
const SHARED_SUPPRESSION: f64 = 0.5;

/// The score of one sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// How anomalous the sample is, in [0, 1]; 0 while warming up or for
    /// a non-finite value.
    pub score: f64,
    /// The feature that drove the score.
    pub explanation: Explanation,
}

/// Why a sample scored as it did.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// `level`, `shift`, `spread` or `pattern`; `invalid` for a
    /// non-finite value (which the detector skips), `warmup` while learning.
    pub feature: &'static str,
    /// What the detector expected, in the series' units: the usual value
    /// (`level`, `shift`), the usual step size (`spread`) or the value at
    /// the centre of the usual next level (`pattern`).
    pub expected: f64,
    /// What it saw, in the same terms as `expected`.
    pub observed: f64,
}

/// Online anomaly detector for one series. Fixed-size state (about 6 KB),
/// O(1) work per sample.
#[derive(Clone, Debug)]
pub struct Detector {
    params: Params,
    clock: Clock,
    decay: Decay,
    seen: u64,
    prev: f64,
    level: Moments,
    /// Mean square step over the slow horizon.
    step: Moments,
    /// Mean square step over the fast horizon.
    recent_step: f64,
    /// The value averaged over the fast horizon.
    recent_level: f64,
    /// Sequence surprise averaged over the fast horizon.
    recent_pattern: f64,
    /// What the sequence memories quantise over.
    range: Range,
    /// Previous two levels.
    levels: [u8; 2],
    /// Next level given the previous two.
    sequence: Transitions<{ LEVELS * LEVELS * LEVELS }>,
    /// Next level given the previous one and the hour of day (UTC).
    daily: Transitions<{ 24 * LEVELS * LEVELS }>,
    rarity: [Rarity; 4],
    /// Per feature, decaying memory of the highest surprise recently seen, in decades.
    recent_highs: [f64; 4],
    /// The same for the joint surprise (the sum over features).
    joint_high: f64,
}

impl Detector {
    /// A detector that has seen nothing yet.
    pub fn new(params: &Params) -> Self {
        Detector {
            params: params.clone(),
            clock: Clock::default(),
            decay: Decay::default(),
            seen: 0,
            prev: 0.0,
            level: Moments::default(),
            step: Moments::default(),
            recent_step: 0.0,
            recent_level: 0.0,
            recent_pattern: 0.0,
            range: Range::default(),
            levels: [0; 2],
            sequence: Transitions::default(),
            daily: Transitions::default(),
            rarity: Default::default(),
            recent_highs: [0.0; 4],
            joint_high: 0.0,
        }
    }

    /// Feeds one sample (time in ms since epoch, value) and returns its score, causally.
    pub fn update(&mut self, t_ms: i64, value: f64) -> Score {
        if !value.is_finite() {
            return quiet("invalid", self.level.mean, value);
        }
        // Squares of larger magnitudes would overflow and poison the state.
        let value = value.clamp(-1e150, 1e150);
        let steps = self.clock.advance(t_ms);
        self.seen += 1;
        if self.seen == 1 {
            self.level.update(value, 0.0, false);
            self.recent_level = value;
            self.prev = value;
            return quiet("warmup", value, value);
        }
        let p = &self.params;
        let warm = self.seen > u64::from(p.warmup);
        let d = self.decay.at(steps, p);
        let (slow, fast) = (d.slow, d.fast);

        let step = value - self.prev;
        let usual_step = self.step.mean.sqrt() + 1e-9 * (1.0 + self.level.mean.abs());
        let recent_step = fast * self.recent_step + (1.0 - fast) * step * step;
        let q = self.range.level(value, LEVELS);
        let seq_ctx = usize::from(self.levels[0]) * LEVELS + usize::from(self.levels[1]);
        let hour = t_ms.div_euclid(3_600_000).rem_euclid(24) as usize;
        let day_ctx = hour * LEVELS + usize::from(self.levels[1]);
        // Normal if either memory expected it.
        let (seq_p, day_p) = (
            self.sequence.probability(seq_ctx, q),
            self.daily.probability(day_ctx, q),
        );
        let bits = -seq_p.max(day_p).log2();
        let recent_pattern = fast * self.recent_pattern + (1.0 - fast) * bits;
        let recent_level = fast * self.recent_level + (1.0 - fast) * value;
        let z = [
            self.level.z(value),
            // Noise vanishing entirely is one (learnable) extreme, not an unbounded one.
            ((recent_step.sqrt() + 0.01 * usual_step) / usual_step)
                .ln()
                .abs(),
            (recent_level - self.level.mean).abs() / self.level.sd(),
            recent_pattern,
        ];
        let mut growth = [d.growth; 4];
        growth[SHIFT] = d.shift_growth;
        // Each feature's surprise in decades of rarity, less the feature's
        // recent high (and a share of every feature's): one incident, one
        // alert, but a new kind of anomaly during an incident still counts.
        let highs = self.recent_highs.map(|h| h * d.suppress);
        let shared = SHARED_SUPPRESSION * highs.iter().fold(0.0f64, |a, &b| a.max(b));
        let mut best = (0, 0.0);
        let mut joint = 0.0;
        for (i, (r, &z)) in self.rarity.iter_mut().zip(&z).enumerate() {
            let surprise = -r.exceedance(z).log10();
            r.add(z, growth[i]);
            joint += surprise;
            let fresh = (surprise - p.suppress_factor * highs[i].max(shared)).max(0.0);
            if warm {
                self.recent_highs[i] = highs[i].max(surprise);
            }
            if fresh > best.1 || i == 0 {
                best = (i, fresh);
            }
        }
        // The joint surprise (the sum of the features' decades, as in
        // Fisher's combination of p-values) must be a fresh high too: a
        // sample that is only mildly odd on one feature while the others
        // are calm, just after a stronger disturbance, is not a new incident.
        let joint_high = self.joint_high * d.suppress;
        best.1 = best
            .1
            .min((joint - p.suppress_factor * joint_high).max(0.0));
        if warm {
            self.joint_high = joint_high.max(joint);
        }
        let (expected, observed) = match best.0 {
            0 => (self.level.mean, value),
            1 => (usual_step, recent_step.sqrt()),
            2 => (self.level.mean, recent_level),
            _ => {
                let usual = if seq_p >= day_p {
                    self.sequence.usual_next(seq_ctx)
                } else {
                    self.daily.usual_next(day_ctx)
                };
                (self.range.centre(usual, LEVELS), value)
            }
        };
        let explanation = Explanation {
            feature: FEATURES[best.0],
            expected,
            observed,
        };

        self.range.update(value, d.narrow, self.level.mean);
        self.level.update(value, slow, warm);
        self.step.update(step * step, slow, false);
        self.recent_step = recent_step;
        self.recent_pattern = recent_pattern;
        self.recent_level = recent_level;
        self.sequence.add(seq_ctx, q);
        self.daily.add(day_ctx, q);
        self.levels = [self.levels[1], q];
        self.prev = value;
        if !warm {
            return Score {
                score: 0.0,
                explanation,
            };
        }

        let score = 1.0 - (-best.1 / p.surprise_scale).exp();
        let score = if score.is_nan() {
            0.0
        } else {
            score.clamp(0.0, 1.0)
        };
        Score { score, explanation }
    }

    /// Bytes of state held (constant after warm-up; for the memory figure).
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
    }
}

fn quiet(feature: &'static str, expected: f64, observed: f64) -> Score {
    Score {
        score: 0.0,
        explanation: Explanation {
            feature,
            expected,
            observed,
        },
    }
}
