//! Which devices are connected, with which protocol version, and what they
//! subscribed to: what a command needs to know to pick its topic form.

use std::collections::HashMap;
use std::sync::Mutex;

use mqtt5::broker::events::{
    ClientConnectEvent, ClientDisconnectEvent, ClientSubscribeEvent, ClientUnsubscribeEvent,
    SubAckReasonCode,
};
use mqtt5::protocol::v5::reason_codes::ReasonCode;
use mqtt5::topic_matching::matches;

/// The MQTT protocol level of 3.1.1 in CONNECT.
const V311: u8 = 4;

/// Who listens for commands, kept current from the broker's events.
#[derive(Default)]
pub(crate) struct Sessions {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Protocol levels seen at login, until the connection is accepted.
    logins: HashMap<String, u8>,
    clients: HashMap<String, Client>,
}

struct Client {
    version: u8,
    online: bool,
    /// The broker keeps the session (and its subscriptions) after a disconnect.
    persistent: bool,
    filters: Vec<String>,
}

/// Which topic forms have a connected listener.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Listeners {
    /// An MQTT 5 device subscribed to the plain command topic.
    pub(crate) v5: bool,
    /// An MQTT 3.1.1 device subscribed to the request topic.
    pub(crate) v311: bool,
}

impl Sessions {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A CONNECT passed authentication with this protocol level.
    pub(crate) fn login(&self, client_id: &str, version: u8) {
        self.state().logins.insert(client_id.to_string(), version);
    }

    pub(crate) fn connected(&self, e: &ClientConnectEvent) {
        let mut st = self.state();
        let version = st.logins.remove(&*e.client_id).unwrap_or(5);
        let persistent = !e.clean_start || e.session_expiry_interval > 0;
        let c = st
            .clients
            .entry(e.client_id.to_string())
            .or_insert_with(|| Client {
                version,
                online: true,
                persistent,
                filters: vec![],
            });
        if e.clean_start {
            c.filters.clear();
        }
        c.version = version;
        c.online = true;
        c.persistent = persistent;
    }

    pub(crate) fn subscribed(&self, e: &ClientSubscribeEvent) {
        let mut st = self.state();
        let Some(c) = st.clients.get_mut(&*e.client_id) else {
            return;
        };
        for s in &e.subscriptions {
            let granted = matches!(
                s.result,
                SubAckReasonCode::GrantedQoS0
                    | SubAckReasonCode::GrantedQoS1
                    | SubAckReasonCode::GrantedQoS2
            );
            if granted && !c.filters.iter().any(|f| **f == *s.topic_filter) {
                c.filters.push(s.topic_filter.to_string());
            }
        }
    }

    pub(crate) fn unsubscribed(&self, e: &ClientUnsubscribeEvent) {
        if let Some(c) = self.state().clients.get_mut(&*e.client_id) {
            c.filters
                .retain(|f| !e.topic_filters.iter().any(|u| **u == **f));
        }
    }

    pub(crate) fn disconnected(&self, e: &ClientDisconnectEvent) {
        // The connection that took the session over is already registered.
        if e.reason == ReasonCode::SessionTakenOver {
            return;
        }
        let mut st = self.state();
        match st.clients.get_mut(&*e.client_id) {
            Some(c) if c.persistent => c.online = false,
            Some(_) => {
                st.clients.remove(&*e.client_id);
            }
            None => {}
        }
    }

    /// Which connected devices would receive `v5_topic` (MQTT 5) or
    /// `v311_topic` (MQTT 3.1.1).
    pub(crate) fn listeners(&self, v5_topic: &str, v311_topic: &str) -> Listeners {
        let st = self.state();
        let mut l = Listeners::default();
        for c in st.clients.values().filter(|c| c.online) {
            let topic = if c.version <= V311 {
                v311_topic
            } else {
                v5_topic
            };
            if c.filters.iter().any(|f| matches(topic, f)) {
                if c.version <= V311 {
                    l.v311 = true;
                } else {
                    l.v5 = true;
                }
            }
        }
        l
    }
}
