//! `bench sim`: how many device messages per second the simulator
//! generates (models stepped, sampled and encoded as JSON, nothing sent),
//! and how many it publishes end to end: QoS 1 to the MQTT endpoint of a
//! server in a child process, each acknowledged after the platform handled
//! it.

use std::time::Instant;

use anyhow::Context;
use clap::Args;
use ferrotwin_sim::run::{self, RunConfig};
use ferrotwin_sim::{Plant, PlantConfig, parse_assets};

use super::client::ChildServer;

/// `bench sim` options.
#[derive(Args)]
pub struct SimBench {
    /// Simulated assets, as for `sim run`.
    #[arg(long, default_value = "pump:100")]
    pub assets: String,
    /// Simulated seconds to run (one sample per asset per simulated second).
    #[arg(long, default_value_t = 300.0)]
    pub sim_secs: f64,
    /// Storage engine of the started server: fjall or redb.
    #[arg(long, default_value = "fjall")]
    pub storage: ferrotwin_store::Engine,
    /// Property reports every this many samples.
    #[arg(long, default_value_t = 10)]
    pub props_every: u64,
}

/// Runs the benchmark.
pub async fn run(a: SimBench) -> anyhow::Result<()> {
    let assets = parse_assets(&a.assets)?;
    let plant_cfg = PlantConfig {
        seed: 1,
        cycle_secs: 60.0,
        ..PlantConfig::default()
    };
    // Generation alone.
    let mut plant = Plant::new(&plant_cfg, &assets)?;
    let epoch = chrono::Utc::now();
    let started = Instant::now();
    let (mut samples, mut bytes) = (0u64, 0usize);
    for _ in 0..a.sim_secs as u64 {
        plant.step();
        for i in 0..plant.assets.len() {
            if let Some(s) = plant.sample(i) {
                bytes += run::telemetry_json(&s, epoch).len();
                samples += 1;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "ferrotwin bench sim: {} ({} assets), {} simulated seconds",
        a.assets,
        plant.assets.len(),
        a.sim_secs
    );
    println!(
        "generate: {:.0} samples/s ({samples} samples, {:.0} bytes each, {:.2} s), {:.0} asset-steps/s",
        samples as f64 / secs,
        bytes as f64 / samples.max(1) as f64,
        secs,
        plant.assets.len() as f64 * a.sim_secs / secs
    );
    // End to end over MQTT.
    let dir = tempfile::tempdir()?;
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let (child, mqtt) = ChildServer::start_with(
        dir.path(),
        &token,
        a.storage,
        &["--mqtt", "127.0.0.1:0"],
        Some("mqtt"),
    )?;
    let mqtt = mqtt.context("the server announced no MQTT address")?;
    let cfg = RunConfig {
        server: child.base.clone(),
        token,
        mqtt,
        plant: plant_cfg,
        assets,
        speed: 0.0,
        sample_secs: Some(1.0),
        props_every: a.props_every,
        duration_secs: Some(a.sim_secs),
        api: None,
        faults: vec![],
        sensor_twins: false,
        epoch,
        progress_secs: None,
        opcua: None,
    };
    let r = run::run(cfg, std::future::pending()).await?;
    println!(
        "publish: {:.0} messages/s acknowledged, QoS 1, one connection per asset ({} messages in {:.2} s, {} errors, {} dropped; {})",
        r.published as f64 / r.wall_secs,
        r.published,
        r.wall_secs,
        r.errors,
        r.dropped,
        a.storage.name()
    );
    child.stop()?;
    Ok(())
}
