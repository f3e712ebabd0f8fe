//! `/sim/*`: the simulator's API (faults, ground truth, assets) behind the
//! platform's own authentication, so the web app's fault panel reaches a
//! simulator on the same origin and with the same token. Reads need the
//! reader role and injecting faults the writer role. The simulator runs in
//! process under `ferrotwin demo`, or anywhere `ferrotwin sim --api` serves
//! it, given to the server as `--sim-api URL`.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::ApiState;
use crate::error::ApiError;

/// The largest answer taken from the simulator.
const MAX_ANSWER: usize = 4 * 1024 * 1024;
/// How long the simulator may take to answer.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `/sim/{*path}`.
pub fn routes() -> Router<ApiState> {
    Router::new().route("/sim/{*path}", any(forward))
}

async fn forward(
    State(s): State<ApiState>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let Some(base) = s.sim_api.as_deref() else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "SimulatorNotAttached",
            "no simulator is attached to this server: run `ferrotwin demo`, or start `ferrotwin sim --api ADDR` and give the server `--sim-api http://ADDR`",
        )
        .into_response();
    };
    if !matches!(method, Method::GET | Method::POST) {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("the simulator's API takes GET and POST, not {method}"),
        )
        .into_response();
    }
    let uri = match query {
        Some(q) => format!("{}/{path}?{q}", base.trim_end_matches('/')),
        None => format!("{}/{path}", base.trim_end_matches('/')),
    };
    let mut req = match axum::http::Request::builder()
        .method(method)
        .uri(&uri)
        .body(Full::new(body))
    {
        Ok(r) => r,
        Err(e) => {
            return ApiError::invalid(format!("'{path}' is not a simulator API path: {e}"))
                .into_response();
        }
    };
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        req.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    // One pooled client for every proxied call, not a new one per request.
    static CLIENT: std::sync::OnceLock<Client<HttpConnector, Full<Bytes>>> =
        std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| Client::builder(TokioExecutor::new()).build_http());
    let unreachable = |why: String| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "SimulatorUnavailable",
            format!("the simulator at {base} did not answer: {why}"),
        )
        .into_response()
    };
    let res = match tokio::time::timeout(TIMEOUT, client.request(req)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return unreachable(e.to_string()),
        Err(_) => return unreachable(format!("no answer within {} s", TIMEOUT.as_secs())),
    };
    let (parts, body) = res.into_parts();
    let bytes = match Limited::new(body, MAX_ANSWER).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return unreachable(format!("its answer could not be read: {e}")),
    };
    let mut out = Response::new(Body::from(bytes));
    *out.status_mut() = parts.status;
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("application/json")),
    );
    out
}
