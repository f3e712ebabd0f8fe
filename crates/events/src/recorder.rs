//! Durable consumers of the event stream. A recorder sees every event
//! before the write that caused it is acknowledged, so what it keeps
//! (history, an outbox for event routes) survives a crash of the process.
//! The broadcast side of the bus may drop events for slow subscribers; a
//! recorder is never skipped.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::Event;

/// The future a recorder returns.
pub type RecordFuture<'a> = Pin<Box<dyn Future<Output = Result<(), RecordError>> + Send + 'a>>;

/// Keeps events durably.
pub trait Recorder: Send + Sync + 'static {
    /// A short name for logs and errors, such as "history".
    fn name(&self) -> &'static str;

    /// Keeps `events`, in order; resolves once they are durable.
    fn record<'a>(&'a self, events: &'a [Arc<Event>]) -> RecordFuture<'a>;
}

/// Why a recorder could not keep events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// The recorder that failed.
    pub recorder: &'static str,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} could not record the event: {}",
            self.recorder, self.message
        )
    }
}

impl std::error::Error for RecordError {}
