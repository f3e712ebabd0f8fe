//! What every handler can reach.

use std::path::PathBuf;
use std::sync::Arc;

use ferrotwin_auth::TokenStore;
use ferrotwin_graph::Graph;
use ferrotwin_history::HistoryStore;

use crate::{DeviceCommands, Metrics, RouteDelivery};

/// Shared handler state.
#[derive(Clone)]
pub struct ApiState {
    /// The twin graph.
    pub graph: Graph,
    /// Telemetry and property history.
    pub history: Arc<dyn HistoryStore>,
    /// Bearer token verification.
    pub tokens: Arc<TokenStore>,
    /// Request and graph metrics.
    pub metrics: Arc<Metrics>,
    /// Where relative import-job paths are resolved.
    pub data_dir: PathBuf,
    /// Delivers commands to devices.
    pub commands: Arc<dyn DeviceCommands>,
    /// Event route delivery: checks endpoints, hears of route changes.
    pub delivery: Arc<dyn RouteDelivery>,
    /// Analytics: rules, alerts, work orders (None when turned off).
    pub analytics: Option<Arc<ferrotwin_analytics::Service>>,
    /// Presence rooms and annotations.
    pub collab: Arc<Collab>,
    /// The simulator's API base URL, proxied under `/sim` (None: no simulator).
    pub sim_api: Option<String>,
    /// Refused device messages and their replay.
    pub dead_letters: Arc<crate::DeadLetterDesk>,
    /// Hears of twins written through the API (desired properties).
    pub property_writes: Arc<dyn crate::PropertyWrites>,
    /// Mapping rules for device topics.
    pub mappings: Arc<dyn crate::MappingRules>,
    /// The audit log of command calls.
    pub audit: Arc<ferrotwin_audit::AuditLog>,
}

/// Remote collaboration: who is looking at which twin, and what they pinned.
pub struct Collab {
    /// Live rooms, one per twin being looked at.
    pub rooms: ferrotwin_collab::Rooms,
    /// Durable annotations.
    pub annotations: ferrotwin_collab::Annotations,
}

/// The scheme a listener serves, for absolute nextLinks.
#[derive(Clone, Copy, Debug)]
pub struct Scheme(pub &'static str);
