//! An AMQP 0.9.1 consumer (RabbitMQ): one queue, optionally bound to a
//! topic exchange, with routing keys (or a header) mapped to twins and to
//! telemetry or property reports. A message is acknowledged only after the
//! [`TwinSink`] took it; one the platform refuses (bad JSON, unknown twin,
//! a value the model rejects) is rejected without requeueing, so it goes
//! to the queue's dead-letter exchange, with the reason logged. lapin does
//! not reconnect by itself, so [`AmqpSource`] runs its own loop.

mod config;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{AmqpRoute, AmqpSourceConfig};

use crate::payload;
use crate::{ConnectError, TwinSink};
use config::{Route, redact};

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A running consumer of one queue.
pub struct AmqpSource {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AmqpSource {
    /// Checks `cfg` and starts consuming in the background; an unreachable
    /// broker is retried until [`AmqpSource::stop`].
    pub fn start<S: TwinSink>(
        cfg: AmqpSourceConfig,
        sink: Arc<S>,
    ) -> Result<AmqpSource, ConnectError> {
        let routes = cfg.routes().map_err(ConnectError::Config)?;
        let (stop, stopped) = watch::channel(false);
        let source = Source {
            cfg,
            routes,
            sink,
            stopped,
        };
        let task = tokio::spawn(source.run());
        Ok(AmqpSource { stop, task })
    }

    /// Closes the connection (unacknowledged messages return to the queue)
    /// and waits for the consumer to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

struct Source<S> {
    cfg: AmqpSourceConfig,
    routes: Vec<Route>,
    sink: Arc<S>,
    stopped: watch::Receiver<bool>,
}

/// What became of one message.
enum Outcome {
    Ack,
    Reject(String),
    Stopping,
}

impl<S: TwinSink> Source<S> {
    async fn run(mut self) {
        let name = self.cfg.label().to_string();
        let mut delay = Duration::from_millis(500);
        loop {
            let mut stopped = self.stopped.clone();
            let r = tokio::select! {
                r = self.session(&name) => r,
                _ = stopped.changed() => return,
            };
            match r {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(source = %name, url = %redact(&self.cfg.url), "AMQP: {e}; reconnecting in {delay:?}");
                }
            }
            if self.pause(delay).await {
                return;
            }
            delay = (delay * 2).min(MAX_BACKOFF);
        }
    }

    /// One connection: set up, then consume until it breaks (Err) or
    /// ferrotwin stops (Ok).
    async fn session(&mut self, name: &str) -> Result<(), String> {
        // The name shows in the broker's connection list, for operators.
        let props = ConnectionProperties::default().with_connection_name(
            format!("ferrotwin amqp_source {name} queue {}", self.cfg.queue).into(),
        );
        let conn = Connection::connect(&self.cfg.url, props)
            .await
            .map_err(|e| format!("connecting: {e}"))?;
        let ch = conn
            .create_channel()
            .await
            .map_err(|e| format!("opening a channel: {e}"))?;
        ch.basic_qos(self.cfg.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| format!("setting the prefetch: {e}"))?;
        let mut args = FieldTable::default();
        if let Some(dlx) = &self.cfg.dead_letter_exchange {
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString(dlx.as_str().into()),
            );
        }
        let queue: ShortString = self.cfg.queue.as_str().into();
        ch.queue_declare(queue.clone(), QueueDeclareOptions::durable(), args)
            .await
            .map_err(|e| format!("declaring queue '{}': {e}", self.cfg.queue))?;
        if let Some(x) = &self.cfg.exchange {
            let opts = ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            };
            ch.exchange_declare(
                x.as_str().into(),
                ExchangeKind::Topic,
                opts,
                FieldTable::default(),
            )
            .await
            .map_err(|e| format!("declaring exchange '{x}': {e}"))?;
            for r in &self.routes {
                let key = r.pattern.filter();
                ch.queue_bind(
                    queue.clone(),
                    x.as_str().into(),
                    key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|e| format!("binding '{key}': {e}"))?;
            }
        }
        let tag: ShortString = format!("ferrotwin-{}", uuid::Uuid::new_v4().simple()).into();
        let mut consumer = ch
            .basic_consume(
                queue,
                tag,
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| format!("consuming: {e}"))?;
        tracing::info!(source = %name, queue = %self.cfg.queue, "AMQP consumer started");
        while let Some(d) = consumer.next().await {
            let d = d.map_err(|e| format!("receiving: {e}"))?;
            let tag = d.delivery_tag;
            match self.handle(&d).await {
                Outcome::Ack => ch
                    .basic_ack(tag, BasicAckOptions::default())
                    .await
                    .map_err(|e| format!("acknowledging: {e}"))?,
                Outcome::Reject(why) => {
                    tracing::warn!(
                        source = %name,
                        routing_key = %d.routing_key,
                        dead_letter = self.cfg.dead_letter_exchange.as_deref(),
                        "AMQP message refused: {why}"
                    );
                    let opts = BasicNackOptions {
                        requeue: false,
                        ..BasicNackOptions::default()
                    };
                    ch.basic_nack(tag, opts)
                        .await
                        .map_err(|e| format!("rejecting: {e}"))?;
                }
                Outcome::Stopping => break,
            }
        }
        // Unacknowledged messages go back to the queue with the connection.
        let _ = conn.close(200, "ferrotwin stopping".into()).await;
        Ok(())
    }

    async fn pause(&mut self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => false,
            _ = self.stopped.changed() => true,
        }
    }

    async fn handle(&mut self, d: &lapin::message::Delivery) -> Outcome {
        let key = d.routing_key.as_str();
        let source = format!(
            "amqp name={} queue={} routing_key={key}",
            self.cfg.label(),
            self.cfg.queue
        );
        let Some(route) = self.routes.iter().find(|r| r.pattern.matches(key)) else {
            let why = format!("no route maps the routing key '{key}'");
            payload::unroutable(&*self.sink, &source, &d.data, why.clone()).await;
            return Outcome::Reject(why);
        };
        let twin = match &route.twin_header {
            None => route.pattern.twin_id(key).map(str::to_string),
            Some(h) => header(d, h),
        };
        let Some(twin) = twin else {
            let why = match &route.twin_header {
                Some(h) => format!("the message has no string header '{h}' naming the twin"),
                None => format!("the routing key '{key}' names no twin"),
            };
            payload::unroutable(&*self.sink, &source, &d.data, why.clone()).await;
            return Outcome::Reject(why);
        };
        let (kind, map) = (route.kind, route.map.clone());
        let mut delay = Duration::from_millis(100);
        loop {
            match payload::deliver_mapped(&*self.sink, &source, &twin, kind, &map, &d.data).await {
                Ok(payload::Outcome::Taken) => return Outcome::Ack,
                Ok(payload::Outcome::Refused(why)) => {
                    return Outcome::Reject(format!("twin '{twin}': {why}"));
                }
                Err(why) => {
                    tracing::error!(source = %self.cfg.label(), twin, "the platform cannot take the message ({why}); retrying in {delay:?}");
                    if self.pause(delay).await {
                        return Outcome::Stopping;
                    }
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

/// A string header of a message.
fn header(d: &lapin::message::Delivery, name: &str) -> Option<String> {
    let headers = d.properties.headers().as_ref()?;
    match headers.inner().get(name)? {
        AMQPValue::LongString(s) => Some(s.to_string()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}
