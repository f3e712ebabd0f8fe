//! The history API under `/history`: raw points, bucket aggregates sized
//! for a chart, latest values (one twin or many series), several series in
//! one request, a twin's state at a past instant, retention policies, and
//! size figures. Described in OpenAPI at `/history/openapi.json`. Times
//! are RFC 3339; durations are like `90s`, `15m`, `12h`, `30d`.

mod params;
mod write;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ferrotwin_history::{
    Cursor, HistoryError, Point, Scope, SeriesKey, TimeRange, TwinState, format_time,
};
use serde_json::{Map, Value, json};

use self::params::{duration, format_duration, range, time};
use crate::error::{ApiError, ApiResult};
use crate::paging::Params;
use crate::{ApiState, body};

/// The largest page of raw points.
const MAX_POINTS: usize = 10_000;
/// The most series in one request.
const MAX_SERIES: usize = 10_000;

/// The OpenAPI description of these routes.
pub const OPENAPI: &str = include_str!("history/openapi.json");

/// The history routes.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/history/twins/{id}/series", get(series))
        .route("/history/twins/{id}/points", get(points))
        .route("/history/twins/{id}/aggregate", get(aggregate))
        .route("/history/twins/{id}/latest", get(twin_latest))
        .route("/history/twins/{id}/state", get(state_at))
        .route("/history/latest", post(latest))
        .route("/history/query", post(query))
        .route(
            "/history/retention",
            get(retention).put(set_retention).delete(delete_retention),
        )
        .route("/history/write", post(write::write))
        .route("/history/stats", get(stats))
        .route("/history/openapi.json", get(openapi))
}

impl From<HistoryError> for ApiError {
    fn from(e: HistoryError) -> ApiError {
        match e {
            HistoryError::Invalid(m) => ApiError::invalid(m),
            HistoryError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "HistoryNotFound", m),
            HistoryError::Storage(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "StorageUnavailable", m)
            }
        }
    }
}

fn point_json(p: &Point) -> Value {
    json!({"time": format_time(p.time), "ingestTime": format_time(p.ingest), "value": p.value})
}

fn series_name(q: &Params) -> ApiResult<String> {
    q.get("series")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::invalid(
                "the 'series' query parameter is required (a telemetry name or property path)",
            )
        })
}

fn count(q: &Params, key: &str, default: usize, max: usize) -> ApiResult<usize> {
    match q.get(key) {
        None => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid(format!(
                "'{key}' must be a whole number from 1 to {max}, got '{s}'"
            ))),
        },
    }
}

async fn series(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    let list = s.history.series(&id).await?;
    let value: Vec<Value> = list
        .iter()
        .map(|i| json!({"name": i.key.name, "kind": i.kind.as_str(), "model": i.model}))
        .collect();
    Ok(axum::Json(json!({ "value": value })).into_response())
}

async fn points(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Params::parse(raw.as_deref());
    let name = series_name(&q)?;
    let r = range(&q)?;
    let limit = count(&q, "maxItems", 1000, MAX_POINTS)?;
    let cursor = q.get("continuationToken").map(Cursor::decode).transpose()?;
    let key = SeriesKey::new(id, name);
    let page = s.history.raw(&key, r, cursor, limit).await?;
    let mut out = json!({ "value": page.points.iter().map(point_json).collect::<Vec<_>>() });
    if let Some(next) = page.next {
        out["continuationToken"] = json!(next.encode());
    }
    Ok(axum::Json(out).into_response())
}

fn buckets_json(r: TimeRange, n: u32, b: &[ferrotwin_history::Bucket]) -> ApiResult<Value> {
    let width = ferrotwin_history::bucket_width(r, n)?;
    let value: Vec<Value> = b
        .iter()
        .map(|b| {
            json!({"start": format_time(b.start), "count": b.count, "min": b.min, "max": b.max,
                   "avg": b.avg, "first": b.first, "last": b.last, "stddev": b.stddev})
        })
        .collect();
    Ok(json!({"bucketWidth": format_duration(width), "value": value}))
}

async fn aggregate(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Params::parse(raw.as_deref());
    let name = series_name(&q)?;
    let r = range(&q)?;
    let n = count(&q, "buckets", 500, ferrotwin_history::MAX_BUCKETS as usize)? as u32;
    let b = s.history.aggregate(&SeriesKey::new(id, name), r, n).await?;
    Ok(axum::Json(buckets_json(r, n, &b)?).into_response())
}

async fn twin_latest(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Params::parse(raw.as_deref());
    let mut names = q.all("series");
    if names.is_empty() {
        names = s
            .history
            .series(&id)
            .await?
            .into_iter()
            .map(|i| i.key.name)
            .collect();
    }
    let keys: Vec<SeriesKey> = names.iter().map(|n| SeriesKey::new(&id, n)).collect();
    let latest = s.history.latest(&keys).await?;
    let value: Vec<Value> = keys
        .iter()
        .zip(latest)
        .map(|(k, p)| json!({"name": k.name, "point": p.as_ref().map(point_json)}))
        .collect();
    Ok(axum::Json(json!({ "value": value })).into_response())
}

/// Reads `{"series": [{"twinId", "name"}, ...]}`.
fn series_list(doc: &Value) -> ApiResult<Vec<SeriesKey>> {
    let list = doc.get("series").and_then(Value::as_array).ok_or_else(|| {
        ApiError::invalid("the body needs a 'series' array of {\"twinId\", \"name\"} objects")
    })?;
    if list.len() > MAX_SERIES {
        return Err(ApiError::invalid(format!(
            "at most {MAX_SERIES} series per request, got {}",
            list.len()
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            let field = |f: &str| {
                s.get(f)
                    .and_then(Value::as_str)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| {
                        ApiError::invalid(format!("series[{i}] needs a non-empty string '{f}'"))
                    })
            };
            Ok(SeriesKey::new(field("twinId")?, field("name")?))
        })
        .collect()
}

async fn latest(State(s): State<ApiState>, bytes: Bytes) -> ApiResult<Response> {
    let keys = series_list(&body::json(&bytes)?)?;
    let latest = s.history.latest(&keys).await?;
    let value: Vec<Value> = keys
        .iter()
        .zip(latest)
        .map(
            |(k, p)| json!({"twinId": k.twin, "name": k.name, "point": p.as_ref().map(point_json)}),
        )
        .collect();
    Ok(axum::Json(json!({ "value": value })).into_response())
}

async fn query(State(s): State<ApiState>, bytes: Bytes) -> ApiResult<Response> {
    let doc = body::json(&bytes)?;
    let keys = series_list(&doc)?;
    let mut q = Params(Vec::new());
    for f in ["from", "to"] {
        match doc.get(f) {
            Some(Value::String(v)) => q.0.push((f.into(), v.clone())),
            Some(_) => {
                return Err(ApiError::invalid(format!(
                    "'{f}' must be an RFC 3339 string"
                )));
            }
            None => {}
        }
    }
    let r = range(&q)?;
    let number = |f: &str, max: u64| -> ApiResult<Option<u64>> {
        match doc.get(f) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if (1..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::invalid(format!(
                    "'{f}' must be a whole number from 1 to {max}"
                ))),
            },
        }
    };
    let buckets = number("buckets", u64::from(ferrotwin_history::MAX_BUCKETS))?;
    let limit = number("maxItems", MAX_POINTS as u64)?.unwrap_or(1000) as usize;
    let mut value = Vec::with_capacity(keys.len());
    for k in keys {
        let mut item = json!({"twinId": k.twin, "name": k.name});
        let result = match buckets {
            Some(n) => s
                .history
                .aggregate(&k, r, n as u32)
                .await
                .and_then(|b| {
                    buckets_json(r, n as u32, &b).map_err(|e| HistoryError::Invalid(e.message))
                })
                .map(|b| ("buckets", b["value"].clone())),
            None => s.history.raw(&k, r, None, limit).await.map(|p| {
                (
                    "points",
                    Value::Array(p.points.iter().map(point_json).collect()),
                )
            }),
        };
        match result {
            Ok((field, v)) => item[field] = v,
            Err(HistoryError::NotFound(m)) => {
                item["error"] = json!({"code": "HistoryNotFound", "message": m})
            }
            Err(e) => return Err(e.into()),
        }
        value.push(item);
    }
    Ok(axum::Json(json!({ "value": value })).into_response())
}

async fn state_at(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Params::parse(raw.as_deref());
    let at = match q.get("at") {
        Some(t) => time("at", t)?,
        None => {
            return Err(ApiError::invalid(
                "the 'at' query parameter is required (RFC 3339)",
            ));
        }
    };
    let state = TwinState::at(s.history.as_ref(), &id, at)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "HistoryNotFound",
                format!("history has no state of twin '{id}' at {}", format_time(at)),
            )
        })?;
    let mut doc = Map::new();
    doc.insert("$dtId".into(), json!(id));
    doc.insert(
        "$metadata".into(),
        json!({"$model": state.model, "$lastChangeTime": format_time(state.last_change), "$at": format_time(at)}),
    );
    doc.extend(state.properties);
    Ok(axum::Json(Value::Object(doc)).into_response())
}

fn scope_json(scope: &Scope, age: i64) -> Value {
    let (kind, id) = match scope {
        Scope::Default => ("default", None),
        Scope::Model(m) => ("model", Some(m)),
        Scope::Twin(t) => ("twin", Some(t)),
    };
    json!({"scope": kind, "id": id, "maxAge": format_duration(age)})
}

fn scope_of(kind: Option<&str>, id: Option<&str>) -> ApiResult<Scope> {
    match (kind, id) {
        (Some("default"), _) => Ok(Scope::Default),
        (Some("model"), Some(m)) if !m.is_empty() => Ok(Scope::Model(m.into())),
        (Some("twin"), Some(t)) if !t.is_empty() => Ok(Scope::Twin(t.into())),
        (Some(k @ ("model" | "twin")), _) => Err(ApiError::invalid(format!(
            "a '{k}' retention policy needs an 'id'"
        ))),
        (other, _) => Err(ApiError::invalid(format!(
            "'scope' must be 'default', 'model' or 'twin', got {other:?}"
        ))),
    }
}

async fn retention(State(s): State<ApiState>) -> ApiResult<Response> {
    let list = s.history.retention().await?;
    let value: Vec<Value> = list.iter().map(|(s, a)| scope_json(s, *a)).collect();
    Ok(axum::Json(json!({ "value": value })).into_response())
}

async fn set_retention(State(s): State<ApiState>, bytes: Bytes) -> ApiResult<Response> {
    let doc = body::json(&bytes)?;
    let scope = scope_of(
        doc.get("scope").and_then(Value::as_str),
        doc.get("id").and_then(Value::as_str),
    )?;
    let age = match doc.get("maxAge").and_then(Value::as_str) {
        Some(a) => duration("maxAge", a)?,
        None => {
            return Err(ApiError::invalid(
                "'maxAge' is required, such as \"30d\" or \"12h\"",
            ));
        }
    };
    s.history.set_retention(scope.clone(), Some(age)).await?;
    Ok(axum::Json(scope_json(&scope, age)).into_response())
}

async fn delete_retention(
    State(s): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Params::parse(raw.as_deref());
    let scope = scope_of(q.get("scope"), q.get("id"))?;
    s.history.set_retention(scope, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn stats(State(s): State<ApiState>) -> ApiResult<Response> {
    let st = s.history.stats().await?;
    let per_point = if st.points == 0 {
        None
    } else {
        Some(st.disk_bytes as f64 / st.points as f64)
    };
    Ok(axum::Json(json!({
        "engine": s.history.engine(),
        "series": st.series,
        "points": st.points,
        "diskBytes": st.disk_bytes,
        "bytesPerPoint": per_point,
    }))
    .into_response())
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
