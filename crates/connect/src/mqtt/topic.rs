//! The topic convention: `twins/{twinId}/telemetry`,
//! `twins/{twinId}/properties`, and `twins/{twinId}/commands/...` for
//! commands to a device and its answers (see [`crate::mqtt`]).

/// What a device topic is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicKind {
    /// Device to platform: telemetry.
    Telemetry,
    /// Device to platform: reported property values.
    Properties,
    /// Platform to device: commands (subscribe only).
    Commands,
    /// Platform to device: the twin's desired property values
    /// (`properties/desired`, subscribe only).
    Desired,
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
        if kind == "properties/desired" {
            return Some(Topic {
                twin_id,
                kind: TopicKind::Desired,
            });
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

/// A device's answer to a command:
/// `twins/{twinId}/commands/{command}/res/{requestId}[/{status}]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response<'a> {
    /// The twin the command was sent to.
    pub twin_id: &'a str,
    /// The command, `name` or `component*name`.
    pub command: &'a str,
    /// The request id ferrotwin chose.
    pub request_id: &'a str,
    /// The device's status code; 200 when the topic gives none.
    pub status: u16,
}

impl<'a> Response<'a> {
    /// Parses a response topic; None when `topic` is not one.
    pub fn parse(topic: &'a str) -> Option<Response<'a>> {
        let rest = topic.strip_prefix("twins/")?;
        let mut parts = rest.split('/');
        let twin_id = parts.next()?;
        if parts.next()? != "commands" {
            return None;
        }
        let command = parts.next()?;
        if parts.next()? != "res" {
            return None;
        }
        let request_id = parts.next()?;
        let status = match parts.next() {
            None => 200,
            Some(s) => s.parse().ok().filter(|s| (100..=999).contains(s))?,
        };
        let ok = parts.next().is_none()
            && valid_id(twin_id)
            && valid_id(command)
            && valid_id(request_id);
        ok.then_some(Response {
            twin_id,
            command,
            request_id,
            status,
        })
    }
}

/// The topic of a command for MQTT 5 devices.
pub fn command_topic(twin_id: &str, command: &str) -> String {
    format!("twins/{twin_id}/commands/{command}")
}

/// The topic of a command for MQTT 3.1.1 devices, which carries the
/// request id that MQTT 5 sends as correlation data.
pub fn request_topic(twin_id: &str, command: &str, request_id: &str) -> String {
    format!("twins/{twin_id}/commands/{command}/req/{request_id}")
}

/// The topic a device answers a command on (a status may follow it).
pub fn response_topic(twin_id: &str, command: &str, request_id: &str) -> String {
    format!("twins/{twin_id}/commands/{command}/res/{request_id}")
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

    #[test]
    fn responses_parse_with_and_without_a_status() {
        let r = Response::parse("twins/p1/commands/reboot/res/abc").unwrap();
        assert_eq!(
            (r.twin_id, r.command, r.request_id),
            ("p1", "reboot", "abc")
        );
        assert_eq!(r.status, 200);
        let r = Response::parse("twins/p1/commands/c*run/res/abc/404").unwrap();
        assert_eq!((r.command, r.status), ("c*run", 404));
        assert_eq!(Response::parse("twins/p1/commands/x/res/abc/ok"), None);
        assert_eq!(Response::parse("twins/p1/commands/x/res/abc/200/x"), None);
        assert_eq!(Response::parse("twins/p1/commands/x/req/abc"), None);
        assert_eq!(Response::parse("twins/p1/commands/x/res"), None);
        assert_eq!(Response::parse("twins/+/commands/x/res/a"), None);
    }
}
