//! Device login and the topic ACL, as an `mqtt5` auth provider; it tells
//! [`Sessions`] each login's protocol level and each filter it lets through.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use ferrotwin_auth::{AuthError, DeviceStore};
use mqtt5::broker::auth::{AuthProvider, AuthResult};
use mqtt5::packet::connect::ConnectPacket;
use mqtt5::protocol::v5::reason_codes::ReasonCode;

use super::sessions::Sessions;
use super::topic::{Response, Topic, TopicKind};

/// Checks CONNECT credentials against the device store, and lets a device
/// publish (data and command answers) and subscribe (commands) only on its
/// own twins' topics, including topics a mapping rule assigns to them.
pub(crate) struct DeviceAuth {
    devices: Arc<DeviceStore>,
    sessions: Arc<Sessions>,
    event_topics: Vec<String>,
    rules: crate::Rules,
}

impl DeviceAuth {
    pub(crate) fn new(
        devices: Arc<DeviceStore>,
        sessions: Arc<Sessions>,
        event_topics: Vec<String>,
        rules: crate::Rules,
    ) -> DeviceAuth {
        DeviceAuth {
            devices,
            sessions,
            event_topics,
            rules,
        }
    }

    fn owns(&self, user: Option<&str>, twin_id: &str) -> bool {
        user.and_then(|u| self.devices.twins(u))
            .is_some_and(|twins| twins.iter().any(|t| t == twin_id))
    }
}

type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl AuthProvider for DeviceAuth {
    fn authenticate<'a>(
        &'a self,
        connect: &'a ConnectPacket,
        client_addr: SocketAddr,
    ) -> Fut<'a, mqtt5::Result<AuthResult>> {
        Box::pin(async move {
            let user = connect.username.as_deref().unwrap_or("");
            let password = connect.password.as_deref().unwrap_or(&[]);
            Ok(match self.devices.verify(user, password) {
                Ok(_) => {
                    self.sessions
                        .login(&connect.client_id, connect.protocol_version);
                    AuthResult::success_with_user(user)
                }
                Err(e) => {
                    tracing::warn!(%client_addr, user, client_id = %connect.client_id, "MQTT login refused: {e}");
                    match e {
                        AuthError::Store(_) => AuthResult::fail(ReasonCode::ServerUnavailable),
                        _ => AuthResult::fail(ReasonCode::BadUsernameOrPassword),
                    }
                }
            })
        })
    }

    fn authorize_publish<'a>(
        &'a self,
        client_id: &str,
        user_id: Option<&'a str>,
        topic: &'a str,
    ) -> Fut<'a, bool> {
        let twin = Topic::publish(topic)
            .map(|t| t.twin_id.to_string())
            .or_else(|| Response::parse(topic).map(|r| r.twin_id.to_string()))
            .or_else(|| self.rules.resolve(topic).map(|r| r.twin));
        let ok = twin.is_some_and(|t| self.owns(user_id, &t));
        if !ok {
            tracing::warn!(
                client_id,
                user = user_id,
                topic,
                "MQTT publish refused by the device ACL"
            );
        }
        Box::pin(async move { ok })
    }

    fn authorize_subscribe<'a>(
        &'a self,
        client_id: &str,
        user_id: Option<&'a str>,
        topic_filter: &'a str,
    ) -> Fut<'a, bool> {
        let ok = self.event_topics.iter().any(|t| t == topic_filter)
            || Topic::subscription(topic_filter).is_some_and(|t| {
                matches!(t.kind, TopicKind::Commands | TopicKind::Desired)
                    && self.owns(user_id, t.twin_id)
            });
        if ok {
            // Before the broker subscribes and sends its SUBACK, so a
            // command right after the SUBACK finds the device.
            self.sessions.subscribing(client_id, topic_filter);
        } else {
            tracing::warn!(
                client_id,
                user = user_id,
                topic_filter,
                "MQTT subscribe refused by the device ACL"
            );
        }
        Box::pin(async move { ok })
    }
}
