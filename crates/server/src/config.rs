//! The effective configuration: defaults, then the TOML file, then the
//! environment and flags (clap has already put environment values into
//! the flags, and an explicit flag wins over its variable).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[cfg(feature = "amqp")]
use ferrotwin_connect::amqp::AmqpSourceConfig;
use ferrotwin_connect::mqtt_source::MqttSourceConfig;
#[cfg(feature = "opcua")]
use ferrotwin_connect::opcua::OpcUaSourceConfig;
use ferrotwin_routing::EndpointConfig;

use crate::cli::{LogFormat, ServeArgs};

/// The TOML file's shape; every field optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    storage: Option<String>,
    event_buffer: Option<usize>,
    history: Option<crate::history::Engine>,
    history_url: Option<String>,
    history_schema: Option<String>,
    history_properties: Option<crate::history::Properties>,
    http: Option<SocketAddr>,
    no_http: Option<bool>,
    https: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_self_signed: Option<bool>,
    mqtt: Option<SocketAddr>,
    mqtts: Option<SocketAddr>,
    mqtt_ws: Option<SocketAddr>,
    no_mqtt: Option<bool>,
    log_format: Option<LogFormat>,
    log: Option<String>,
    #[serde(default)]
    mqtt_source: Vec<MqttSourceConfig>,
    #[serde(default)]
    mapping: Vec<ferrotwin_connect::MappingRule>,
    #[cfg(feature = "amqp")]
    #[serde(default)]
    amqp_source: Vec<AmqpSourceConfig>,
    #[cfg(feature = "opcua")]
    #[serde(default)]
    opcua_source: Vec<OpcUaSourceConfig>,
    #[serde(default)]
    endpoint: Vec<EndpointConfig>,
    route_backlog_max_mb: Option<u64>,
    event_source: Option<String>,
    no_analytics: Option<bool>,
    rul_model: Option<PathBuf>,
    analytics_patch_secs: Option<f64>,
    sim_api: Option<String>,
}

/// What `serve` runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory.
    pub data: PathBuf,
    /// The storage engine.
    pub storage: ferrotwin_store::Engine,
    /// Events buffered per live subscriber.
    pub event_buffer: usize,
    /// Where history is kept.
    pub history: crate::history::HistoryConfig,
    /// The HTTP listener, if any.
    pub http: Option<SocketAddr>,
    /// The HTTPS listener, if any.
    pub https: Option<SocketAddr>,
    /// Certificate and key files for HTTPS.
    pub tls_files: Option<(PathBuf, PathBuf)>,
    /// The MQTT endpoint for devices, if any.
    pub mqtt: Option<SocketAddr>,
    /// The MQTT-over-TLS endpoint, if any (same certificate as HTTPS).
    pub mqtts: Option<SocketAddr>,
    /// The MQTT-over-WebSocket endpoint, if any (off by default).
    pub mqtt_ws: Option<SocketAddr>,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log: String,
    /// External MQTT brokers to subscribe to (`[[mqtt_source]]`, file only).
    pub mqtt_sources: Vec<MqttSourceConfig>,
    /// Mapping rules for the built-in endpoint (`[[mapping]]`, file only;
    /// more come through the API).
    pub mappings: Vec<ferrotwin_connect::MappingRule>,
    /// AMQP 0.9.1 queues to consume (`[[amqp_source]]`, file only).
    #[cfg(feature = "amqp")]
    pub amqp_sources: Vec<AmqpSourceConfig>,
    /// OPC UA servers to subscribe to (`[[opcua_source]]`, file only), each
    /// with its `pki_dir` set (default `<data>/opcua/pki`).
    #[cfg(feature = "opcua")]
    pub opcua_sources: Vec<OpcUaSourceConfig>,
    /// Event route endpoints (`[[endpoint]]` in the file).
    pub endpoints: Vec<EndpointConfig>,
    /// The most bytes one event route may keep waiting for its endpoint.
    pub route_backlog_max_bytes: u64,
    /// The CloudEvents `source` of routed events.
    pub event_source: String,
    /// Analytics, unless turned off.
    pub analytics: Option<AnalyticsConfig>,
    /// The simulator's API, proxied under `/sim` for the web app.
    pub sim_api: Option<String>,
}

/// How analytics runs.
#[derive(Debug, Clone)]
pub struct AnalyticsConfig {
    /// The learned RUL model, if any.
    pub rul_model: Option<PathBuf>,
    /// The least time between two writes of a twin's analytics properties.
    pub patch_every: std::time::Duration,
}

impl Config {
    /// Merges the file (if any) under the flags.
    pub fn load(args: &ServeArgs) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(p) => read(p)?,
            None => FileConfig::default(),
        };
        let tls_cert = args.tls_cert.clone().or(file.tls_cert);
        let tls_key = args.tls_key.clone().or(file.tls_key);
        let tls_files = match (tls_cert, tls_key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => anyhow::bail!("--tls-cert and --tls-key must be given together"),
        };
        let tls_self_signed = args.tls_self_signed || file.tls_self_signed.unwrap_or(false);
        let no_http = args.no_http || file.no_http.unwrap_or(false);
        let https = args.https.or(file.https);
        if https.is_some() && tls_files.is_none() && !tls_self_signed {
            anyhow::bail!(
                "--https needs a certificate: give --tls-cert and --tls-key, or --tls-self-signed"
            );
        }
        let https = match https {
            Some(a) => Some(a),
            None if tls_files.is_some() || tls_self_signed => Some("127.0.0.1:8443".parse()?),
            None => None,
        };
        let http = if no_http {
            None
        } else {
            Some(
                args.http
                    .or(file.http)
                    .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("literal")),
            )
        };
        if http.is_none() && https.is_none() {
            anyhow::bail!("no listener: --no-http needs --https");
        }
        let no_mqtt = args.no_mqtt || file.no_mqtt.unwrap_or(false);
        let mqtts = args.mqtts.or(file.mqtts).filter(|_| !no_mqtt);
        let mqtt_ws = args.mqtt_ws.or(file.mqtt_ws).filter(|_| !no_mqtt);
        if mqtts.is_some() && tls_files.is_none() && !tls_self_signed {
            anyhow::bail!(
                "--mqtts needs a certificate: give --tls-cert and --tls-key, or --tls-self-signed"
            );
        }
        let storage = match (args.storage, &file.storage) {
            (Some(e), _) => e,
            (None, Some(name)) => name.parse().map_err(anyhow::Error::msg)?,
            (None, None) => ferrotwin_store::Engine::default(),
        };
        let history = crate::history::HistoryConfig {
            engine: args.history.or(file.history).unwrap_or_default(),
            url: args.history_url.clone().or(file.history_url),
            schema: args
                .history_schema
                .clone()
                .or(file.history_schema)
                .unwrap_or_else(|| "ferrotwin".into()),
            properties: args
                .history_properties
                .or(file.history_properties)
                .unwrap_or_default(),
        };
        if history.engine == crate::history::Engine::Postgres && history.url.is_none() {
            anyhow::bail!(
                "--history postgres needs --history-url (or history_url in the config file)"
            );
        }
        for source in &file.mqtt_source {
            source.check().map_err(anyhow::Error::msg)?;
        }
        let mut ids = std::collections::BTreeSet::new();
        for rule in &file.mapping {
            rule.check().map_err(anyhow::Error::msg)?;
            if !ids.insert(rule.id.as_str()) {
                anyhow::bail!("mapping '{}' is declared twice", rule.id);
            }
        }
        #[cfg(feature = "amqp")]
        for source in &file.amqp_source {
            source.check().map_err(anyhow::Error::msg)?;
        }
        #[cfg(feature = "opcua")]
        {
            let mut names = std::collections::HashSet::new();
            for source in &file.opcua_source {
                source.check().map_err(anyhow::Error::msg)?;
                if !names.insert(source.name.as_str()) {
                    anyhow::bail!(
                        "opcua_source '{}': two sources have this name; give each its own",
                        source.name
                    );
                }
            }
        }
        let route_backlog_max_mb = file.route_backlog_max_mb.unwrap_or(256);
        if route_backlog_max_mb == 0 {
            anyhow::bail!("route_backlog_max_mb must be at least 1");
        }
        let patch_secs = file.analytics_patch_secs.unwrap_or(10.0);
        if !patch_secs.is_finite() || patch_secs < 0.0 {
            anyhow::bail!("analytics_patch_secs must be a number of seconds, 0 or more");
        }
        let analytics =
            (!(args.no_analytics || file.no_analytics.unwrap_or(false))).then(|| AnalyticsConfig {
                rul_model: args.rul_model.clone().or(file.rul_model),
                patch_every: std::time::Duration::from_secs_f64(patch_secs),
            });
        let sim_api = args.sim_api.clone().or(file.sim_api);
        if let Some(u) = &sim_api
            && !(u.starts_with("http://") && u.len() > "http://".len())
        {
            anyhow::bail!(
                "--sim-api must be an http:// URL such as http://127.0.0.1:9100, not '{u}'"
            );
        }
        let data = args
            .data
            .clone()
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from("ferrotwin-data"));
        Ok(Config {
            sim_api,
            analytics,
            endpoints: file.endpoint,
            route_backlog_max_bytes: route_backlog_max_mb * 1024 * 1024,
            event_source: file
                .event_source
                .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
                .unwrap_or_else(|| "ferrotwin".into()),
            mqtt_sources: file.mqtt_source,
            mappings: file.mapping,
            #[cfg(feature = "amqp")]
            amqp_sources: file.amqp_source,
            #[cfg(feature = "opcua")]
            opcua_sources: file
                .opcua_source
                .into_iter()
                .map(|mut s| {
                    s.pki_dir
                        .get_or_insert_with(|| data.join("opcua").join("pki"));
                    s
                })
                .collect(),
            storage,
            history,
            event_buffer: args
                .event_buffer
                .or(file.event_buffer)
                .unwrap_or(16_384)
                .max(1),
            data,
            http,
            https,
            tls_files,
            mqtts,
            mqtt_ws,
            mqtt: if no_mqtt {
                None
            } else {
                Some(
                    args.mqtt
                        .or(file.mqtt)
                        .unwrap_or_else(|| "127.0.0.1:1883".parse().expect("literal")),
                )
            },
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            log: args
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| crate::logging::DEFAULT_FILTER.into()),
        })
    }
}

fn read(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        std::fs::write(
            &file,
            "data = \"/from/file\"\nhttp = \"127.0.0.1:9000\"\nlog = \"debug\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file.clone()),
            http: Some("127.0.0.1:0".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::load(&args).unwrap();
        assert_eq!(c.data, PathBuf::from("/from/file"));
        assert_eq!(c.http, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(c.log, "debug");
        assert!(c.https.is_none());
        assert_eq!(c.mqtt, Some("127.0.0.1:1883".parse().unwrap()));
        assert_eq!(c.mqtt_ws, None, "WebSocket is off by default");
        std::fs::write(&file, "mqtt = \"127.0.0.1:0\"\nmqtt_ws = \"127.0.0.1:0\"\n").unwrap();
        let c = Config::load(&args).unwrap();
        assert_eq!(c.mqtt, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(c.mqtt_ws, Some("127.0.0.1:0".parse().unwrap()));
        let off = ServeArgs {
            config: Some(file),
            no_mqtt: true,
            ..Default::default()
        };
        let off = Config::load(&off).unwrap();
        assert_eq!((off.mqtt, off.mqtt_ws), (None, None));
        let tls_less = ServeArgs {
            mqtts: Some("127.0.0.1:0".parse().unwrap()),
            ..Default::default()
        };
        let err = Config::load(&tls_less).unwrap_err();
        assert!(
            format!("{err:#}").contains("--mqtts needs a certificate"),
            "{err:#}"
        );
    }

    #[test]
    fn endpoints_come_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        std::fs::write(
            &file,
            r#"
route_backlog_max_mb = 8
[[endpoint]]
name = "hook"
kind = "webhook"
url = "http://127.0.0.1:9000/events"
headers = { Authorization = "Bearer x" }

[[endpoint]]
name = "bus"
kind = "nats"
url = "nats://127.0.0.1:4222"
subject = "ferrotwin.events"
"#,
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file.clone()),
            ..Default::default()
        };
        let c = Config::load(&args).unwrap();
        let names: Vec<&str> = c.endpoints.iter().map(|e| e.name()).collect();
        assert_eq!(names, ["hook", "bus"]);
        assert_eq!(c.route_backlog_max_bytes, 8 << 20);
        std::fs::write(
            &file,
            "[[endpoint]]\nname = \"m\"\nkind = \"mqtt\"\nurl = \"mqtt://x:1\"\n",
        )
        .unwrap();
        let err = Config::load(&args).unwrap_err();
        assert!(format!("{err:#}").contains("topic"), "{err:#}");
    }

    #[test]
    fn unknown_keys_and_half_tls_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        std::fs::write(&file, "htp = \"127.0.0.1:9000\"\n").unwrap();
        let err = Config::load(&ServeArgs {
            config: Some(file),
            ..Default::default()
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("unknown field"), "{err:#}");
        let half = ServeArgs {
            tls_cert: Some("c.pem".into()),
            ..Default::default()
        };
        assert!(Config::load(&half).is_err());
    }

    #[cfg(feature = "amqp")]
    #[test]
    fn sources_load_from_the_file_and_bad_ones_say_where() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        let args = ServeArgs {
            config: Some(file.clone()),
            ..Default::default()
        };
        std::fs::write(
            &file,
            r#"
[[mqtt_source]]
url = "mqtt://127.0.0.1:1883"
client_id = "ft"
topics = [{ pattern = "plant/{twinId}/telemetry", kind = "telemetry" }]

[[amqp_source]]
url = "amqp://guest:guest@127.0.0.1:5672/%2f"
queue = "q"
routes = [{ routing_key = "plant.{twinId}.telemetry", kind = "telemetry" }]
"#,
        )
        .unwrap();
        let c = Config::load(&args).unwrap();
        assert_eq!((c.mqtt_sources.len(), c.amqp_sources.len()), (1, 1));
        std::fs::write(
            &file,
            "[[amqp_source]]\nname = \"rabbit\"\nurl = \"amqp://h\"\nqueue = \"q\"\nroutes = [{ routing_key = \"plant.x\", kind = \"telemetry\" }]\n",
        )
        .unwrap();
        let err = format!("{:#}", Config::load(&args).unwrap_err());
        assert!(
            err.contains("amqp_source 'rabbit'") && err.contains("names no twin"),
            "{err}"
        );
        std::fs::write(
            &file,
            "[[mqtt_source]]\nurl = \"mqtt://h\"\nclient_id = \"x\"\ntopics = [{ pattern = \"a/{twinId}\", kind = \"events\" }]\n",
        )
        .unwrap();
        let err = format!("{:#}", Config::load(&args).unwrap_err());
        assert!(err.contains("unknown variant `events`"), "{err}");
    }
}
