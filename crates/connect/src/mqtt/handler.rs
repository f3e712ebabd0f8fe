//! Hands every device publish to the [`TwinSink`] before it is
//! acknowledged, so a QoS 1 PUBACK means the platform has the message.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use mqtt5::broker::events::{BrokerEventHandler, ClientPublishEvent, PublishAction};
use serde_json::{Map, Value};

use super::topic::{Topic, TopicKind};
use crate::{SinkError, TwinSink};

/// The broker event handler over a sink.
pub(crate) struct Handler<S> {
    sink: Arc<S>,
}

impl<S: TwinSink> Handler<S> {
    pub(crate) fn new(sink: Arc<S>) -> Handler<S> {
        Handler { sink }
    }

    async fn publish(&self, e: &ClientPublishEvent) -> Result<(), SinkError> {
        let Some(topic) = Topic::publish(&e.topic) else {
            return Err(SinkError::Invalid(format!("unknown topic {}", e.topic)));
        };
        let body: Value = serde_json::from_slice(&e.payload)
            .map_err(|err| SinkError::Invalid(format!("the payload is not JSON: {err}")))?;
        match topic.kind {
            TopicKind::Telemetry => {
                let messages = match body {
                    Value::Array(items) => items,
                    one => vec![one],
                };
                for m in messages {
                    let Value::Object(mut data) = m else {
                        return Err(SinkError::Invalid(
                            "telemetry must be a JSON object or an array of them".into(),
                        ));
                    };
                    let ts = source_time(&mut data)?;
                    let id = uuid::Uuid::new_v4().to_string();
                    self.sink
                        .telemetry(topic.twin_id, &id, ts.as_deref(), Value::Object(data))
                        .await?;
                }
                Ok(())
            }
            TopicKind::Properties => match body {
                Value::Object(props) if !props.is_empty() => {
                    self.sink.report(topic.twin_id, props).await
                }
                _ => Err(SinkError::Invalid(
                    "a property report must be a non-empty JSON object".into(),
                )),
            },
            TopicKind::Commands => {
                Err(SinkError::Invalid("devices do not publish commands".into()))
            }
        }
    }
}

/// Takes the source time (`$ts` or `timestamp`, RFC 3339) out of a
/// telemetry message.
fn source_time(data: &mut Map<String, Value>) -> Result<Option<String>, SinkError> {
    for key in ["$ts", "timestamp"] {
        if let Some(v) = data.remove(key) {
            return match v {
                Value::String(s) => Ok(Some(s)),
                _ => Err(SinkError::Invalid(format!(
                    "{key} must be an RFC 3339 string"
                ))),
            };
        }
    }
    Ok(None)
}

impl<S: TwinSink> BrokerEventHandler for Handler<S> {
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
