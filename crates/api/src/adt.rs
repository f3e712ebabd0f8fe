//! The ADT data-plane routes, one module per resource.

mod commands;
mod jobs;
mod models;
mod query;
mod relationships;
mod routes;
mod telemetry;
mod twins;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

use crate::ApiState;
use crate::error::ApiError;
use crate::paging::Params;

/// The api-versions this server speaks.
pub const API_VERSIONS: [&str; 5] = [
    "2020-10-31",
    "2021-06-30-preview",
    "2022-05-31",
    "2023-06-30",
    "2023-10-31",
];

/// Every ADT route.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/models", get(models::list).post(models::add))
        .route(
            "/models/{id}",
            get(models::get)
                .patch(models::update)
                .delete(models::delete),
        )
        .route(
            "/digitaltwins/{id}",
            get(twins::get)
                .put(twins::put)
                .patch(twins::patch)
                .delete(twins::delete),
        )
        .route(
            "/digitaltwins/{id}/components/{component}",
            get(twins::get_component).patch(twins::patch_component),
        )
        .route("/digitaltwins/{id}/telemetry", post(telemetry::twin))
        .route(
            "/digitaltwins/{id}/components/{component}/telemetry",
            post(telemetry::component),
        )
        .route("/digitaltwins/{id}/commands/{name}", post(commands::twin))
        .route(
            "/digitaltwins/{id}/components/{component}/commands/{name}",
            post(commands::component),
        )
        .route("/digitaltwins/{id}/relationships", get(relationships::list))
        .route(
            "/digitaltwins/{id}/relationships/{rel}",
            get(relationships::get)
                .put(relationships::put)
                .patch(relationships::patch)
                .delete(relationships::delete),
        )
        .route(
            "/digitaltwins/{id}/incomingrelationships",
            get(relationships::incoming),
        )
        .route("/eventroutes", get(routes::list))
        .route(
            "/eventroutes/{id}",
            get(routes::get).put(routes::put).delete(routes::delete),
        )
        .route("/jobs/imports", get(jobs::list_imports))
        .route(
            "/jobs/imports/{id}",
            put(jobs::add_import)
                .get(jobs::get_import)
                .delete(jobs::delete_import),
        )
        .route("/jobs/imports/{id}/cancel", post(jobs::cancel_import))
        .route(
            "/jobs/deletions",
            post(jobs::add_deletion).get(jobs::list_deletions),
        )
        .route("/jobs/deletions/{id}", get(jobs::get_deletion))
        .route("/query", post(query::run))
}

/// Middleware: refuses api-versions this server does not speak. A request
/// without one is served as the newest.
pub async fn api_version(req: Request, next: Next) -> Response {
    let params = Params::parse(req.uri().query());
    if let Some(v) = params.get("api-version") {
        if !API_VERSIONS.contains(&v) {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersion",
                format!(
                    "api-version '{v}' is not supported; use one of {}",
                    API_VERSIONS.join(", ")
                ),
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// The value of a header as text, if present and readable.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Whether `If-None-Match: *` was sent; any other value is refused.
pub fn if_none_match_star(headers: &HeaderMap) -> Result<bool, ApiError> {
    match header(headers, "if-none-match") {
        None => Ok(false),
        Some("*") => Ok(true),
        Some(other) => Err(ApiError::invalid(format!(
            "If-None-Match supports only '*', not '{other}'"
        ))),
    }
}

/// A response with an ETag header.
pub fn with_etag(mut resp: Response, etag: impl std::fmt::Display) -> Response {
    if let Ok(v) = HeaderValue::from_str(&etag.to_string()) {
        resp.headers_mut().insert(axum::http::header::ETAG, v);
    }
    resp
}
