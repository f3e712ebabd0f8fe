//! `/models`: add, list, get, decommission, delete.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferrotwin_graph::ModelInfo;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};
use crate::paging::{Paging, Params, page_response};
use crate::{ApiState, Scheme, body};

/// Most ids a `dependenciesFor` list may name.
const MAX_DEPENDENCIES_FOR: usize = 250;

fn info_json(m: ModelInfo) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(m.id));
    if !m.display_name.is_empty() {
        o.insert("displayName".into(), Value::Object(m.display_name));
    }
    if !m.description.is_empty() {
        o.insert("description".into(), Value::Object(m.description));
    }
    o.insert("uploadTime".into(), json!(m.upload_time));
    o.insert("decommissioned".into(), json!(m.decommissioned));
    if let Some(def) = m.model {
        o.insert("model".into(), def);
    }
    Value::Object(o)
}

/// POST /models
pub async fn add(State(s): State<ApiState>, bytes: Bytes) -> ApiResult<Response> {
    let Value::Array(docs) = body::json(&bytes)? else {
        return Err(ApiError::invalid(
            "the request body must be a JSON array of DTDL interfaces",
        ));
    };
    let added = s.graph.add_models(docs).await?;
    let out: Vec<Value> = added.into_iter().map(info_json).collect();
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

/// GET /models
pub async fn list(
    State(s): State<ApiState>,
    scheme: axum::Extension<Scheme>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let params = Params::parse(q.as_deref());
    let deps = params.all("dependenciesFor");
    if deps.len() > MAX_DEPENDENCIES_FOR {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "LimitExceeded",
            format!("dependenciesFor may name at most {MAX_DEPENDENCIES_FOR} models"),
        ));
    }
    let include = params.flag("includeModelDefinition")?;
    let paging = Paging::from_request(&params, &headers, json!({"d": deps, "i": include}))?;
    let deps: Vec<String> = serde_json::from_value(paging.filters["d"].clone()).unwrap_or_default();
    let include = paging.filters["i"].as_bool().unwrap_or(false);
    let page = s.graph.models(&deps, include, &paging.page)?;
    let next = paging.next_link(page.next, scheme.0, &headers, "/models", &params);
    let value: Vec<Value> = page.items.into_iter().map(info_json).collect();
    Ok(page_response(value, next))
}

/// GET /models/{id}
pub async fn get(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let include = Params::parse(q.as_deref()).flag("includeModelDefinition")?;
    Ok(axum::Json(info_json(s.graph.model(&id, include)?)).into_response())
}

/// PATCH /models/{id}: only `replace /decommissioned true` is allowed.
pub async fn update(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let patch = body::json(&bytes)?;
    let ops = patch.as_array().ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "JsonPatchInvalid",
            "the body must be a JSON Patch array",
        )
    })?;
    let ok = !ops.is_empty()
        && ops.iter().all(|o| {
            o["op"] == "replace"
                && o["path"] == "/decommissioned"
                && o["value"] == Value::Bool(true)
        });
    if !ok {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "JsonPatchInvalid",
            "a model can only be patched with [{\"op\": \"replace\", \"path\": \"/decommissioned\", \"value\": true}]",
        ));
    }
    s.graph.decommission_model(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DELETE /models/{id}
pub async fn delete(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    s.graph.delete_model(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
