//! Weak entity tags that change on every write, and the If-Match rule.

use std::fmt;

use crate::GraphError;

/// A weak ETag: a random 128-bit value, shown as `W/"<uuid>"` like ADT's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ETag(pub u128);

impl ETag {
    /// A fresh random tag.
    pub fn fresh() -> ETag {
        ETag(uuid::Uuid::new_v4().as_u128())
    }

    /// Reads `W/"<uuid>"` (or the strong form); other tags become fresh ones,
    /// so they never match a client's stale copy.
    pub fn parse(s: &str) -> ETag {
        let inner = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
        uuid::Uuid::parse_str(inner).map_or_else(|_| ETag::fresh(), |u| ETag(u.as_u128()))
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "W/\"{}\"", uuid::Uuid::from_u128(self.0))
    }
}

/// A fresh weak ETag.
pub fn fresh() -> ETag {
    ETag::fresh()
}

/// Checks an If-Match header value against the current ETag. `*` matches
/// any existing entity; ETags compare by their opaque value, so a strong
/// form of the same tag matches too.
pub fn check_if_match(current: ETag, if_match: Option<&str>, what: &str) -> Result<(), GraphError> {
    let Some(wanted) = if_match else {
        return Ok(());
    };
    let cur = current.to_string();
    let matches = wanted
        .split(',')
        .map(str::trim)
        .any(|w| w == "*" || opaque(w) == opaque(&cur));
    if matches {
        Ok(())
    } else {
        Err(GraphError::PreconditionFailed(format!(
            "If-Match {wanted} does not match the current ETag {cur} of {what}"
        )))
    }
}

fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_rules() {
        let cur = fresh();
        let s = cur.to_string();
        assert!(check_if_match(cur, None, "t").is_ok());
        assert!(check_if_match(cur, Some("*"), "t").is_ok());
        assert!(check_if_match(cur, Some(&s), "t").is_ok());
        assert!(check_if_match(cur, Some(s.trim_start_matches("W/")), "t").is_ok());
        assert!(matches!(
            check_if_match(cur, Some(&fresh().to_string()), "t"),
            Err(GraphError::PreconditionFailed(_))
        ));
        assert_ne!(fresh(), fresh());
        assert_eq!(ETag::parse(&s), cur);
    }
}
