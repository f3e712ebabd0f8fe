//! Mapping rules for the built-in MQTT endpoint: devices that cannot
//! publish on `twins/{id}/telemetry` keep their own topics and payload
//! layout, and a rule says which twin, which kind of data and which
//! fields (with unit scaling) a topic carries. Rules come from the config
//! file and from the API; [`Rules`] is the live set the endpoint reads
//! and the ACL consults (a device still writes only to its own twins).

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::mapping::PayloadMap;
use crate::pattern::{Pattern, Syntax};
use crate::payload::DataKind;

/// A mapping rule, as configured and as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MappingRule {
    /// The rule's name (letters, digits, `-`, `_`, `.`).
    #[serde(default)]
    pub id: String,
    /// An MQTT topic filter, with a `{twinId}` level unless `twin` is given.
    pub topic: String,
    /// The twin, for a topic without a `{twinId}` level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin: Option<String>,
    /// `telemetry` or `properties`.
    pub kind: DataKind,
    /// The fields to take and the timestamp; none: the payload already
    /// follows the default convention.
    #[serde(flatten)]
    pub map: PayloadMap,
}

/// A rule ready to match.
#[derive(Debug)]
struct Compiled {
    rule: MappingRule,
    pattern: Pattern,
}

/// Where a topic's messages go, by a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The rule's id.
    pub rule: String,
    /// The twin.
    pub twin: String,
    /// What the messages carry.
    pub kind: DataKind,
    /// How to read them.
    pub map: PayloadMap,
}

impl MappingRule {
    /// Checks the rule; the error names the rule and what is wrong.
    pub fn check(&self) -> Result<(), String> {
        self.compile().map(|_| ())
    }

    fn compile(&self) -> Result<Compiled, String> {
        let at = |m: String| format!("mapping '{}': {m}", self.id);
        if self.id.is_empty()
            || self.id.len() > 128
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(at(
                "the id must be 1 to 128 letters, digits, '-', '_' or '.'".into(),
            ));
        }
        if self.topic.starts_with("twins/") || self.topic.starts_with('$') {
            return Err(at(format!(
                "topic '{}' is reserved: twins/... is the default convention and $... the broker's",
                self.topic
            )));
        }
        let pattern = Pattern::parse_with(&self.topic, Syntax::Mqtt).map_err(at)?;
        match (&self.twin, pattern.names_twin()) {
            (None, false) => {
                return Err(at(format!(
                    "topic '{}' has no {{twinId}} level, so give 'twin'",
                    self.topic
                )));
            }
            (Some(_), true) => {
                return Err(at(
                    "give either a {twinId} level in the topic or 'twin', not both".into(),
                ));
            }
            (Some(t), false) if t.is_empty() => return Err(at("'twin' is empty".into())),
            _ => {}
        }
        self.map.check().map_err(at)?;
        Ok(Compiled {
            rule: self.clone(),
            pattern,
        })
    }
}

/// The live rule set, shared by the endpoint and whoever changes it.
#[derive(Debug, Clone, Default)]
pub struct Rules(Arc<RwLock<Vec<Compiled>>>);

impl Rules {
    /// Replaces every rule at once; nothing changes when one is invalid.
    pub fn replace(&self, rules: &[MappingRule]) -> Result<(), String> {
        let compiled = rules
            .iter()
            .map(MappingRule::compile)
            .collect::<Result<Vec<_>, _>>()?;
        *self.0.write().expect("not poisoned") = compiled;
        Ok(())
    }

    /// The rule for `topic`: the first that matches, in the order given.
    pub fn resolve(&self, topic: &str) -> Option<Resolved> {
        let rules = self.0.read().expect("not poisoned");
        rules.iter().find_map(|c| {
            let twin = match &c.rule.twin {
                Some(t) => c.pattern.matches(topic).then(|| t.clone()),
                None => c.pattern.twin_id(topic).map(str::to_owned),
            }?;
            Some(Resolved {
                rule: c.rule.id.clone(),
                twin,
                kind: c.rule.kind,
                map: c.rule.map.clone(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: serde_json::Value) -> MappingRule {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn topics_resolve_to_twins_in_order() {
        let rules = Rules::default();
        rules
            .replace(&[
                rule(json!({"id": "press7", "topic": "plant/line1/press7/temp", "twin": "press-7", "kind": "telemetry",
                            "fields": [{"pointer": "/v", "name": "temperature"}]})),
                rule(json!({"id": "any", "topic": "plant/+/{twinId}/temp", "kind": "telemetry"})),
            ])
            .unwrap();
        let r = rules.resolve("plant/line1/press7/temp").unwrap();
        assert_eq!((r.rule.as_str(), r.twin.as_str()), ("press7", "press-7"));
        assert_eq!(rules.resolve("plant/line2/oven/temp").unwrap().twin, "oven");
        assert!(rules.resolve("plant/line2/oven/pressure").is_none());
    }

    #[test]
    fn bad_rules_are_refused_whole() {
        let rules = Rules::default();
        rules
            .replace(&[rule(
                json!({"id": "a", "topic": "x/{twinId}", "kind": "telemetry"}),
            )])
            .unwrap();
        for (bad, says) in [
            (
                json!({"id": "b", "topic": "x/y", "kind": "telemetry"}),
                "give 'twin'",
            ),
            (
                json!({"id": "b", "topic": "x/{twinId}", "twin": "t", "kind": "telemetry"}),
                "not both",
            ),
            (
                json!({"id": "b", "topic": "twins/{twinId}/x", "kind": "telemetry"}),
                "reserved",
            ),
            (
                json!({"id": "b c", "topic": "x/{twinId}", "kind": "telemetry"}),
                "id",
            ),
            (
                json!({"id": "b", "topic": "x/#/{twinId}", "kind": "telemetry"}),
                "last",
            ),
            (
                json!({"id": "b", "topic": "x/{twinId}", "kind": "telemetry", "fields": [{"pointer": "v", "name": "t"}]}),
                "fields[0]",
            ),
        ] {
            let err = rules.replace(&[rule(bad)]).unwrap_err();
            assert!(err.contains(says) && err.contains("mapping 'b"), "{err}");
        }
        assert!(rules.resolve("x/t1").is_some(), "the old set stays");
        let unknown = serde_json::from_value::<MappingRule>(
            json!({"id": "b", "topic": "x/{twinId}", "kind": "telemetry", "fieldz": []}),
        );
        assert!(unknown.is_err(), "an unknown member is refused");
    }
}
