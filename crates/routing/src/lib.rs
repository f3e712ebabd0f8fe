//! Event routes: ADT's `/eventroutes` made to deliver. Every event that
//! matches a route is appended to that route's durable outbox before the
//! write that caused it is acknowledged ([`Routing`] is a
//! [`ferrotwin_events::Recorder`]). One worker per route reads its outbox
//! in order, hands batches to the route's endpoint (a [`Sink`]) and removes
//! them only once the endpoint confirmed them, so delivery is at least
//! once across crashes: duplicates are possible, loss is not.
//!
//! Endpoints are named and declared by the operator ([`EndpointConfig`]):
//! an MQTT topic ([`sink::mqtt`]), a webhook ([`sink::webhook`]) or a NATS
//! subject ([`sink::nats`]). **Knows nothing of** the twin graph, the ADT
//! REST API or how routes are stored: the server feeds it route
//! definitions and implements the API's hook over it.

mod appender;
mod backoff;
mod config;
mod engine;
mod error;
mod lane;
mod outbox;
mod recorder;
pub mod sink;

pub use config::EndpointConfig;
pub use engine::{Options, RouteSpec, RouteStats, Routing};
pub use error::RoutingError;
pub use sink::{Sink, SinkError, SinkFuture};
