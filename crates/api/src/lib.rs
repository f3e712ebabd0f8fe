//! The HTTP edge: the Azure Digital Twins data-plane REST API over the twin
//! graph, plus `/healthz` and `/metrics`. The only crate that knows HTTP,
//! ADT's wire envelope (error bodies, paging links, status codes) and
//! api-versions. Commands reach devices through [`DeviceCommands`], which
//! the server implements. Authentication is checked here, before any handler runs.

mod access;
mod adt;
mod analytics;
mod audit;
mod body;
mod collab;
mod commands;
mod deadletters;
mod delivery;
mod devices;
mod error;
mod history;
mod live;
mod mappings;
mod metrics;
mod ops;
mod paging;
mod sim;
mod state;
mod ui;
mod whoami;
mod writes;

pub use commands::{DeviceCommandError, DeviceCommands, DeviceReply};
pub use deadletters::{DeadLetterDesk, Redeliver, Redelivered};
pub use delivery::{NoDelivery, RouteCounters, RouteDelivery};
pub use live::to_cloudevent;
pub use mappings::{MappingError, MappingRules};
pub use metrics::Metrics;
pub use state::{ApiState, Collab, Scheme};
pub use writes::PropertyWrites;

use axum::Router;
use axum::extract::DefaultBodyLimit;

/// The largest request body accepted (a batch of 250 large models fits).
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// The full router for one listener; `scheme` is what its nextLinks use.
pub fn router(state: ApiState, scheme: Scheme) -> Router {
    let adt = adt::routes()
        .merge(live::routes())
        .merge(devices::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::authorize,
        ))
        .layer(axum::middleware::from_fn(adt::api_version));
    let history = history::routes()
        .merge(analytics::routes())
        .merge(whoami::routes())
        .merge(collab::routes())
        .merge(deadletters::routes())
        .merge(audit::routes())
        .merge(mappings::routes())
        .merge(sim::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::authorize,
        ));
    Router::new()
        .merge(adt)
        .merge(history)
        .merge(ops::routes())
        .merge(ui::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::observe,
        ))
        .layer(axum::Extension(scheme))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}
