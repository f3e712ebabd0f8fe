//! Settings of the MQTT endpoint.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The HTTP path of the WebSocket listener.
pub const WS_PATH: &str = "/mqtt";

/// How the MQTT endpoint listens.
#[derive(Debug, Clone)]
pub struct MqttConfig {
    /// The plain TCP listen address, if any; port 0 picks a free one.
    pub bind: Option<SocketAddr>,
    /// The TLS listener, if any.
    pub tls: Option<MqttTls>,
    /// The MQTT-over-WebSocket listen address, if any (plain WebSocket,
    /// path [`WS_PATH`], subprotocol `mqtt`); port 0 picks a free one.
    pub ws: Option<SocketAddr>,
    /// The largest MQTT packet accepted, in bytes.
    pub max_packet_size: usize,
    /// Topics the platform publishes events to (event routes on the
    /// built-in broker); any logged-in device may subscribe to them.
    pub event_topics: Vec<String>,
    /// Mapping rules for topics outside the default convention (live: a
    /// change applies to the next message).
    pub rules: crate::Rules,
}

/// An MQTT-over-TLS listener.
#[derive(Debug, Clone)]
pub struct MqttTls {
    /// The listen address; port 0 picks a free one.
    pub bind: SocketAddr,
    /// PEM certificate chain.
    pub cert_file: PathBuf,
    /// PEM private key.
    pub key_file: PathBuf,
}

impl Default for MqttConfig {
    /// No listener yet, default limits.
    fn default() -> MqttConfig {
        MqttConfig {
            bind: None,
            tls: None,
            ws: None,
            max_packet_size: 1024 * 1024,
            event_topics: vec![],
            rules: crate::Rules::default(),
        }
    }
}

impl MqttConfig {
    /// Listens on plain TCP at `bind` with default limits.
    pub fn new(bind: SocketAddr) -> MqttConfig {
        MqttConfig {
            bind: Some(bind),
            ..MqttConfig::default()
        }
    }
}
