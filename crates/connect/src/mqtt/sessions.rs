//! Which devices are connected, with which protocol version, and what they
//! subscribed to: what a command needs to know to pick its topic form.
//!
//! A filter is noted when the ACL lets it through, before the broker
//! subscribes and answers SUBACK, so a command sent right after the SUBACK
//! finds the device; the broker's own routing table then confirms each
//! match, so a filter the broker refused, or an unsubscribe or disconnect
//! it has handled but not yet reported, never counts.

use std::collections::HashMap;
use std::sync::Mutex;

use mqtt5::broker::events::{ClientConnectEvent, ClientDisconnectEvent, ClientUnsubscribeEvent};
use mqtt5::broker::router::MessageRouter;
use mqtt5::protocol::v5::reason_codes::ReasonCode;
use mqtt5::topic_matching::matches;

/// The MQTT protocol level of 3.1.1 in CONNECT.
const V311: u8 = 4;

/// Who listens for commands, kept current from the ACL and the broker's events.
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

    /// The ACL let `client_id` subscribe to `filter`; the broker has not
    /// subscribed it yet.
    pub(crate) fn subscribing(&self, client_id: &str, filter: &str) {
        if let Some(c) = self.state().clients.get_mut(client_id)
            && !c.filters.iter().any(|f| f == filter)
        {
            c.filters.push(filter.to_string());
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
    /// `v311_topic` (MQTT 3.1.1), as far as `router` routes it now.
    pub(crate) async fn listeners(
        &self,
        router: &MessageRouter,
        v5_topic: &str,
        v311_topic: &str,
    ) -> Listeners {
        let candidates: Vec<(String, String, bool)> = {
            let st = self.state();
            st.clients
                .iter()
                .filter(|(_, c)| c.online)
                .flat_map(|(id, c)| {
                    let v311 = c.version <= V311;
                    let topic = if v311 { v311_topic } else { v5_topic };
                    c.filters
                        .iter()
                        .filter(move |f| matches(topic, f))
                        .map(move |f| (id.clone(), f.clone(), v311))
                })
                .collect()
        };
        let mut l = Listeners::default();
        for (client_id, filter, v311) in candidates {
            if (v311 && l.v311) || (!v311 && l.v5) {
                continue;
            }
            if router.is_connected(&client_id).await
                && router.has_subscription(&client_id, &filter).await
            {
                if v311 {
                    l.v311 = true;
                } else {
                    l.v5 = true;
                }
            }
        }
        l
    }
}
