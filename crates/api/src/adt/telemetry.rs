//! `POST .../telemetry`: accepted onto the platform's event stream.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::header;
use crate::error::{ApiError, ApiResult};
use crate::{ApiState, body};

async fn accept(
    s: &ApiState,
    id: &str,
    component: Option<&str>,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> ApiResult<Response> {
    let message_id = header(headers, "message-id")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ApiError::invalid("the Message-Id header is required"))?;
    let source_time = header(headers, "telemetry-source-time");
    if let Some(t) = source_time {
        chrono::DateTime::parse_from_rfc3339(t).map_err(|e| {
            ApiError::invalid(format!(
                "Telemetry-Source-Time '{t}' is not an RFC 3339 timestamp: {e}"
            ))
        })?;
    }
    let data = body::json(bytes)?;
    s.graph
        .publish_telemetry(id, component, message_id, source_time, data)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// POST /digitaltwins/{id}/telemetry
pub async fn twin(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    accept(&s, &id, None, &headers, &bytes).await
}

/// POST /digitaltwins/{id}/components/{component}/telemetry
pub async fn component(
    State(s): State<ApiState>,
    Path((id, component)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    accept(&s, &id, Some(&component), &headers, &bytes).await
}
