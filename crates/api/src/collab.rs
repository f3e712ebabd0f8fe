//! Remote collaboration over HTTP: a twin's annotations at
//! `/collab/twins/{id}/annotations` (read: reader; pin and remove: writer),
//! who is looking at `/collab/twins/{id}/presence`, and the live room at
//! `/collab/twins/{id}/ws` (WebSocket; browsers pass `?access_token=`).
//!
//! The room's wire format, one JSON object per text message. The server
//! first sends `{"type":"welcome","you":P,"participants":[P...],"annotations":[A...]}`,
//! then `join`, `leave`, `pointer` (never your own), `annotation`, `annotationDeleted`
//! (see [`RoomMessage`]) and `{"type":"lagged","missed":N}`. A client sends
//! `{"type":"pointer","pointer":{"target":TWIN,"position":[x,y,z],"part":NAME}|null}`;
//! anything else gets `{"type":"error","message":...}` and the room goes on.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use ferrotwin_auth::Role;
use ferrotwin_collab::{CollabError, NewAnnotation, Pointer, RoomMessage};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::{ApiState, body};

/// The largest message a client may send.
const MAX_MESSAGE: usize = 4096;
/// Pointer updates relayed per person per second; more are dropped.
const POINTER_RATE: u32 = 30;

/// The collaboration routes.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/collab/twins/{id}/annotations", get(list).post(create))
        .route("/collab/twins/{id}/annotations/{aid}", delete(remove))
        .route("/collab/twins/{id}/presence", get(presence))
        .route("/collab/twins/{id}/ws", get(join))
}

fn err(e: CollabError) -> ApiError {
    match e {
        CollabError::Invalid(m) => ApiError::invalid(m),
        CollabError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "AnnotationNotFound", m),
        CollabError::Limit(m) => ApiError::new(StatusCode::CONFLICT, "LimitExceeded", m),
        CollabError::Storage(m) => {
            tracing::error!(error = %m, "collaboration storage failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "StorageFailed", m)
        }
    }
}

async fn list(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    s.graph.twin(&id)?;
    let v = s.collab.annotations.list(&id).map_err(err)?;
    Ok(Json(json!({ "value": v })))
}

async fn create(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Extension(who): Extension<Actor>,
    bytes: Bytes,
) -> ApiResult<Response> {
    s.graph.twin(&id)?;
    let new: NewAnnotation = serde_json::from_value(body::json(&bytes)?)
        .map_err(|e| ApiError::invalid(format!("the annotation is not valid: {e}")))?;
    let a = new.into_annotation(&id, &who.0).map_err(err)?;
    s.collab.annotations.add(&a).map_err(err)?;
    s.collab.rooms.announce(
        &id,
        RoomMessage::Annotation {
            annotation: a.clone(),
        },
    );
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

async fn remove(
    State(s): State<ApiState>,
    Path((id, aid)): Path<(String, String)>,
    Extension(who): Extension<Actor>,
) -> ApiResult<StatusCode> {
    s.collab.annotations.delete(&id, &aid).map_err(err)?;
    s.collab
        .rooms
        .announce(&id, RoomMessage::AnnotationDeleted { id: aid, by: who.0 });
    Ok(StatusCode::NO_CONTENT)
}

async fn presence(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    s.graph.twin(&id)?;
    Ok(Json(json!({ "value": s.collab.rooms.participants(&id) })))
}

async fn join(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Extension(who): Extension<Actor>,
    Extension(role): Extension<Role>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    s.graph.twin(&id)?;
    Ok(upgrade
        .max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| room(s, socket, id, who.0, role))
        .into_response())
}

async fn room(s: ApiState, mut socket: WebSocket, twin: String, name: String, role: Role) {
    let (me, others, mut rx) = match s.collab.rooms.join(&twin, &name, role.as_str()) {
        Ok(j) => j,
        Err(e) => return refuse(&mut socket, 1013, e).await,
    };
    // Listed after joining, so an annotation pinned meanwhile arrives in the
    // list, as a message, or both (clients key them by id), never neither.
    let annotations = match s.collab.annotations.list(&twin) {
        Ok(a) => a,
        Err(e) => {
            s.collab.rooms.leave(&twin, &me.session);
            return refuse(&mut socket, 1011, e).await;
        }
    };
    let welcome =
        json!({"type": "welcome", "you": me, "participants": others, "annotations": annotations});
    if socket
        .send(Message::Text(welcome.to_string().into()))
        .await
        .is_ok()
    {
        relay(&s, &mut socket, &twin, &me.session, &mut rx).await;
    }
    s.collab.rooms.leave(&twin, &me.session);
}

async fn refuse(socket: &mut WebSocket, code: u16, e: CollabError) {
    let frame = CloseFrame {
        code,
        reason: e.to_string().into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

async fn relay(
    s: &ApiState,
    socket: &mut WebSocket,
    twin: &str,
    session: &str,
    rx: &mut tokio::sync::broadcast::Receiver<RoomMessage>,
) {
    let mut window = Instant::now();
    let mut sent = 0u32;
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                match parse_pointer(text.as_str()) {
                    Ok(pointer) => {
                        if window.elapsed() >= Duration::from_secs(1) {
                            window = Instant::now();
                            sent = 0;
                        }
                        sent += 1;
                        if sent <= POINTER_RATE {
                            s.collab.rooms.announce(twin, RoomMessage::Pointer { session: session.to_string(), pointer });
                        }
                    }
                    Err(message) => {
                        let m = json!({"type": "error", "message": message}).to_string();
                        if socket.send(Message::Text(m.into())).await.is_err() {
                            return;
                        }
                    }
                }
            }
            m = rx.recv() => {
                let text = match m {
                    // Your own join and pointer are not news to you.
                    Ok(RoomMessage::Join { participant }) if participant.session == session => continue,
                    Ok(RoomMessage::Pointer { session: from, .. }) if from == session => continue,
                    Ok(m) => serde_json::to_string(&m).expect("room messages serialize"),
                    Err(RecvError::Lagged(n)) => json!({"type": "lagged", "missed": n}).to_string(),
                    Err(RecvError::Closed) => return,
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Reads a client's message: only pointer updates are accepted.
fn parse_pointer(text: &str) -> Result<Option<Pointer>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "not valid JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    match v.get("type").and_then(Value::as_str) {
        Some("pointer") => {}
        Some(other) => {
            return Err(format!(
                "unknown message type '{other}'; send type \"pointer\""
            ));
        }
        None => return Err("a message needs a \"type\"".into()),
    }
    let p = v.get("pointer").cloned().unwrap_or(Value::Null);
    if p.is_null() {
        return Ok(None);
    }
    let p: Pointer = serde_json::from_value(p).map_err(|e| format!("pointer: {e}"))?;
    p.check().map_err(|e| e.to_string())?;
    Ok(Some(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_are_checked() {
        assert_eq!(
            parse_pointer(r#"{"type":"pointer","pointer":null}"#),
            Ok(None)
        );
        assert!(parse_pointer(r#"{"type":"pointer","pointer":{"target":"pump-1","position":[0,1,2],"part":"casing"}}"#).unwrap().is_some());
        for (bad, says) in [
            ("{", "not valid JSON"),
            (r#"{"type":"chat"}"#, "unknown message type"),
            (r#"{"pointer":null}"#, "needs a \"type\""),
            (
                r#"{"type":"pointer","pointer":{"target":"p","position":[0,1]}}"#,
                "pointer:",
            ),
            (
                r#"{"type":"pointer","pointer":{"target":"p","position":[0,1e9,0]}}"#,
                "within",
            ),
        ] {
            let e = parse_pointer(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
