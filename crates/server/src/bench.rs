//! `ferrotwin bench`: load generators that measure the platform over real
//! HTTP on loopback, against a server in its own process.
//!
//! - `bench api`: rates and p50/p99 latency of twin GETs, patches spread
//!   over many twins and on one twin, twin creates and relationship
//!   creates; then patches paced at half the measured peak rate.
//! - `bench scale`: loads N twins and 3N relationships through the import
//!   job, and reports load time, memory per twin and restart time.
//! - `bench store`: the storage engines alone, durable batch commits.
//! - `bench mqtt`: device telemetry over the MQTT endpoint at QoS 0 and 1
//!   (messages and points per second, latency to the live stream) beside
//!   a private Mosquitto; property reports; command round trips.
//! - `bench history`: the embedded history engine against InfluxDB and
//!   VictoriaMetrics: ingest, bytes on disk, query latency.
//! - `bench analytics`: the analytics engine in-process: telemetry points
//!   per second scored, with RUL and the shipped pump rules.
//! - `bench sim`: messages per second the simulator generates and publishes.
//! - `bench routes`: event route delivery per endpoint kind: delivered
//!   events/s and publish-to-delivery latency.

mod analytics;
mod api;
mod client;
mod history;
mod mqtt;
mod query;
mod routes;
mod scale;
mod sim;
mod store;

use clap::{Args, Subcommand};

/// `bench` options.
#[derive(Args)]
pub struct BenchArgs {
    /// Which benchmark.
    #[command(subcommand)]
    pub what: BenchWhat,
}

/// The benchmarks.
#[derive(Subcommand)]
pub enum BenchWhat {
    /// HTTP API rates and latencies.
    Api(api::ApiBench),
    /// The analytics engine in-process: points/s scored, RUL and rules.
    Analytics(analytics::AnalyticsBench),
    /// Bulk load through the import job, memory and restart time.
    Scale(scale::ScaleBench),
    /// The storage engines alone: durable batch commits.
    Store(store::StoreBench),
    /// The query language on a RealEstateCore graph.
    Query(query::QueryBench),
    /// Device telemetry over the MQTT endpoint against Mosquitto; property reports; commands.
    Mqtt(mqtt::MqttBench),
    /// History ingest, size and queries against InfluxDB and VictoriaMetrics.
    History(history::HistoryBench),
    /// Simulated device messages per second, generated and published.
    Sim(sim::SimBench),
    /// Event route delivery to MQTT, webhook and NATS endpoints.
    Routes(routes::RoutesBench),
}

/// Runs a benchmark.
pub async fn run(b: BenchArgs) -> anyhow::Result<()> {
    match b.what {
        BenchWhat::Api(a) => api::run(a).await,
        BenchWhat::Analytics(a) => analytics::run(a).await,
        BenchWhat::Scale(s) => scale::run(s).await,
        BenchWhat::Store(s) => store::run(s).await,
        BenchWhat::Query(q) => query::run(q).await,
        BenchWhat::Mqtt(m) => mqtt::run(m).await,
        BenchWhat::History(h) => history::run(h).await,
        BenchWhat::Sim(s) => sim::run(s).await,
        BenchWhat::Routes(r) => routes::run(r).await,
    }
}
