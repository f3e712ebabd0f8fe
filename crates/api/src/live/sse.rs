//! `GET /events`: Server-Sent Events, one CloudEvent per `data:` line.

use std::convert::Infallible;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use ferrotwin_events::Received;
use serde_json::json;

use super::select::{Lag, Selection};
use crate::ApiState;
use crate::error::ApiResult;
use crate::paging::Params;
use ferrotwin_cloudevent::to_cloudevent;

/// Subscribes to the event stream.
pub async fn subscribe(
    State(s): State<ApiState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let mut sel = Selection::from_params(&Params::parse(q.as_deref()))?;
    let source = super::ws::source(&headers);
    let mut sub = s.graph.bus().subscribe();
    let graph = s.graph.clone();
    let stream = async_stream(move |tx| async move {
        loop {
            let out = match sub.recv().await {
                Received::Event(e) => {
                    if !sel.wants(&e, &graph) {
                        continue;
                    }
                    SseEvent::default()
                        .event("cloudevent")
                        .data(to_cloudevent(&e, &source).to_string())
                }
                Received::Lagged(n) => {
                    let notice = SseEvent::default()
                        .event("lagged")
                        .data(json!({"lagged": true, "dropped": n}).to_string());
                    let _ = tx.send(notice).await;
                    if sel.lag == Lag::Disconnect {
                        return;
                    }
                    continue;
                }
                Received::Closed => return,
            };
            if tx.send(out).await.is_err() {
                return;
            }
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// A stream fed by a task through a small channel, so that the task ends
/// when the client goes away.
fn async_stream<F, Fut>(f: F) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<SseEvent>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(f(tx));
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|o| o.map(Ok)))
}
