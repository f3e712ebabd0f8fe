//! Mapping rules over HTTP (a ferrotwin extension): `GET /mappings` and
//! `GET /mappings/{id}` (reader), `PUT` and `DELETE /mappings/{id}`
//! (admin). A rule maps a device's own MQTT topic and payload layout onto
//! a twin; rules from the config file are listed too, and are read-only
//! here. The API owns the [`MappingRules`] trait; the server implements it
//! over the connect crate's rules and a durable store.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::{ApiState, body};

/// Why a mapping call failed.
#[derive(Debug)]
pub enum MappingError {
    /// The rule is not valid; says what and where.
    Invalid(String),
    /// No such rule.
    NotFound(String),
    /// The rule comes from the config file.
    ReadOnly(String),
    /// The store failed.
    Storage(String),
}

/// The live, durable set of mapping rules.
pub trait MappingRules: Send + Sync + 'static {
    /// Every rule, in the order they are tried, each with its `origin`
    /// (`config` or `api`).
    fn list(&self) -> Result<Vec<Value>, MappingError>;
    /// Adds or replaces the rule `id`; true when it is new. Applies to
    /// the next message.
    fn put(&self, id: &str, rule: Value) -> Result<(bool, Value), MappingError>;
    /// Deletes the rule `id`.
    fn delete(&self, id: &str) -> Result<(), MappingError>;
}

/// The mapping routes.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/mappings", get(list))
        .route("/mappings/{id}", get(one).put(put).delete(remove))
}

fn err(e: MappingError) -> ApiError {
    match e {
        MappingError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, "InvalidMapping", m),
        MappingError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "MappingNotFound", m),
        MappingError::ReadOnly(m) => ApiError::new(StatusCode::CONFLICT, "MappingReadOnly", m),
        MappingError::Storage(m) => {
            tracing::error!(error = %m, "mapping storage failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "StorageFailed", m)
        }
    }
}

async fn list(State(s): State<ApiState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "value": s.mappings.list().map_err(err)? })))
}

async fn one(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    s.mappings
        .list()
        .map_err(err)?
        .into_iter()
        .find(|r| r["id"] == id.as_str())
        .map(Json)
        .ok_or_else(|| err(MappingError::NotFound(format!("no mapping rule '{id}'"))))
}

async fn put(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let rule = body::json(&bytes)?;
    let (created, rule) = s.mappings.put(&id, rule).map_err(err)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(rule)).into_response())
}

async fn remove(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    s.mappings.delete(&id).map_err(err)?;
    Ok(StatusCode::NO_CONTENT)
}
