//! Hands every device publish to the [`TwinSink`] (or, for command
//! answers, to [`Commands`]) before it is acknowledged, so a QoS 1 PUBACK
//! means the platform has the message; keeps [`Sessions`] current.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use mqtt5::broker::events::{
    BrokerEventHandler, ClientConnectEvent, ClientDisconnectEvent, ClientPublishEvent,
    ClientSubscribeEvent, ClientUnsubscribeEvent, PublishAction,
};

use super::commands::Commands;
use super::sessions::Sessions;
use super::topic::{Response, Topic, TopicKind};
use crate::TwinSink;
use crate::payload::{self, DataKind, Outcome};

/// The broker event handler over a sink.
pub(crate) struct Handler<S> {
    sink: Arc<S>,
    commands: Commands,
    sessions: Arc<Sessions>,
    rules: crate::Rules,
    desired: super::Desired,
}

impl<S: TwinSink> Handler<S> {
    pub(crate) fn new(
        sink: Arc<S>,
        commands: Commands,
        sessions: Arc<Sessions>,
        rules: crate::Rules,
        desired: super::Desired,
    ) -> Handler<S> {
        Handler {
            sink,
            commands,
            sessions,
            rules,
            desired,
        }
    }

    async fn publish(&self, e: &ClientPublishEvent) -> Result<(), String> {
        if let Some(r) = Response::parse(&e.topic) {
            return self
                .commands
                .answer(&r, e.correlation_data.as_deref(), &e.payload);
        }
        let source = format!("mqtt client={} topic={}", e.client_id, e.topic);
        let Some(topic) = Topic::publish(&e.topic) else {
            if let Some(r) = self.rules.resolve(&e.topic) {
                let source = format!("{source} mapping={}", r.rule);
                payload::deliver_mapped(&*self.sink, &source, &r.twin, r.kind, &r.map, &e.payload)
                    .await?;
                return Ok(());
            }
            let why = format!("no twin topic and no mapping rule: {}", e.topic);
            payload::unroutable(&*self.sink, &source, &e.payload, why).await;
            return Ok(());
        };
        let kind = match topic.kind {
            TopicKind::Telemetry => DataKind::Telemetry,
            TopicKind::Properties => DataKind::Properties,
            TopicKind::Commands | TopicKind::Desired => {
                return Err("devices do not publish commands or desired properties".into());
            }
        };
        // A refused message is logged and counted where it is kept.
        match payload::deliver(&*self.sink, &source, topic.twin_id, kind, &e.payload).await? {
            Outcome::Taken | Outcome::Refused(_) => Ok(()),
        }
    }
}

type Done<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

impl<S: TwinSink> BrokerEventHandler for Handler<S> {
    fn on_client_connect<'a>(&'a self, e: ClientConnectEvent) -> Done<'a> {
        self.sessions.connected(&e);
        Box::pin(async {})
    }

    fn on_client_subscribe<'a>(&'a self, e: ClientSubscribeEvent) -> Done<'a> {
        // The filters are in `Sessions` already: the ACL noted them before
        // the broker's SUBACK, which this event follows.
        Box::pin(async move {
            // A device that subscribes to its desired state gets the
            // current one (retained), also when none was sent since start.
            for s in &e.subscriptions {
                if let Some(t) = Topic::subscription(&s.topic_filter)
                    && t.kind == TopicKind::Desired
                    && let Some(state) = self.sink.desired(t.twin_id).await
                {
                    self.desired.send(t.twin_id, &state).await;
                }
            }
        })
    }

    fn on_client_unsubscribe<'a>(&'a self, e: ClientUnsubscribeEvent) -> Done<'a> {
        self.sessions.unsubscribed(&e);
        Box::pin(async {})
    }

    fn on_client_disconnect<'a>(&'a self, e: ClientDisconnectEvent) -> Done<'a> {
        self.sessions.disconnected(&e);
        Box::pin(async {})
    }

    fn on_client_publish<'a>(
        &'a self,
        event: ClientPublishEvent,
    ) -> Pin<Box<dyn Future<Output = PublishAction> + Send + 'a>> {
        Box::pin(async move {
            if let Err(e) = self.publish(&event).await {
                // mqtt5 0.49 acknowledges a handled publish with Success; it
                // has no way to answer a refused payload with a reason code.
                tracing::warn!(
                    client_id = %event.client_id,
                    user = event.user_id.as_deref(),
                    topic = %event.topic,
                    "device message refused: {e}"
                );
            }
            // Device data goes to the platform, not to other subscribers.
            PublishAction::Handled
        })
    }
}
