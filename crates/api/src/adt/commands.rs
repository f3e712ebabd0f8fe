//! `POST .../commands/{name}`: a command declared in the twin's model,
//! its request checked against the model, sent to the twin's device, and
//! the device's answer (checked against the response schema) returned as
//! `{"status", "payload"}`.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::commands::DeviceCommandError;
use crate::error::{ApiError, ApiResult};
use crate::paging::Params;
use crate::{ApiState, body};

/// How long a caller waits for the device unless `timeout` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest wait a caller may ask for.
const MAX_TIMEOUT: Duration = Duration::from_secs(300);

/// The `timeout` query parameter: seconds, fractions allowed.
fn timeout(query: Option<&str>) -> ApiResult<Duration> {
    let params = Params::parse(query);
    let Some(t) = params.get("timeout") else {
        return Ok(DEFAULT_TIMEOUT);
    };
    let secs: f64 = t
        .parse()
        .map_err(|_| ApiError::invalid(format!("timeout '{t}' is not a number of seconds")))?;
    if !(secs > 0.0 && secs <= MAX_TIMEOUT.as_secs_f64()) {
        return Err(ApiError::invalid(format!(
            "timeout {t} is out of range; give more than 0 and at most {} seconds",
            MAX_TIMEOUT.as_secs()
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

async fn invoke(
    s: &ApiState,
    id: &str,
    component: Option<&str>,
    name: &str,
    query: Option<&str>,
    bytes: &Bytes,
) -> ApiResult<Response> {
    let timeout = timeout(query)?;
    let payload = if bytes.is_empty() {
        None
    } else {
        Some(body::json(bytes)?)
    };
    let cmd = s.graph.command(id, component, name, payload.as_ref())?;
    let wire_name = match component {
        Some(c) => format!("{c}*{name}"),
        None => name.to_string(),
    };
    let reply = s
        .commands
        .invoke(id, &wire_name, payload.as_ref(), timeout)
        .await
        .map_err(|e| match e {
            DeviceCommandError::NotConnected(m) => {
                ApiError::new(StatusCode::NOT_FOUND, "DeviceNotConnected", m)
            }
            DeviceCommandError::Timeout(m) => {
                ApiError::new(StatusCode::GATEWAY_TIMEOUT, "CommandTimeout", m)
            }
            DeviceCommandError::BadResponse(m) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "InvalidCommandResponse", m)
            }
            DeviceCommandError::Unavailable(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", m)
            }
        })?;
    if (200..300).contains(&reply.status) {
        s.graph
            .check_command_response(&cmd, reply.payload.as_ref())
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "InvalidCommandResponse",
                    e.to_string(),
                )
            })?;
    }
    let body = json!({"status": reply.status, "payload": reply.payload.unwrap_or(Value::Null)});
    Ok(Json(body).into_response())
}

/// POST /digitaltwins/{id}/commands/{name}
pub async fn twin(
    State(s): State<ApiState>,
    Path((id, name)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    bytes: Bytes,
) -> ApiResult<Response> {
    invoke(&s, &id, None, &name, q.as_deref(), &bytes).await
}

/// POST /digitaltwins/{id}/components/{component}/commands/{name}
pub async fn component(
    State(s): State<ApiState>,
    Path((id, component, name)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    bytes: Bytes,
) -> ApiResult<Response> {
    invoke(&s, &id, Some(&component), &name, q.as_deref(), &bytes).await
}
