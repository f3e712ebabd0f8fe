//! `POST .../commands/{name}`: a command declared in the twin's model,
//! its request checked against the model, sent to the twin's device, and
//! the device's answer (checked against the response schema) returned as
//! `{"status", "payload"}`. Every call is recorded in the audit log.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use ferrotwin_audit::NewEntry;
use serde_json::{Value, json};

use crate::access::Actor;
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

/// One command call, recorded in the audit log whatever its result
/// (after the call, so the entry holds the outcome).
async fn audited(
    s: &ApiState,
    who: &Actor,
    (id, component, name): (&str, Option<&str>, &str),
    query: Option<&str>,
    bytes: &Bytes,
) -> ApiResult<Response> {
    let start = Instant::now();
    let mut device_status = None;
    let result = invoke(s, id, component, name, query, bytes, &mut device_status).await;
    let (status, outcome) = match &result {
        Ok(_) => (200, "ok".to_string()),
        Err(e) => (e.status.as_u16(), e.code.to_string()),
    };
    let request = (!bytes.is_empty()).then(|| {
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
    });
    let entry = NewEntry {
        actor: who.0.clone(),
        action: "command".into(),
        twin_id: id.to_string(),
        component: component.map(str::to_owned),
        name: name.to_string(),
        request,
        status,
        outcome,
        device_status,
        millis: start.elapsed().as_millis() as u64,
    };
    let log = s.audit.clone();
    match tokio::task::spawn_blocking(move || log.record(entry)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(
            twin = id,
            command = name,
            "could not record the command in the audit log: {e}"
        ),
        Err(e) => tracing::error!(
            twin = id,
            command = name,
            "could not record the command in the audit log: {e}"
        ),
    }
    result
}

async fn invoke(
    s: &ApiState,
    id: &str,
    component: Option<&str>,
    name: &str,
    query: Option<&str>,
    bytes: &Bytes,
    device_status: &mut Option<u16>,
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
    *device_status = Some(reply.status);
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
    Extension(who): Extension<Actor>,
    RawQuery(q): RawQuery,
    bytes: Bytes,
) -> ApiResult<Response> {
    audited(&s, &who, (&id, None, &name), q.as_deref(), &bytes).await
}

/// POST /digitaltwins/{id}/components/{component}/commands/{name}
pub async fn component(
    State(s): State<ApiState>,
    Path((id, component, name)): Path<(String, String, String)>,
    Extension(who): Extension<Actor>,
    RawQuery(q): RawQuery,
    bytes: Bytes,
) -> ApiResult<Response> {
    audited(
        &s,
        &who,
        (&id, Some(&component), &name),
        q.as_deref(),
        &bytes,
    )
    .await
}
