//! Subscriptions to external MQTT brokers (MQTT 5), e.g. a plant's
//! Mosquitto: topic patterns mapped to twins and to telemetry or property
//! reports. The session is persistent and every message is acknowledged
//! only after the [`TwinSink`] took it, so a message survives a broker or
//! ferrotwin restart until it is handed on: QoS 1 is at least once. The
//! client reconnects by itself and resubscribes when the broker lost the
//! session.

mod config;

use std::sync::Arc;
use std::time::Duration;

use mqtt5::types::SubscribeOptions;
use mqtt5::{AckToken, ConnectOptions, ConnectionEvent, MqttClient, QoS};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use config::{MqttSourceConfig, TopicMapping};

use crate::pattern::Pattern;
use crate::payload::{self, DataKind, Outcome};
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
        let (stop, stopped) = watch::channel(false);
        let source = Source {
            cfg,
            endpoint,
            maps,
            sink,
            stopped,
        };
        let task = tokio::spawn(source.run());
        Ok(MqttSource { stop, task })
    }

    /// Disconnects (unacknowledged messages stay with the broker) and waits
    /// for the source to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

struct Source<S> {
    cfg: MqttSourceConfig,
    endpoint: config::Endpoint,
    maps: Vec<(Pattern, DataKind)>,
    sink: Arc<S>,
    stopped: watch::Receiver<bool>,
}

type Inbound = (mqtt5::packet::publish::PublishPacket, AckToken);

impl<S: TwinSink> Source<S> {
    async fn run(mut self) {
        let name = self.cfg.label().to_string();
        let mut opts = ConnectOptions::new(self.cfg.client_id.clone())
            .with_clean_start(false)
            .with_resume_existing_session(true)
            .with_session_expiry_interval(self.cfg.session_expiry_secs)
            .with_receive_maximum(self.cfg.max_inflight)
            .with_deferred_ack(true)
            .with_automatic_reconnect(true)
            .with_reconnect_delay(Duration::from_millis(500), Duration::from_secs(10));
        if let Some(u) = &self.cfg.username {
            let pw = self.cfg.password.clone().unwrap_or_default();
            opts = opts.with_credentials(u.clone(), pw.into_bytes());
        }
        let client = MqttClient::new(self.cfg.client_id.clone());
        let log_name = name.clone();
        let _ = client
            .on_connection_event(move |e| match e {
                ConnectionEvent::Connected {
                    session_present, ..
                } => tracing::info!(source = %log_name, session_present, "external MQTT broker connected"),
                ConnectionEvent::Disconnected { reason } => {
                    tracing::warn!(source = %log_name, ?reason, "external MQTT broker disconnected; reconnecting")
                }
                _ => {}
            })
            .await;
        let mut delay = Duration::from_millis(500);
        loop {
            let mut stopped = self.stopped.clone();
            let result = tokio::select! {
                r = self.connect(&client, opts.clone()) => r,
                _ = stopped.changed() => return,
            };
            match result {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(source = %name, "cannot connect to the external MQTT broker: {e}; retrying in {delay:?}");
                    if self.pause(delay).await {
                        return;
                    }
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        }
        // Every message goes through one queue, handled in arrival order;
        // at most `max_inflight` are unacknowledged, which bounds it.
        let (tx, mut rx) = mpsc::unbounded_channel::<Inbound>();
        let sub = SubscribeOptions {
            qos: QoS::AtLeastOnce,
            ..SubscribeOptions::default()
        };
        for (pattern, _) in &self.maps {
            let tx = tx.clone();
            let filter = pattern.filter();
            let r = client
                .subscribe_with_ack(filter.clone(), sub.clone(), move |p, token| {
                    let _ = tx.send((p, token));
                })
                .await;
            match r {
                Ok(_) => tracing::info!(source = %name, filter, "subscribed"),
                Err(e) => tracing::error!(source = %name, filter, "subscribing failed: {e}"),
            }
        }
        drop(tx);
        loop {
            let (p, token) = tokio::select! {
                m = rx.recv() => match m { Some(m) => m, None => break },
                _ = self.stopped.changed() => break,
            };
            if self.handle(&name, &p).await {
                token.ack();
            } else {
                // Stopping with the message not handed on: disconnect before
                // the token drops, so the broker keeps it for the next session.
                let _ = client.disconnect().await;
                drop(token);
                return;
            }
        }
        let _ = client.disconnect().await;
    }

    async fn connect(&self, client: &MqttClient, opts: ConnectOptions) -> Result<(), String> {
        let e = &self.endpoint;
        if let Some(ca) = &self.cfg.ca_file {
            let addr = tokio::net::lookup_host((e.host.as_str(), e.port))
                .await
                .map_err(|err| format!("resolving {}: {err}", e.host))?
                .next()
                .ok_or_else(|| format!("{} has no address", e.host))?;
            let mut tls = mqtt5::transport::tls::TlsConfig::new(addr, e.host.clone());
            tls.load_ca_cert_pem(&ca.to_string_lossy())
                .map_err(|err| format!("reading ca_file {}: {err}", ca.display()))?;
            client
                .connect_with_tls_and_options(tls, opts)
                .await
                .map(|_| ())
                .map_err(|err| err.to_string())
        } else {
            let scheme = if e.tls { "mqtts" } else { "mqtt" };
            client
                .connect_with_options(&format!("{scheme}://{}:{}", e.host, e.port), opts)
                .await
                .map(|_| ())
                .map_err(|err| err.to_string())
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
    async fn handle(&mut self, name: &str, p: &mqtt5::packet::publish::PublishPacket) -> bool {
        let topic = p.topic_name.as_str();
        let source = format!("mqtt_source name={name} topic={topic}");
        let Some((twin, kind)) = self
            .maps
            .iter()
            .find_map(|(pat, kind)| pat.twin_id(topic).map(|t| (t.to_string(), *kind)))
        else {
            let why = format!("no pattern maps the topic {topic}");
            payload::unroutable(&*self.sink, &source, &p.payload, why).await;
            return true;
        };
        let mut delay = Duration::from_millis(100);
        loop {
            match payload::deliver(&*self.sink, &source, &twin, kind, &p.payload).await {
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
