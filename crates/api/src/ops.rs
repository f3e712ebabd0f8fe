//! Operational endpoints without authentication: health and metrics.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use crate::ApiState;

/// `/healthz` and `/metrics`.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

async fn healthz(State(s): State<ApiState>) -> impl IntoResponse {
    let st = s.graph.stats();
    axum::Json(
        json!({"status": "ok", "models": st.models, "twins": st.twins, "relationships": st.relationships}),
    )
}

async fn metrics(State(s): State<ApiState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics
            .render(&s.graph, s.delivery.as_ref(), &s.dead_letters.store),
    )
}
