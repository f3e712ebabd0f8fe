//! `bench mqtt`: devices with their own credentials and twins publish
//! over the built-in MQTT endpoint of a server in a child process.
//! `--kind telemetry` (the default) measures messages and data points per
//! second into the twins at QoS 0 and 1, with latency to the live stream
//! over WebSocket,
//! against Mosquitto as the ceiling ([`compare`]). `--kind properties`
//! measures durable property reports: each device waits for a PUBACK
//! before its next message, and the PUBACK is sent after the durable
//! write, so the rate is end to end. `--kind commands` measures the other
//! direction ([`commands`]).

mod commands;
mod compare;
mod load;
mod mosquitto;
mod observe;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use ferrotwin_auth::DeviceStore;
use mqtt5::{ConnectOptions, MqttClient};
use serde_json::json;

use super::client::{Api, ChildServer};

/// What the devices publish.
#[derive(ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Telemetry onto the event stream.
    Telemetry,
    /// Property reports: one durable twin patch each.
    Properties,
    /// Commands from the REST API to the devices and back.
    Commands,
}

/// `bench mqtt` options.
#[derive(Args)]
pub struct MqttBench {
    /// Devices publishing at once, one connection and one twin each.
    #[arg(long, default_value_t = 50)]
    pub devices: usize,
    /// Messages each device publishes (per QoS and target for telemetry,
    /// half of them again for the latency run).
    #[arg(long, default_value_t = 200)]
    pub messages: usize,
    /// Telemetry, property reports or commands.
    #[arg(long, value_enum, default_value = "telemetry")]
    pub kind: Kind,
    /// Data points per telemetry message (at least 2).
    #[arg(long, default_value_t = 10)]
    pub points: usize,
    /// The Mosquitto binary run as the ceiling for telemetry.
    #[arg(long, default_value = "mosquitto")]
    pub mosquitto: String,
    /// Measure ferrotwin only.
    #[arg(long)]
    pub no_mosquitto: bool,
    /// Storage engine of the started server: fjall or redb.
    #[arg(long, default_value = "fjall")]
    pub storage: ferrotwin_store::Engine,
}

const MODEL: &str = "dtmi:ferrotwin:bench:Sensor;1";

/// Runs the benchmark.
pub async fn run(a: MqttBench) -> anyhow::Result<()> {
    if a.kind == Kind::Telemetry {
        return compare::run(&a).await;
    }
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
    let api = Api::new(&child.base, &token, a.devices.max(8));
    let model = json!([{
        "@context": "dtmi:dtdl:context;3", "@id": MODEL, "@type": "Interface",
        "contents": [
            {"@type": "Property", "name": "counter", "schema": "long", "writable": true},
            {"@type": "Telemetry", "name": "temperature", "schema": "double"},
            {"@type": "Command", "name": "ping",
             "request": {"name": "n", "schema": "long"},
             "response": {"name": "n", "schema": "long"}}
        ]
    }]);
    api.ok("POST", "/models", Some(&model.to_string())).await?;
    let devices = DeviceStore::open(dir.path());
    let mut creds = Vec::with_capacity(a.devices);
    for i in 0..a.devices {
        let twin = format!("sensor-{i}");
        let body = json!({"$metadata": {"$model": MODEL}, "counter": 0});
        api.ok(
            "PUT",
            &format!("/digitaltwins/{twin}"),
            Some(&body.to_string()),
        )
        .await?;
        let (password, info) = devices
            .create(std::slice::from_ref(&twin), "bench")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        creds.push((twin, info.id, password));
    }
    let mut clients = Vec::with_capacity(a.devices);
    for (twin, user, password) in creds {
        let id = format!("bench-{user}");
        let client = MqttClient::new(id.clone());
        let opts = ConnectOptions::new(id)
            .with_credentials(user, password.as_bytes())
            .with_automatic_reconnect(false);
        client
            .connect_with_options(&format!("mqtt://{mqtt}"), opts)
            .await
            .context("connecting a device")?;
        clients.push((twin, Arc::new(client)));
    }
    println!(
        "ferrotwin bench mqtt: {} devices x {} {:?} messages, QoS 1, {}",
        a.devices,
        a.messages,
        a.kind,
        a.storage.name()
    );
    if a.kind == Kind::Commands {
        commands::answer(&clients).await?;
        let twins = clients.iter().map(|(t, _)| t.clone()).collect();
        commands::run(&api, twins, a.messages).await?;
        child.stop()?;
        return Ok(());
    }
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (twin, client) in clients {
        let (errors, n) = (errors.clone(), a.messages);
        tasks.push(tokio::spawn(async move {
            let topic = format!("twins/{twin}/properties");
            for i in 0..n {
                let payload = json!({"counter": i});
                if client
                    .publish_qos1(topic.as_str(), payload.to_string())
                    .await
                    .is_err()
                {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            let _ = client.disconnect().await;
        }));
    }
    for t in tasks {
        t.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let total = (a.devices * a.messages) as f64;
    println!(
        "{:.0} messages/s ({} messages in {:.2} s, {} errors)",
        total / secs,
        total,
        secs,
        errors.load(Ordering::Relaxed)
    );
    if a.kind == Kind::Properties {
        let last = api.ok("GET", "/digitaltwins/sensor-0", None).await?;
        let twin: serde_json::Value = serde_json::from_slice(&last)?;
        println!("check: sensor-0 counter = {}", twin["counter"]);
    }
    child.stop()?;
    Ok(())
}
