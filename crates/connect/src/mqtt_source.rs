//! Subscriptions to external MQTT brokers (MQTT 5), e.g. a plant's
//! Mosquitto: topic patterns mapped to twins and to telemetry or property
//! reports. The session is persistent and every message is acknowledged
//! only after the [`TwinSink`] took it, so a message survives a broker or
//! ferrotwin restart until it is handed on: QoS 1 is at least once. The
//! client reconnects by itself and subscribes again on every connection.
//!
//! Received messages wait in one queue of `max_inflight`; while it is full
//! the client stops reading the socket, so a broker that sends more than
//! the receive maximum it was given is held back by TCP, not buffered.
//! *Why rumqttc, not mqtt5's client:* mqtt5's reader takes in everything
//! the broker sends and disconnects with "Receive maximum exceeded" when a
//! broker overruns the window; Mosquitto 2.0.11 does (a PUBACK for the
//! oldest in-flight message releases up to a whole window of queued ones),
//! and it resends the overrun on every reconnect, so the source stalled.

mod config;
mod tls;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{ConnectProperties, Filter, Packet, Publish, RetainForwardRule};
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use rumqttc::{TlsConfiguration, Transport};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use config::{MqttSourceConfig, TopicMapping};

use crate::payload::{self, Outcome};
use crate::{ConnectError, TwinSink};

/// How long to wait before retrying a sink that was unavailable, and a
/// broker that could not be reached, at most.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A running subscription to one external broker.
pub struct MqttSource {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl MqttSource {
    /// Checks `cfg` and starts connecting in the background; an unreachable
    /// broker is retried until [`MqttSource::stop`].
    pub fn start<S: TwinSink>(
        cfg: MqttSourceConfig,
        sink: Arc<S>,
    ) -> Result<MqttSource, ConnectError> {
        let (endpoint, maps) = cfg.parsed().map_err(ConnectError::Config)?;
        let options = options(&cfg, &endpoint)
            .map_err(|e| ConnectError::Config(format!("mqtt_source '{}': {e}", cfg.label())))?;
        let (stop, stopped) = watch::channel(false);
        let source = Source {
            cfg,
            maps,
            sink,
            stopped,
        };
        let task = tokio::spawn(source.run(options));
        Ok(MqttSource { stop, task })
    }

    /// Disconnects (unacknowledged messages stay with the broker) and waits
    /// for the source to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// The client's settings: a persistent session, acknowledgements by hand.
fn options(cfg: &MqttSourceConfig, e: &config::Endpoint) -> Result<MqttOptions, String> {
    let mut o = MqttOptions::new(cfg.client_id.clone(), e.host.clone(), e.port);
    o.set_clean_start(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(30))
        .set_connect_properties(ConnectProperties {
            session_expiry_interval: Some(cfg.session_expiry_secs),
            receive_maximum: Some(cfg.max_inflight),
            max_packet_size: Some(cfg.max_message_bytes),
            ..ConnectProperties::new()
        });
    if let Some(u) = &cfg.username {
        o.set_credentials(u.clone(), cfg.password.clone().unwrap_or_default());
    }
    if e.tls {
        let tls = tls::client_config(cfg.ca_file.as_deref())?;
        o.set_transport(Transport::Tls(TlsConfiguration::Rustls(Arc::new(tls))));
    }
    Ok(o)
}

struct Source<S> {
    cfg: MqttSourceConfig,
    maps: Vec<config::TopicMap>,
    sink: Arc<S>,
    stopped: watch::Receiver<bool>,
}

/// A received message and the connection it came on.
struct Inbound {
    connection: u64,
    publish: Publish,
}

/// Which connection is current. An acknowledgement is sent only on the
/// connection its message came on: the lock is held from the check to the
/// request, and the network side takes it to count a lost connection and
/// drop the acknowledgements still queued for it, which the broker could
/// otherwise match to a different message of a new session.
type Connection = Arc<Mutex<u64>>;

impl<S: TwinSink> Source<S> {
    async fn run(self, options: MqttOptions) {
        let name = self.cfg.label().to_string();
        let window = usize::from(self.cfg.max_inflight);
        let (client, eventloop) = AsyncClient::new(options, window + 16);
        let (tx, rx) = mpsc::channel(window);
        let connection = Connection::default();
        let filters: Vec<String> = self.maps.iter().map(|(p, _, _)| p.filter()).collect();
        let network = network(
            name.clone(),
            client.clone(),
            eventloop,
            filters,
            tx,
            connection.clone(),
            self.stopped.clone(),
        );
        tokio::join!(network, self.consume(&name, &client, rx, &connection));
    }

    /// Hands messages on in arrival order and acknowledges each once taken.
    /// Acknowledgements the client cannot queue yet wait here, without
    /// holding up the next message: the network side may be waiting for
    /// this queue to take one. They are fewer than the messages the broker
    /// has in flight, and cost a few bytes each.
    async fn consume(
        mut self,
        name: &str,
        client: &AsyncClient,
        mut rx: mpsc::Receiver<Inbound>,
        connection: &Connection,
    ) {
        let mut unsent = VecDeque::new();
        loop {
            send_acks(client, connection, &mut unsent);
            let m = tokio::select! {
                m = rx.recv() => match m { Some(m) => m, None => return },
                _ = tokio::time::sleep(Duration::from_millis(2)), if !unsent.is_empty() => continue,
                _ = self.stopped.changed() => return,
            };
            // Stopping with the message not handed on: it stays unacknowledged
            // with the broker for the next session.
            if !self.handle(name, &m.publish).await {
                return;
            }
            let mut publish = m.publish;
            publish.payload = Default::default();
            publish.topic = Default::default();
            publish.properties = None;
            unsent.push_back(Inbound {
                connection: m.connection,
                publish,
            });
        }
    }

    /// Sleeps for `d`; true when asked to stop meanwhile.
    async fn pause(&mut self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => false,
            _ = self.stopped.changed() => true,
        }
    }

    /// Hands one message on; false only when stopping before it could be.
    /// A message the platform refuses is logged with its source and counts
    /// as handled, since sending it again would not change the answer.
    async fn handle(&mut self, name: &str, p: &Publish) -> bool {
        let topic = String::from_utf8_lossy(&p.topic);
        let topic = topic.as_ref();
        let source = format!("mqtt_source name={name} topic={topic}");
        let Some((twin, kind, map)) = self.maps.iter().find_map(|(pat, kind, map)| {
            pat.twin_id(topic)
                .map(|t| (t.to_string(), *kind, map.clone()))
        }) else {
            let why = format!("no pattern maps the topic {topic}");
            payload::unroutable(&*self.sink, &source, &p.payload, why).await;
            return true;
        };
        let mut delay = Duration::from_millis(100);
        loop {
            match payload::deliver_mapped(&*self.sink, &source, &twin, kind, &map, &p.payload).await
            {
                Ok(Outcome::Taken) => return true,
                // Logged and counted where it is kept.
                Ok(Outcome::Refused(_)) => return true,
                Err(why) => {
                    tracing::error!(source = %name, topic, "the platform cannot take the message ({why}); retrying in {delay:?}");
                    if self.pause(delay).await {
                        return false;
                    }
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

/// Queues the acknowledgements of `unsent` in order while the client has
/// room; one whose connection is gone is dropped (the broker sends its
/// message again on the new connection, or lost it with its session).
fn send_acks(client: &AsyncClient, connection: &Connection, unsent: &mut VecDeque<Inbound>) {
    let current = connection.lock().unwrap_or_else(|e| e.into_inner());
    while let Some(m) = unsent.front() {
        if m.connection == *current && client.try_ack(&m.publish).is_err() {
            return;
        }
        unsent.pop_front();
    }
}

/// Drives the connection: connects and reconnects with backoff, subscribes
/// on every connection, and queues received messages, waiting (and so not
/// reading the socket) while the queue is full.
async fn network(
    name: String,
    client: AsyncClient,
    mut eventloop: EventLoop,
    filters: Vec<String>,
    tx: mpsc::Sender<Inbound>,
    connection: Connection,
    mut stopped: watch::Receiver<bool>,
) {
    let mut delay = Duration::from_millis(500);
    let mut connected = false;
    loop {
        let event = tokio::select! {
            e = eventloop.poll() => e,
            _ = stopped.changed() => break,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                connected = true;
                delay = Duration::from_millis(500);
                tracing::info!(source = %name, session_present = ack.session_present, "external MQTT broker connected");
                // Also with a session present: the filters may have changed
                // since, and retained messages come only for new ones.
                let subs = filters.iter().map(|f| Filter {
                    retain_forward_rule: RetainForwardRule::OnNewSubscribe,
                    ..Filter::new(f.clone(), QoS::AtLeastOnce)
                });
                if let Err(e) = client.try_subscribe_many(subs) {
                    tracing::error!(source = %name, "cannot subscribe: {e}");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                for (filter, code) in filters.iter().zip(&ack.return_codes) {
                    use rumqttc::v5::mqttbytes::v5::SubscribeReasonCode as C;
                    match code {
                        C::Success(_) => tracing::info!(source = %name, filter, "subscribed"),
                        other => {
                            tracing::error!(source = %name, filter, "the broker refused the subscription: {other:?}")
                        }
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let current = *connection.lock().unwrap_or_else(|e| e.into_inner());
                let m = Inbound {
                    connection: current,
                    publish,
                };
                tokio::select! {
                    r = tx.send(m) => if r.is_err() { break },
                    _ = stopped.changed() => break,
                }
            }
            Ok(Event::Incoming(Packet::Disconnect(d))) => {
                tracing::warn!(source = %name, reason = ?d.reason_code, "the external MQTT broker is closing the connection");
            }
            Ok(_) => {}
            Err(e) => {
                {
                    let mut current = connection.lock().unwrap_or_else(|e| e.into_inner());
                    *current += 1;
                    eventloop.clean();
                }
                if connected {
                    tracing::warn!(source = %name, "external MQTT broker disconnected ({e}); reconnecting");
                    connected = false;
                } else {
                    tracing::warn!(source = %name, "cannot connect to the external MQTT broker: {e}; retrying in {delay:?}");
                }
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stopped.changed() => break,
                }
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
    }
    if connected {
        // Say goodbye so the broker keeps the session without waiting for
        // the keep-alive; give up after a second.
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while let Ok(e) = eventloop.poll().await {
                if matches!(e, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }
}
