//! Refused device messages over HTTP (a ferrotwin extension): list them
//! at `/deadletters` (reader), deliver them again once the cause is fixed
//! (`POST /deadletters/{id}/replay`, or `POST /deadletters/replay` for all
//! that match a filter; writer), and delete them (admin). A replayed
//! letter that is taken is removed; one still refused stays, with the new
//! reason and a replay count, so nothing is kept twice or lost.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ferrotwin_ingest::{DeadLetter, DeadLetters, Filter, IngestError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ApiState;
use crate::error::{ApiError, ApiResult};

/// The most letters one list page or one bulk replay covers.
const MAX_PAGE: usize = 1000;

/// What became of a replay: `None` when all of it was taken, or what is
/// still refused (payload bytes, reason).
pub type Redelivered = Option<(Vec<u8>, String)>;

/// Delivers a dead letter's payload again, the way a device message is
/// delivered; implemented by the server over the connect crate.
pub trait Redeliver: Send + Sync + 'static {
    /// Delivers `payload` of `kind` (`telemetry` or `properties`) for
    /// `twin_id`; `Err` when the platform cannot take data just now.
    fn redeliver<'a>(
        &'a self,
        twin_id: &'a str,
        kind: &'a str,
        payload: &'a [u8],
    ) -> Pin<Box<dyn Future<Output = Result<Redelivered, String>> + Send + 'a>>;
}

/// The dead-letter store and the way to deliver a letter again.
pub struct DeadLetterDesk {
    /// The durable store.
    pub store: Arc<DeadLetters>,
    /// Delivery of a replayed letter.
    pub redeliver: Arc<dyn Redeliver>,
}

/// The dead-letter routes.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/deadletters", get(list).delete(remove_matching))
        .route("/deadletters/replay", post(replay_matching))
        .route("/deadletters/{id}", get(one).delete(remove))
        .route("/deadletters/{id}/replay", post(replay_one))
}

fn err(e: IngestError) -> ApiError {
    match e {
        IngestError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "DeadLetterNotFound", m),
        IngestError::Invalid(m) => ApiError::invalid(m),
        IngestError::Storage(m) => {
            tracing::error!(error = %m, "dead-letter storage failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "StorageFailed", m)
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListParams {
    twin_id: Option<String>,
    source: Option<String>,
    max_items: Option<usize>,
    after: Option<String>,
    #[serde(rename = "api-version")]
    _api_version: Option<String>,
}

impl ListParams {
    fn filter(&self) -> Filter {
        Filter {
            twin_id: self.twin_id.clone(),
            source: self.source.clone(),
        }
    }

    fn limit(&self) -> Result<usize, ApiError> {
        match self.max_items {
            None => Ok(100),
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::invalid(format!(
                "maxItems is {n}; give 1 to {MAX_PAGE}"
            ))),
        }
    }
}

async fn list(State(s): State<ApiState>, Query(p): Query<ListParams>) -> ApiResult<Json<Value>> {
    let limit = p.limit()?;
    let page = s
        .dead_letters
        .store
        .list(&p.filter(), p.after.as_deref(), limit)
        .map_err(err)?;
    let next = page.next.map(|after| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(t) = &p.twin_id {
            q.append_pair("twinId", t);
        }
        if let Some(src) = &p.source {
            q.append_pair("source", src);
        }
        q.append_pair("maxItems", &limit.to_string());
        q.append_pair("after", &after);
        format!("/deadletters?{}", q.finish())
    });
    let kept = s.dead_letters.store.len().map_err(err)?;
    Ok(Json(
        json!({ "value": page.items, "nextLink": next, "kept": kept }),
    ))
}

async fn one(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Json<DeadLetter>> {
    Ok(Json(s.dead_letters.store.get(&id).map_err(err)?))
}

async fn remove(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    s.dead_letters.store.delete(&id).map_err(err)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_matching(
    State(s): State<ApiState>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Value>> {
    if p.twin_id.is_none() && p.source.is_none() {
        return Err(ApiError::invalid(
            "give twinId or source (or both) to say which dead letters to delete",
        ));
    }
    let n = s
        .dead_letters
        .store
        .delete_matching(&p.filter())
        .map_err(err)?;
    Ok(Json(json!({ "deleted": n })))
}

/// How one replay ended.
enum Replayed {
    Delivered,
    Refused(DeadLetter),
    NotReplayable(String),
}

async fn replay(s: &ApiState, l: &DeadLetter) -> ApiResult<Replayed> {
    let (Some(twin), Some(kind)) = (l.twin_id.as_deref(), l.kind.as_deref()) else {
        return Ok(Replayed::NotReplayable(format!(
            "dead letter '{}' cannot be replayed: its source ({}) could not tell which twin or kind of data it was for",
            l.id, l.source
        )));
    };
    let d = &s.dead_letters;
    match d.redeliver.redeliver(twin, kind, &l.replay_payload()).await {
        Ok(None) => {
            d.store.delete(&l.id).map_err(err)?;
            Ok(Replayed::Delivered)
        }
        Ok(Some((rest, why))) => Ok(Replayed::Refused(
            d.store.replay_failed(&l.id, &rest, &why).map_err(err)?,
        )),
        Err(why) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            format!("the platform cannot take data just now: {why}; the letter is kept, try again"),
        )),
    }
}

async fn replay_one(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    let l = s.dead_letters.store.get(&id).map_err(err)?;
    Ok(match replay(&s, &l).await? {
        Replayed::Delivered => Json(json!({"id": id, "outcome": "delivered"})).into_response(),
        Replayed::Refused(l) => {
            Json(json!({"id": id, "outcome": "refused", "letter": l})).into_response()
        }
        Replayed::NotReplayable(m) => {
            ApiError::new(StatusCode::CONFLICT, "NotReplayable", m).into_response()
        }
    })
}

async fn replay_matching(
    State(s): State<ApiState>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Value>> {
    let limit = p.max_items.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let page = s
        .dead_letters
        .store
        .list(&p.filter(), p.after.as_deref(), limit)
        .map_err(err)?;
    let (mut delivered, mut refused, mut skipped) = (0, 0, 0);
    for l in &page.items {
        match replay(&s, l).await? {
            Replayed::Delivered => delivered += 1,
            Replayed::Refused(_) => refused += 1,
            Replayed::NotReplayable(_) => skipped += 1,
        }
    }
    Ok(Json(json!({
        "delivered": delivered,
        "refused": refused,
        "notReplayable": skipped,
        "more": page.next.is_some(),
    })))
}
