//! The analytics API: rules, procedure templates and settings under
//! `/analytics`, a twin's live scores and RUL at `/analytics/twins/{id}`,
//! alerts under `/alerts` and maintenance work orders under `/workorders`.
//! Lifecycle actions are POSTs on the item (`/alerts/{id}/acknowledge`,
//! `/workorders/{id}/steps/{n}`...), recorded with the caller's token name.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use ferrotwin_analytics::{
    AnalyticsError, ListFilter, Rule, Service, Settings, Template, WorkOrder,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::Params;
use crate::{ApiState, body};

/// The analytics routes.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/analytics/rules", get(list_rules))
        .route(
            "/analytics/rules/{id}",
            get(get_rule).put(put_rule).delete(delete_rule),
        )
        .route("/analytics/templates", get(list_templates))
        .route(
            "/analytics/templates/{id}",
            get(get_template).put(put_template).delete(delete_template),
        )
        .route("/analytics/settings", get(list_settings))
        .route(
            "/analytics/settings/{id}",
            axum::routing::put(put_settings).delete(delete_settings),
        )
        .route("/analytics/twins/{id}", get(twin_status))
        .route("/alerts", get(list_alerts))
        .route("/alerts/{id}", get(get_alert))
        .route("/alerts/{id}/acknowledge", post(acknowledge))
        .route("/alerts/{id}/resolve", post(resolve))
        .route("/workorders", get(list_orders).post(create_order))
        .route("/workorders/{id}", get(get_order))
        .route("/workorders/{id}/assign", post(assign))
        .route("/workorders/{id}/start", post(start))
        .route("/workorders/{id}/steps/{n}", post(step))
        .route("/workorders/{id}/complete", post(complete))
        .route("/workorders/{id}/cancel", post(cancel))
}

impl From<AnalyticsError> for ApiError {
    fn from(e: AnalyticsError) -> ApiError {
        match e {
            AnalyticsError::Invalid(m) => ApiError::invalid(m),
            AnalyticsError::NotFound(m) => {
                ApiError::new(StatusCode::NOT_FOUND, "NotFound", format!("{m} not found"))
            }
            AnalyticsError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "Conflict", m),
            AnalyticsError::Storage(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "StorageUnavailable", m)
            }
        }
    }
}

fn service(s: &ApiState) -> ApiResult<Arc<Service>> {
    s.analytics.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "AnalyticsOff",
            "analytics is turned off on this server (analytics = false in its configuration)",
        )
    })
}

fn parse<T: DeserializeOwned>(bytes: &Bytes, what: &str) -> ApiResult<T> {
    let v = body::json(bytes)?;
    serde_json::from_value(v).map_err(|e| ApiError::invalid(format!("the {what} is invalid: {e}")))
}

fn list<T: serde::Serialize>(items: Vec<T>) -> Response {
    Json(json!({"value": items})).into_response()
}

fn filter(q: &Params) -> ListFilter {
    ListFilter {
        twin: q.get("twin").map(str::to_owned),
        state: q.get("state").map(str::to_owned),
    }
}

async fn list_rules(State(s): State<ApiState>) -> ApiResult<Response> {
    Ok(list(service(&s)?.rules()?))
}

async fn get_rule(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(service(&s)?.rule(&id)?).into_response())
}

async fn put_rule(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    b: Bytes,
) -> ApiResult<Response> {
    let r: Rule = parse(&b, "rule")?;
    Ok(Json(service(&s)?.put_rule(&id, r)?).into_response())
}

async fn delete_rule(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    service(&s)?.delete_rule(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_templates(State(s): State<ApiState>) -> ApiResult<Response> {
    Ok(list(service(&s)?.templates()?))
}

async fn get_template(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(service(&s)?.template(&id)?).into_response())
}

async fn put_template(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    b: Bytes,
) -> ApiResult<Response> {
    let t: Template = parse(&b, "work order template")?;
    Ok(Json(service(&s)?.put_template(&id, t)?).into_response())
}

async fn delete_template(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service(&s)?.delete_template(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_settings(State(s): State<ApiState>) -> ApiResult<Response> {
    Ok(list(service(&s)?.settings()?))
}

async fn put_settings(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    b: Bytes,
) -> ApiResult<Response> {
    let v: Settings = parse(&b, "analytics settings")?;
    Ok(Json(service(&s)?.put_settings(&id, v)?).into_response())
}

async fn delete_settings(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service(&s)?.delete_settings(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn twin_status(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    let a = service(&s)?;
    if s.graph.twin_model(&id).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "DigitalTwinNotFound",
            format!("there is no digital twin with id '{id}'"),
        ));
    }
    let status = a.status(&id).map_or_else(
        || json!({"twin": id, "anomalyScore": 0.0, "series": {}, "rul": null}),
        |st| serde_json::to_value(st).unwrap_or(Value::Null),
    );
    Ok(Json(status).into_response())
}

async fn list_alerts(State(s): State<ApiState>, RawQuery(q): RawQuery) -> ApiResult<Response> {
    Ok(list(
        service(&s)?.alerts(&filter(&Params::parse(q.as_deref())))?,
    ))
}

async fn get_alert(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(service(&s)?.alert(&id)?).into_response())
}

async fn acknowledge(
    State(s): State<ApiState>,
    Extension(who): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(service(&s)?.acknowledge(&id, &who.0).await?).into_response())
}

async fn resolve(
    State(s): State<ApiState>,
    Extension(who): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(service(&s)?.resolve(&id, &who.0).await?).into_response())
}

async fn list_orders(State(s): State<ApiState>, RawQuery(q): RawQuery) -> ApiResult<Response> {
    Ok(list(
        service(&s)?.orders(&filter(&Params::parse(q.as_deref())))?,
    ))
}

async fn get_order(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(service(&s)?.order(&id)?).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrder {
    twin: String,
    template: String,
    #[serde(default)]
    priority: Option<u8>,
}

async fn create_order(
    State(s): State<ApiState>,
    Extension(who): Extension<Actor>,
    b: Bytes,
) -> ApiResult<Response> {
    let n: NewOrder = parse(&b, "work order request")?;
    let o = service(&s)?
        .create_order(&n.twin, &n.template, n.priority, &who.0)
        .await?;
    Ok((StatusCode::CREATED, Json(o)).into_response())
}

/// An optional JSON body: empty means `{}`.
fn optional(b: &Bytes) -> ApiResult<Value> {
    if b.is_empty() {
        Ok(json!({}))
    } else {
        body::json(b)
    }
}

fn text(v: &Value, key: &str) -> ApiResult<Option<String>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::invalid(format!(
            "'{key}' must be a string, not {other}"
        ))),
    }
}

/// Applies a lifecycle action to a work order and answers with the order.
async fn change(
    s: &ApiState,
    id: &str,
    f: impl FnOnce(&mut WorkOrder, i64) -> Result<(), AnalyticsError>,
) -> ApiResult<Response> {
    Ok(Json(service(s)?.update_order(id, f).await?).into_response())
}

async fn assign(
    State(s): State<ApiState>,
    Extension(who): Extension<Actor>,
    Path(id): Path<String>,
    b: Bytes,
) -> ApiResult<Response> {
    let v = optional(&b)?;
    let assignee = text(&v, "assignee")?.unwrap_or_else(|| who.0.clone());
    change(&s, &id, |o, now| o.assign(&assignee, &who.0, now)).await
}

async fn start(
    State(s): State<ApiState>,
    Extension(who): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    change(&s, &id, |o, now| o.start(&who.0, now)).await
}

async fn step(
    State(s): State<ApiState>,
    Extension(who): Extension<Actor>,
    Path((id, n)): Path<(String, String)>,
    b: Bytes,
) -> ApiResult<Response> {
    let n: usize = n.parse().map_err(|_| {
        ApiError::invalid(format!("step number must be a positive integer, not '{n}'"))
    })?;
    let v = optional(&b)?;
    let done = match v.get("done") {
        None => true,
        Some(Value::Bool(d)) => *d,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "'done' must be true or false, not {other}"
            )));
        }
    };
    let note = text(&v, "note")?;
    change(&s, &id, |o, now| o.step(n, done, note, &who.0, now)).await
}

async fn complete(
    State(s): State<ApiState>,
    Extension(who): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    change(&s, &id, |o, now| o.complete(&who.0, now)).await
}

async fn cancel(
    State(s): State<ApiState>,
    Extension(who): Extension<Actor>,
    Path(id): Path<String>,
    b: Bytes,
) -> ApiResult<Response> {
    let v = optional(&b)?;
    let reason = text(&v, "reason")?.unwrap_or_default();
    change(&s, &id, |o, now| o.cancel(&reason, &who.0, now)).await
}
