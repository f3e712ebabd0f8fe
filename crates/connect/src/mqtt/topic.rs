//! The topic convention: `twins/{twinId}/telemetry`,
//! `twins/{twinId}/properties`, and `twins/{twinId}/commands/...` for what
//! the platform sends to a device.

/// What a device topic is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicKind {
    /// Device to platform: telemetry.
    Telemetry,
    /// Device to platform: reported property values.
    Properties,
    /// Platform to device: commands (subscribe only).
    Commands,
}

/// A parsed device topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic<'a> {
    /// The twin the topic belongs to.
    pub twin_id: &'a str,
    /// What it carries.
    pub kind: TopicKind,
}

impl<'a> Topic<'a> {
    /// Parses a topic name a device publishes to; None when it is not
    /// `twins/{id}/telemetry` or `twins/{id}/properties`.
    pub fn publish(topic: &'a str) -> Option<Topic<'a>> {
        let rest = topic.strip_prefix("twins/")?;
        let (twin_id, kind) = rest.split_once('/')?;
        if !valid_id(twin_id) {
            return None;
        }
        let kind = match kind {
            "telemetry" => TopicKind::Telemetry,
            "properties" => TopicKind::Properties,
            _ => return None,
        };
        Some(Topic { twin_id, kind })
    }

    /// Parses a topic filter a device subscribes to; only filters within
    /// `twins/{id}/commands/#` qualify (no wildcard in the twin id).
    pub fn subscription(filter: &'a str) -> Option<Topic<'a>> {
        let rest = filter.strip_prefix("twins/")?;
        let (twin_id, kind) = rest.split_once('/')?;
        if !valid_id(twin_id) {
            return None;
        }
        let ok = kind == "commands"
            || kind == "commands/#"
            || kind
                .strip_prefix("commands/")
                .is_some_and(|r| !r.is_empty());
        ok.then_some(Topic {
            twin_id,
            kind: TopicKind::Commands,
        })
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && !id.contains(['+', '#'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_parse_by_the_convention() {
        assert_eq!(
            Topic::publish("twins/p1/telemetry"),
            Some(Topic {
                twin_id: "p1",
                kind: TopicKind::Telemetry
            })
        );
        assert_eq!(
            Topic::publish("twins/p1/properties").map(|t| t.kind),
            Some(TopicKind::Properties)
        );
        assert_eq!(Topic::publish("twins/p1/commands/x"), None);
        assert_eq!(Topic::publish("twins//telemetry"), None);
        assert_eq!(Topic::publish("twins/p1/telemetry/x"), None);
        assert_eq!(Topic::publish("other/p1/telemetry"), None);
        assert_eq!(
            Topic::subscription("twins/p1/commands/#").map(|t| t.twin_id),
            Some("p1")
        );
        assert!(Topic::subscription("twins/p1/commands/reboot").is_some());
        assert_eq!(Topic::subscription("twins/+/commands/#"), None);
        assert_eq!(Topic::subscription("twins/#"), None);
        assert_eq!(Topic::subscription("twins/p1/telemetry"), None);
    }
}
