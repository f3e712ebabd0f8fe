//! Where device data goes.

use std::future::Future;

use serde_json::{Map, Value};

use crate::DataKind;

/// Why the sink refused a device message.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SinkError {
    /// The twin does not exist.
    #[error("twin not found: {0}")]
    NotFound(String),
    /// The message does not fit the twin's model.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The platform could not take the message (storage, shutdown).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// The platform side of device connectivity, implemented by the server
/// over the twin graph.
pub trait TwinSink: Send + Sync + 'static {
    /// One telemetry message from a twin. `source_time` is the device's
    /// own timestamp (RFC 3339), when it sent one.
    fn telemetry(
        &self,
        twin_id: &str,
        message_id: &str,
        source_time: Option<&str>,
        data: Value,
    ) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// A property report: property names to their new values, applied
    /// together (all or nothing) and validated against the twin's model.
    fn report(
        &self,
        twin_id: &str,
        properties: Map<String, Value>,
    ) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// A message the platform refused for what it holds (an unknown twin,
    /// an unknown telemetry name, a wrong type, bytes that are not JSON).
    /// Sources call this instead of dropping it; the server keeps it in
    /// its dead-letter store, where it can be listed and replayed.
    fn refused(&self, letter: Refused) -> impl Future<Output = ()> + Send;

    /// The twin's desired state for its device (writable property values
    /// and `$version`), sent when the device subscribes to it; None when
    /// the twin is gone.
    fn desired(&self, twin_id: &str) -> impl Future<Output = Option<Map<String, Value>>> + Send;
}

/// A refused device message, as its source saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// Where it came from: the protocol, the connection and the topic,
    /// node or routing key, e.g. `mqtt client=pump-1 topic=twins/pump-1/telemetry`.
    pub source: String,
    /// The twin it was for, when the source could tell.
    pub twin_id: Option<String>,
    /// What it carried, when the source could tell.
    pub kind: Option<DataKind>,
    /// The payload in the default convention's form (what
    /// `twins/{id}/telemetry` or `.../properties` would carry), so that a
    /// replay delivers it like any other message; the bytes as received
    /// when they could not be read.
    pub payload: Vec<u8>,
    /// What kind of refusal it is (for counting).
    pub cause: Cause,
    /// Why it was refused, for a person.
    pub reason: String,
}

/// What kind of refusal a dead letter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The twin it names does not exist.
    UnknownTwin,
    /// It does not fit the twin's model, or cannot be read.
    Invalid,
    /// Its topic or routing key names no twin.
    Unroutable,
}

impl Cause {
    /// `unknown_twin`, `invalid` or `unroutable`, as in the metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::UnknownTwin => "unknown_twin",
            Cause::Invalid => "invalid",
            Cause::Unroutable => "unroutable",
        }
    }
}
