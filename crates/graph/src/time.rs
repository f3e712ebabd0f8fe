//! Timestamps in the RFC 3339 form ADT uses (UTC, sub-second digits, `Z`).

/// The current time as an RFC 3339 UTC string with microseconds.
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}
