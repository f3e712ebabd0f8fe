//! The platform's internal event stream. The twin graph and the telemetry
//! endpoint emit here after a write is durable. Recorders (history, the
//! event-route outbox) keep every event before the write is acknowledged;
//! analytics and live subscribers read the lossy broadcast side. Knows nothing of HTTP,
//! storage or any wire protocol.

mod bus;
mod event;
mod filter;
mod recorder;

pub use bus::{EventBus, Received, Subscription};
pub use event::{AnalyticsChange, Event, EventKind};
pub use filter::{ATTRIBUTES, Filter, FilterError, Function};
pub use recorder::{RecordError, RecordFuture, Recorder};
