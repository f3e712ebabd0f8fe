//! Rules: a condition over a twin's signals, anomaly scores or RUL, which
//! raises an alert once it has held for a while. Saved and sent as JSON.

use serde::{Deserialize, Serialize};

use crate::{AnalyticsError, Severity};

/// Which twins a rule or setting applies to: every twin of a model (and
/// of the models that extend it), or one twin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// A model DTMI: twins of this model or of models extending it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// One twin id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin: Option<String>,
}

impl Scope {
    /// Checks that exactly one of model and twin is given.
    pub fn check(&self, what: &str) -> Result<(), AnalyticsError> {
        match (&self.model, &self.twin) {
            (Some(m), None) if m.starts_with("dtmi:") => Ok(()),
            (Some(m), None) => Err(AnalyticsError::Invalid(format!(
                "{what}: scope.model must be a DTMI, not '{m}'"
            ))),
            (None, Some(t)) if !t.is_empty() => Ok(()),
            _ => Err(AnalyticsError::Invalid(format!(
                "{what}: scope must name exactly one of model (a DTMI) or twin (an id)"
            ))),
        }
    }

    /// Whether the scope covers `twin` of model `model`; `is_a` answers inheritance.
    pub fn covers(&self, twin: &str, model: &str, is_a: &dyn Fn(&str, &str) -> bool) -> bool {
        match (&self.twin, &self.model) {
            (Some(t), _) => t == twin,
            (None, Some(m)) => is_a(model, m),
            (None, None) => false,
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Greater than.
    #[serde(rename = ">")]
    Gt,
    /// Greater than or equal.
    #[serde(rename = ">=")]
    Ge,
    /// Less than.
    #[serde(rename = "<")]
    Lt,
    /// Less than or equal.
    #[serde(rename = "<=")]
    Le,
    /// Equal.
    #[serde(rename = "==")]
    Eq,
    /// Not equal.
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    /// `a op b`.
    pub fn test(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// What a rule tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Condition {
    /// A signal (telemetry name or property path) compared with a value.
    Threshold {
        /// The signal.
        signal: String,
        /// The comparison.
        op: Op,
        /// The value compared with.
        value: f64,
    },
    /// A signal's rate of change, in its units per second, compared with a value.
    Rate {
        /// The signal.
        signal: String,
        /// The comparison.
        op: Op,
        /// Units per second.
        value: f64,
    },
    /// No sample of the signal (or of any signal) for `secs` of wall-clock time.
    Absence {
        /// The signal; any signal of the twin when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
        /// Seconds without data.
        secs: f64,
    },
    /// A signal's anomaly score (or any signal's, when absent) above a level.
    Anomaly {
        /// The signal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
        /// The score level, in (0, 1).
        above: f64,
    },
    /// The twin's remaining useful life below a horizon, in the estimate's
    /// unit (seconds for trend estimates, cycles for learned ones).
    Rul {
        /// The horizon.
        below: f64,
    },
}

fn default_clear() -> f64 {
    300.0
}

fn default_true() -> bool {
    true
}

/// A rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// The rule id (from the URL).
    #[serde(default)]
    pub id: String,
    /// The twins it watches.
    pub scope: Scope,
    /// What it tests.
    pub condition: Condition,
    /// The severity of its alerts.
    pub severity: Severity,
    /// How long the condition must hold (in the event's time) before an alert is raised.
    #[serde(default)]
    pub for_secs: f64,
    /// How long the condition must stay false before the alert resolves itself.
    #[serde(default = "default_clear")]
    pub clear_secs: f64,
    /// Whether the alert resolves itself when the condition clears.
    #[serde(default = "default_true")]
    pub auto_resolve: bool,
    /// Whether an alert raises a maintenance work order.
    #[serde(default)]
    pub work_order: bool,
    /// What the alert says to a person.
    #[serde(default)]
    pub description: String,
}

impl Rule {
    /// Checks the rule's values.
    pub fn check(&self) -> Result<(), AnalyticsError> {
        let what = format!("rule '{}'", self.id);
        self.scope.check(&what)?;
        let bad =
            |field: &str, why: &str| Err(AnalyticsError::Invalid(format!("{what}: {field} {why}")));
        if !self.for_secs.is_finite() || self.for_secs < 0.0 {
            return bad("forSecs", "must be a number of seconds, 0 or more");
        }
        if !self.clear_secs.is_finite() || self.clear_secs < 0.0 {
            return bad("clearSecs", "must be a number of seconds, 0 or more");
        }
        match &self.condition {
            Condition::Threshold { signal, value, .. } | Condition::Rate { signal, value, .. } => {
                if signal.is_empty() {
                    return bad("condition.signal", "must name a telemetry or property");
                }
                if !value.is_finite() {
                    return bad("condition.value", "must be a finite number");
                }
            }
            Condition::Absence { secs, .. } => {
                if !secs.is_finite() || *secs <= 0.0 {
                    return bad("condition.secs", "must be more than 0 seconds");
                }
            }
            Condition::Anomaly { above, .. } => {
                if !(0.0..1.0).contains(above) {
                    return bad("condition.above", "must lie in [0, 1)");
                }
            }
            Condition::Rul { below } => {
                if !below.is_finite() || *below <= 0.0 {
                    return bad("condition.below", "must be more than 0");
                }
            }
        }
        Ok(())
    }

    /// The signal the condition names, if one.
    pub fn signal(&self) -> Option<&str> {
        match &self.condition {
            Condition::Threshold { signal, .. } | Condition::Rate { signal, .. } => Some(signal),
            Condition::Absence { signal, .. } | Condition::Anomaly { signal, .. } => {
                signal.as_deref()
            }
            Condition::Rul { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_from_json_and_bad_ones_say_what_is_wrong() {
        let r: Rule = serde_json::from_str(
            r#"{"scope": {"model": "dtmi:x:P;1"}, "severity": "major", "forSecs": 30,
                "condition": {"kind": "threshold", "signal": "t", "op": ">", "value": 80}}"#,
        )
        .unwrap();
        assert_eq!(r.clear_secs, 300.0);
        assert!(r.auto_resolve);
        r.check().unwrap();
        let bad: Rule = serde_json::from_str(
            r#"{"id": "r", "scope": {"model": "x"}, "severity": "major",
                "condition": {"kind": "anomaly", "above": 0.5}}"#,
        )
        .unwrap();
        assert_eq!(
            bad.check().unwrap_err().to_string(),
            "rule 'r': scope.model must be a DTMI, not 'x'"
        );
        let e = serde_json::from_str::<Rule>(
            r#"{"scope": {"twin": "a"}, "severity": "major", "condition": {"kind": "nope"}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown variant `nope`"), "{e}");
    }
}
