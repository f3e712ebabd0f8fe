//! Topic patterns of an external broker, e.g. `plant/{twinId}/telemetry`:
//! MQTT topic filter syntax plus one `{twinId}` level naming the twin.

/// One level of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    Literal(String),
    TwinId,
    Any,
    Rest,
}

/// A parsed topic pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    levels: Vec<Level>,
}

impl Pattern {
    /// Parses `text`; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let mut levels = Vec::new();
        let parts: Vec<&str> = text.split('/').collect();
        for (i, p) in parts.iter().enumerate() {
            let level = match *p {
                "{twinId}" => Level::TwinId,
                "+" => Level::Any,
                "#" if i + 1 == parts.len() => Level::Rest,
                "#" => return Err(format!("'{text}': '#' may only be the last level")),
                p if p.contains(['+', '#', '{', '}']) => {
                    return Err(format!(
                        "'{text}': the level '{p}' mixes text with a wildcard or brace; a level is text, '+', '#' or '{{twinId}}'"
                    ));
                }
                p => Level::Literal(p.to_string()),
            };
            levels.push(level);
        }
        match levels.iter().filter(|l| **l == Level::TwinId).count() {
            1 => Ok(Pattern { levels }),
            0 => Err(format!(
                "'{text}' has no '{{twinId}}' level, so no twin can be named"
            )),
            _ => Err(format!("'{text}' has more than one '{{twinId}}' level")),
        }
    }

    /// The MQTT topic filter to subscribe to.
    pub fn filter(&self) -> String {
        self.levels
            .iter()
            .map(|l| match l {
                Level::Literal(s) => s.as_str(),
                Level::TwinId | Level::Any => "+",
                Level::Rest => "#",
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The twin id a topic names, when it matches.
    pub fn twin_id<'t>(&self, topic: &'t str) -> Option<&'t str> {
        let mut twin = None;
        let mut parts = topic.split('/');
        for l in &self.levels {
            if *l == Level::Rest {
                return twin;
            }
            let p = parts.next()?;
            match l {
                Level::Literal(s) if s != p => return None,
                Level::TwinId if p.is_empty() => return None,
                Level::TwinId => twin = Some(p),
                _ => {}
            }
        }
        if parts.next().is_some() { None } else { twin }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_give_filters_and_twin_ids() {
        let p = Pattern::parse("plant/{twinId}/telemetry").unwrap();
        assert_eq!(p.filter(), "plant/+/telemetry");
        assert_eq!(p.twin_id("plant/press-1/telemetry"), Some("press-1"));
        assert_eq!(p.twin_id("plant/press-1/properties"), None);
        assert_eq!(p.twin_id("plant/press-1/telemetry/x"), None);
        assert_eq!(p.twin_id("plant//telemetry"), None);
        let p = Pattern::parse("site/+/{twinId}/#").unwrap();
        assert_eq!(p.filter(), "site/+/+/#");
        assert_eq!(p.twin_id("site/a/m7/x/y"), Some("m7"));
        assert_eq!(p.twin_id("site/a/m7"), Some("m7"));
        assert_eq!(p.twin_id("other/a/m7"), None);
    }

    #[test]
    fn bad_patterns_say_why() {
        for (text, why) in [
            ("plant/telemetry", "no '{twinId}'"),
            ("{twinId}/{twinId}", "more than one"),
            ("a/#/{twinId}", "last level"),
            ("a/x+/{twinId}", "mixes"),
            ("a/{twin}/b", "mixes"),
        ] {
            let e = Pattern::parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
