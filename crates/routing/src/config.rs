//! Endpoint declarations, as the operator writes them (`[[endpoint]]` in
//! the server's TOML file). A route names an endpoint; an endpoint is
//! where events go and how.

use std::sync::Arc;

use serde::Deserialize;

use crate::sink::mqtt::{LocalSlot, MqttConfig, MqttSink};
use crate::sink::nats::{NatsConfig, NatsSink};
use crate::sink::webhook::{WebhookConfig, WebhookSink};
use crate::{RoutingError, Sink};

/// One named endpoint, chosen by its `kind`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EndpointConfig {
    /// An MQTT topic on a broker, published at QoS 1.
    Mqtt(MqttConfig),
    /// An HTTP(S) URL that receives each event as a CloudEvents POST.
    Webhook(WebhookConfig),
    /// A NATS subject; JetStream-acknowledged when a stream covers it.
    Nats(NatsConfig),
}

impl EndpointConfig {
    /// The topic, when this is a topic on the built-in broker.
    pub fn builtin_topic(&self) -> Option<&str> {
        match self {
            EndpointConfig::Mqtt(c) if c.url.is_none() => Some(&c.topic),
            _ => None,
        }
    }

    /// The name routes refer to.
    pub fn name(&self) -> &str {
        match self {
            EndpointConfig::Mqtt(c) => &c.name,
            EndpointConfig::Webhook(c) => &c.name,
            EndpointConfig::Nats(c) => &c.name,
        }
    }

    /// Checks the declaration and builds its sink; connects lazily, on
    /// the first delivery. `local` is where the built-in MQTT broker will be.
    pub fn build(&self, local: &LocalSlot) -> Result<Arc<dyn Sink>, RoutingError> {
        let name = self.name();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(RoutingError::Endpoint {
                name: name.into(),
                message: "the name must be 1 or more letters, digits, '-', '_' or '.'".into(),
            });
        }
        let bad = |message: String| RoutingError::Endpoint {
            name: name.into(),
            message,
        };
        Ok(match self {
            EndpointConfig::Mqtt(c) => {
                Arc::new(MqttSink::new(c.clone(), local.clone()).map_err(bad)?)
            }
            EndpointConfig::Webhook(c) => Arc::new(WebhookSink::new(c.clone()).map_err(bad)?),
            EndpointConfig::Nats(c) => Arc::new(NatsSink::new(c.clone()).map_err(bad)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        endpoint: Vec<EndpointConfig>,
    }

    #[test]
    fn endpoints_read_from_toml_by_kind() {
        let f: File = toml_like(
            r#"{"endpoint": [
                {"kind": "mqtt", "name": "m", "url": "mqtt://127.0.0.1:1883", "topic": "t/x"},
                {"kind": "webhook", "name": "w", "url": "http://127.0.0.1:9/hook"},
                {"kind": "nats", "name": "n", "url": "nats://127.0.0.1:4222", "subject": "s.x"}
            ]}"#,
        )
        .unwrap();
        let names: Vec<&str> = f.endpoint.iter().map(EndpointConfig::name).collect();
        assert_eq!(names, ["m", "w", "n"]);
        for e in &f.endpoint {
            e.build(&LocalSlot::default()).unwrap();
        }
    }

    #[test]
    fn mistakes_are_named() {
        let e = toml_like::<File>(r#"{"endpoint": [{"kind": "kafka", "name": "k"}]}"#)
            .err()
            .unwrap();
        assert!(e.contains("kafka"), "{e}");
        let e = toml_like::<File>(
            r#"{"endpoint": [{"kind": "webhook", "name": "w", "url": "http://x", "tpoic": 1}]}"#,
        )
        .err()
        .unwrap();
        assert!(e.contains("tpoic"), "{e}");
        let f: File =
            toml_like(r#"{"endpoint": [{"kind": "webhook", "name": "w", "url": "ftp://x/y"}]}"#)
                .unwrap();
        let e = f.endpoint[0]
            .build(&LocalSlot::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("endpoint 'w'") && e.contains("http"), "{e}");
    }

    fn toml_like<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }
}
