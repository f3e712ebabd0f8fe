//! `/digitaltwins/{id}/relationships` and `/incomingrelationships`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferrotwin_graph::Relationship;
use serde_json::{Value, json};

use super::{header, if_none_match_star, with_etag};
use crate::error::ApiResult;
use crate::paging::{Paging, Params, page_response};
use crate::{ApiState, Scheme, body};

/// GET .../relationships/{rel}
pub async fn get(
    State(s): State<ApiState>,
    Path((id, rel)): Path<(String, String)>,
) -> ApiResult<Response> {
    let r = s.graph.relationship(&id, &rel)?;
    Ok(with_etag(
        axum::Json(r.to_document()).into_response(),
        &r.etag,
    ))
}

/// PUT .../relationships/{rel}
pub async fn put(
    State(s): State<ApiState>,
    Path((id, rel)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    let doc = body::json(&bytes)?;
    let star = if_none_match_star(&headers)?;
    let r = s
        .graph
        .put_relationship(&id, &rel, doc, star, header(&headers, "if-match"))
        .await?;
    Ok(with_etag(
        axum::Json(r.to_document()).into_response(),
        &r.etag,
    ))
}

/// PATCH .../relationships/{rel}
pub async fn patch(
    State(s): State<ApiState>,
    Path((id, rel)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    let ops = body::json(&bytes)?;
    let etag = s
        .graph
        .patch_relationship(&id, &rel, ops, header(&headers, "if-match"))
        .await?;
    Ok(with_etag(StatusCode::NO_CONTENT.into_response(), &etag))
}

/// DELETE .../relationships/{rel}
pub async fn delete(
    State(s): State<ApiState>,
    Path((id, rel)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    s.graph
        .delete_relationship(&id, &rel, header(&headers, "if-match"))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// GET .../relationships?relationshipName=
pub async fn list(
    State(s): State<ApiState>,
    scheme: axum::Extension<Scheme>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let params = Params::parse(q.as_deref());
    let paging = Paging::from_request(
        &params,
        &headers,
        json!({"r": params.get("relationshipName")}),
    )?;
    let name = paging.filters["r"].as_str().map(str::to_owned);
    let page = s.graph.relationships(&id, name.as_deref(), &paging.page)?;
    let path = format!("/digitaltwins/{}/relationships", encode(&id));
    let next = paging.next_link(page.next, scheme.0, &headers, &path, &params);
    let value: Vec<Value> = page.items.iter().map(Relationship::to_document).collect();
    Ok(page_response(value, next))
}

/// GET .../incomingrelationships
pub async fn incoming(
    State(s): State<ApiState>,
    scheme: axum::Extension<Scheme>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let params = Params::parse(q.as_deref());
    let paging = Paging::from_request(&params, &headers, Value::Null)?;
    let page = s.graph.incoming(&id, &paging.page)?;
    let path = format!("/digitaltwins/{}/incomingrelationships", encode(&id));
    let next = paging.next_link(page.next, scheme.0, &headers, &path, &params);
    let value: Vec<Value> = page
        .items
        .iter()
        .map(|r| {
            json!({
                "$relationshipId": r.id,
                "$sourceId": r.source,
                "$relationshipName": r.name,
                "$relationshipLink": format!("/digitaltwins/{}/relationships/{}", encode(&r.source), encode(&r.id)),
            })
        })
        .collect();
    Ok(page_response(value, next))
}

/// Everything but RFC 3986's unreserved characters is encoded in a segment.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes an id for use as one path segment.
fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn unreserved_characters_stay_literal() {
        assert_eq!(super::encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(super::encode("a b/ø"), "a%20b%2F%C3%B8");
    }
}
