//! Whether a rule's condition holds for a twin, after an event or at a tick.

use super::TwinRt;
use crate::{Condition, Explanation, RulSpec, Rule};

/// A condition's verdict.
pub(super) enum Verdict {
    /// The event says nothing about the condition.
    Skip,
    /// It does not hold.
    False,
    /// It holds, because of this signal and value.
    True {
        signal: Option<String>,
        value: f64,
        explanation: Option<Explanation>,
    },
}

fn verdict(holds: bool, signal: Option<&str>, value: f64, why: Option<Explanation>) -> Verdict {
    if holds {
        Verdict::True {
            signal: signal.map(str::to_owned),
            value,
            explanation: why,
        }
    } else {
        Verdict::False
    }
}

/// The verdict after an event that carried `signals`, of which `scored` got anomaly scores.
pub(super) fn evaluate(
    rule: &Rule,
    rt: &TwinRt,
    signals: &[(String, f64)],
    scored: &[(&str, f64)],
    new_estimate: bool,
) -> Verdict {
    let value_of = |name: &str| signals.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    match &rule.condition {
        Condition::Threshold { signal, op, value } => match value_of(signal) {
            Some(v) => verdict(op.test(v, *value), Some(signal), v, None),
            None => Verdict::Skip,
        },
        Condition::Rate { signal, op, value } => {
            let Some(s) = rt.series.get(signal) else {
                return Verdict::Skip;
            };
            match (value_of(signal), s.prev, s.last) {
                (Some(_), Some((t0, v0)), Some((t1, v1))) if t1 > t0 => {
                    let rate = (v1 - v0) / ((t1 - t0) as f64 / 1000.0);
                    verdict(op.test(rate, *value), Some(signal), rate, None)
                }
                _ => Verdict::Skip,
            }
        }
        Condition::Absence { signal, .. } => match signal {
            Some(s) if value_of(s).is_none() => Verdict::Skip,
            _ => Verdict::False,
        },
        Condition::Anomaly { signal, above } => {
            let hit = match signal {
                Some(s) => scored.iter().find(|(n, _)| n == s),
                None => scored.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
            };
            match hit {
                Some((name, score)) => {
                    let why = rt.series.get(*name).and_then(|s| s.explanation.clone());
                    verdict(*score > *above, Some(name), *score, why)
                }
                None => Verdict::Skip,
            }
        }
        Condition::Rul { below } => match (&rt.estimate, new_estimate) {
            // A trend estimate names its degradation signal, which points at the component.
            (Some(e), true) => {
                let signal = match &rt.rul_spec {
                    Some(RulSpec::Trend { signal, .. }) => Some(signal.as_str()),
                    _ => None,
                };
                verdict(e.value < *below, signal, e.value, None)
            }
            _ => Verdict::Skip,
        },
    }
}

/// For absence rules at a tick: true when the signal (or the twin) has
/// been silent for longer than the rule allows at wall time `now`.
pub(super) fn absent(rule: &Rule, rt: &TwinRt, now: i64) -> Option<Verdict> {
    let Condition::Absence { signal, secs } = &rule.condition else {
        return None;
    };
    let seen = match signal {
        Some(s) => rt.series.get(s).map(|x| x.seen_wall),
        None => Some(rt.seen_wall),
    }?;
    let silent = (now - seen) as f64 / 1000.0;
    Some(if silent > *secs {
        verdict(true, signal.as_deref(), silent, None)
    } else {
        Verdict::Skip
    })
}
