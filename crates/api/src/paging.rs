//! Paging: a continuation token carries all paging state (position, page
//! size, filters), and nextLink is an absolute URL that only needs GET.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferrotwin_graph::PageRequest;
use serde_json::{Value, json};

use crate::Scheme;
use crate::error::ApiError;

/// The ADT page envelope: `{"value": [...], "nextLink": ...}`.
pub fn page_response(value: Vec<Value>, next: Option<String>) -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::Json(
        json!({"value": value, "nextLink": next}),
    ))
}

/// Page size when the client does not ask for one.
pub const DEFAULT_PAGE: usize = 100;
/// The largest page a client may ask for.
pub const MAX_PAGE: usize = 10_000;

/// Query parameters in order, repeated keys kept.
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Params {
        Params(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The first value of a parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated parameter.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A boolean parameter (`true`/`false`, case-insensitive).
    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::invalid(format!(
                "query parameter '{key}' must be true or false, not '{v}'"
            ))),
        }
    }
}

/// A request's paging state, from its continuation token or its
/// parameters and `max-items-per-page` header.
pub struct Paging {
    /// The page to fetch.
    pub page: PageRequest,
    /// Filters that must carry over to later pages.
    pub filters: Value,
}

impl Paging {
    /// Reads paging state; `filters` are used on the first page only.
    pub fn from_request(
        params: &Params,
        headers: &HeaderMap,
        filters: Value,
    ) -> Result<Paging, ApiError> {
        if let Some(token) = params.get("continuationToken") {
            let bad = || {
                ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "the continuation token is invalid",
                )
            };
            let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
            let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
            let size = v["n"]
                .as_u64()
                .filter(|n| (1..=MAX_PAGE as u64).contains(n))
                .ok_or_else(bad)? as usize;
            let after = v["a"].as_str().ok_or_else(bad)?.to_string();
            return Ok(Paging {
                page: PageRequest {
                    after: Some(after),
                    size,
                },
                filters: v["f"].clone(),
            });
        }
        let size = match headers.get("max-items-per-page") {
            None => DEFAULT_PAGE,
            Some(h) => h
                .to_str()
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .filter(|n| *n >= 1)
                .map(|n| n.min(MAX_PAGE))
                .ok_or_else(|| {
                    ApiError::invalid("the max-items-per-page header must be a positive integer")
                })?,
        };
        Ok(Paging {
            page: PageRequest { after: None, size },
            filters,
        })
    }

    /// The absolute link to the page after `next`, if there is one.
    pub fn next_link(
        &self,
        next: Option<String>,
        scheme: Scheme,
        headers: &HeaderMap,
        path: &str,
        params: &Params,
    ) -> Option<String> {
        let after = next?;
        let token = URL_SAFE_NO_PAD
            .encode(json!({"a": after, "n": self.page.size, "f": self.filters}).to_string());
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(v) = params.get("api-version") {
            q.append_pair("api-version", v);
        }
        q.append_pair("continuationToken", &token);
        Some(format!("{}://{host}{path}?{}", scheme.0, q.finish()))
    }
}
