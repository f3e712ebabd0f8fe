//! The platform's internal event stream. The twin graph and the telemetry
//! endpoint publish here after a write is durable; history, routes,
//! analytics and live subscribers read from it. Knows nothing of HTTP,
//! storage or any wire protocol.

mod bus;
mod event;
mod filter;

pub use bus::{EventBus, Received, Subscription};
pub use event::{Event, EventKind};
pub use filter::{ATTRIBUTES, Filter, FilterError, Function};
