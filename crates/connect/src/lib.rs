//! Device connectivity: protocol endpoints devices talk to directly, and
//! the [`TwinSink`] their data flows into. Today that is a built-in MQTT
//! endpoint ([`mqtt`]). **Knows nothing of** HTTP, the ADT wire format or
//! how the twin graph stores anything: the server implements [`TwinSink`]
//! over the graph.

pub mod mqtt;
mod sink;

pub use sink::{SinkError, TwinSink};
