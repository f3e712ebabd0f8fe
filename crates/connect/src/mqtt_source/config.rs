//! Settings of one external MQTT broker (`[[mqtt_source]]` in the config
//! file).

use std::path::PathBuf;

use serde::Deserialize;

use crate::pattern::Pattern;
use crate::payload::DataKind;

/// One external broker ferrotwin subscribes to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttSourceConfig {
    /// A name for logs; the URL when not given.
    #[serde(default)]
    pub name: Option<String>,
    /// `mqtt://host[:port]` (1883) or `mqtts://host[:port]` (8883); the host
    /// is a name or an IPv4 address.
    pub url: String,
    /// The client id; the broker keeps the session (subscriptions and
    /// unacknowledged messages) under it, so it must be stable and unique.
    pub client_id: String,
    /// Login name, if the broker wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Login password.
    #[serde(default)]
    pub password: Option<String>,
    /// PEM CA certificate that signs the broker's certificate (mqtts).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// How long the broker keeps the session while ferrotwin is away, in
    /// seconds (default one day).
    #[serde(default = "default_session_expiry")]
    pub session_expiry_secs: u32,
    /// Messages the broker may send before ferrotwin acknowledges them
    /// (MQTT 5 receive maximum), and the length of ferrotwin's queue of
    /// received messages. A broker that sends more than it was allowed
    /// (Mosquitto 2.0.11 does once a backlog builds) is slowed by TCP flow
    /// control: ferrotwin stops reading while the queue is full.
    #[serde(default = "default_max_inflight")]
    pub max_inflight: u16,
    /// The largest message ferrotwin accepts, in bytes (MQTT 5 maximum
    /// packet size; default 1 MiB). The broker must not send a larger one
    /// to this client: MQTT 5 has it discard the message, and Mosquitto logs
    /// that, so set it above the largest message the devices send.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: u32,
    /// Topic patterns and what their messages carry.
    pub topics: Vec<TopicMapping>,
}

/// A topic pattern mapped to a twin and a kind of data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicMapping {
    /// An MQTT topic filter with one `{twinId}` level, e.g.
    /// `plant/{twinId}/telemetry`.
    pub pattern: String,
    /// `telemetry` or `properties`.
    pub kind: DataKind,
    /// Values to take from the device's own layout by JSON Pointer, with
    /// unit scaling; none: the payload follows the default convention.
    #[serde(default)]
    pub fields: Vec<crate::FieldMap>,
    /// Where the source time is in the payload (JSON Pointer).
    #[serde(default)]
    pub timestamp: Option<String>,
}

impl TopicMapping {
    /// The payload mapping it declares.
    pub fn payload_map(&self) -> crate::PayloadMap {
        crate::PayloadMap {
            fields: self.fields.clone(),
            timestamp: self.timestamp.clone(),
        }
    }
}

fn default_session_expiry() -> u32 {
    86_400
}

fn default_max_inflight() -> u16 {
    64
}

fn default_max_message_bytes() -> u32 {
    1 << 20
}

/// A checked topic: its pattern, what it carries and how to read it.
pub(crate) type TopicMap = (Pattern, DataKind, crate::PayloadMap);

/// Where to connect, read from the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) tls: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl MqttSourceConfig {
    /// The name used in logs.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.url)
    }

    /// Checks everything that can be checked before connecting; the error
    /// names the source and the offending field.
    pub fn check(&self) -> Result<(), String> {
        self.parsed().map(|_| ())
    }

    pub(crate) fn parsed(&self) -> Result<(Endpoint, Vec<TopicMap>), String> {
        let at = |m: String| format!("mqtt_source '{}': {m}", self.label());
        let endpoint = endpoint(&self.url).map_err(at)?;
        if self.client_id.is_empty() {
            return Err(at("client_id must not be empty".into()));
        }
        if self.password.is_some() && self.username.is_none() {
            return Err(at("a password needs a username".into()));
        }
        if self.ca_file.is_some() && !endpoint.tls {
            return Err(at("ca_file is only for mqtts:// URLs".into()));
        }
        if self.session_expiry_secs == 0 || self.max_inflight == 0 {
            return Err(at(
                "session_expiry_secs and max_inflight must be above 0, or messages could be lost"
                    .into(),
            ));
        }
        if self.max_message_bytes < 1024 {
            return Err(at(format!(
                "max_message_bytes {} is below 1024, too small for an MQTT message",
                self.max_message_bytes
            )));
        }
        if self.topics.is_empty() {
            return Err(at("give at least one [[mqtt_source.topics]] entry".into()));
        }
        let mut maps = Vec::with_capacity(self.topics.len());
        for t in &self.topics {
            let map = t.payload_map();
            map.check()
                .map_err(|m| at(format!("topic '{}': {m}", t.pattern)))?;
            maps.push((Pattern::parse(&t.pattern).map_err(at)?, t.kind, map));
        }
        Ok((endpoint, maps))
    }
}

fn endpoint(url: &str) -> Result<Endpoint, String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("mqtt://") {
        (false, r)
    } else if let Some(r) = url.strip_prefix("mqtts://") {
        (true, r)
    } else {
        return Err(format!("url '{url}' must start with mqtt:// or mqtts://"));
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse()
                .map_err(|_| format!("url '{url}': '{p}' is not a port number"))?,
        ),
        _ => (rest, if tls { 8883 } else { 1883 }),
    };
    if host.is_empty() || host.contains('/') {
        return Err(format!(
            "url '{url}' needs a host name and nothing after it"
        ));
    }
    Ok(Endpoint {
        tls,
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_and_tls() {
        let e = endpoint("mqtt://127.0.0.1:1884").unwrap();
        assert_eq!((e.tls, e.host.as_str(), e.port), (false, "127.0.0.1", 1884));
        let e = endpoint("mqtts://broker.example").unwrap();
        assert_eq!((e.tls, e.port), (true, 8883));
        assert!(endpoint("tcp://x").unwrap_err().contains("mqtt://"));
        assert!(endpoint("mqtt://x:port").unwrap_err().contains("port"));
        assert!(endpoint("mqtt://x:1/topic").is_err());
    }
}
