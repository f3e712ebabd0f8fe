//! `GET /events/ws`: the same stream over WebSocket, one CloudEvent per
//! text message; a lag notice is `{"lagged": true, "dropped": N}`.

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use ferrotwin_events::Received;
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

async fn run(s: ApiState, mut socket: WebSocket, mut sel: Selection, source: String) {
    let mut sub = s.graph.bus().subscribe();
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
            received = sub.recv() => {
                let text = match received {
                    Received::Event(e) => {
                        if !sel.wants(&e, &s.graph) {
                            continue;
                        }
                        to_cloudevent(&e, &source).to_string()
                    }
                    Received::Lagged(n) => {
                        let notice = json!({"lagged": true, "dropped": n}).to_string();
                        if sel.lag == Lag::Disconnect {
                            let _ = socket.send(Message::Text(notice.into())).await;
                            let frame = CloseFrame { code: 1008, reason: format!("lagged, {n} events dropped").into() };
                            let _ = socket.send(Message::Close(Some(frame))).await;
                            return;
                        }
                        notice
                    }
                    Received::Closed => return,
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
        }
    }
}
