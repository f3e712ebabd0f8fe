//! Times: milliseconds since the epoch inside, RFC 3339 on saved and wire formats.

/// RFC 3339 text (milliseconds, UTC) for `ms` since the epoch.
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The wall clock in milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
