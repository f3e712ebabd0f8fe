//! The built-in MQTT endpoint (MQTT 3.1.1 and 5, QoS 0 and 1, over TCP,
//! TLS and WebSocket, with the same logins and topic rules on each),
//! running the `mqtt5` broker engine in-process. Devices log in with the
//! credentials of [`ferrotwin_auth::DeviceStore`] and may publish only
//! for their own twins:
//! - `twins/{twinId}/telemetry`: a JSON object of telemetry names to values
//!   (optional `"$ts"` or `"timestamp"` as source time), or an array of them;
//! - `twins/{twinId}/properties`: a JSON object of property names to values,
//!   applied as one patch of `add` operations;
//!
//! and subscribe only to `twins/{twinId}/commands/#` (or narrower filters),
//! where [`Commands`] sends them commands (they answer on the response
//! topics described there), and to the event topics the platform
//! publishes to ([`MqttConfig::event_topics`], through [`Publisher`]).

mod auth;
mod commands;
mod config;
mod desired;
mod handler;
mod publisher;
mod sessions;
mod topic;

use std::net::SocketAddr;
use std::sync::Arc;

use ferrotwin_auth::DeviceStore;
use mqtt5::broker::config::{TlsConfig, WebSocketConfig};
use mqtt5::broker::{BrokerConfig, BrokerShutdownHandle, MqttBroker, StorageConfig};
use tokio::task::JoinHandle;

pub use commands::{CommandError, CommandReply, Commands};
pub use config::{MqttConfig, MqttTls, WS_PATH};
pub use desired::{Desired, desired_topic};
pub use publisher::Publisher;
pub use topic::{Response, Topic, TopicKind};

pub use crate::ConnectError;
use crate::TwinSink;

/// A running MQTT endpoint.
pub struct MqttEndpoint {
    addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
    ws_addr: Option<SocketAddr>,
    shutdown: BrokerShutdownHandle,
    commands: Commands,
    publisher: Publisher,
    desired: Desired,
    task: JoinHandle<Result<(), ConnectError>>,
}

impl MqttEndpoint {
    /// Binds `cfg.bind` and starts serving devices from `devices`, handing
    /// their data to `sink`.
    pub async fn start<S: TwinSink>(
        cfg: &MqttConfig,
        devices: Arc<DeviceStore>,
        sink: Arc<S>,
    ) -> Result<MqttEndpoint, ConnectError> {
        // The engine binds itself, words a busy port vaguely and only warns
        // when the TLS port is busy; a first bind gives a precise io::Error
        // the caller can explain.
        let probe = |a: SocketAddr| {
            std::net::TcpListener::bind(a)
                .and_then(|l| l.local_addr())
                .map_err(|e| ConnectError::Bind(a, e))
        };
        if let Some(a) = cfg.bind {
            probe(a)?;
        }
        if let Some(a) = cfg.ws {
            probe(a)?;
        }
        let tls = match &cfg.tls {
            Some(t) => {
                probe(t.bind)?;
                Some(
                    TlsConfig::new(t.cert_file.clone(), t.key_file.clone())
                        .with_bind_address(t.bind),
                )
            }
            None => None,
        };
        let sessions = Arc::new(sessions::Sessions::default());
        let commands = Commands::new(sessions.clone());
        let desired = Desired::default();
        let mut broker_cfg = BrokerConfig::default()
            .with_bind_addresses(cfg.bind.into_iter().collect())
            .with_maximum_qos(1)
            .with_max_packet_size(cfg.max_packet_size)
            .with_storage(StorageConfig {
                enable_persistence: false,
                ..StorageConfig::default()
            })
            .with_sys_topics_enabled(false)
            .with_event_handler(Arc::new(handler::Handler::new(
                sink,
                commands.clone(),
                sessions.clone(),
                cfg.rules.clone(),
                desired.clone(),
            )));
        if let Some(t) = tls {
            broker_cfg = broker_cfg.with_tls(t);
        }
        if let Some(a) = cfg.ws {
            broker_cfg = broker_cfg.with_websocket(
                WebSocketConfig::new()
                    .with_bind_addresses(vec![a])
                    .with_path(WS_PATH),
            );
        }
        let provider = Arc::new(auth::DeviceAuth::new(
            devices,
            sessions,
            cfg.event_topics.clone(),
            cfg.rules.clone(),
        ));
        let mut broker = MqttBroker::with_config(broker_cfg)
            .await
            .map_err(|e| ConnectError::Broker(e.to_string()))?
            .with_auth_provider(Arc::new(
                mqtt5::broker::auth::RateLimitedAuthProvider::with_default_limits(provider),
            ));
        let addr = broker.local_addr();
        let tls_addr = broker.tls_local_addr();
        if cfg.tls.is_some() && tls_addr.is_none() {
            return Err(ConnectError::Tls(
                "the TLS listener could not be bound".into(),
            ));
        }
        let ws_addr = broker.ws_local_addr();
        if cfg.ws.is_some() && ws_addr.is_none() {
            return Err(ConnectError::Broker(
                "the WebSocket listener could not be bound".into(),
            ));
        }
        commands.attach(broker.router());
        desired.attach(broker.router());
        let shutdown = broker.shutdown_handle();
        let publisher = Publisher::new(broker.router());
        let task = tokio::spawn(async move {
            broker
                .run()
                .await
                .map_err(|e| ConnectError::Broker(e.to_string()))
        });
        Ok(MqttEndpoint {
            addr,
            tls_addr,
            ws_addr,
            shutdown,
            commands,
            publisher,
            desired,
            task,
        })
    }

    /// Sends twins' desired property values to their devices.
    pub fn desired(&self) -> Desired {
        self.desired.clone()
    }

    /// Publishes into this broker from inside the process.
    pub fn publisher(&self) -> Publisher {
        self.publisher.clone()
    }

    /// The plain TCP address actually listened on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// The TLS address actually listened on.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// The WebSocket address actually listened on (path [`WS_PATH`]).
    pub fn ws_local_addr(&self) -> Option<SocketAddr> {
        self.ws_addr
    }

    /// The handle that sends commands to this endpoint's devices.
    pub fn commands(&self) -> Commands {
        self.commands.clone()
    }

    /// Stops accepting, closes device connections and waits for the
    /// broker to finish.
    pub async fn stop(self) -> Result<(), ConnectError> {
        self.shutdown.shutdown();
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(ConnectError::Broker(format!("broker task: {e}"))),
        }
    }
}
