//! `bench routes`: event route delivery, per endpoint kind. A server in a
//! child process routes telemetry (POSTed over HTTP by concurrent writers)
//! to one endpoint: a webhook served here, a topic on Mosquitto, a NATS
//! subject (core), or a NATS subject on a JetStream stream. The receiver
//! here times each event from just before its POST to its arrival. A
//! first phase sends as fast as the writers can (delivered events/s); a
//! second is paced at half that rate (latency with headroom).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};

use super::client::{Api, ChildServer};

/// The endpoint kinds.
#[derive(ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Every kind below, one after the other.
    All,
    /// A webhook served by the benchmark.
    Webhook,
    /// A topic on the MQTT broker at --mqtt-url.
    Mqtt,
    /// A core NATS subject at --nats-url.
    Nats,
    /// A NATS subject covered by a JetStream stream.
    Jetstream,
}

/// `bench routes` options.
#[derive(Args)]
pub struct RoutesBench {
    /// Which endpoint kind.
    #[arg(long, value_enum, default_value = "all")]
    pub kind: Kind,
    /// Events per phase.
    #[arg(long, default_value_t = 5000)]
    pub events: usize,
    /// Concurrent HTTP writers.
    #[arg(long, default_value_t = 8)]
    pub writers: usize,
    /// The MQTT broker for the mqtt kind.
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    pub mqtt_url: String,
    /// The NATS server for the nats and jetstream kinds.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
}

const MODEL: &str = "dtmi:ferrotwin:bench:Sensor;1";

/// Send and arrival times of the events of one run.
struct Tally {
    base: Instant,
    sent: Vec<AtomicU64>,
    seen: Vec<AtomicBool>,
    received: AtomicU64,
    duplicates: AtomicU64,
    last: AtomicU64,
    hist: Mutex<Histogram<u64>>,
}

impl Tally {
    fn new(n: usize) -> Tally {
        Tally {
            base: Instant::now(),
            sent: (0..n).map(|_| AtomicU64::new(0)).collect(),
            seen: (0..n).map(|_| AtomicBool::new(false)).collect(),
            received: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            last: AtomicU64::new(0),
            hist: Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3).expect("bounds")),
        }
    }

    fn now(&self) -> u64 {
        self.base.elapsed().as_micros() as u64 + 1
    }

    /// A CloudEvent arrived.
    fn arrived(&self, payload: &[u8]) {
        let at = self.now();
        let Some(i) = serde_json::from_slice::<Value>(payload)
            .ok()
            .and_then(|v| v["id"].as_str().and_then(|s| s.parse::<usize>().ok()))
        else {
            return;
        };
        let Some(seen) = self.seen.get(i) else { return };
        if seen.swap(true, Ordering::Relaxed) {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let sent = self.sent[i].load(Ordering::Relaxed);
        let _ = self
            .hist
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(at.saturating_sub(sent).max(1));
        self.last.fetch_max(at, Ordering::Relaxed);
        self.received.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs the benchmark.
pub async fn run(a: RoutesBench) -> anyhow::Result<()> {
    let kinds = match a.kind {
        Kind::All => vec![Kind::Webhook, Kind::Mqtt, Kind::Nats, Kind::Jetstream],
        k => vec![k],
    };
    println!(
        "ferrotwin bench routes: {} telemetry events per phase, {} HTTP writers, one route, filter on type",
        a.events, a.writers
    );
    for k in kinds {
        if let Err(e) = one(&a, k).await {
            println!("{k:?}: skipped: {e:#}");
        }
    }
    Ok(())
}

async fn one(a: &RoutesBench, kind: Kind) -> anyhow::Result<()> {
    let tally: Arc<Mutex<Arc<Tally>>> = Arc::new(Mutex::new(Arc::new(Tally::new(0))));
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (endpoint, _keep) = receiver(a, kind, &tag, tally.clone()).await?;
    let dir = tempfile::tempdir()?;
    let cfg = dir.path().join("ferrotwin.toml");
    std::fs::write(&cfg, endpoint)?;
    let token = format!("bench-{tag}");
    let cfg = cfg.to_str().context("config path")?.to_string();
    let (child, _) = ChildServer::start_with(
        &dir.path().join("data"),
        &token,
        ferrotwin_store::Engine::Fjall,
        &["--no-mqtt", "--config", &cfg],
        None,
    )?;
    let api = Api::new(&child.base, &token, a.writers);
    let model = json!([{
        "@context": "dtmi:dtdl:context;3", "@id": MODEL, "@type": "Interface",
        "contents": [{"@type": "Telemetry", "name": "temperature", "schema": "double"}]
    }]);
    api.ok("POST", "/models", Some(&model.to_string())).await?;
    for w in 0..a.writers {
        let body = json!({"$metadata": {"$model": MODEL}});
        api.ok(
            "PUT",
            &format!("/digitaltwins/s{w}"),
            Some(&body.to_string()),
        )
        .await?;
    }
    let route = json!({"endpointName": "bench", "filter": "type = 'microsoft.iot.telemetry'"});
    api.ok("PUT", "/eventroutes/bench", Some(&route.to_string()))
        .await?;
    let full = phase(a, &api, &tally, None).await?;
    report(kind, "as fast as possible", &full);
    let rate = full.rate / 2.0;
    let paced = phase(a, &api, &tally, Some(rate)).await?;
    report(kind, &format!("paced at {rate:.0}/s"), &paced);
    let disk = std::fs::read_dir(dir.path().join("data").join("outbox"))
        .map(|_| dir_size(&dir.path().join("data").join("outbox")))
        .unwrap_or(0);
    println!(
        "  outbox on disk after both phases: {:.1} MiB",
        disk as f64 / 1048576.0
    );
    child.stop()?;
    Ok(())
}

struct Outcome {
    rate: f64,
    received: u64,
    duplicates: u64,
    errors: u64,
    p50: f64,
    p99: f64,
    max: f64,
}

fn report(kind: Kind, name: &str, o: &Outcome) {
    println!(
        "{kind:?}, {name}: {:.0} delivered events/s; publish-to-delivery p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms ({} received, {} duplicates, {} POST errors)",
        o.rate, o.p50, o.p99, o.max, o.received, o.duplicates, o.errors
    );
}

async fn phase(
    a: &RoutesBench,
    api: &Api,
    current: &Mutex<Arc<Tally>>,
    pace: Option<f64>,
) -> anyhow::Result<Outcome> {
    let n = a.events;
    let tally = Arc::new(Tally::new(n));
    *current.lock().unwrap_or_else(|e| e.into_inner()) = tally.clone();
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for w in 0..a.writers {
        let (api, tally, next, errors) = (api.clone(), tally.clone(), next.clone(), errors.clone());
        let interval = pace.map(|r| Duration::from_secs_f64(a.writers as f64 / r));
        tasks.push(tokio::spawn(async move {
            let mut at = Instant::now();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= n {
                    break;
                }
                if let Some(iv) = interval {
                    tokio::time::sleep_until(at.into()).await;
                    at += iv;
                }
                tally.sent[i].store(tally.now(), Ordering::Relaxed);
                let id = i.to_string();
                let body = json!({"temperature": i as f64 / 10.0}).to_string();
                let r = api
                    .send_with(
                        "POST",
                        &format!("/digitaltwins/s{w}/telemetry"),
                        Some(&body),
                        &[("message-id", &id)],
                    )
                    .await;
                if !matches!(r, Ok((204, _))) {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while (tally.received.load(Ordering::Relaxed) as usize) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let h = tally.hist.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let received = tally.received.load(Ordering::Relaxed);
    let first = tally
        .sent
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .filter(|s| *s > 0)
        .min()
        .unwrap_or(0);
    let secs = (tally.last.load(Ordering::Relaxed).saturating_sub(first)) as f64 / 1e6;
    Ok(Outcome {
        rate: received as f64 / secs.max(1e-6),
        received,
        duplicates: tally.duplicates.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        p50: h.value_at_quantile(0.5) as f64 / 1000.0,
        p99: h.value_at_quantile(0.99) as f64 / 1000.0,
        max: h.max() as f64 / 1000.0,
    })
}

/// Whatever keeps a receiver alive until dropped.
type Keep = Box<dyn std::any::Any + Send>;

/// Starts the receiving end of `kind`; returns the `[[endpoint]]` TOML.
async fn receiver(
    a: &RoutesBench,
    kind: Kind,
    tag: &str,
    tally: Arc<Mutex<Arc<Tally>>>,
) -> anyhow::Result<(String, Keep)> {
    let arrived = move |p: &[u8]| {
        let t = tally.lock().unwrap_or_else(|e| e.into_inner()).clone();
        t.arrived(p);
    };
    match kind {
        Kind::Webhook => {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = l.local_addr()?;
            let arrived = Arc::new(arrived);
            let task = tokio::spawn(async move {
                while let Ok((conn, _)) = l.accept().await {
                    let arrived = arrived.clone();
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(
                            move |req: hyper::Request<hyper::body::Incoming>| {
                                let arrived = arrived.clone();
                                async move {
                                    if let Ok(b) = req.into_body().collect().await {
                                        arrived(&b.to_bytes());
                                    }
                                    Ok::<_, Infallible>(hyper::Response::new(Full::new(
                                        Bytes::new(),
                                    )))
                                }
                            },
                        );
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(conn), svc)
                            .await;
                    });
                }
            });
            Ok((
                format!(
                    "[[endpoint]]\nname = \"bench\"\nkind = \"webhook\"\nurl = \"http://{addr}/hook\"\n"
                ),
                Box::new(AbortOnDrop(task)),
            ))
        }
        Kind::Mqtt => {
            let topic = format!("ferrotwin-bench/{tag}");
            let sub = mqtt5::MqttClient::new(format!("bench-sub-{tag}"));
            sub.connect(&a.mqtt_url)
                .await
                .with_context(|| format!("connecting to {}", a.mqtt_url))?;
            // QoS 0 to the benchmark's subscriber, so that its own acks do
            // not limit what the route (QoS 1 to the broker) can deliver.
            sub.subscribe(topic.as_str(), move |m| arrived(&m.payload))
                .await?;
            Ok((
                format!(
                    "[[endpoint]]\nname = \"bench\"\nkind = \"mqtt\"\nurl = \"{}\"\ntopic = \"{topic}\"\n",
                    a.mqtt_url
                ),
                Box::new(sub),
            ))
        }
        Kind::Nats | Kind::Jetstream => {
            let subject = format!("ferrotwin.bench.{tag}");
            let nats = async_nats::connect(a.nats_url.as_str())
                .await
                .with_context(|| format!("connecting to {}", a.nats_url))?;
            let mut keep: Vec<Keep> = vec![];
            if kind == Kind::Jetstream {
                let js = async_nats::jetstream::new(nats.clone());
                let name = format!("FTBENCH_{tag}");
                js.create_stream(async_nats::jetstream::stream::Config {
                    name: name.clone(),
                    subjects: vec![subject.clone()],
                    ..Default::default()
                })
                .await
                .context("creating the JetStream stream")?;
                keep.push(Box::new(DeleteStream(js, name)));
            }
            let mut sub = nats.subscribe(subject.clone()).await?;
            let task = tokio::spawn(async move {
                while let Some(m) = sub.next().await {
                    arrived(&m.payload);
                }
            });
            keep.push(Box::new(AbortOnDrop(task)));
            keep.push(Box::new(nats));
            Ok((
                format!(
                    "[[endpoint]]\nname = \"bench\"\nkind = \"nats\"\nurl = \"{}\"\nsubject = \"{subject}\"\n",
                    a.nats_url
                ),
                Box::new(keep),
            ))
        }
        Kind::All => unreachable!("expanded by run"),
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct DeleteStream(async_nats::jetstream::Context, String);

impl Drop for DeleteStream {
    fn drop(&mut self) {
        let (js, name) = (self.0.clone(), self.1.clone());
        tokio::spawn(async move {
            let _ = js.delete_stream(&name).await;
        });
    }
}

fn dir_size(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
