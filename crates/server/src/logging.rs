//! Structured logs on stderr, as text or JSON lines.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// The default filter: ferrotwin at info; the storage engines and the MQTT
/// broker library at warn, since their info lines (journal rotation, broker
/// start-up details) say nothing an operator acts on.
pub const DEFAULT_FILTER: &str = "info,fjall=warn,lsm_tree=warn,mqtt5=warn,opcua_client=warn,opcua_core=warn,opcua_crypto=warn,opcua_server=warn";

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
