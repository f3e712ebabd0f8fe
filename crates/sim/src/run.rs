//! The edge of the simulator: provisions the plant on a ferrotwin server
//! over its REST API, connects one MQTT device per asset, and streams
//! samples as simulated time advances, paced against the wall clock at
//! `speed` times real time (or as fast as the platform takes them). The
//! models never see the wall clock: pacing only decides when the next
//! fixed step runs.

pub mod api;
pub mod client;
pub mod device;
#[cfg(feature = "opcua")]
pub mod opcua;
pub mod provision;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tokio::sync::{Mutex, mpsc};

use crate::SimError;
use crate::fault::FaultSpec;
use crate::model::Prop;
use crate::plant::{AssetKind, Plant, PlantConfig, Sample};
use device::{Counters, Message};

/// How a run is set up.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The platform's base URL, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    /// A bearer token with the admin role (it creates devices).
    pub token: String,
    /// The MQTT endpoint, `host:port`.
    pub mqtt: String,
    /// The plant.
    pub plant: PlantConfig,
    /// Assets to simulate.
    pub assets: Vec<(AssetKind, usize)>,
    /// Simulated seconds per wall second; 0 runs as fast as the platform acknowledges.
    pub speed: f64,
    /// Simulated seconds between samples of each asset; None means `max(dt, speed)`,
    /// about one message per asset per wall second.
    pub sample_secs: Option<f64>,
    /// Property reports every this many samples (and whenever a status changes).
    pub props_every: u64,
    /// Stop after this many simulated seconds.
    pub duration_secs: Option<f64>,
    /// Where to serve the simulator's REST API.
    pub api: Option<SocketAddr>,
    /// Faults to inject, each optionally at a simulated time.
    pub faults: Vec<(FaultSpec, Option<f64>)>,
    /// Create one Sensor twin per signal.
    pub sensor_twins: bool,
    /// The wall-clock time of simulated second 0, for `$ts`.
    pub epoch: DateTime<Utc>,
    /// Print progress every this many wall seconds (None: quiet).
    pub progress_secs: Option<f64>,
    /// Assets that speak OPC UA instead of MQTT, and where they serve it.
    pub opcua: Option<OpcUaRun>,
}

/// The simulator's OPC UA server.
#[derive(Debug, Clone)]
pub struct OpcUaRun {
    /// Where it listens; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Asset ids or kinds (`cnc`, `pump-2`), or `all`.
    pub assets: Vec<String>,
    /// Where to write the `[[opcua_source]]` section that maps the
    /// variables into ferrotwin's configuration.
    pub source_config: Option<std::path::PathBuf>,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Simulated seconds covered.
    pub sim_secs: f64,
    /// Messages handed to devices.
    pub messages: u64,
    /// Messages the platform acknowledged.
    pub published: u64,
    /// Messages that failed.
    pub errors: u64,
    /// Messages dropped because a device fell behind real time.
    pub dropped: u64,
    /// Wall seconds from the first step to the last acknowledgement.
    pub wall_secs: f64,
}

/// Telemetry payload of a sample: `$ts` plus the signals. A whole number
/// goes out as a JSON integer (a DTDL `long`, such as a cycle count, takes
/// nothing else); a signal without a value (a dropped-out sensor's NaN)
/// is left out rather than sent as null.
pub fn telemetry_json(s: &Sample, epoch: DateTime<Utc>) -> String {
    let mut m = Map::with_capacity(s.values.len() + 1);
    let ts = epoch + chrono::Duration::milliseconds((s.t * 1000.0) as i64);
    m.insert(
        "$ts".into(),
        Value::String(ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    for (k, v) in &s.values {
        let v = (v * 1e4).round() / 1e4;
        let n = if v.fract() == 0.0 && v.abs() < 9.0e15 {
            serde_json::Number::from(v as i64)
        } else if let Some(n) = serde_json::Number::from_f64(v) {
            n
        } else {
            continue;
        };
        m.insert((*k).into(), Value::Number(n));
    }
    Value::Object(m).to_string()
}

/// Property report payload.
pub fn properties_json(props: &[(&'static str, Prop)]) -> String {
    let m: Map<String, Value> = props
        .iter()
        .map(|(k, p)| {
            let v = match p {
                // Counters go out as integers, which `long` schemas require.
                Prop::Num(n) if n.fract() == 0.0 && n.abs() < 9e15 => Value::from(*n as i64),
                Prop::Num(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
                Prop::Text(t) => Value::String((*t).into()),
            };
            ((*k).to_string(), v)
        })
        .collect();
    Value::Object(m).to_string()
}

fn status_of(props: &[(&'static str, Prop)]) -> Option<&'static str> {
    props.iter().find_map(|(k, p)| match (k, p) {
        (&"status", Prop::Text(s)) => Some(*s),
        _ => None,
    })
}

/// Starts the OPC UA server of the assets that speak it, and writes the
/// configuration section that maps them, when asked to.
#[cfg(feature = "opcua")]
async fn opcua_devices(cfg: &RunConfig, plant: &Plant) -> Result<Option<opcua::Devices>, SimError> {
    let Some(o) = &cfg.opcua else {
        return Ok(None);
    };
    let selected = opcua::select(plant, &o.assets)?;
    let d = opcua::Devices::start(o.listen, plant, &selected).await?;
    let ids: Vec<&str> = selected
        .iter()
        .map(|&i| plant.assets[i].id.as_str())
        .collect();
    println!("simulator OPC UA server on {} ({})", d.url, ids.join(", "));
    if let Some(path) = &o.source_config {
        let text = opcua::source_toml("simulator", &d.url, &opcua::node_maps(plant, &selected));
        std::fs::write(path, text).map_err(|e| {
            SimError::Invalid(format!(
                "cannot write the OPC UA source section to {}: {e}",
                path.display()
            ))
        })?;
        println!("ferrotwin's [[opcua_source]] for it: {}", path.display());
    }
    Ok(Some(d))
}

/// Without the `opcua` feature, asking for OPC UA devices is an error.
#[cfg(not(feature = "opcua"))]
async fn opcua_devices(cfg: &RunConfig, _plant: &Plant) -> Result<Option<NoOpcUa>, SimError> {
    match cfg.opcua {
        Some(_) => Err(SimError::Invalid(
            "this ferrotwin was built without the opcua feature, so no simulated machine can speak OPC UA".into(),
        )),
        None => Ok(None),
    }
}

/// Stands in for the OPC UA devices of a build without them: never made.
#[cfg(not(feature = "opcua"))]
enum NoOpcUa {}

#[cfg(not(feature = "opcua"))]
impl NoOpcUa {
    fn serves(&self, _: usize) -> bool {
        match *self {}
    }
}

/// Runs the simulator until `shutdown` resolves or the duration is over.
/// Prints `simulator API on http://ADDR` when the API is listening.
pub async fn run(cfg: RunConfig, shutdown: impl Future<Output = ()>) -> Result<Report, SimError> {
    if !(cfg.speed >= 0.0 && cfg.speed.is_finite()) {
        return Err(SimError::Invalid(format!(
            "--speed must be 0 or more, got {}",
            cfg.speed
        )));
    }
    let mut plant = Plant::new(&cfg.plant, &cfg.assets)?;
    for (f, at) in &cfg.faults {
        plant.inject(f.clone(), *at)?;
    }
    let dt = plant.dt();
    let sample_secs = cfg.sample_secs.unwrap_or(dt.max(cfg.speed));
    if !(sample_secs > 0.0 && sample_secs.is_finite()) {
        return Err(SimError::Invalid(format!(
            "--sample must be positive, got {sample_secs}"
        )));
    }
    let sample_every = (sample_secs / dt).round().max(1.0) as u64;
    let opcua = opcua_devices(&cfg, &plant).await?;
    let over_mqtt: Vec<bool> = (0..plant.assets.len())
        .map(|i| !opcua.as_ref().is_some_and(|d| d.serves(i)))
        .collect();
    let http = client::Http::new(&cfg.server, &cfg.token);
    let creds = provision::plant(&http, &plant, cfg.sensor_twins, &over_mqtt).await?;
    let counters = Arc::new(Counters::default());
    let mut senders = Vec::with_capacity(creds.len());
    let mut tasks = Vec::with_capacity(creds.len());
    for (a, c) in plant.assets.iter().zip(&creds) {
        let Some(c) = c else {
            senders.push(None);
            continue;
        };
        let client = device::connect(&cfg.mqtt, &format!("sim-{}-{}", a.id, c.username), c).await?;
        let (tx, rx) = mpsc::channel(64);
        senders.push(Some(tx));
        tasks.push(tokio::spawn(device::publish(client, rx, counters.clone())));
    }
    let topics: Vec<(String, String)> = plant
        .assets
        .iter()
        .map(|a| {
            (
                format!("twins/{}/telemetry", a.id),
                format!("twins/{}/properties", a.id),
            )
        })
        .collect();
    let plant = Arc::new(Mutex::new(plant));
    let (stop_api, api_task) = match cfg.api {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                SimError::Invalid(format!(
                    "cannot listen on {addr} for the simulator API: {e}"
                ))
            })?;
            println!("simulator API on http://{}", l.local_addr()?);
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let app = api::router(plant.clone());
            let task = tokio::spawn(async move {
                let _ = axum::serve(l, app)
                    .with_graceful_shutdown(async move {
                        let _ = rx.await;
                    })
                    .await;
            });
            (Some(tx), Some(task))
        }
        None => (None, None),
    };
    tokio::pin!(shutdown);
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut steps: u64 = 0;
    let mut samples: Vec<u64> = vec![0; topics.len()];
    let mut statuses: Vec<Option<&'static str>> = vec![None; topics.len()];
    let mut report = Report::default();
    let blocking = cfg.speed == 0.0;
    let mut batch: Vec<(usize, Message)> = Vec::new();
    'run: loop {
        // How many steps are due by now (as fast as possible: one sample period).
        let due = if blocking {
            steps + sample_every
        } else {
            (started.elapsed().as_secs_f64() * cfg.speed / dt) as u64
        };
        {
            let mut p = plant.lock().await;
            while steps < due {
                if cfg.duration_secs.is_some_and(|d| p.now() + dt > d + 1e-9) {
                    break;
                }
                p.step();
                steps += 1;
                if !steps.is_multiple_of(sample_every) {
                    continue;
                }
                for i in 0..topics.len() {
                    if let Some(s) = p.sample(i) {
                        #[cfg(feature = "opcua")]
                        if let Some(d) = opcua.as_ref().filter(|d| d.serves(i)) {
                            report.messages += 1;
                            match d.publish(i, &p.assets[i], &s, cfg.epoch) {
                                Ok(_) => counters.published.fetch_add(1, Ordering::Relaxed),
                                Err(e) => {
                                    tracing::warn!("{e}");
                                    counters.errors.fetch_add(1, Ordering::Relaxed)
                                }
                            };
                            continue;
                        }
                        batch.push((
                            i,
                            Message {
                                topic: topics[i].0.clone(),
                                payload: telemetry_json(&s, cfg.epoch),
                            },
                        ));
                        samples[i] += 1;
                        let props = p.assets[i].properties();
                        let status = status_of(&props);
                        if samples[i] % cfg.props_every.max(1) == 1 || status != statuses[i] {
                            statuses[i] = status;
                            batch.push((
                                i,
                                Message {
                                    topic: topics[i].1.clone(),
                                    payload: properties_json(&props),
                                },
                            ));
                        }
                    }
                }
                if batch.len() >= 4096 {
                    break;
                }
            }
            report.sim_secs = p.now();
        }
        let finished = cfg
            .duration_secs
            .is_some_and(|d| report.sim_secs + dt > d + 1e-9);
        for (i, m) in batch.drain(..) {
            report.messages += 1;
            let Some(sender) = &senders[i] else {
                continue;
            };
            if blocking {
                if sender.send(m).await.is_err() {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                }
            } else if sender.try_send(m).is_err() {
                counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(every) = cfg.progress_secs
            && last_progress.elapsed().as_secs_f64() >= every
        {
            last_progress = Instant::now();
            println!(
                "sim t={:.0}s ({:.2} days): {} messages, {} acknowledged, {} dropped, {} errors",
                report.sim_secs,
                report.sim_secs / 86_400.0,
                report.messages,
                counters.published.load(Ordering::Relaxed),
                counters.dropped.load(Ordering::Relaxed),
                counters.errors.load(Ordering::Relaxed)
            );
        }
        if finished {
            break 'run;
        }
        if blocking {
            tokio::select! {
                _ = &mut shutdown => break 'run,
                _ = tokio::task::yield_now() => {}
            }
        } else {
            tokio::select! {
                _ = &mut shutdown => break 'run,
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    }
    drop(senders);
    for t in tasks {
        let _ = t.await;
    }
    report.wall_secs = started.elapsed().as_secs_f64();
    report.published = counters.published.load(Ordering::Relaxed);
    report.errors = counters.errors.load(Ordering::Relaxed);
    report.dropped = counters.dropped.load(Ordering::Relaxed);
    #[cfg(feature = "opcua")]
    if let Some(d) = opcua {
        d.stop().await;
    }
    if let Some(tx) = stop_api {
        let _ = tx.send(());
    }
    if let Some(t) = api_task {
        let _ = t.await;
    }
    Ok(report)
}
