//! A NATS subject (`nats://host:port`). When a JetStream stream covers the
//! subject, each event is published to JetStream and the batch is
//! confirmed by the stream's acks; otherwise it is a core publish, and the
//! batch is confirmed by a flush (the server's PONG after the PUBs). Which
//! of the two is decided on connecting. The client reconnects by itself;
//! an unconfirmed batch is retried.

use std::time::Duration;

use async_nats::jetstream;
use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::sink::{Sink, SinkError, SinkFuture};

/// `kind = "nats"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// The endpoint's name.
    pub name: String,
    /// The server, `nats://host:port`.
    pub url: String,
    /// The subject every event is published to.
    pub subject: String,
    /// A token, if the server wants one.
    #[serde(default)]
    pub token: Option<String>,
}

/// Publishes to one subject.
pub struct NatsSink {
    cfg: NatsConfig,
    conn: Mutex<Option<Conn>>,
}

struct Conn {
    client: async_nats::Client,
    /// Set when a stream covers the subject.
    stream: Option<(String, jetstream::Context)>,
}

const WAIT: Duration = Duration::from_secs(10);

impl NatsSink {
    /// Checks the declaration; connects on the first delivery.
    pub fn new(cfg: NatsConfig) -> Result<NatsSink, String> {
        if !cfg.url.starts_with("nats://") && !cfg.url.starts_with("tls://") {
            return Err(format!(
                "url '{}' must start with nats:// or tls://",
                cfg.url
            ));
        }
        let s = &cfg.subject;
        if s.is_empty() || s.contains(['*', '>', ' ', '\t']) || s.split('.').any(str::is_empty) {
            return Err(format!(
                "subject '{s}' is not a NATS subject to publish to (no wildcards, spaces or empty tokens)"
            ));
        }
        Ok(NatsSink {
            cfg,
            conn: Mutex::new(None),
        })
    }

    async fn connect(&self) -> Result<Conn, SinkError> {
        let mut opts = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .request_timeout(Some(WAIT));
        if let Some(t) = &self.cfg.token {
            opts = opts.token(t.clone());
        }
        let client = opts
            .connect(self.cfg.url.as_str())
            .await
            .map_err(|e| SinkError::retry(format!("connecting to {}: {e}", self.cfg.url)))?;
        let js = jetstream::new(client.clone());
        let stream = match js.stream_by_subject(self.cfg.subject.clone()).await {
            Ok(name) => Some((name, js)),
            Err(e) => {
                tracing::debug!(subject = %self.cfg.subject, "no JetStream stream covers the subject ({e}); core publish with flush");
                None
            }
        };
        if let Some((name, _)) = &stream {
            tracing::info!(subject = %self.cfg.subject, stream = %name, "NATS endpoint publishes to JetStream");
        }
        Ok(Conn { client, stream })
    }

    async fn send(&self, events: &[Vec<u8>]) -> Result<(), SinkError> {
        let mut slot = self.conn.lock().await;
        if slot.is_none() {
            *slot = Some(self.connect().await?);
        }
        let conn = slot.as_ref().expect("just connected");
        let subject = self.cfg.subject.clone();
        let result = match &conn.stream {
            Some((stream, js)) => {
                let mut acks = Vec::with_capacity(events.len());
                let mut failed = None;
                for e in events {
                    match js.publish(subject.clone(), Bytes::copy_from_slice(e)).await {
                        Ok(ack) => acks.push(ack),
                        Err(e) => {
                            failed = Some(format!("JetStream publish to {subject}: {e}"));
                            break;
                        }
                    }
                }
                match failed {
                    Some(m) => Err(m),
                    None => {
                        let all = futures_util::future::try_join_all(
                            acks.into_iter().map(std::future::IntoFuture::into_future),
                        );
                        match tokio::time::timeout(WAIT, all).await {
                            Ok(Ok(_)) => Ok(()),
                            Ok(Err(e)) => Err(format!("stream {stream} did not ack: {e}")),
                            Err(_) => Err(format!("stream {stream}: no ack within {WAIT:?}")),
                        }
                    }
                }
            }
            None => {
                let mut failed = None;
                for e in events {
                    if let Err(e) = conn
                        .client
                        .publish(subject.clone(), Bytes::copy_from_slice(e))
                        .await
                    {
                        failed = Some(format!("publish to {subject}: {e}"));
                        break;
                    }
                }
                match failed {
                    Some(m) => Err(m),
                    None => match tokio::time::timeout(WAIT, conn.client.flush()).await {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(e)) => Err(format!("flush after publishing to {subject}: {e}")),
                        Err(_) => Err(format!(
                            "flush after publishing to {subject}: no answer within {WAIT:?}"
                        )),
                    },
                }
            }
        };
        result.map_err(|m| {
            // Decide core or JetStream afresh on the next attempt: the
            // stream may have been created or removed meanwhile.
            *slot = None;
            SinkError::retry(format!("{m} ({})", self.cfg.url))
        })
    }
}

impl Sink for NatsSink {
    fn kind(&self) -> &'static str {
        "nats"
    }

    fn deliver<'a>(&'a self, events: &'a [Vec<u8>]) -> SinkFuture<'a> {
        Box::pin(self.send(events))
    }
}
