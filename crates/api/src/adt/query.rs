//! POST /query: ADT's query API over the query engine. The request is
//! `{"query"}` or `{"continuationToken"}`; the answer is `{"value",
//! "continuationToken"}` with a `query-charge` header. The token is
//! opaque to clients and carries the query text, the engine's cursor, the
//! page size and the EXPLAIN flag, so a later page needs nothing else.
//! The engine runs on a blocking thread, under the graph's read lock, so
//! a query sees every acknowledged write and never stalls the reactor.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferrotwin_query::{Cursor, QueryError, RunOptions};
use serde_json::{Value, json};

use super::header;
use crate::error::{ApiError, ApiResult};
use crate::paging::{DEFAULT_PAGE, MAX_PAGE};
use crate::{ApiState, body};

/// How long one page may run. ADT allows 60 s, but a query holds the
/// graph's read lock and writers wait behind it, so ferrotwin stops sooner.
const TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What a continuation token holds.
struct Token {
    query: String,
    cursor: Cursor,
    size: usize,
    explain: bool,
}

impl Token {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(
            json!({"q": self.query, "c": self.cursor.encode(), "n": self.size, "x": self.explain})
                .to_string(),
        )
    }

    fn decode(token: &str) -> Result<Token, ApiError> {
        let bad = || {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the continuation token is invalid",
            )
        };
        let raw = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| bad())?;
        let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
        Ok(Token {
            query: v["q"].as_str().ok_or_else(bad)?.to_string(),
            cursor: Cursor::decode(v["c"].as_str().ok_or_else(bad)?).map_err(|_| bad())?,
            size: v["n"]
                .as_u64()
                .filter(|n| (1..=MAX_PAGE as u64).contains(n))
                .ok_or_else(bad)? as usize,
            explain: v["x"].as_bool().unwrap_or(false),
        })
    }
}

/// POST /query
pub async fn run(
    State(s): State<ApiState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    let spec = body::json(&bytes)?;
    let token = spec
        .get("continuationToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && *t != "null");
    let (query, cursor, size, explain) = match token {
        Some(t) => {
            let t = Token::decode(t)?;
            (t.query, Some(t.cursor), t.size, t.explain)
        }
        None => {
            let Some(q) = spec.get("query").and_then(Value::as_str) else {
                return Err(ApiError::invalid(
                    "the request body needs a 'query' string or a 'continuationToken'",
                ));
            };
            let size = match header(&headers, "max-items-per-page") {
                None => DEFAULT_PAGE,
                Some(h) => h
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .map(|n| n.min(MAX_PAGE))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "the max-items-per-page header must be a positive integer",
                        )
                    })?,
            };
            let explain = header(&headers, "x-ferrotwin-explain")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            (q.to_string(), None, size, explain)
        }
    };
    let graph = s.graph.clone();
    let text = query.clone();
    let page = tokio::task::spawn_blocking(move || {
        graph.view(|v| {
            ferrotwin_query::run(
                v,
                &text,
                cursor,
                RunOptions {
                    page_size: size,
                    explain,
                    time_limit: Some(TIME_LIMIT),
                },
            )
        })
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            e.to_string(),
        )
    })?
    .map_err(|e| match e {
        QueryError::Timeout(_) => {
            ApiError::new(StatusCode::BAD_REQUEST, "TimeoutError", e.to_string())
        }
        QueryError::BadCursor(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the continuation token is invalid",
        ),
        other => ApiError::new(StatusCode::BAD_REQUEST, "SqlQueryError", other.to_string()),
    })?;
    let next = page.next.map(|cursor| {
        Token {
            query,
            cursor,
            size,
            explain,
        }
        .encode()
    });
    // The charge grows with the work done: one unit, plus one per hundred
    // twins and relationships looked at.
    let charge = 1.0 + page.examined as f64 / 100.0;
    let mut resp =
        axum::Json(json!({"value": page.rows, "continuationToken": next})).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{charge:.2}")) {
        resp.headers_mut().insert("query-charge", v);
    }
    Ok(resp)
}
