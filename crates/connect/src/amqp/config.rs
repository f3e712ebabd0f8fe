//! Settings of one AMQP 0.9.1 consumer (`[[amqp_source]]` in the config
//! file).

use serde::Deserialize;

use crate::pattern::{Pattern, Syntax};
use crate::payload::DataKind;

/// One queue on an AMQP 0.9.1 broker (RabbitMQ) ferrotwin consumes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpSourceConfig {
    /// A name for logs; the queue name when not given.
    #[serde(default)]
    pub name: Option<String>,
    /// `amqp://user:password@host:port/vhost` (`%2f` for the `/` vhost).
    pub url: String,
    /// The queue to consume; declared durable if it does not exist.
    pub queue: String,
    /// A topic exchange to declare (durable) and bind the queue to, with
    /// one binding per route; none to consume a queue set up elsewhere.
    #[serde(default)]
    pub exchange: Option<String>,
    /// The exchange refused messages go to (the queue's
    /// `x-dead-letter-exchange`); without it they are dropped after being
    /// logged.
    #[serde(default)]
    pub dead_letter_exchange: Option<String>,
    /// Messages delivered before ferrotwin acknowledges them.
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    /// Routing-key patterns and what their messages carry.
    pub routes: Vec<AmqpRoute>,
}

/// A routing-key pattern mapped to a twin and a kind of data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpRoute {
    /// A topic binding key with at most one `{twinId}` word, e.g.
    /// `plant.{twinId}.telemetry`.
    pub routing_key: String,
    /// A message header holding the twin id, when the routing key has no
    /// `{twinId}`.
    #[serde(default)]
    pub twin_header: Option<String>,
    /// `telemetry` or `properties`.
    pub kind: DataKind,
    /// Values to take from the message's own layout by JSON Pointer, with
    /// unit scaling; none: the payload follows the default convention.
    #[serde(default)]
    pub fields: Vec<crate::FieldMap>,
    /// Where the source time is in the payload (JSON Pointer).
    #[serde(default)]
    pub timestamp: Option<String>,
}

fn default_prefetch() -> u16 {
    64
}

/// A route, checked.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) pattern: Pattern,
    pub(crate) twin_header: Option<String>,
    pub(crate) kind: DataKind,
    pub(crate) map: crate::PayloadMap,
}

impl AmqpSourceConfig {
    /// The name used in logs.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.queue)
    }

    /// Checks everything that can be checked before connecting; the error
    /// names the source and the offending field.
    pub fn check(&self) -> Result<(), String> {
        self.routes().map(|_| ())
    }

    pub(crate) fn routes(&self) -> Result<Vec<Route>, String> {
        let at = |m: String| format!("amqp_source '{}': {m}", self.label());
        if !self.url.starts_with("amqp://") {
            return Err(at(format!(
                "url must start with amqp:// (TLS is not built in), not '{}'",
                redact(&self.url)
            )));
        }
        if self.queue.is_empty() {
            return Err(at("queue must not be empty".into()));
        }
        if self.prefetch == 0 {
            return Err(at("prefetch must be above 0".into()));
        }
        if self.routes.is_empty() {
            return Err(at("give at least one [[amqp_source.routes]] entry".into()));
        }
        let mut out = Vec::with_capacity(self.routes.len());
        for r in &self.routes {
            let pattern = Pattern::parse_with(&r.routing_key, Syntax::Amqp).map_err(at)?;
            match (pattern.names_twin(), &r.twin_header) {
                (true, Some(_)) => {
                    return Err(at(format!(
                        "route '{}' names the twin twice: by {{twinId}} and by twin_header",
                        r.routing_key
                    )));
                }
                (false, None) => {
                    return Err(at(format!(
                        "route '{}' names no twin: add a {{twinId}} word or twin_header",
                        r.routing_key
                    )));
                }
                _ => {}
            }
            let map = crate::PayloadMap {
                fields: r.fields.clone(),
                timestamp: r.timestamp.clone(),
            };
            map.check()
                .map_err(|m| at(format!("route '{}': {m}", r.routing_key)))?;
            out.push(Route {
                pattern,
                twin_header: r.twin_header.clone(),
                kind: r.kind,
                map,
            });
        }
        Ok(out)
    }
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(
            redact("amqp://guest:secret@h:5672/%2f"),
            "amqp://guest:***@h:5672/%2f"
        );
        assert_eq!(redact("amqp://h:5672"), "amqp://h:5672");
    }
}
