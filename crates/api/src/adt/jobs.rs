//! `/jobs/imports` and `/jobs/deletions`. Import input and output are
//! files on the server: `file://` URIs or paths, relative ones resolved in
//! the data directory (only admins can create jobs).

use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ferrotwin_graph::{ImportSource, Job, JobKind};
use serde_json::Value;

use super::header;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Paging, Params, page_response};
use crate::{ApiState, Scheme, body};

fn path_of(s: &ApiState, uri: &str) -> PathBuf {
    let p = PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri));
    if p.is_absolute() {
        p
    } else {
        s.data_dir.join(p)
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "ValidationFailed", message)
}

/// PUT /jobs/imports/{id}
pub async fn add_import(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let doc = body::json(&bytes)?;
    let field = |k: &str| {
        doc.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| invalid(format!("the import job needs a string '{k}'")))
    };
    let (input_uri, output_uri) = (field("inputBlobUri")?, field("outputBlobUri")?);
    let (input, output) = (path_of(&s, &input_uri), path_of(&s, &output_uri));
    if s.graph.job(JobKind::Import, &id).is_ok() {
        return Err(invalid(format!(
            "an import job with id '{id}' already exists; delete it to reuse the id"
        )));
    }
    let input_file = std::fs::File::open(&input)
        .map_err(|e| invalid(format!("cannot read inputBlobUri {}: {e}", input.display())))?;
    let output_file = std::fs::File::create(&output).map_err(|e| {
        invalid(format!(
            "cannot write outputBlobUri {}: {e}",
            output.display()
        ))
    })?;
    let source = ImportSource {
        input: Box::new(std::io::BufReader::with_capacity(1 << 20, input_file)),
        output: Box::new(std::io::BufWriter::new(output_file)),
    };
    let job = s
        .graph
        .create_import(&id, input_uri, output_uri, source)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(job.to_document())).into_response())
}

/// GET /jobs/imports/{id}
pub async fn get_import(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.graph.job(JobKind::Import, &id)?.to_document()).into_response())
}

/// DELETE /jobs/imports/{id}
pub async fn delete_import(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    s.graph
        .delete_job(JobKind::Import, &id)
        .await
        .map_err(|e| match e {
            ferrotwin_graph::GraphError::JobNotFound(..) => invalid(e.to_string()),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// POST /jobs/imports/{id}/cancel
pub async fn cancel_import(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let job = s.graph.cancel_import(&id).await.map_err(|e| match e {
        ferrotwin_graph::GraphError::JobNotFound(..) => invalid(e.to_string()),
        other => other.into(),
    })?;
    Ok(axum::Json(job.to_document()).into_response())
}

async fn list(
    s: &ApiState,
    kind: JobKind,
    scheme: Scheme,
    headers: &HeaderMap,
    q: Option<String>,
    path: &str,
) -> ApiResult<Response> {
    let params = Params::parse(q.as_deref());
    let paging = Paging::from_request(&params, headers, Value::Null)?;
    let page = s.graph.jobs(kind, &paging.page);
    let next = paging.next_link(page.next, scheme, headers, path, &params);
    let value: Vec<Value> = page.items.iter().map(Job::to_document).collect();
    Ok(page_response(value, next))
}

/// GET /jobs/imports
pub async fn list_imports(
    State(s): State<ApiState>,
    scheme: axum::Extension<Scheme>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    list(&s, JobKind::Import, scheme.0, &headers, q, "/jobs/imports").await
}

/// GET /jobs/deletions
pub async fn list_deletions(
    State(s): State<ApiState>,
    scheme: axum::Extension<Scheme>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    list(
        &s,
        JobKind::Delete,
        scheme.0,
        &headers,
        q,
        "/jobs/deletions",
    )
    .await
}

/// GET /jobs/deletions/{id}
pub async fn get_deletion(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(axum::Json(s.graph.job(JobKind::Delete, &id)?.to_document()).into_response())
}

/// POST /jobs/deletions
pub async fn add_deletion(
    State(s): State<ApiState>,
    scheme: axum::Extension<Scheme>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let params = Params::parse(q.as_deref());
    if let Some(t) = params.get("timeoutInMinutes") {
        t.parse::<u32>().map_err(|_| {
            invalid(format!(
                "timeoutInMinutes must be a whole number of minutes, not '{t}'"
            ))
        })?;
    }
    let id = header(&headers, "operation-id")
        .map(str::to_owned)
        .unwrap_or_else(|| uuid_like());
    if s.graph.job(JobKind::Delete, &id).is_ok() {
        return Err(invalid(format!("Operation-Id '{id}' already exists")));
    }
    let job = s.graph.create_delete_job(&id).await?;
    let host = header(&headers, "host").unwrap_or("localhost");
    let version = params.get("api-version").unwrap_or(super::API_VERSIONS[4]);
    let location = format!(
        "{}://{host}/jobs/deletions/{id}?api-version={version}",
        scheme.0.0
    );
    let mut resp = (StatusCode::ACCEPTED, axum::Json(job.to_document())).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert("operation-location", v);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("operation-id", v);
    }
    Ok(resp)
}

fn uuid_like() -> String {
    let n: u128 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("delete-{n:x}")
}
