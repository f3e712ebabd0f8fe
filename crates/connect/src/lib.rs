//! Device connectivity: protocol endpoints devices talk to directly and
//! connections to the brokers they already use, and the [`TwinSink`] their
//! data flows into: the built-in MQTT endpoint ([`mqtt`]), external MQTT
//! brokers ([`mqtt_source`]), AMQP 0.9.1 queues (`amqp`, feature `amqp`)
//! and OPC UA servers (`opcua`, feature `opcua`). **Knows nothing of**
//! HTTP, the ADT wire format or how the twin graph stores anything: the
//! server implements [`TwinSink`] over the graph.

#[cfg(feature = "amqp")]
pub mod amqp;
mod error;
mod mapping;
pub mod mqtt;
pub mod mqtt_source;
#[cfg(feature = "opcua")]
pub mod opcua;
mod pattern;
mod payload;
mod replay;
mod rules;
mod sink;

pub use error::ConnectError;
pub use mapping::{FieldMap, PayloadMap};
pub use pattern::{Pattern, Syntax};
pub use payload::DataKind;
pub use replay::replay;
pub use rules::{MappingRule, Resolved, Rules};
pub use sink::{Cause, Refused, SinkError, TwinSink};
