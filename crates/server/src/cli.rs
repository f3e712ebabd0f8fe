//! Command-line arguments. Every `serve` flag can also come from an
//! environment variable (`FERROTWIN_*`) or the TOML config file; flags win
//! over the environment, which wins over the file.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// ferrotwin: an open-source digital twin platform in one binary.
#[derive(Parser)]
#[command(name = "ferrotwin", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Start the platform: the twin graph behind the ADT-compatible REST API.
    Serve(ServeArgs),
    /// Start the platform with a small sample plant loaded, and print how to reach it.
    Demo(ServeArgs),
    /// Manage API bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage device credentials for the MQTT endpoint.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// DTDL tools.
    #[command(subcommand)]
    Dtdl(DtdlCommand),
    /// Benchmarks.
    Bench(crate::bench::BenchArgs),
    /// Evaluations.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// The virtual factory: simulated machines streaming to a ferrotwin server.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Remaining useful life (NASA C-MAPSS-shaped engines).
    #[command(subcommand)]
    Rul(RulCommand),
    /// OPC UA tools: browse a server to find the node ids to map.
    #[cfg(feature = "opcua")]
    #[command(subcommand)]
    Opcua(crate::cmd::opcua::OpcUaCommand),
}

/// `rul` subcommands.
#[derive(Subcommand)]
pub enum RulCommand {
    /// Cross-validate on training files, then train on all of them and save the model.
    Train(crate::cmd::rul::RulTrain),
    /// Estimate the RUL of each engine of a test file at its last cycle.
    Predict(crate::cmd::rul::RulPredict),
}

/// `eval` subcommands.
#[derive(Subcommand)]
pub enum EvalCommand {
    /// Score the anomaly detector on the Numenta Anomaly Benchmark (NAB).
    Nab(crate::cmd::eval::NabArgs),
}

/// `sim` subcommands.
#[derive(Subcommand)]
pub enum SimCommand {
    /// Create the simulated plant's twins and devices (if missing) and stream.
    Run(crate::cmd::sim::SimRun),
}

/// Options of `serve` and `demo`.
#[derive(Args, Clone, Default)]
pub struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, env = "FERROTWIN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory holding all state [default: ./ferrotwin-data].
    #[arg(long, env = "FERROTWIN_DATA")]
    pub data: Option<PathBuf>,
    /// Embedded storage engine for the graph: fjall or redb [default: fjall].
    #[arg(long, env = "FERROTWIN_STORAGE")]
    pub storage: Option<ferrotwin_store::Engine>,
    /// History engine: embedded or postgres [default: embedded].
    #[arg(long, env = "FERROTWIN_HISTORY")]
    pub history: Option<crate::history::Engine>,
    /// PostgreSQL URL for --history postgres, such as postgres://user@host/db.
    #[arg(long, env = "FERROTWIN_HISTORY_URL")]
    pub history_url: Option<String>,
    /// PostgreSQL schema for history [default: ferrotwin].
    #[arg(long, env = "FERROTWIN_HISTORY_SCHEMA")]
    pub history_schema: Option<String>,
    /// Which property changes history keeps: all, or historized (those the model marks Historized) [default: all].
    #[arg(long, env = "FERROTWIN_HISTORY_PROPERTIES")]
    pub history_properties: Option<crate::history::Properties>,
    /// Turn analytics off (anomaly scores, RUL, rules, alerts, work orders).
    #[arg(long, env = "FERROTWIN_NO_ANALYTICS")]
    pub no_analytics: bool,
    /// A RUL model from `ferrotwin rul train`, offered to twins as the learned estimator `cmapss`.
    #[arg(long, env = "FERROTWIN_RUL_MODEL")]
    pub rul_model: Option<PathBuf>,
    /// A running simulator's API (`ferrotwin sim --api ADDR`), offered to the web app under /sim: http://ADDR.
    #[arg(long, env = "FERROTWIN_SIM_API")]
    pub sim_api: Option<String>,
    /// Events buffered for each live subscriber before it lags [default: 16384].
    #[arg(long, env = "FERROTWIN_EVENT_BUFFER")]
    pub event_buffer: Option<usize>,
    /// HTTP listener address; port 0 picks a free port [default: 127.0.0.1:8080].
    #[arg(long, env = "FERROTWIN_HTTP")]
    pub http: Option<SocketAddr>,
    /// Serve no plain HTTP (only HTTPS).
    #[arg(long, env = "FERROTWIN_NO_HTTP")]
    pub no_http: bool,
    /// HTTPS listener address; needs a certificate or --tls-self-signed.
    #[arg(long, env = "FERROTWIN_HTTPS")]
    pub https: Option<SocketAddr>,
    /// PEM certificate chain for HTTPS.
    #[arg(long, env = "FERROTWIN_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS.
    #[arg(long, env = "FERROTWIN_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Generate (once, kept in the data directory) a self-signed certificate for HTTPS.
    #[arg(long, env = "FERROTWIN_TLS_SELF_SIGNED")]
    pub tls_self_signed: bool,
    /// MQTT listener address for devices; port 0 picks a free port [default: 127.0.0.1:1883].
    #[arg(long, env = "FERROTWIN_MQTT")]
    pub mqtt: Option<SocketAddr>,
    /// MQTT-over-TLS listener address; uses the HTTPS certificate options.
    #[arg(long, env = "FERROTWIN_MQTTS")]
    pub mqtts: Option<SocketAddr>,
    /// MQTT-over-WebSocket listener address (path /mqtt), off unless given; same logins and topic rules.
    #[arg(long, env = "FERROTWIN_MQTT_WS")]
    pub mqtt_ws: Option<SocketAddr>,
    /// Run no MQTT endpoint (neither plain, TLS nor WebSocket).
    #[arg(long, env = "FERROTWIN_NO_MQTT")]
    pub no_mqtt: bool,
    /// Log format.
    #[arg(long, env = "FERROTWIN_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. `info` or `ferrotwin_api=debug` [default: info, with fjall, lsm_tree and mqtt5 at warn].
    #[arg(long, env = "FERROTWIN_LOG")]
    pub log: Option<String>,
}

/// Log output formats.
#[derive(ValueEnum, Clone, Copy, PartialEq, Eq, Debug, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Output formats of the DTDL tools.
#[derive(ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    /// For people.
    Human,
    /// For machines.
    Json,
}

/// `token` subcommands.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; prints it once on the last line.
    Create(TokenCreate),
    /// List tokens (ids, roles, expiry; never secrets).
    List(DataArg),
    /// Revoke a token by id.
    Revoke(TokenRevoke),
}

/// Where the data directory is.
#[derive(Args)]
pub struct DataArg {
    /// Data directory [default: ./ferrotwin-data].
    #[arg(long, env = "FERROTWIN_DATA", default_value = "ferrotwin-data")]
    pub data: PathBuf,
}

/// `token create` options.
#[derive(Args)]
pub struct TokenCreate {
    /// The data directory.
    #[command(flatten)]
    pub data: DataArg,
    /// reader, writer or admin.
    #[arg(long)]
    pub role: ferrotwin_auth::Role,
    /// A label for people.
    #[arg(long, default_value = "")]
    pub name: String,
    /// Lifetime, e.g. 30d, 12h, 15m; none means it never expires.
    #[arg(long)]
    pub expires_in: Option<String>,
}

/// `token revoke` options.
#[derive(Args)]
pub struct TokenRevoke {
    /// The data directory.
    #[command(flatten)]
    pub data: DataArg,
    /// The token id (the part after `ft_`, as `token list` shows).
    pub id: String,
}

/// `device` subcommands.
#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Register a device for one or more twins; prints its username and
    /// password once.
    Create(DeviceCreate),
    /// List devices (usernames and twins; never passwords).
    List(DataArg),
    /// Revoke a device by username.
    Revoke(DeviceRevoke),
}

/// `device create` options.
#[derive(Args)]
pub struct DeviceCreate {
    /// The data directory.
    #[command(flatten)]
    pub data: DataArg,
    /// A twin the device may publish for; repeat for several.
    #[arg(long = "twin", required = true)]
    pub twins: Vec<String>,
    /// A label for people.
    #[arg(long, default_value = "")]
    pub name: String,
}

/// `device revoke` options.
#[derive(Args)]
pub struct DeviceRevoke {
    /// The data directory.
    #[command(flatten)]
    pub data: DataArg,
    /// The device's username (`dev_...`, as `device list` shows).
    pub id: String,
}

/// `dtdl` subcommands.
#[derive(Subcommand)]
pub enum DtdlCommand {
    /// Validate DTDL files or folders (recursively). Exit 0 valid, 1 invalid, 2 usage error.
    Validate {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Run a DTDLParser-format test-case folder and report agreement.
    Conformance {
        /// The test-case folder.
        dir: PathBuf,
        /// Add one JSON object per case.
        #[arg(long)]
        json: bool,
    },
}
