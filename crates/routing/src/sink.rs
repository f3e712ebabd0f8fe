//! Where a route's events go. A [`Sink`] takes a batch of CloudEvents
//! (JSON bytes, in outbox order) and resolves only when the endpoint has
//! confirmed every one of them, or says which were refused for good.
//! One module per endpoint kind.

pub mod mqtt;
pub mod nats;
pub mod webhook;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The future a sink returns.
pub type SinkFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send + 'a>>;

/// Delivers batches of events to one endpoint.
pub trait Sink: Send + Sync + 'static {
    /// The endpoint kind, for logs and metrics: "mqtt", "webhook", "nats".
    fn kind(&self) -> &'static str;

    /// Sends `events` (CloudEvents JSON), resolving once the endpoint
    /// confirmed them all.
    fn deliver<'a>(&'a self, events: &'a [Vec<u8>]) -> SinkFuture<'a>;
}

/// Why a batch was not confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkError {
    /// The endpoint is unreachable or asked to come back later; the whole
    /// batch is sent again after a backoff of at least `after`.
    Retry {
        /// What happened.
        message: String,
        /// The endpoint's own hint (HTTP Retry-After), if it gave one.
        after: Option<Duration>,
    },
    /// The endpoint refused these events (by index in the batch) for good;
    /// every other event of the batch was confirmed.
    Rejected {
        /// The refused events.
        indices: Vec<usize>,
        /// Why, as the endpoint said it.
        message: String,
    },
}

impl SinkError {
    /// A retryable failure without a hint.
    pub fn retry(message: impl Into<String>) -> SinkError {
        SinkError::Retry {
            message: message.into(),
            after: None,
        }
    }
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkError::Retry { message, .. } => write!(f, "{message}; will retry"),
            SinkError::Rejected { indices, message } => {
                write!(f, "{} event(s) refused for good: {message}", indices.len())
            }
        }
    }
}
