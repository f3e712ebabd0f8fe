//! Topic and routing-key patterns that name a twin, e.g.
//! `plant/{twinId}/telemetry` (MQTT: `/`, `+`, `#`) or
//! `plant.{twinId}.telemetry` (AMQP: `.`, `*`, `#`): the broker's own
//! filter syntax plus one `{twinId}` level, and `#` only at the end.

/// The wildcard syntax of a broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// MQTT topic filters: levels split by `/`, `+` matches one.
    Mqtt,
    /// AMQP topic bindings: words split by `.`, `*` matches one.
    Amqp,
}

impl Syntax {
    fn separator(self) -> char {
        match self {
            Syntax::Mqtt => '/',
            Syntax::Amqp => '.',
        }
    }

    fn one(self) -> &'static str {
        match self {
            Syntax::Mqtt => "+",
            Syntax::Amqp => "*",
        }
    }
}

/// One level of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    Literal(String),
    TwinId,
    Any,
    Rest,
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    syntax: Syntax,
    levels: Vec<Level>,
}

impl Pattern {
    /// Parses an MQTT pattern with one `{twinId}` level; the error says
    /// what is wrong with it.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let p = Pattern::parse_with(text, Syntax::Mqtt)?;
        if p.names_twin() {
            Ok(p)
        } else {
            Err(format!(
                "'{text}' has no '{{twinId}}' level, so no twin can be named"
            ))
        }
    }

    /// Parses a pattern in `syntax` with at most one `{twinId}` level.
    pub fn parse_with(text: &str, syntax: Syntax) -> Result<Pattern, String> {
        let mut levels = Vec::new();
        let parts: Vec<&str> = text.split(syntax.separator()).collect();
        let one = syntax.one();
        for (i, p) in parts.iter().enumerate() {
            let level = match *p {
                "{twinId}" => Level::TwinId,
                p if p == one => Level::Any,
                "#" if i + 1 == parts.len() => Level::Rest,
                "#" => return Err(format!("'{text}': '#' may only be the last level")),
                p if p.contains(['+', '*', '#', '{', '}']) => {
                    return Err(format!(
                        "'{text}': the level '{p}' mixes text with a wildcard or brace; a level is text, '{one}', '#' or '{{twinId}}'"
                    ));
                }
                p => Level::Literal(p.to_string()),
            };
            levels.push(level);
        }
        if levels.iter().filter(|l| **l == Level::TwinId).count() > 1 {
            return Err(format!("'{text}' has more than one '{{twinId}}' level"));
        }
        Ok(Pattern { syntax, levels })
    }

    /// Whether a `{twinId}` level names the twin.
    pub fn names_twin(&self) -> bool {
        self.levels.contains(&Level::TwinId)
    }

    /// Whether `topic` matches.
    pub fn matches(&self, topic: &str) -> bool {
        self.walk(topic).is_some()
    }

    /// The filter (MQTT) or binding key (AMQP) to subscribe with.
    pub fn filter(&self) -> String {
        self.levels
            .iter()
            .map(|l| match l {
                Level::Literal(s) => s.as_str(),
                Level::TwinId | Level::Any => self.syntax.one(),
                Level::Rest => "#",
            })
            .collect::<Vec<_>>()
            .join(&self.syntax.separator().to_string())
    }

    /// The twin id a topic names, when it matches and has a `{twinId}`.
    pub fn twin_id<'t>(&self, topic: &'t str) -> Option<&'t str> {
        self.walk(topic).flatten()
    }

    /// None when `topic` does not match; else the `{twinId}` level, if any.
    fn walk<'t>(&self, topic: &'t str) -> Option<Option<&'t str>> {
        let mut twin = None;
        let mut parts = topic.split(self.syntax.separator());
        for l in &self.levels {
            if *l == Level::Rest {
                return Some(twin);
            }
            let p = parts.next()?;
            match l {
                Level::Literal(s) if s != p => return None,
                Level::TwinId if p.is_empty() => return None,
                Level::TwinId => twin = Some(p),
                _ => {}
            }
        }
        if parts.next().is_some() {
            None
        } else {
            Some(twin)
        }
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
        let p = Pattern::parse_with("plant.{twinId}.*", Syntax::Amqp).unwrap();
        assert_eq!(p.filter(), "plant.*.*");
        assert_eq!(p.twin_id("plant.m1.telemetry"), Some("m1"));
        assert_eq!(p.twin_id("plant.m1"), None);
        let p = Pattern::parse_with("plant.#", Syntax::Amqp).unwrap();
        assert!(p.matches("plant.a.b") && !p.names_twin());
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
