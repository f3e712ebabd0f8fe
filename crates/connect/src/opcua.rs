//! An OPC UA client (async-opcua): one subscription per `[[opcua_source]]`
//! with a monitored item per mapped node, each data change delivered to its
//! twin as telemetry (`{"<name>": value, "$ts": "<source time>"}`) or as a
//! property report (`{"<name>": value}`). What the platform refuses, a Bad
//! status, or a value that cannot be converted goes to
//! [`TwinSink::refused`] with the source `opcua name=<name> node=<node id>`.
//!
//! The session runs on a thread of its own. Its data-change callback is
//! synchronous, so it converts the value and puts it in a bounded queue,
//! blocking that thread while the queue is full: the session then stops
//! asking for more, and the server holds (and past `queue_size`, drops the
//! oldest of) what changes meanwhile. The session reconnects and restores
//! the subscription by itself for a while; after that, [`OpcUaSource`]
//! starts over with a new session, subscription and monitored items.
//!
//! Commands mapped in `commands` are method calls on the same session
//! ([`OpcUaCommands`]).

pub mod browse;
mod client;
mod config;
mod method;
mod value;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use ua::client::{DataChangeCallback, MonitoredItem};
use ua::types::{
    AttributeId, DataValue, MonitoredItemCreateRequest, MonitoringMode, MonitoringParameters,
    ReadValueId, TimestampsToReturn,
};

pub use config::{
    CommandMapping, Connection, NodeMapping, OpcUaSourceConfig, SecurityMode, SecurityPolicy,
    parse_node_id,
};
pub use method::{MethodError, MethodReply, OpcUaCommands};

use crate::payload::{self, DataKind, Outcome};
use crate::{Cause, ConnectError, Refused, TwinSink};
use config::Mapping;
use value::Reading;

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Values converted but not yet handed to the sink, per source.
const QUEUE: usize = 1024;

/// A running subscription to one OPC UA server.
pub struct OpcUaSource {
    commands: OpcUaCommands,
    stop: watch::Sender<bool>,
    deliver: JoinHandle<()>,
    session: std::thread::JoinHandle<()>,
}

impl OpcUaSource {
    /// Checks `cfg` and starts connecting in the background; an unreachable
    /// server is retried until [`OpcUaSource::stop`]. `cfg.pki_dir` must be
    /// set.
    pub fn start<S: TwinSink>(
        cfg: OpcUaSourceConfig,
        sink: Arc<S>,
    ) -> Result<OpcUaSource, ConnectError> {
        let (conn, maps) = cfg.parsed().map_err(ConnectError::Config)?;
        if cfg.pki_dir.is_none() {
            return Err(ConnectError::Config(format!(
                "opcua_source '{}': pki_dir is not set",
                cfg.name
            )));
        }
        let methods = cfg.methods().map_err(ConnectError::Config)?;
        let commands = OpcUaCommands::new(cfg.name.clone(), methods);
        let maps: Arc<[Mapping]> = maps.into();
        let (stop, stopped) = watch::channel(false);
        let (tx, rx) = mpsc::channel(QUEUE);
        let subscriber = Subscriber {
            name: cfg.name.clone(),
            publishing_interval: Duration::from_millis(cfg.publishing_interval_ms.into()),
            queue_size: cfg.queue_size,
            conn,
            maps: maps.clone(),
            commands: commands.clone(),
            tx,
            stopped: stopped.clone(),
        };
        let session = std::thread::Builder::new()
            .name(format!("opcua-{}", cfg.name))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(source = %subscriber.name, "cannot start the OPC UA session's runtime: {e}");
                        return;
                    }
                };
                rt.block_on(subscriber.run());
            })
            .map_err(|e| ConnectError::OpcUa(format!("opcua_source '{}': starting its thread: {e}", cfg.name)))?;
        let deliverer = Deliverer {
            name: cfg.name,
            maps,
            sink,
            stopped,
        };
        let deliver = tokio::spawn(deliverer.run(rx));
        Ok(OpcUaSource {
            commands,
            stop,
            deliver,
            session,
        })
    }

    /// The commands of this source, carried out as method calls.
    pub fn commands(&self) -> OpcUaCommands {
        self.commands.clone()
    }

    /// Closes the session and waits for both halves to finish; values
    /// still queued are not delivered (an OPC UA subscription keeps no
    /// history to resume from).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.deliver.await;
        let session = self.session;
        let _ = tokio::task::spawn_blocking(move || session.join()).await;
    }
}

/// One converted data change: the index of its mapping and the value.
type Change = (usize, Reading);

/// The session half, on its own thread.
struct Subscriber {
    name: String,
    publishing_interval: Duration,
    queue_size: u32,
    conn: Connection,
    maps: Arc<[Mapping]>,
    commands: OpcUaCommands,
    tx: mpsc::Sender<Change>,
    stopped: watch::Receiver<bool>,
}

impl Subscriber {
    async fn run(mut self) {
        let mut client = match client::client(&self.conn, 6) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(source = %self.name, "{e}");
                return;
            }
        };
        let mut delay = Duration::from_millis(500);
        loop {
            let mut stopped = self.stopped.clone();
            let opened = tokio::select! {
                r = client::open(&mut client, &self.conn, &self.name) => r,
                _ = stopped.changed() => return,
            };
            match opened {
                Ok(mut open) => match self.subscribe(&open).await {
                    Ok(()) => {
                        delay = Duration::from_millis(500);
                        self.commands.set_session(Some(open.session.clone()));
                        tokio::select! {
                            r = &mut open.event_loop => {
                                self.commands.set_session(None);
                                let status = r.unwrap_or(ua::types::StatusCode::BadUnexpectedError);
                                tracing::warn!(source = %self.name, url = %self.conn.url, "OPC UA session ended: {}; starting over in {delay:?}", client::explain(status, &self.conn));
                            }
                            _ = self.stopped.changed() => {
                                self.commands.set_session(None);
                                open.close().await;
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(source = %self.name, url = %self.conn.url, "OPC UA subscription failed: {e}; retrying in {delay:?}");
                        open.close().await;
                    }
                },
                Err(e) => {
                    tracing::warn!(source = %self.name, url = %self.conn.url, "OPC UA: {e}; retrying in {delay:?}");
                }
            }
            let mut stopped = self.stopped.clone();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = stopped.changed() => return,
            }
            delay = (delay * 2).min(MAX_BACKOFF);
        }
    }

    /// Creates the subscription and one monitored item per mapping, whose
    /// client handle is the mapping's index + 1.
    async fn subscribe(&self, open: &client::Open) -> Result<(), String> {
        if self.maps.is_empty() {
            return Ok(());
        }
        let tx = self.tx.clone();
        let scaling: Vec<(f64, f64)> = self.maps.iter().map(|m| (m.scale, m.offset)).collect();
        let callback = DataChangeCallback::new(move |dv: DataValue, item: &MonitoredItem| {
            let Some(i) = (item.client_handle() as usize).checked_sub(1) else {
                return;
            };
            let Some(&(scale, offset)) = scaling.get(i) else {
                return;
            };
            let reading = value::reading(dv, scale, offset);
            // Blocks this session's thread while the queue is full; fails
            // only when the source is stopping.
            let _ = futures_executor::block_on(tx.send((i, reading)));
        });
        // Keep-alives every 10 publishing intervals (at most ~30 s), and a
        // lifetime of three of them, as OPC UA requires.
        let interval_ms = self.publishing_interval.as_millis().max(1) as u32;
        let keep_alive = (30_000 / interval_ms).clamp(1, 10);
        let id = open
            .session
            .create_subscription(
                self.publishing_interval,
                keep_alive * 3,
                keep_alive,
                0,
                0,
                true,
                callback,
            )
            .await
            .map_err(|e| format!("creating the subscription: {e}"))?;
        // `nsu=` nodes take their namespace index from this session's
        // server, which may have renumbered its namespaces since the last.
        let namespaces = if self.maps.iter().any(|m| m.namespace_uri.is_some()) {
            Some(
                open.session
                    .read_namespace_array()
                    .await
                    .map_err(|e| format!("reading the server's namespace array: {e}"))?,
            )
        } else {
            None
        };
        let mut unresolved = 0;
        let items: Vec<MonitoredItemCreateRequest> = self
            .maps
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                let mut node = m.node.clone();
                if let (Some(uri), Some(ns)) = (&m.namespace_uri, &namespaces) {
                    match ns.get_index(uri) {
                        Some(index) => node.namespace = index,
                        None => {
                            unresolved += 1;
                            tracing::error!(source = %self.name, node = %m.node_text, twin = %m.twin, "the server has no namespace {uri}, so this node cannot be monitored");
                            return None;
                        }
                    }
                }
                Some((i, m, node))
            })
            .map(|(i, m, node)| MonitoredItemCreateRequest {
                item_to_monitor: ReadValueId {
                    node_id: node,
                    attribute_id: AttributeId::Value as u32,
                    ..Default::default()
                },
                monitoring_mode: MonitoringMode::Reporting,
                requested_parameters: MonitoringParameters {
                    client_handle: i as u32 + 1,
                    sampling_interval: m.sampling_interval,
                    filter: Default::default(),
                    queue_size: self.queue_size,
                    discard_oldest: true,
                },
            })
            .collect();
        let handles: Vec<u32> = items
            .iter()
            .map(|it| it.requested_parameters.client_handle)
            .collect();
        let created = open
            .session
            .create_monitored_items(id, TimestampsToReturn::Both, items)
            .await
            .map_err(|e| format!("creating the monitored items: {e}"))?;
        let mut good = 0;
        for (handle, r) in handles.iter().zip(&created) {
            let m = &self.maps[*handle as usize - 1];
            let status = r.result.status_code;
            if status.is_good() {
                good += 1;
            } else {
                tracing::error!(source = %self.name, node = %m.node_text, twin = %m.twin, "the server cannot monitor this node: {} ({})", status, status.sub_code().description());
            }
        }
        if unresolved > 0 {
            tracing::error!(source = %self.name, unresolved, "nodes named by a namespace URI the server does not have were left out");
        }
        tracing::info!(source = %self.name, url = %self.conn.url, monitored = good, of = self.maps.len(), "OPC UA subscription created");
        Ok(())
    }
}

/// The delivering half, on the platform's runtime.
struct Deliverer<S> {
    name: String,
    maps: Arc<[Mapping]>,
    sink: Arc<S>,
    stopped: watch::Receiver<bool>,
}

impl<S: TwinSink> Deliverer<S> {
    async fn run(mut self, mut rx: mpsc::Receiver<Change>) {
        loop {
            let (i, reading) = tokio::select! {
                c = rx.recv() => match c { Some(c) => c, None => return },
                _ = self.stopped.changed() => return,
            };
            let maps = self.maps.clone();
            if !self.deliver(&maps[i], reading).await {
                return;
            }
        }
    }

    /// Hands one change on; false only when stopping before it could be.
    async fn deliver(&mut self, m: &Mapping, r: Reading) -> bool {
        if r.waiting {
            tracing::debug!(source = %self.name, node = %m.node_text, "no value yet (waiting for initial data)");
            return true;
        }
        let source = format!("opcua name={} node={}", self.name, m.node_text);
        if r.overflow {
            tracing::warn!(source = %self.name, node = %m.node_text, "the server dropped older values of this node (its queue of queue_size values overflowed)");
        }
        let body = |v: Value| {
            let mut o = Map::new();
            o.insert(m.name.clone(), v);
            if let (DataKind::Telemetry, Some(t)) = (m.kind, &r.time) {
                o.insert("$ts".into(), Value::String(t.clone()));
            }
            serde_json::to_vec(&Value::Object(o)).unwrap_or_default()
        };
        let v = match r.value {
            Ok(v) => v,
            // Logged and counted where it is kept.
            Err((why, seen)) => {
                self.sink
                    .refused(Refused {
                        source,
                        twin_id: Some(m.twin.clone()),
                        kind: Some(m.kind),
                        payload: body(seen),
                        cause: Cause::Invalid,
                        reason: why,
                    })
                    .await;
                return true;
            }
        };
        let payload = body(v);
        let mut delay = Duration::from_millis(100);
        loop {
            match payload::deliver(&*self.sink, &source, &m.twin, m.kind, &payload).await {
                Ok(Outcome::Taken) => return true,
                // Logged and counted where it is kept.
                Ok(Outcome::Refused(_)) => return true,
                Err(why) => {
                    tracing::error!(source = %self.name, node = %m.node_text, "the platform cannot take the value ({why}); retrying in {delay:?}");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = self.stopped.changed() => return false,
                    }
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}
