//! Publishing into the built-in broker from inside the process, for event
//! routes whose endpoint is a topic on this broker. A message is handed to
//! the broker's router at QoS 1: subscribers get it as a client's QoS 1
//! publish would reach them, and the call returns once it is routed.

use std::sync::Arc;

use mqtt5::QoS;
use mqtt5::broker::router::MessageRouter;
use mqtt5::packet::publish::PublishPacket;

/// A handle that publishes into the running broker.
#[derive(Clone)]
pub struct Publisher {
    router: Arc<MessageRouter>,
}

impl Publisher {
    pub(crate) fn new(router: Arc<MessageRouter>) -> Publisher {
        Publisher { router }
    }

    /// Routes `payload` to the subscribers of `topic`.
    pub async fn publish(&self, topic: &str, payload: Vec<u8>) {
        let p = PublishPacket::new(topic, payload, QoS::AtLeastOnce);
        self.router.route_message(&p, None).await;
    }
}
