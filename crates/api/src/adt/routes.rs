//! `/eventroutes`: the definitions, stored by the graph; a route must name
//! a declared endpoint, and every change is passed on to delivery.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferrotwin_graph::EventRoute;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::paging::{Paging, Params, page_response};
use crate::{ApiState, Scheme, body};

/// GET /eventroutes
pub async fn list(
    State(s): State<ApiState>,
    scheme: axum::Extension<Scheme>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let params = Params::parse(q.as_deref());
    let paging = Paging::from_request(&params, &headers, Value::Null)?;
    let page = s.graph.routes(&paging.page);
    let next = paging.next_link(page.next, scheme.0, &headers, "/eventroutes", &params);
    let value: Vec<Value> = page.items.iter().map(EventRoute::to_document).collect();
    Ok(page_response(value, next))
}

/// GET /eventroutes/{id}
pub async fn get(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.graph.route(&id)?.to_document()).into_response())
}

/// PUT /eventroutes/{id}
pub async fn put(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let doc = body::json(&bytes)?;
    let field = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_owned);
    let endpoint_name = field("endpointName").ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "EventRouteEndpointInvalid",
            "the event route needs a string 'endpointName'",
        )
    })?;
    let filter = field("filter").ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "EventRouteFilterInvalid",
            "the event route needs a string 'filter'",
        )
    })?;
    let route = EventRoute {
        id,
        endpoint_name,
        filter,
    };
    s.delivery
        .check(&route)
        .map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, "EventRouteEndpointInvalid", m))?;
    s.graph.put_route(route.clone()).await?;
    s.delivery.put(&route);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DELETE /eventroutes/{id}
pub async fn delete(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    s.graph.delete_route(&id).await?;
    s.delivery.delete(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}
