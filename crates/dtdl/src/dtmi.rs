//! Digital Twin Model Identifiers: syntax, versions and the per-DTDL-version
//! rules for identifiers that models define or reference.

/// A syntactically valid DTMI, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dtmi {
    /// The path segments after `dtmi:`.
    pub labels: Vec<String>,
    /// The major version, 0 when absent.
    pub major: u32,
    /// The minor version, 0 when absent.
    pub minor: u32,
    /// The fragment including `#`, or empty.
    pub fragment: String,
}

impl Dtmi {
    /// Parses any DTMI, including system ones with `_`-led segments and fragments.
    pub fn parse(s: &str) -> Option<Dtmi> {
        let rest = s.strip_prefix("dtmi:")?;
        let (rest, fragment) = match rest.find('#') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if fragment.len() > 1 && !system_segment(&fragment[1..]) {
            return None;
        }
        let (path, version) = match rest.find(';') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let labels: Vec<String> = path.split(':').map(str::to_string).collect();
        if !labels.iter().all(|l| system_segment(l)) {
            return None;
        }
        let (major, minor) = match version {
            None => (0, 0),
            Some(v) => parse_version(v, true)?,
        };
        Some(Dtmi {
            labels,
            major,
            minor,
            fragment: fragment.to_string(),
        })
    }

    /// The version as a number, `major.minor` with six minor digits.
    pub fn complete_version(&self) -> f64 {
        f64::from(self.major) + f64::from(self.minor) / 1_000_000.0
    }

    /// The DTMI without its version.
    pub fn versionless(&self) -> String {
        format!("dtmi:{}{}", self.labels.join(":"), self.fragment)
    }

    /// True when some segment or the fragment starts with `_` (system-generated).
    pub fn is_reserved(&self) -> bool {
        self.labels.iter().any(|l| l.starts_with('_')) || self.fragment.starts_with("#_")
    }
}

/// `[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?`
pub fn user_segment(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphabetic()
                && l.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        }
        _ => false,
    }
}

/// A user segment, or one led by underscores then an alphanumeric.
fn system_segment(s: &str) -> bool {
    let t = s.trim_start_matches('_');
    if t.len() == s.len() {
        return user_segment(s);
    }
    let b = t.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        }
        _ => false,
    }
}

/// `[1-9][0-9]{0,8}` optionally followed by `.[1-9][0-9]{0,5}`.
fn parse_version(v: &str, minor_allowed: bool) -> Option<(u32, u32)> {
    let (maj, min) = match v.split_once('.') {
        Some((a, b)) if minor_allowed => (a, Some(b)),
        Some(_) => return None,
        None => (v, None),
    };
    let num = |s: &str, max: usize| -> Option<u32> {
        let b = s.as_bytes();
        if b.is_empty() || b.len() > max || b[0] == b'0' || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        s.parse().ok()
    };
    let major = num(maj, 9)?;
    let minor = match min {
        Some(m) => num(m, 6)?,
        None => 0,
    };
    Some((major, minor))
}

/// True when `s` is a DTMI a model of DTDL `version` may define or reference:
/// no `_`-led segments, no fragment; v2 needs a one-part version, later
/// versions allow none or `major.minor`.
pub fn is_valid_identifier(s: &str, version: u8) -> bool {
    let Some(rest) = s.strip_prefix("dtmi:") else {
        return false;
    };
    let (path, ver) = match rest.find(';') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    if !path.split(':').all(user_segment) {
        return false;
    }
    match ver {
        None => version >= 3,
        Some(v) => parse_version(v, version >= 3).is_some(),
    }
}

/// The DTMI without its `;version` suffix, and the suffix (with `;`) if any.
pub fn split_version(s: &str) -> (&str, &str) {
    match s.rfind(';') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_version_rules() {
        assert!(is_valid_identifier("dtmi:com:example:Thermostat;1", 2));
        assert!(!is_valid_identifier("dtmi:com:example:Thermostat", 2));
        assert!(is_valid_identifier("dtmi:com:example:Thermostat", 3));
        assert!(!is_valid_identifier("dtmi:com:example:Thermostat;1.2", 2));
        assert!(is_valid_identifier("dtmi:com:example:Thermostat;1.2", 3));
        assert!(!is_valid_identifier("dtmi:com:_x;1", 3));
        assert!(!is_valid_identifier("dtmi:com:x_;1", 3));
        assert!(!is_valid_identifier("dtmi:com:x;01", 3));
        assert!(!is_valid_identifier("dtmi:com:x;1234567890", 3));
        assert!(!is_valid_identifier("dtmi:com:x;1.0", 3));
    }

    #[test]
    fn general_dtmis_parse() {
        let d = Dtmi::parse("dtmi:foo:bar;1.34#myFrag").unwrap();
        assert_eq!((d.major, d.minor, d.fragment.as_str()), (1, 34, "#myFrag"));
        assert_eq!(d.versionless(), "dtmi:foo:bar#myFrag");
        assert!(Dtmi::parse("dtmi:test:_x;1").unwrap().is_reserved());
        assert!(Dtmi::parse("dtmi:foo;1#bar.baz").is_none());
        assert!(Dtmi::parse("dtmi:;1").is_none());
    }
}
