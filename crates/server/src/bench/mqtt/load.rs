//! The load generator of `bench mqtt`: one MQTT 5 connection per device,
//! each publishing telemetry messages of `points` numbers at one QoS, as
//! fast as the broker takes them or at a set pace. The same code drives
//! ferrotwin's endpoint and Mosquitto, so the two are compared like for
//! like.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use rumqttc::Outgoing;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};

/// QoS 1 messages a device keeps unacknowledged at most.
const WINDOW: u16 = 64;

/// Where and how to publish.
#[derive(Clone)]
pub struct Target {
    /// `host:port` of the broker.
    pub addr: String,
    /// One login per device (ferrotwin), or none (Mosquitto).
    pub logins: Vec<Option<(String, String)>>,
    /// One topic per device.
    pub topics: Vec<String>,
}

/// One burst of messages from every device.
#[derive(Clone, Copy)]
pub struct Load {
    /// 0 or 1.
    pub qos: u8,
    /// Messages per device.
    pub messages: usize,
    /// Numbers per message, `p0`..; `p0` carries the publish time in
    /// microseconds since the epoch and `p1` the phase, so each message is
    /// attributed and timed where it arrives.
    pub points: usize,
    /// Tells this burst's messages from earlier ones still in flight.
    pub phase: u32,
    /// Messages per second over all devices; `None` is as fast as possible.
    pub rate: Option<f64>,
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_micros() as f64)
}

/// The JSON body of message `i`.
fn payload(load: &Load, i: usize) -> String {
    let mut s = String::with_capacity(16 + load.points * 16);
    let _ = write!(s, "{{\"p0\":{},\"p1\":{}", now_us(), load.phase);
    for p in 2..load.points {
        let _ = write!(s, ",\"p{p}\":{}", (i * 31 + p) % 1000);
    }
    s.push('}');
    s
}

/// Publishes `load` from every device of `target`; `sent` counts
/// messages written (QoS 0) or acknowledged (QoS 1). Returns when all are.
pub async fn run(target: &Target, load: Load, sent: Arc<AtomicU64>) -> anyhow::Result<()> {
    let devices = target.topics.len();
    let mut tasks = Vec::with_capacity(devices);
    for (i, (topic, login)) in target.topics.iter().zip(&target.logins).enumerate() {
        let (addr, topic, login, sent) = (
            target.addr.clone(),
            topic.clone(),
            login.clone(),
            sent.clone(),
        );
        let pace = load
            .rate
            .map(|r| Duration::from_secs_f64(devices as f64 / r.max(1.0)));
        tasks.push(tokio::spawn(async move {
            device(i, &addr, login, &topic, load, pace, sent).await
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn device(
    n: usize,
    addr: &str,
    login: Option<(String, String)>,
    topic: &str,
    load: Load,
    pace: Option<Duration>,
    sent: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let (host, port) = addr.rsplit_once(':').context("broker address")?;
    let id = format!("bench-load-{n}-{}", uuid::Uuid::new_v4().simple());
    let mut o = MqttOptions::new(id, host, port.parse()?);
    o.set_keep_alive(Duration::from_secs(30))
        .set_outgoing_inflight_upper_limit(WINDOW);
    if let Some((u, p)) = login {
        o.set_credentials(u, p);
    }
    let (client, mut eventloop) = AsyncClient::new(o, 256);
    let qos = if load.qos == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    };
    let total = load.messages as u64;
    let driver = async move {
        let mut done = 0u64;
        while done < total {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) if qos == QoS::AtLeastOnce => {
                    done += 1;
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Event::Outgoing(Outgoing::Publish(_))) if qos == QoS::AtMostOnce => {
                    done += 1;
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(e) => bail!("device {n}: {e}"),
            }
        }
        Ok(eventloop)
    };
    let publish = async {
        let mut tick = pace.map(|p| {
            let mut t = tokio::time::interval(p);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        for i in 0..load.messages {
            if let Some(t) = &mut tick {
                t.tick().await;
            }
            client
                .publish(topic, qos, false, payload(&load, i))
                .await
                .context("queueing a message")?;
        }
        anyhow::Ok(())
    };
    // A broken connection ends the driver early, and so the publishing.
    let ((), mut eventloop) = tokio::try_join!(publish, driver)?;
    // Let the DISCONNECT go out.
    let _ = client.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while let Ok(e) = eventloop.poll().await {
            if matches!(e, Event::Outgoing(Outgoing::Disconnect)) {
                break;
            }
        }
    })
    .await;
    Ok(())
}
