//! An MQTT topic on a broker (`mqtt://host:port`, or `mqtts://` with the
//! platform's root certificates). Each event is one QoS 1 PUBLISH of the
//! CloudEvents JSON; a batch is confirmed when every PUBACK arrived. The
//! connection is opened on first use and opened again after any failure.
//! Without a `url` the topic is on the built-in broker, reached in-process
//! through a [`LocalBroker`] the server provides; a batch is confirmed
//! once the broker routed it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use std::time::Duration;

use futures_util::StreamExt;
use mqtt5::{ConnectOptions, Delivery, MqttClient, PublishResult};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::sink::{Sink, SinkError, SinkFuture};

/// `kind = "mqtt"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// The endpoint's name.
    pub name: String,
    /// The broker, `mqtt://host:port` or `mqtts://host:port`; without it,
    /// the built-in broker.
    #[serde(default)]
    pub url: Option<String>,
    /// The topic every event is published to.
    pub topic: String,
    /// Login name, if the broker wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password, with `username`.
    #[serde(default)]
    pub password: Option<String>,
    /// The MQTT client id [default: `ferrotwin-route-{name}`].
    #[serde(default)]
    pub client_id: Option<String>,
}

/// The built-in broker, as routes publish to it.
pub trait LocalBroker: Send + Sync + 'static {
    /// Routes `payload` to the subscribers of `topic`.
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

/// Where the built-in broker will be, once it runs.
pub type LocalSlot = Arc<OnceLock<Arc<dyn LocalBroker>>>;

/// Publishes to one topic of one broker.
pub struct MqttSink {
    cfg: MqttConfig,
    url: String,
    local: Option<LocalSlot>,
    client_id: String,
    client: Mutex<Option<MqttClient>>,
}

/// PUBLISHes in flight at once; the client keeps within the broker's receive
/// maximum. `bench routes` measured 1,600 events/s at 16 and 4,500 at 64.
const IN_FLIGHT: usize = 64;

impl MqttSink {
    /// Checks the declaration; connects on the first delivery. `local`
    /// is where the built-in broker will be, for a declaration without url.
    pub fn new(cfg: MqttConfig, local: LocalSlot) -> Result<MqttSink, String> {
        let (url, local) = match &cfg.url {
            Some(u) if u.starts_with("mqtt://") || u.starts_with("mqtts://") => (u.clone(), None),
            Some(u) => return Err(format!("url '{u}' must start with mqtt:// or mqtts://")),
            None => ("the built-in broker".to_string(), Some(local)),
        };
        if !mqtt5::is_valid_topic_name(&cfg.topic) {
            return Err(format!(
                "topic '{}' is not a valid MQTT topic name (no wildcards, not empty)",
                cfg.topic
            ));
        }
        let client_id = cfg
            .client_id
            .clone()
            .unwrap_or_else(|| format!("ferrotwin-route-{}", cfg.name));
        Ok(MqttSink {
            cfg,
            url,
            local,
            client_id,
            client: Mutex::new(None),
        })
    }

    async fn connect(&self) -> Result<MqttClient, SinkError> {
        let client = MqttClient::new(self.client_id.clone());
        let mut opts = ConnectOptions::new(self.client_id.clone())
            .with_automatic_reconnect(false)
            .with_keep_alive(Duration::from_secs(30));
        if let Some(u) = &self.cfg.username {
            opts = opts.with_credentials(
                u.clone(),
                self.cfg.password.clone().unwrap_or_default().into_bytes(),
            );
        }
        match tokio::time::timeout(
            Duration::from_secs(10),
            client.connect_with_options(&self.url, opts),
        )
        .await
        {
            Ok(Ok(_)) => Ok(client),
            Ok(Err(e)) => Err(SinkError::retry(format!("connecting to {}: {e}", self.url))),
            Err(_) => Err(SinkError::retry(format!(
                "connecting to {}: no CONNACK within 10 s",
                self.url
            ))),
        }
    }

    async fn send(&self, events: &[Vec<u8>]) -> Result<(), SinkError> {
        if let Some(local) = &self.local {
            let broker = local.get().ok_or_else(|| {
                SinkError::retry(
                    "the built-in MQTT broker is not running (started with --no-mqtt?)",
                )
            })?;
            for e in events {
                broker.publish(&self.cfg.topic, e.clone()).await;
            }
            return Ok(());
        }
        let mut slot = self.client.lock().await;
        let client = match slot.as_ref() {
            Some(c) if c.is_connected().await => c.clone(),
            _ => {
                let c = self.connect().await?;
                *slot = Some(c.clone());
                c
            }
        };
        let topic = &self.cfg.topic;
        let results: Vec<Result<(), String>> = futures_util::stream::iter(0..events.len())
            .map(|i| {
                let client = &client;
                async move {
                    match client.publish_qos1(topic.as_str(), events[i].clone()).await {
                        Ok(PublishResult::Sent(Delivery::AtLeastOnce { .. })) => Ok(()),
                        Ok(PublishResult::Sent(d)) => Err(format!(
                            "the broker downgraded the publish to {:?}",
                            d.qos_used()
                        )),
                        Ok(PublishResult::Queued(_)) => {
                            Err("the connection ended before the PUBACK".to_string())
                        }
                        Err(e) => Err(e.to_string()),
                    }
                }
            })
            .buffered(IN_FLIGHT)
            .collect()
            .await;
        if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
            if let Some(c) = slot.take() {
                let _ = c.disconnect().await;
            }
            return Err(SinkError::retry(format!(
                "publishing to {} on {}: {e}",
                topic, self.url
            )));
        }
        Ok(())
    }
}

impl Sink for MqttSink {
    fn kind(&self) -> &'static str {
        "mqtt"
    }

    fn deliver<'a>(&'a self, events: &'a [Vec<u8>]) -> SinkFuture<'a> {
        Box::pin(self.send(events))
    }
}
