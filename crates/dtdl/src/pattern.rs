//! The few regular expressions the metamodel puts on extension string
//! properties, matched by hand (no regex engine): names, MQTT topic
//! patterns and service-group ids. Unknown patterns accept any value.

/// True when `s` matches metamodel pattern `pattern`.
pub fn matches(pattern: &str, s: &str) -> bool {
    match pattern {
        "^[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?$" => crate::dtmi::user_segment(s),
        "^[!$-*,-.0-z|~]+$" => !s.is_empty() && s.chars().all(topic_char),
        p if p.starts_with("^(?:(?:[!%-*,-.0-z|~][!$-*,-.0-z|~]*)|(?:{") => topic(s),
        _ => true,
    }
}

/// `[!$-*,-.0-z|~]`
fn topic_char(c: char) -> bool {
    matches!(c, '!' | '$'..='*' | ','..='.' | '0'..='z' | '|' | '~')
}

/// `{name}` or `{prefix:name}` with ASCII letters.
fn token(seg: &str) -> bool {
    let Some(inner) = seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')) else {
        return false;
    };
    let letters = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphabetic());
    match inner.split_once(':') {
        Some((a, b)) => letters(a) && letters(b),
        None => letters(inner),
    }
}

/// Slash-separated segments, each literal topic characters or a `{token}`;
/// the first literal segment may not start with `$`.
fn topic(s: &str) -> bool {
    s.split('/').enumerate().all(|(i, seg)| {
        token(seg)
            || (!seg.is_empty() && seg.chars().all(topic_char) && !(i == 0 && seg.starts_with('$')))
    })
}

#[cfg(test)]
mod tests {
    use super::matches;

    const TOPIC: &str = "^(?:(?:[!%-*,-.0-z|~][!$-*,-.0-z|~]*)|(?:{(?:[A-Za-z]+:)?[A-Za-z]+}))(?:\\/(?:(?:[!$-*,-.0-z|~]+)|(?:{(?:[A-Za-z]+:)?[A-Za-z]+})))*$";

    #[test]
    fn topics() {
        assert!(matches(TOPIC, "sample/{modelId}/{senderId}/telemetry"));
        assert!(matches(TOPIC, "rpc/{ex:executorId}/x"));
        assert!(!matches(TOPIC, "$share/x"));
        assert!(!matches(TOPIC, "a//b"));
        assert!(!matches(TOPIC, "a/{b c}"));
        assert!(!matches(
            "^[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?$",
            "##NotValid$$"
        ));
    }
}
