//! Times, ranges and durations in history requests.

use ferrotwin_history::TimeRange;

use crate::error::{ApiError, ApiResult};
use crate::paging::Params;

/// The default span when a request gives no `from`.
const DEFAULT_SPAN: i64 = 3_600_000_000;

/// An RFC 3339 time in microseconds.
pub fn time(name: &str, s: &str) -> ApiResult<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp_micros())
        .map_err(|e| {
            ApiError::invalid(format!(
                "'{name}' must be an RFC 3339 time such as 2026-11-21T08:00:00Z; '{s}' is not: {e}"
            ))
        })
}

/// `from` and `to` (defaults: the hour up to now).
pub fn range(q: &Params) -> ApiResult<TimeRange> {
    let to = match q.get("to") {
        Some(t) => time("to", t)?,
        None => chrono::Utc::now().timestamp_micros() + 1,
    };
    let from = match q.get("from") {
        Some(t) => time("from", t)?,
        None => to - DEFAULT_SPAN,
    };
    Ok(TimeRange::new(from, to)?)
}

/// A duration such as `90s`, `15m`, `12h`, `30d` or `2w`, in µs.
pub fn duration(name: &str, s: &str) -> ApiResult<i64> {
    let bad = || {
        ApiError::invalid(format!(
            "'{name}' must be a positive whole number followed by s, m, h, d or w (such as 30d); got '{s}'"
        ))
    };
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    n.checked_mul(secs * 1_000_000)
        .filter(|v| *v > 0)
        .ok_or_else(bad)
}

/// A duration in the largest whole unit (µs precision as a last resort).
pub fn format_duration(us: i64) -> String {
    for (unit, size) in [
        ("w", 604_800_000_000),
        ("d", 86_400_000_000),
        ("h", 3_600_000_000),
        ("m", 60_000_000),
        ("s", 1_000_000),
    ] {
        if us != 0 && us % size == 0 {
            return format!("{}{unit}", us / size);
        }
    }
    format!("{}us", us)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(duration("d", "30d").unwrap(), 30 * 86_400_000_000);
        assert_eq!(format_duration(duration("d", "90s").unwrap()), "90s");
        assert_eq!(format_duration(1_500), "1500us");
        for bad in ["", "d", "5", "5y", "-5d", "0s"] {
            assert!(duration("maxAge", bad).is_err(), "{bad}");
        }
    }
}
