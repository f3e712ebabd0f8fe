//! Where `bench mqtt` sees messages arrive: ferrotwin's live event stream
//! (`GET /events`, the platform's internal stream as its API offers it),
//! and for Mosquitto a subscriber. Each arrival of the current phase is
//! counted and timed from the publish time it carries in `p0`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use serde::Deserialize;

use super::load::now_us;

/// The two numbers every message carries for the benchmark.
#[derive(Deserialize)]
struct Stamp {
    p0: f64,
    p1: f64,
}

/// A telemetry CloudEvent; only its data matters here.
#[derive(Deserialize)]
struct CloudEvent {
    data: Stamp,
}

/// Arrivals of the current phase.
pub struct Tally {
    phase: u32,
    /// Messages of this phase seen.
    pub seen: u64,
    /// When the last one was seen.
    pub last: Option<Instant>,
    /// Publish-to-arrival latency, microseconds.
    pub latency: Histogram<u64>,
    /// Events the live stream said it dropped for this observer.
    pub dropped: u64,
}

/// A tally shared with its observer.
pub type Shared = Arc<Mutex<Tally>>;

impl Tally {
    /// An empty tally waiting for phase 0.
    pub fn shared() -> Shared {
        Arc::new(Mutex::new(Tally {
            phase: 0,
            seen: 0,
            last: None,
            latency: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds"),
            dropped: 0,
        }))
    }

    /// Forgets everything and counts only `phase` from now on.
    pub fn start(&mut self, phase: u32) {
        self.phase = phase;
        self.seen = 0;
        self.last = None;
        self.latency.reset();
        self.dropped = 0;
    }

    fn record(&mut self, s: &Stamp) {
        if s.p1 as u32 != self.phase {
            return;
        }
        self.seen += 1;
        self.last = Some(Instant::now());
        let us = (now_us() - s.p0).max(1.0) as u64;
        let _ = self.latency.record(us.min(600_000_000));
    }
}

fn lock(t: &Shared) -> std::sync::MutexGuard<'_, Tally> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}

/// Follows ferrotwin's live stream of telemetry into `tally` until the
/// task is aborted; returns once the stream answered.
pub async fn stream(
    base: &str,
    token: &str,
    tally: Shared,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let req = hyper::Request::get(format!("{base}/events?type=telemetry"))
        .header("authorization", format!("Bearer {token}"))
        .body(Empty::new())?;
    let resp = client.request(req).await.context("opening /events")?;
    if resp.status() != 200 {
        bail!("GET /events answered {}", resp.status());
    }
    let mut body = resp.into_body();
    Ok(tokio::spawn(async move {
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
        let mut lagged = false;
        while let Some(Ok(frame)) = body.frame().await {
            let Ok(data) = frame.into_data() else {
                continue;
            };
            buf.extend_from_slice(&data);
            let mut start = 0;
            let mut t = lock(&tally);
            while let Some(n) = buf[start..].iter().position(|b| *b == b'\n') {
                let line = &buf[start..start + n];
                start += n + 1;
                if line.starts_with(b"event: ") {
                    lagged = line == b"event: lagged";
                } else if let Some(d) = line.strip_prefix(b"data: ") {
                    if lagged {
                        #[derive(Deserialize)]
                        struct Lag {
                            dropped: u64,
                        }
                        if let Ok(l) = serde_json::from_slice::<Lag>(d) {
                            t.dropped += l.dropped;
                        }
                    } else if let Ok(ce) = serde_json::from_slice::<CloudEvent>(d) {
                        t.record(&ce.data);
                    }
                }
            }
            drop(t);
            buf.drain(..start);
        }
    }))
}

/// Subscribes to `filter` on the broker at `addr` (QoS 1, so QoS 0 and 1
/// messages arrive as sent) into `tally` until the task is aborted;
/// returns once subscribed.
pub async fn subscriber(
    addr: &str,
    filter: &str,
    tally: Shared,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let (host, port) = addr.rsplit_once(':').context("broker address")?;
    let id = format!("bench-sink-{}", uuid::Uuid::new_v4().simple());
    let mut o = MqttOptions::new(id, host, port.parse()?);
    o.set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(Some(1 << 20));
    let (client, mut eventloop) = AsyncClient::new(o, 64);
    client.subscribe(filter, QoS::AtLeastOnce).await?;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::SubAck(_))) => break,
            Ok(_) => {}
            Err(e) => bail!("subscribing at {addr}: {e}"),
        }
    }
    Ok(tokio::spawn(async move {
        let _client = client;
        while let Ok(e) = eventloop.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = e
                && let Ok(s) = serde_json::from_slice::<Stamp>(&p.payload)
            {
                lock(&tally).record(&s);
            }
        }
    }))
}
