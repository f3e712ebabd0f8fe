//! One refused message, as stored and listed.

use serde::{Deserialize, Serialize};

/// A refused message handed to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLetter {
    /// Where it came from (protocol, connection, topic, node or routing key).
    pub source: String,
    /// The twin it was for, when known.
    pub twin_id: Option<String>,
    /// `telemetry` or `properties`, when known.
    pub kind: Option<String>,
    /// The message in the default payload convention, or the bytes as
    /// received when they could not be read.
    pub payload: Vec<u8>,
    /// Why it was refused.
    pub reason: String,
}

/// A stored dead letter (the saved format; the API shows it as is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Time-sortable id: the nanosecond it arrived, in hex, and a random part.
    pub id: String,
    /// When it was refused first (RFC 3339).
    pub received_at: String,
    /// Where it came from.
    pub source: String,
    /// The twin it was for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin_id: Option<String>,
    /// `telemetry` or `properties`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The payload as JSON when it is JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
    /// The payload as received, when it is not JSON (UTF-8 with
    /// replacement characters; `payloadBytes` gives its length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_text: Option<String>,
    /// The payload's length in bytes.
    pub payload_bytes: usize,
    /// Why it was refused (the latest reason, after a failed replay).
    pub reason: String,
    /// Replays tried so far.
    #[serde(default)]
    pub replays: u32,
    /// When the last replay was tried (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_replay_at: Option<String>,
}

impl DeadLetter {
    pub(crate) fn new(l: NewLetter, now: chrono::DateTime<chrono::Utc>) -> DeadLetter {
        let id = format!(
            "{:016x}-{}",
            now.timestamp_nanos_opt().unwrap_or_default(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let (payload, payload_text) = read(&l.payload);
        DeadLetter {
            id,
            received_at: now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            source: l.source,
            twin_id: l.twin_id,
            kind: l.kind,
            payload,
            payload_text,
            payload_bytes: l.payload.len(),
            reason: l.reason,
            replays: 0,
            last_replay_at: None,
        }
    }

    /// The payload's bytes, to deliver again.
    pub fn replay_payload(&self) -> Vec<u8> {
        match (&self.payload, &self.payload_text) {
            (Some(v), _) => serde_json::to_vec(v).unwrap_or_default(),
            (None, Some(t)) => t.as_bytes().to_vec(),
            (None, None) => Vec::new(),
        }
    }
}

/// A payload as JSON when it is JSON, else as text (lossy UTF-8).
pub(crate) fn read(bytes: &[u8]) -> (Option<serde_json::Value>, Option<String>) {
    match serde_json::from_slice(bytes) {
        Ok(v) => (Some(v), None),
        Err(_) => (None, Some(String::from_utf8_lossy(bytes).into_owned())),
    }
}

/// Which letters to list or replay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Only letters for this twin.
    pub twin_id: Option<String>,
    /// Only letters whose source contains this text.
    pub source: Option<String>,
}

impl Filter {
    pub(crate) fn matches(&self, l: &DeadLetter) -> bool {
        self.twin_id
            .as_deref()
            .is_none_or(|t| l.twin_id.as_deref() == Some(t))
            && self.source.as_deref().is_none_or(|s| l.source.contains(s))
    }
}
