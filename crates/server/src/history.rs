//! Wiring of history: which engine, and which property changes it keeps.

use std::path::Path;
use std::sync::Arc;

use ferrotwin_dtdl::{Content, ModelSet};
use ferrotwin_graph::Graph;
use ferrotwin_history::{
    Embedded, EmbeddedOptions, HistoryRecorder, HistoryStore, PropertySelector,
};
use serde::Deserialize;

/// The history engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Write-ahead log and compressed chunks in the data directory.
    #[default]
    Embedded,
    /// PostgreSQL (TimescaleDB when present).
    Postgres,
}

/// Which property changes are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Properties {
    /// Every property change.
    #[default]
    All,
    /// Only properties whose model marks them Historized (DTDL v3/v4).
    Historized,
}

/// History settings.
#[derive(Debug, Clone, Default)]
pub struct HistoryConfig {
    /// The engine.
    pub engine: Engine,
    /// PostgreSQL URL.
    pub url: Option<String>,
    /// PostgreSQL schema.
    pub schema: String,
    /// Which property changes are kept.
    pub properties: Properties,
}

/// Opens the configured history store.
pub async fn open(cfg: &HistoryConfig, data: &Path) -> anyhow::Result<Arc<dyn HistoryStore>> {
    Ok(match cfg.engine {
        Engine::Embedded => Arc::new(
            Embedded::open(&data.join("history"), EmbeddedOptions::default())
                .map_err(|e| anyhow::anyhow!("opening history: {e}"))?,
        ),
        Engine::Postgres => {
            let url = cfg.url.as_deref().unwrap_or_default();
            Arc::new(
                ferrotwin_history::Postgres::connect(url, &cfg.schema)
                    .await
                    .map_err(|e| anyhow::anyhow!("opening history on PostgreSQL: {e}"))?,
            )
        }
    })
}

/// Whether the property at `path` (component and property joined by '/')
/// of `model` carries the Historized co-type.
fn historized(models: &ModelSet, model: &str, path: &str) -> bool {
    let mut interface = model;
    for part in path.split('/') {
        let Some(i) = models.interface(interface) else {
            return false;
        };
        match i.contents.get(part) {
            Some(Content::Property(p)) => {
                return p.semantic_types.iter().any(|t| t == "Historized");
            }
            Some(Content::Component(c)) => interface = &c.schema,
            _ => return false,
        }
    }
    false
}

/// Puts a recorder for `store` on the graph's bus.
pub fn record(graph: &Graph, store: Arc<dyn HistoryStore>, properties: Properties) {
    let select: Option<PropertySelector> = match properties {
        Properties::All => None,
        Properties::Historized => {
            let g = graph.clone();
            Some(Arc::new(move |model: &str, path: &str| {
                g.view(|v| historized(v.models(), model, path))
            }))
        }
    };
    graph
        .bus()
        .add_recorder(Arc::new(HistoryRecorder::new(store, select)));
}
