//! Why a connector could not start or stopped badly.

use std::net::SocketAddr;

/// Why a connector could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The listen address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The TLS listener was asked for without being set up.
    #[error("MQTT over TLS: {0}")]
    Tls(String),
    /// The broker engine refused to start or failed.
    #[error("MQTT broker: {0}")]
    Broker(String),
    /// A connector's configuration is wrong; the message names the field.
    #[error("{0}")]
    Config(String),
    /// An OPC UA server could not be reached, logged in to or read.
    #[error("OPC UA: {0}")]
    OpcUa(String),
}
