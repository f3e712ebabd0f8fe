//! The history of every twin: telemetry readings and property changes as
//! time series, with range, aggregate, latest-value and time-travel
//! queries. Owns the [`HistoryStore`] trait. Two engines implement it:
//! [`Embedded`] (the default: a write-ahead log plus compressed chunks in
//! fjall, no external service) and, with the `postgres` feature,
//! [`Postgres`] (TimescaleDB hypertables where the extension exists,
//! plain range-partitioned tables where it does not).
//!
//! Knows nothing of HTTP, MQTT or the twin graph: the [`HistoryRecorder`]
//! turns events from `ferrotwin-events` into samples, and the server wires
//! it to the bus.

mod aggregate;
mod embedded;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
mod recorder;
mod sample;
mod state;
mod store;

pub use aggregate::{Bucket, MAX_BUCKETS, bucket_width};
pub use embedded::{Embedded, EmbeddedOptions};
pub use error::HistoryError;
#[cfg(feature = "postgres")]
pub use postgres::Postgres;
pub use recorder::{HistoryRecorder, PropertySelector};
pub use sample::{Kind, Point, Sample, SeriesKey, TimeRange};
pub use state::{LIFECYCLE, TwinState};
pub use store::{Cursor, HistoryStore, Page, Scope, SeriesInfo, Stats, format_time};
