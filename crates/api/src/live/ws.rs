//! `GET /events/ws`: the same stream over WebSocket, one CloudEvent per
//! text message; a lag notice is `{"lagged": true, "dropped": N}`.

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use ferrotwin_events::Received;
use futures_util::SinkExt;
use serde_json::json;

use super::select::{Lag, Selection};
use crate::ApiState;
use crate::error::ApiResult;
use crate::paging::Params;
use ferrotwin_cloudevent::to_cloudevent;

/// The CloudEvents `source` for this instance: its host as the client saw it.
pub fn source(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("ferrotwin")
        .to_string()
}

/// Upgrades to a WebSocket subscription.
pub async fn subscribe(
    State(s): State<ApiState>,
    upgrade: WebSocketUpgrade,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let sel = Selection::from_params(&Params::parse(q.as_deref()))?;
    let source = source(&headers);
    Ok(upgrade
        .on_upgrade(move |socket| run(s, socket, sel, source))
        .into_response())
}

/// Events taken from the bus before the socket is flushed: under load,
/// events that are already waiting go out together instead of one write
/// each. Filtered-out events count too, so a subscriber that wants few of
/// a flood of events still returns to the scheduler after each batch
/// (`try_recv` does not yield).
const BATCH: usize = 256;

async fn run(s: ApiState, mut socket: WebSocket, mut sel: Selection, source: String) {
    let mut sub = s.graph.bus().subscribe();
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
            received = sub.recv() => {
                let mut next = Some(received);
                let mut taken = 0;
                while let Some(received) = next {
                    taken += 1;
                    let text = match received {
                        Received::Event(e) => {
                            if sel.wants(&e, &s.graph) {
                                Some(to_cloudevent(&e, &source).to_string())
                            } else {
                                None
                            }
                        }
                        Received::Lagged(n) => {
                            let notice = json!({"lagged": true, "dropped": n}).to_string();
                            if sel.lag == Lag::Disconnect {
                                let _ = socket.feed(Message::Text(notice.into())).await;
                                let frame = CloseFrame { code: 1008, reason: format!("lagged, {n} events dropped").into() };
                                let _ = socket.send(Message::Close(Some(frame))).await;
                                return;
                            }
                            Some(notice)
                        }
                        Received::Closed => {
                            let _ = socket.flush().await;
                            return;
                        }
                    };
                    if let Some(text) = text {
                        if socket.feed(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                    next = if taken < BATCH { sub.try_recv() } else { None };
                }
                if socket.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}
