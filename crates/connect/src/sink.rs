//! Where device data goes.

use std::future::Future;

use serde_json::{Map, Value};

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
}
