//! Commands to devices over the built-in endpoint, and their answers.
//!
//! An MQTT 5 device gets the request on `twins/{id}/commands/{command}`
//! with a response topic and the request id as correlation data; an MQTT
//! 3.1.1 device gets it on `twins/{id}/commands/{command}/req/{requestId}`.
//! Both answer on `twins/{id}/commands/{command}/res/{requestId}`,
//! optionally followed by `/{status}` (200 without it), with a JSON payload
//! or none. `{command}` is the command name, or `component*name` for a
//! component's command.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use mqtt5::QoS;
use mqtt5::broker::router::MessageRouter;
use mqtt5::packet::publish::PublishPacket;
use serde_json::Value;
use tokio::sync::oneshot;

use super::sessions::Sessions;
use super::topic::{Response, command_topic, request_topic, response_topic};

/// Why a command got no answer.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CommandError {
    /// No connected device subscribes to the command's topic.
    #[error("no device of twin '{0}' is connected and subscribed to its command topic {1}")]
    NotConnected(String, String),
    /// The device did not answer in time.
    #[error("the device did not answer within {0:?}")]
    Timeout(Duration),
    /// The device's answer could not be read.
    #[error("the device's answer is not usable: {0}")]
    BadResponse(String),
    /// The endpoint is not running.
    #[error("the MQTT endpoint is not running")]
    Unavailable,
}

/// A device's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandReply {
    /// The device's status code (200 unless it said otherwise).
    pub status: u16,
    /// Its JSON payload, if it sent one.
    pub payload: Option<Value>,
}

type Answer = Result<CommandReply, CommandError>;

struct Pending {
    twin_id: String,
    command: String,
    tx: oneshot::Sender<Answer>,
}

/// Sends commands to devices on the built-in endpoint; cheap to clone.
#[derive(Clone)]
pub struct Commands {
    inner: Arc<Inner>,
}

struct Inner {
    router: OnceLock<Arc<MessageRouter>>,
    sessions: Arc<Sessions>,
    pending: Mutex<HashMap<String, Pending>>,
}

/// Forgets a request when its caller stops waiting, answered or not.
struct Forget<'a>(&'a Inner, &'a str);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.0.pending().remove(self.1);
    }
}

impl Inner {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Commands {
    pub(crate) fn new(sessions: Arc<Sessions>) -> Commands {
        Commands {
            inner: Arc::new(Inner {
                router: OnceLock::new(),
                sessions,
                pending: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub(crate) fn attach(&self, router: Arc<MessageRouter>) {
        let _ = self.inner.router.set(router);
    }

    /// Sends `command` (`name` or `component*name`) with `payload` to the
    /// device of `twin_id`, and waits up to `timeout` for its answer.
    pub async fn invoke(
        &self,
        twin_id: &str,
        command: &str,
        payload: Option<&Value>,
        timeout: Duration,
    ) -> Result<CommandReply, CommandError> {
        let router = self.inner.router.get().ok_or(CommandError::Unavailable)?;
        let request_id = uuid::Uuid::new_v4().simple().to_string();
        let v5_topic = command_topic(twin_id, command);
        let v311_topic = request_topic(twin_id, command, &request_id);
        let listeners = self
            .inner
            .sessions
            .listeners(router, &v5_topic, &v311_topic)
            .await;
        if !listeners.v5 && !listeners.v311 {
            return Err(CommandError::NotConnected(twin_id.to_string(), v5_topic));
        }
        let (tx, rx) = oneshot::channel();
        self.inner.pending().insert(
            request_id.clone(),
            Pending {
                twin_id: twin_id.to_string(),
                command: command.to_string(),
                tx,
            },
        );
        let _forget = Forget(&self.inner, &request_id);
        let body = payload.map(|p| p.to_string()).unwrap_or_default();
        let expiry = u32::try_from(timeout.as_secs().max(1)).unwrap_or(u32::MAX);
        if listeners.v5 {
            let p = PublishPacket::new(v5_topic, body.clone().into_bytes(), QoS::AtLeastOnce)
                .with_response_topic(response_topic(twin_id, command, &request_id))
                .with_correlation_data(request_id.clone().into_bytes())
                .with_content_type("application/json".into())
                .with_message_expiry_interval(expiry);
            router.route_message(&p, None).await;
        }
        if listeners.v311 {
            let p = PublishPacket::new(v311_topic, body.into_bytes(), QoS::AtLeastOnce)
                .with_message_expiry_interval(expiry);
            router.route_message(&p, None).await;
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(CommandError::Unavailable),
            Err(_) => Err(CommandError::Timeout(timeout)),
        }
    }

    /// A device published `payload` on response topic `r`; `correlation`
    /// is its MQTT 5 correlation data, if any. Answers that match no
    /// waiting request are refused with the reason.
    pub(crate) fn answer(
        &self,
        r: &Response<'_>,
        correlation: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<(), String> {
        if correlation.is_some_and(|c| c != r.request_id.as_bytes()) {
            return Err("the correlation data does not match the request id in the topic".into());
        }
        let mut pending = self.inner.pending();
        let Some(p) = pending.get(r.request_id) else {
            return Err(format!(
                "no request '{}' is waiting (answered already, or timed out)",
                r.request_id
            ));
        };
        if p.twin_id != r.twin_id || p.command != r.command {
            return Err(format!(
                "request '{}' was command '{}' of twin '{}'",
                r.request_id, p.command, p.twin_id
            ));
        }
        let p = pending.remove(r.request_id).expect("looked up above");
        drop(pending);
        let answer = if payload.is_empty() {
            Ok(CommandReply {
                status: r.status,
                payload: None,
            })
        } else {
            match serde_json::from_slice(payload) {
                Ok(v) => Ok(CommandReply {
                    status: r.status,
                    payload: Some(v),
                }),
                Err(e) => Err(CommandError::BadResponse(format!(
                    "the payload is not JSON: {e}"
                ))),
            }
        };
        let bad = answer.as_ref().err().map(ToString::to_string);
        let _ = p.tx.send(answer);
        bad.map_or(Ok(()), Err)
    }
}
