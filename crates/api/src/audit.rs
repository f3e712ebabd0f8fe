//! `GET /audit` (admin, a ferrotwin extension): the audit log of command
//! calls, newest first, filtered by `twinId`, `actor` and `since`
//! (RFC 3339), paged with `maxItems` and the `nextLink` it returns.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use ferrotwin_audit::Filter;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ApiState;
use crate::error::{ApiError, ApiResult};

/// The most entries one page holds.
const MAX_PAGE: usize = 1000;

/// The audit routes.
pub fn routes() -> Router<ApiState> {
    Router::new().route("/audit", get(list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListParams {
    twin_id: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    max_items: Option<usize>,
    before: Option<String>,
    #[serde(rename = "api-version")]
    _api_version: Option<String>,
}

async fn list(State(s): State<ApiState>, Query(p): Query<ListParams>) -> ApiResult<Json<Value>> {
    let limit = match p.max_items {
        None => 100,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(n) => {
            return Err(ApiError::invalid(format!(
                "maxItems is {n}; give 1 to {MAX_PAGE}"
            )));
        }
    };
    let since = match &p.since {
        None => None,
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|e| {
                    ApiError::invalid(format!("since '{t}' is not an RFC 3339 time: {e}"))
                })?
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ),
    };
    let filter = Filter {
        twin_id: p.twin_id.clone(),
        actor: p.actor.clone(),
        since,
    };
    let page = s
        .audit
        .list(&filter, p.before.as_deref(), limit)
        .map_err(|e| {
            tracing::error!(error = %e, "audit storage failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "StorageFailed",
                e.to_string(),
            )
        })?;
    let next = page.next.map(|before| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("twinId", &p.twin_id),
            ("actor", &p.actor),
            ("since", &p.since),
        ] {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        q.append_pair("maxItems", &limit.to_string());
        q.append_pair("before", &before);
        format!("/audit?{}", q.finish())
    });
    Ok(Json(json!({ "value": page.items, "nextLink": next })))
}
