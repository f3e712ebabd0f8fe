//! Desired property values to devices: when a person or program writes a
//! twin's writable property through the API, the twin's whole desired
//! state (every writable property value, components nested, and
//! `$version`) is published, retained, at QoS 1 on
//! `twins/{twinId}/properties/desired`. A device that subscribes gets the
//! current state at once, also after a restart of ferrotwin (the endpoint
//! publishes it when it sees the subscription).

use std::sync::{Arc, OnceLock};

use mqtt5::QoS;
use mqtt5::broker::router::MessageRouter;
use mqtt5::packet::publish::PublishPacket;
use serde_json::{Map, Value};

/// The topic a twin's desired state goes to.
pub fn desired_topic(twin_id: &str) -> String {
    format!("twins/{twin_id}/properties/desired")
}

/// A handle that sends desired state to devices.
#[derive(Clone, Default)]
pub struct Desired {
    router: Arc<OnceLock<Arc<MessageRouter>>>,
}

impl Desired {
    pub(crate) fn attach(&self, router: Arc<MessageRouter>) {
        let _ = self.router.set(router);
    }

    /// Publishes `state` for `twin_id`, retained; false when the endpoint
    /// is not running yet.
    pub async fn send(&self, twin_id: &str, state: &Map<String, Value>) -> bool {
        let Some(router) = self.router.get() else {
            return false;
        };
        let body = serde_json::to_vec(state).expect("JSON values serialize");
        let mut p = PublishPacket::new(desired_topic(twin_id), body, QoS::AtLeastOnce);
        p.retain = true;
        router.route_message(&p, None).await;
        true
    }
}
