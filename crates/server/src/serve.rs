//! Wiring: open the store and graph, start the listeners, and on SIGINT or
//! SIGTERM stop accepting, finish in-flight requests, and commit what is
//! queued before exiting.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use ferrotwin_api::{ApiState, Metrics, Scheme};
use ferrotwin_auth::{DeviceStore, TokenStore};
#[cfg(feature = "amqp")]
use ferrotwin_connect::amqp::AmqpSource;
use ferrotwin_connect::mqtt::{ConnectError, MqttConfig, MqttEndpoint, MqttTls};
use ferrotwin_connect::mqtt_source::MqttSource;
#[cfg(feature = "opcua")]
use ferrotwin_connect::opcua::OpcUaSource;
use ferrotwin_events::EventBus;
use ferrotwin_graph::{Graph, PageRequest};
use ferrotwin_routing::Routing;
use tokio::task::JoinHandle;

use crate::cli::ServeArgs;
use crate::commands::DeviceCommandPaths;
use crate::config::Config;
use crate::{logging, tls};

/// A running platform.
pub struct Server {
    /// The bound HTTP address.
    pub http: Option<SocketAddr>,
    /// The bound HTTPS address.
    pub https: Option<SocketAddr>,
    /// The bound MQTT address.
    pub mqtt: Option<SocketAddr>,
    /// The bound MQTT-over-TLS address.
    pub mqtts: Option<SocketAddr>,
    /// The bound MQTT-over-WebSocket address.
    pub mqtt_ws: Option<SocketAddr>,
    /// The twin graph.
    pub graph: Graph,
    /// The history store.
    pub history: Arc<dyn ferrotwin_history::HistoryStore>,
    /// Event route delivery.
    pub routing: Routing,
    analytics: Option<(tokio::sync::watch::Sender<bool>, JoinHandle<()>)>,
    mqtt_endpoint: Option<MqttEndpoint>,
    mqtt_sources: Vec<MqttSource>,
    #[cfg(feature = "amqp")]
    amqp_sources: Vec<AmqpSource>,
    #[cfg(feature = "opcua")]
    opcua_sources: Vec<OpcUaSource>,
    handles: Vec<Handle<SocketAddr>>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

fn bind(addr: SocketAddr, what: &str, flag: &str) -> anyhow::Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::AddrInUse { "the address is already in use".to_string() } else { e.to_string() };
        anyhow::anyhow!("cannot listen on {addr} for {what}: {why}; choose another address with {flag} (port 0 picks a free one)")
    })?;
    l.set_nonblocking(true)?;
    Ok(l)
}

impl Server {
    /// Opens the data directory and starts listening.
    pub async fn start(cfg: &Config, bootstrap: Option<&str>) -> anyhow::Result<Server> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        std::fs::create_dir_all(&cfg.data)
            .with_context(|| format!("creating data directory {}", cfg.data.display()))?;
        let store =
            ferrotwin_store::open(cfg.storage, &cfg.data).map_err(|e| anyhow::anyhow!("{e}"))?;
        let started = std::time::Instant::now();
        let graph = Graph::open(Arc::from(store), EventBus::new(cfg.event_buffer))
            .map_err(|e| anyhow::anyhow!("loading the graph: {e}"))?;
        let stats = graph.stats();
        tracing::info!(
            storage = cfg.storage.name(),
            models = stats.models,
            twins = stats.twins,
            relationships = stats.relationships,
            millis = started.elapsed().as_millis() as u64,
            "graph loaded"
        );
        let history = crate::history::open(&cfg.history, &cfg.data).await?;
        crate::history::record(&graph, history.clone(), cfg.history.properties);
        let routing = start_routing(cfg, &graph)?;
        let tokens = Arc::new(TokenStore::open(&cfg.data, bootstrap));
        let commands = Arc::new(DeviceCommandPaths::default());
        let (analytics_stop, stop_rx) = tokio::sync::watch::channel(false);
        let analytics = match &cfg.analytics {
            Some(a) => Some(crate::analytics::start(a, &cfg.data, &graph, stop_rx)?),
            None => None,
        };
        let metrics = Arc::new(Metrics::default());
        let letters = Arc::new(
            ferrotwin_ingest::DeadLetters::open(
                &cfg.data.join("deadletters.redb"),
                ferrotwin_ingest::DEFAULT_CAPACITY,
            )
            .map_err(|e| anyhow::anyhow!("opening the dead-letter store: {e}"))?,
        );
        let sink = Arc::new(crate::devices::GraphSink {
            graph: graph.clone(),
            letters: letters.clone(),
            metrics: metrics.clone(),
        });
        let mappings = Arc::new(crate::mappings::Mappings::open(
            &cfg.data,
            cfg.mappings.clone(),
        )?);
        let property_writes = Arc::new(crate::desired::DesiredWrites {
            graph: graph.clone(),
            desired: std::sync::OnceLock::new(),
        });
        let state = ApiState {
            property_writes: property_writes.clone(),
            mappings: mappings.clone(),
            graph: graph.clone(),
            history: history.clone(),
            tokens,
            metrics,
            dead_letters: Arc::new(ferrotwin_api::DeadLetterDesk {
                store: letters,
                redeliver: Arc::new(crate::devices::SinkRedeliver(sink.clone())),
            }),
            audit: Arc::new(
                ferrotwin_audit::AuditLog::open(
                    &cfg.data.join("audit.redb"),
                    ferrotwin_audit::DEFAULT_CAPACITY,
                )
                .map_err(|e| anyhow::anyhow!("opening the audit log: {e}"))?,
            ),
            data_dir: cfg.data.clone(),
            commands: commands.clone(),
            delivery: Arc::new(crate::delivery::Delivery(routing.clone())),
            analytics: analytics.as_ref().map(|(s, _)| s.clone()),
            sim_api: cfg.sim_api.clone(),
            collab: crate::collab::start(&cfg.data, &graph)?,
        };
        let mut server = Server {
            http: None,
            https: None,
            mqtt: None,
            mqtts: None,
            mqtt_ws: None,
            graph: graph.clone(),
            history,
            routing,
            analytics: analytics.map(|(_, task)| (analytics_stop, task)),
            mqtt_endpoint: None,
            mqtt_sources: vec![],
            #[cfg(feature = "amqp")]
            amqp_sources: vec![],
            #[cfg(feature = "opcua")]
            opcua_sources: vec![],
            handles: vec![],
            tasks: vec![],
        };
        if let Some(addr) = cfg.http {
            let l = bind(addr, "HTTP", "--http")?;
            let bound = l.local_addr()?;
            let handle = Handle::new();
            let app = ferrotwin_api::router(state.clone(), Scheme("http"));
            let srv = axum_server::from_tcp(l)?.handle(handle.clone());
            server
                .tasks
                .push(tokio::spawn(srv.serve(app.into_make_service())));
            server.handles.push(handle);
            server.http = Some(bound);
        }
        if let Some(addr) = cfg.https {
            let tls = tls::server_config(
                cfg.tls_files
                    .as_ref()
                    .map(|(c, k)| (c.as_path(), k.as_path())),
                &cfg.data,
            )?;
            let l = bind(addr, "HTTPS", "--https")?;
            let bound = l.local_addr()?;
            let handle = Handle::new();
            let app = ferrotwin_api::router(state, Scheme("https"));
            let srv = axum_server::from_tcp_rustls(l, RustlsConfig::from_config(tls))?
                .handle(handle.clone());
            server
                .tasks
                .push(tokio::spawn(srv.serve(app.into_make_service())));
            server.handles.push(handle);
            server.https = Some(bound);
        }
        if cfg.mqtt.is_some() || cfg.mqtts.is_some() || cfg.mqtt_ws.is_some() {
            let tls = match cfg.mqtts {
                Some(bind) => {
                    let (cert_file, key_file) = tls::cert_files(
                        cfg.tls_files
                            .as_ref()
                            .map(|(c, k)| (c.as_path(), k.as_path())),
                        &cfg.data,
                    )?;
                    Some(MqttTls {
                        bind,
                        cert_file,
                        key_file,
                    })
                }
                None => None,
            };
            let mqtt_cfg = MqttConfig {
                bind: cfg.mqtt,
                tls,
                ws: cfg.mqtt_ws,
                event_topics: cfg
                    .endpoints
                    .iter()
                    .filter_map(|e| e.builtin_topic().map(str::to_owned))
                    .collect(),
                rules: mappings.live(),
                ..MqttConfig::default()
            };
            let devices = Arc::new(DeviceStore::open(&cfg.data));
            let endpoint = match MqttEndpoint::start(&mqtt_cfg, devices, sink.clone()).await {
                Ok(e) => e,
                Err(e) => {
                    let msg = match e {
                        ConnectError::Bind(addr, io) => {
                            let why = if io.kind() == std::io::ErrorKind::AddrInUse {
                                "the address is already in use (is another MQTT broker running?)"
                                    .to_string()
                            } else {
                                io.to_string()
                            };
                            let flag = if Some(addr) == cfg.mqtt {
                                "--mqtt"
                            } else if Some(addr) == cfg.mqtt_ws {
                                "--mqtt-ws"
                            } else {
                                "--mqtts"
                            };
                            format!(
                                "cannot listen on {addr} for MQTT: {why}; choose another address with {flag} (port 0 picks a free one) or turn the endpoint off with --no-mqtt"
                            )
                        }
                        other => format!("starting the MQTT endpoint: {other}"),
                    };
                    server.stop().await?;
                    anyhow::bail!(msg);
                }
            };
            let _ = commands.mqtt.set(endpoint.commands());
            let _ = property_writes.desired.set(endpoint.desired());
            server
                .routing
                .set_local_broker(Arc::new(crate::delivery::BuiltinBroker(
                    endpoint.publisher(),
                )));
            server.mqtt = endpoint.local_addr();
            server.mqtts = endpoint.tls_local_addr();
            server.mqtt_ws = endpoint.ws_local_addr();
            server.mqtt_endpoint = Some(endpoint);
        }
        #[cfg(feature = "amqp")]
        for source in &cfg.amqp_sources {
            let label = source.label().to_string();
            match AmqpSource::start(source.clone(), sink.clone()) {
                Ok(s) => server.amqp_sources.push(s),
                Err(e) => {
                    server.stop().await?;
                    anyhow::bail!("starting amqp_source '{label}': {e}");
                }
            }
        }
        #[cfg(feature = "opcua")]
        for source in &cfg.opcua_sources {
            let label = source.label().to_string();
            match OpcUaSource::start(source.clone(), sink.clone()) {
                Ok(s) => server.opcua_sources.push(s),
                Err(e) => {
                    server.stop().await?;
                    anyhow::bail!("starting opcua_source '{label}': {e}");
                }
            }
        }
        #[cfg(feature = "opcua")]
        let _ = commands.opcua.set(
            server
                .opcua_sources
                .iter()
                .map(OpcUaSource::commands)
                .collect(),
        );
        for source in &cfg.mqtt_sources {
            let label = source.label().to_string();
            match MqttSource::start(source.clone(), sink.clone()) {
                Ok(s) => server.mqtt_sources.push(s),
                Err(e) => {
                    server.stop().await?;
                    anyhow::bail!("starting mqtt_source '{label}': {e}");
                }
            }
        }
        Ok(server)
    }

    /// Stops accepting, lets in-flight requests finish (up to 10 s), and
    /// commits everything queued.
    pub async fn stop(self) -> anyhow::Result<()> {
        for s in self.mqtt_sources {
            s.stop().await;
        }
        #[cfg(feature = "amqp")]
        for s in self.amqp_sources {
            s.stop().await;
        }
        #[cfg(feature = "opcua")]
        for s in self.opcua_sources {
            s.stop().await;
        }
        if let Some(m) = self.mqtt_endpoint {
            m.stop().await.context("MQTT endpoint")?;
        }
        for h in &self.handles {
            h.graceful_shutdown(Some(Duration::from_secs(10)));
        }
        for t in self.tasks {
            t.await.context("listener task")?.context("listener")?;
        }
        if let Some((stop, task)) = self.analytics {
            let _ = stop.send(true);
            task.await.context("analytics task")?;
        }
        self.graph.close();
        self.history.close().await.context("closing history")?;
        self.routing.close().await;
        Ok(())
    }

    /// Prints the addresses actually listened on.
    pub fn announce(&self) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if let Some(a) = self.http {
            let _ = writeln!(out, "listening on http://{a}");
        }
        if let Some(a) = self.https {
            let _ = writeln!(out, "listening on https://{a}");
        }
        if let Some(a) = self.mqtt {
            let _ = writeln!(out, "listening on mqtt://{a}");
        }
        if let Some(a) = self.mqtts {
            let _ = writeln!(out, "listening on mqtts://{a}");
        }
        if let Some(a) = self.mqtt_ws {
            let _ = writeln!(
                out,
                "listening on ws://{a}{}",
                ferrotwin_connect::mqtt::WS_PATH
            );
        }
        let _ = out.flush();
    }
}

/// Opens the event route outbox, starts delivering the stored routes,
/// and makes routing a recorder of the graph's events, so that every
/// matching event is in an outbox before its write is acknowledged.
fn start_routing(cfg: &Config, graph: &Graph) -> anyhow::Result<Routing> {
    let options = ferrotwin_routing::Options {
        source: cfg.event_source.clone(),
        max_backlog_bytes: cfg.route_backlog_max_bytes,
        ..Default::default()
    };
    let routing = Routing::open(&cfg.data.join("outbox"), &cfg.endpoints, options)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut routes = Vec::new();
    let mut page = PageRequest {
        after: None,
        size: 1000,
    };
    loop {
        let p = graph.routes(&page);
        routes.extend(p.items.iter().map(crate::delivery::spec));
        match p.next {
            Some(n) => page.after = Some(n),
            None => break,
        }
    }
    routing
        .start(routes)
        .map_err(|e| anyhow::anyhow!("starting event routes: {e}"))?;
    graph.bus().add_recorder(Arc::new(routing.clone()));
    Ok(routing)
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// A step run on the started server's graph and base URL before it is announced.
pub type Prepare = Box<
    dyn FnOnce(
            Graph,
            String,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>
        + Send,
>;

/// `ferrotwin serve`; `prepare` runs before the listeners are announced,
/// and `bootstrap` overrides FERROTWIN_BOOTSTRAP_TOKEN.
pub async fn run(
    args: ServeArgs,
    prepare: Option<Prepare>,
    bootstrap: Option<String>,
) -> anyhow::Result<()> {
    run_config(Config::load(&args)?, prepare, bootstrap).await
}

/// [`run`] on a configuration already loaded (and perhaps extended, as
/// the demo adds its simulator's OPC UA server).
pub async fn run_config(
    cfg: Config,
    prepare: Option<Prepare>,
    bootstrap: Option<String>,
) -> anyhow::Result<()> {
    logging::init(cfg.log_format, &cfg.log);
    let bootstrap = bootstrap.or_else(|| std::env::var("FERROTWIN_BOOTSTRAP_TOKEN").ok());
    let server = Server::start(&cfg, bootstrap.as_deref()).await?;
    if let Some(p) = prepare {
        let base = match (server.http, server.https) {
            (Some(a), _) => format!("http://{a}"),
            (None, Some(a)) => format!("https://{a}"),
            (None, None) => anyhow::bail!("no listener"),
        };
        p(server.graph.clone(), base).await?;
    }
    server.announce();
    tracing::info!(data = %cfg.data.display(), "ferrotwin is running; SIGINT or SIGTERM stops it");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests and committing");
    server.stop().await?;
    tracing::info!("stopped cleanly");
    Ok(())
}
