//! Alerts: raised by a rule for one twin, deduplicated while open, with a
//! lifecycle raised → acknowledged → resolved.

use serde::{Deserialize, Serialize};

use crate::Explanation;

/// How urgent an alert is, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// Act now: failure is imminent or safety is at stake.
    Critical,
    /// Act soon.
    Major,
    /// Plan an action.
    Minor,
    /// Worth a look.
    Warning,
}

/// Where an alert is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AlertState {
    /// Raised and not yet seen by a person.
    Raised,
    /// A person has seen it; still open.
    Acknowledged,
    /// Over: the condition cleared or a person resolved it.
    Resolved,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Its id.
    pub id: String,
    /// The rule that raised it.
    pub rule: String,
    /// The twin it is about.
    pub twin: String,
    /// The twin's model.
    pub model: String,
    /// Its severity (the rule's).
    pub severity: Severity,
    /// Its state.
    pub state: AlertState,
    /// What the rule says.
    pub description: String,
    /// The signal that triggered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// The value that triggered it (signal value, score or RUL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// For anomaly alerts: what looked wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    /// The component suspected, from the fault signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The 3D part of that component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// The work order it raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_order: Option<String>,
    /// When it was raised (the event's time).
    pub raised_at: String,
    /// When its condition was last seen true.
    pub last_seen_at: String,
    /// How many times the condition became true while the alert was open.
    pub count: u64,
    /// When a person acknowledged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<String>,
    /// Who acknowledged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    /// When it was resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    /// Who resolved it (`rule` when the condition cleared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
}

impl Alert {
    /// Whether it is still open (raised or acknowledged).
    pub fn is_open(&self) -> bool {
        self.state != AlertState::Resolved
    }
}
