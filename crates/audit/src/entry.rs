//! One audited action, as stored and listed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The largest request payload kept whole, in bytes of JSON; a larger one
/// is kept as its first bytes, marked as cut.
pub const MAX_PAYLOAD: usize = 4096;

/// An action to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    /// Who: the caller's token name.
    pub actor: String,
    /// What kind of action, e.g. `command`.
    pub action: String,
    /// The twin acted on.
    pub twin_id: String,
    /// The component, for a component command.
    pub component: Option<String>,
    /// The command's name.
    pub name: String,
    /// The request payload, if any.
    pub request: Option<Value>,
    /// The HTTP status the caller got.
    pub status: u16,
    /// `ok` or the error code the caller got.
    pub outcome: String,
    /// The device's own status code, when it answered.
    pub device_status: Option<u16>,
    /// How long the call took, in milliseconds.
    pub millis: u64,
}

/// A recorded action (the saved format; the API shows it as is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Time-sortable id: the nanosecond it was recorded, in hex, and a random part.
    pub id: String,
    /// When the call ended (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What kind of action.
    pub action: String,
    /// The twin acted on.
    pub twin_id: String,
    /// The component, for a component command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The command's name.
    pub name: String,
    /// The request payload (or its first bytes as a string when it was
    /// larger than 4 KB; then `requestCut` is true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
    /// Whether `request` was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub request_cut: bool,
    /// The HTTP status the caller got.
    pub status: u16,
    /// `ok` or the error code.
    pub outcome: String,
    /// The device's own status code, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_status: Option<u16>,
    /// How long the call took, in milliseconds.
    pub millis: u64,
}

impl Entry {
    pub(crate) fn new(e: NewEntry, now: chrono::DateTime<chrono::Utc>) -> Entry {
        let id = format!(
            "{:016x}-{}",
            now.timestamp_nanos_opt().unwrap_or_default(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let (request, request_cut) = match e.request {
            Some(v) => {
                let text = v.to_string();
                if text.len() > MAX_PAYLOAD {
                    let cut = &text[..text.floor_char_boundary(MAX_PAYLOAD)];
                    (Some(Value::String(cut.to_string())), true)
                } else {
                    (Some(v), false)
                }
            }
            None => (None, false),
        };
        Entry {
            id,
            at: now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            actor: e.actor,
            action: e.action,
            twin_id: e.twin_id,
            component: e.component,
            name: e.name,
            request,
            request_cut,
            status: e.status,
            outcome: e.outcome,
            device_status: e.device_status,
            millis: e.millis,
        }
    }
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Only actions on this twin.
    pub twin_id: Option<String>,
    /// Only actions by this person.
    pub actor: Option<String>,
    /// Only entries at or after this time (RFC 3339, compared as text in
    /// the stored UTC form).
    pub since: Option<String>,
}

impl Filter {
    pub(crate) fn matches(&self, e: &Entry) -> bool {
        self.twin_id.as_deref().is_none_or(|t| e.twin_id == t)
            && self.actor.as_deref().is_none_or(|a| e.actor == a)
    }
}
