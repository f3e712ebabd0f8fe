//! Live event subscriptions: Server-Sent Events at `GET /events` and
//! WebSocket at `GET /events/ws`, carrying CloudEvents 1.0 JSON in the
//! shapes ADT's event notifications use. Subscribers filter by twin ids,
//! by model (with inheritance) and by event kind. A slow subscriber never
//! slows ingestion: the bus drops what it cannot keep, and the subscriber
//! either gets a `lagged` notice with the count (`lag=notify`, the
//! default) or is disconnected (`lag=disconnect`).

mod select;
mod sse;
mod ws;

use axum::Router;
use axum::routing::get;

use crate::ApiState;

pub use ferrotwin_cloudevent::to_cloudevent;

/// `/events` and `/events/ws`.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/events", get(sse::subscribe))
        .route("/events/ws", get(ws::subscribe))
}
