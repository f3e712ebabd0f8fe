//! NAB's scoring rules for one file, as NAB 1.1's sweeper applies them.
//!
//! - The first 15% of a file, at most 750 records, is probationary and not
//!   scored.
//! - A detection inside a window earns `S(pos) / S(-1) * tp`, where `pos`
//!   is its position relative to the window's end (−1 at the first record,
//!   just below 0 at the last) and `S(x) = 2 / (1 + e^{5x}) − 1` is NAB's
//!   scaled sigmoid; only the earliest detection of a window counts.
//! - A window without a detection costs `fn`.
//! - A detection outside every window costs `S(pos) * fp` (negative), with
//!   `pos` its distance past the previous window's end in window lengths,
//!   so a detection just after a window is nearly free; before any window,
//!   and from three window lengths on, it costs the full `fp`.

use serde::Serialize;

/// An application profile: how NAB weighs each outcome.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Profile {
    /// NAB's name for it.
    pub name: &'static str,
    /// Weight of a true positive.
    pub tp: f64,
    /// Weight of a false positive.
    pub fp: f64,
    /// Weight of a false negative.
    #[serde(rename = "fn")]
    pub fn_: f64,
}

/// NAB's three profiles (`config/profiles.json`).
pub const PROFILES: [Profile; 3] = [
    Profile {
        name: "standard",
        tp: 1.0,
        fp: 0.11,
        fn_: 1.0,
    },
    Profile {
        name: "reward_low_FP_rate",
        tp: 1.0,
        fp: 0.22,
        fn_: 1.0,
    },
    Profile {
        name: "reward_low_FN_rate",
        tp: 1.0,
        fp: 0.11,
        fn_: 2.0,
    },
];

/// Records of a file of `n` that are probationary: `min(⌊0.15 n⌋, 750)`.
pub fn probation(n: usize) -> usize {
    (n * 15 / 100).min(750)
}

/// NAB's scaled sigmoid of a relative position.
pub fn scaled_sigmoid(pos: f64) -> f64 {
    if pos >= 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * pos).exp()) - 1.0
    }
}

/// What a detection at one record would be worth.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    /// Outside every window: the unweighted (negative) false-positive value.
    Outside(f64),
    /// Inside window `window` (an index into the file's windows), earning
    /// this share of a true positive.
    Inside {
        /// Which window.
        window: usize,
        /// Share of `tp` earned, in (0, 1].
        credit: f64,
    },
}

/// A file ready for scoring: its scored (non-probationary) records.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The detector's score and the role of each scored record.
    pub records: Vec<(f64, Role)>,
    /// Windows with at least one scored record.
    pub windows: usize,
    /// All windows labelled in the file.
    pub labelled: usize,
}

/// Assigns each record its role, given the detector's `scores` and the
/// windows as sorted, disjoint index ranges `[first, last]`.
pub fn prepare(scores: &[f64], windows: &[(usize, usize)]) -> Prepared {
    let skip = probation(scores.len());
    let max_tp = scaled_sigmoid(-1.0);
    let mut records = Vec::with_capacity(scores.len().saturating_sub(skip));
    let mut next = 0;
    let mut previous: Option<(usize, usize)> = None;
    for (i, &s) in scores.iter().enumerate() {
        while next < windows.len() && windows[next].1 < i {
            previous = Some(windows[next]);
            next += 1;
        }
        let role = match windows.get(next) {
            Some(&(a, b)) if a <= i => {
                let width = (b - a + 1) as f64;
                let pos = -((b - i + 1) as f64) / width;
                Role::Inside {
                    window: next,
                    credit: scaled_sigmoid(pos) / max_tp,
                }
            }
            _ => match previous {
                None => Role::Outside(-1.0),
                Some((a, b)) => {
                    let width = ((b - a) as f64).max(1.0);
                    Role::Outside(scaled_sigmoid((i - b) as f64 / width))
                }
            },
        };
        if i >= skip {
            records.push((s, role));
        }
    }
    let windows_scored = windows.iter().filter(|w| w.1 >= skip).count();
    Prepared {
        records,
        windows: windows_scored,
        labelled: windows.len(),
    }
}

/// The outcome of one file at one threshold.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Outcome {
    /// Raw NAB score.
    pub raw: f64,
    /// Windows with a detection.
    pub detected: usize,
    /// Windows without one.
    pub missed: usize,
    /// Detections outside every window.
    pub false_positives: usize,
}

/// Scores a file: a record is a detection when its score is at least
/// `threshold`.
pub fn score(file: &Prepared, threshold: f64, profile: &Profile) -> Outcome {
    let mut best = vec![None::<f64>; file.labelled];
    let mut out = Outcome::default();
    for &(s, role) in &file.records {
        if s < threshold {
            continue;
        }
        match role {
            Role::Outside(v) => {
                out.raw += v * profile.fp;
                out.false_positives += 1;
            }
            Role::Inside { window, credit } => {
                let b = &mut best[window];
                *b = Some(b.map_or(credit, |c: f64| c.max(credit)));
            }
        }
    }
    out.detected = best.iter().flatten().count();
    out.missed = file.windows - out.detected;
    out.raw += best.iter().flatten().sum::<f64>() * profile.tp - out.missed as f64 * profile.fn_;
    out
}

/// NAB's normalised score: 0 for the detector that never fires, 100 for
/// one that fires exactly at the start of every window.
pub fn normalise(
    raw: f64,
    scored_windows: usize,
    labelled_windows: usize,
    profile: &Profile,
) -> Option<f64> {
    let null = -(scored_windows as f64) * profile.fn_;
    let perfect = labelled_windows as f64 * profile.tp;
    (perfect > null).then(|| 100.0 * (raw - null) / (perfect - null))
}
