//! What history keeps: points of named series, one series per twin and
//! telemetry name or property path.

use serde_json::Value;

/// What a series records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Telemetry readings.
    Telemetry,
    /// Values of a property (a JSON null marks its removal).
    Property,
    /// The twin's creation and deletion (series [`crate::LIFECYCLE`]).
    Lifecycle,
}

impl Kind {
    /// The stable one-byte code used on disk.
    pub(crate) fn code(self) -> u8 {
        match self {
            Kind::Telemetry => 0,
            Kind::Property => 1,
            Kind::Lifecycle => 2,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<Kind> {
        Some(match c {
            0 => Kind::Telemetry,
            1 => Kind::Property,
            2 => Kind::Lifecycle,
            _ => return None,
        })
    }

    /// The name used in the API and the PostgreSQL schema.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Telemetry => "telemetry",
            Kind::Property => "property",
            Kind::Lifecycle => "lifecycle",
        }
    }
}

/// Names one series: a twin and a telemetry name or property path
/// (`temperature`, `motor/speed` for a component or nested field).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    /// The twin id.
    pub twin: String,
    /// The telemetry name or property path, segments joined by `/`.
    pub name: String,
}

impl SeriesKey {
    /// A key from its parts.
    pub fn new(twin: impl Into<String>, name: impl Into<String>) -> SeriesKey {
        SeriesKey {
            twin: twin.into(),
            name: name.into(),
        }
    }
}

/// One reading or value. Times are microseconds since the Unix epoch; the
/// ingest time is kept to the millisecond.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The source time: when the device measured it, or when the change
    /// was made.
    pub time: i64,
    /// When ferrotwin received it.
    pub ingest: i64,
    /// The value.
    pub value: Value,
}

impl Point {
    /// The value as a number, when it is one (booleans count as 0 and 1).
    pub fn number(&self) -> Option<f64> {
        match &self.value {
            Value::Number(n) => n.as_f64(),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }
}

/// A point on its way into a store.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Which series.
    pub key: SeriesKey,
    /// What the series records.
    pub kind: Kind,
    /// The twin's model when the sample was taken, for retention by model.
    pub model: String,
    /// The point.
    pub point: Point,
}

impl Sample {
    /// Refuses a sample without a twin id or a series name.
    pub(crate) fn check(&self) -> Result<(), crate::HistoryError> {
        if self.key.twin.is_empty() || self.key.name.is_empty() {
            return Err(crate::HistoryError::Invalid(format!(
                "a sample needs a twin id and a series name, got twin '{}' and name '{}'",
                self.key.twin, self.key.name
            )));
        }
        Ok(())
    }
}

/// A half-open time range `[from, to)` in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// The first instant included.
    pub from: i64,
    /// The first instant excluded.
    pub to: i64,
}

impl TimeRange {
    /// A range, refused when empty or reversed.
    pub fn new(from: i64, to: i64) -> Result<TimeRange, crate::HistoryError> {
        if to <= from {
            return Err(crate::HistoryError::Invalid(format!(
                "the time range is empty: 'to' ({}) must be after 'from' ({})",
                crate::store::format_time(to),
                crate::store::format_time(from)
            )));
        }
        Ok(TimeRange { from, to })
    }

    /// Whether `t` lies in the range.
    pub fn contains(&self, t: i64) -> bool {
        t >= self.from && t < self.to
    }
}

/// Truncates a time to the millisecond, as stores keep ingest times.
pub(crate) fn to_millis(t: i64) -> i64 {
    t.div_euclid(1000) * 1000
}
