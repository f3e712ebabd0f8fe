//! Device credentials over HTTP, so a simulator or a provisioning script
//! on another machine can register devices the way `ferrotwin device
//! create` does: `POST /devices` with `{"twins": [...], "name": "..."}`
//! answers the username and password (shown once); `GET /devices` lists
//! them without secrets. Admin only (the role check's default).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ferrotwin_auth::{AuthError, DeviceStore};
use serde_json::{Value, json};

use crate::ApiState;
use crate::error::ApiError;

/// `/devices`.
pub fn routes() -> Router<ApiState> {
    Router::new().route("/devices", get(list).post(create))
}

fn store_error(e: AuthError) -> ApiError {
    match e {
        AuthError::Store(m) if m.starts_with("a device needs") => ApiError::invalid(m),
        other => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            format!("the device store cannot be written: {other}"),
        ),
    }
}

async fn create(State(s): State<ApiState>, body: Bytes) -> Result<Response, ApiError> {
    let v = crate::body::json(&body)?;
    let twins: Vec<String> = match v.get("twins") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| t.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::invalid("`twins` must be an array of twin id strings"))?,
        _ => {
            return Err(ApiError::invalid(
                "the body needs `twins`: the twin ids the device may publish for",
            ));
        }
    };
    let name = match v.get("name") {
        None => "",
        Some(Value::String(n)) => n.as_str(),
        Some(_) => return Err(ApiError::invalid("`name` must be a string")),
    };
    let (password, info) = DeviceStore::open(&s.data_dir)
        .create(&twins, name)
        .map_err(store_error)?;
    let out = json!({"username": info.id, "password": password, "twins": info.twins, "name": info.name, "created": info.created});
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

async fn list(State(s): State<ApiState>) -> Result<Response, ApiError> {
    let devices = DeviceStore::open(&s.data_dir).list().map_err(store_error)?;
    let value: Vec<Value> = devices
        .into_iter()
        .map(|d| json!({"username": d.id, "twins": d.twins, "name": d.name, "created": d.created}))
        .collect();
    Ok(axum::Json(json!({"value": value})).into_response())
}
