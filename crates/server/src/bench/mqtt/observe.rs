//! Where `bench mqtt` sees messages arrive: ferrotwin's live event stream
//! over WebSocket (`GET /events/ws`, the platform's internal stream as its
//! API offers it to dashboards),
//! and for Mosquitto a subscriber. Each arrival of the current phase is
//! counted and timed from the publish time it carries in `p0`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

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

/// Follows ferrotwin's live stream of telemetry over WebSocket
/// (`GET /events/ws`, as a dashboard reads it) into `tally` until the task
/// is aborted; returns once the stream answered.
pub async fn stream(
    base: &str,
    token: &str,
    tally: Shared,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let url = format!(
        "{}/events/ws?type=telemetry",
        base.replacen("http://", "ws://", 1)
    );
    let mut req = url.as_str().into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(req)
        .await
        .context("opening /events/ws")?;
    Ok(tokio::spawn(async move {
        #[derive(Deserialize)]
        struct Lag {
            dropped: u64,
        }
        while let Some(Ok(msg)) = socket.next().await {
            let Message::Text(text) = msg else {
                continue;
            };
            if let Ok(ce) = serde_json::from_str::<CloudEvent>(&text) {
                lock(&tally).record(&ce.data);
            } else if let Ok(l) = serde_json::from_str::<Lag>(&text) {
                lock(&tally).dropped += l.dropped;
            }
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
