//! `/digitaltwins/{id}` and its components.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{header, if_none_match_star, with_etag};
use crate::error::ApiResult;
use crate::{ApiState, body};

/// A 200 response with a body that is already JSON.
fn json_response(json: Vec<u8>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        json,
    )
        .into_response()
}

/// GET /digitaltwins/{id}
pub async fn get(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (json, etag) = s.graph.twin_json(&id)?;
    Ok(with_etag(json_response(json), etag))
}

/// PUT /digitaltwins/{id}
pub async fn put(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    let doc = body::json(&bytes)?;
    let star = if_none_match_star(&headers)?;
    let t = s
        .graph
        .put_twin(&id, doc, star, header(&headers, "if-match"))
        .await?;
    s.property_writes.written(&id, None, None).await;
    Ok(with_etag(json_response(t.encode()), t.etag))
}

/// PATCH /digitaltwins/{id}
pub async fn patch(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    let ops = body::json(&bytes)?;
    let etag = s
        .graph
        .patch_twin(&id, None, ops.clone(), header(&headers, "if-match"))
        .await?;
    s.property_writes.written(&id, None, Some(&ops)).await;
    Ok(with_etag(StatusCode::NO_CONTENT.into_response(), &etag))
}

/// DELETE /digitaltwins/{id}
pub async fn delete(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    s.graph
        .delete_twin(&id, header(&headers, "if-match"))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// GET /digitaltwins/{id}/components/{component}
pub async fn get_component(
    State(s): State<ApiState>,
    Path((id, component)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (doc, etag) = s.graph.component(&id, &component)?;
    Ok(with_etag(axum::Json(doc).into_response(), &etag))
}

/// PATCH /digitaltwins/{id}/components/{component}
pub async fn patch_component(
    State(s): State<ApiState>,
    Path((id, component)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    let ops = body::json(&bytes)?;
    let etag = s
        .graph
        .patch_twin(
            &id,
            Some(&component),
            ops.clone(),
            header(&headers, "if-match"),
        )
        .await?;
    s.property_writes
        .written(&id, Some(&component), Some(&ops))
        .await;
    Ok(with_etag(StatusCode::NO_CONTENT.into_response(), &etag))
}
