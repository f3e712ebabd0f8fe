//! Weak entity tags that change on every write, and the If-Match rule.

use crate::GraphError;

/// A fresh weak ETag, `W/"<uuid>"`, as ADT issues them.
pub fn fresh() -> String {
    format!("W/\"{}\"", uuid::Uuid::new_v4())
}

/// Checks an If-Match header value against the current ETag. `*` matches
/// any existing entity; ETags compare by their opaque value, so a strong
/// form of the same tag matches too.
pub fn check_if_match(current: &str, if_match: Option<&str>, what: &str) -> Result<(), GraphError> {
    let Some(wanted) = if_match else {
        return Ok(());
    };
    let matches = wanted
        .split(',')
        .map(str::trim)
        .any(|w| w == "*" || opaque(w) == opaque(current));
    if matches {
        Ok(())
    } else {
        Err(GraphError::PreconditionFailed(format!(
            "If-Match {wanted} does not match the current ETag {current} of {what}"
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
        assert!(check_if_match(&cur, None, "t").is_ok());
        assert!(check_if_match(&cur, Some("*"), "t").is_ok());
        assert!(check_if_match(&cur, Some(&cur), "t").is_ok());
        assert!(check_if_match(&cur, Some(cur.trim_start_matches("W/")), "t").is_ok());
        assert!(matches!(
            check_if_match(&cur, Some(&fresh()), "t"),
            Err(GraphError::PreconditionFailed(_))
        ));
        assert_ne!(fresh(), fresh());
    }
}
