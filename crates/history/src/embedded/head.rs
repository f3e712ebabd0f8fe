//! Points not yet in a chunk, kept in memory per series in time order.

use serde_json::Value;

use crate::Point;

/// A value as held in memory and encoded in chunks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HeadValue {
    /// A number that is not an exact 64-bit integer.
    Float(f64),
    /// An integer.
    Int(i64),
    /// Anything else, as JSON text.
    Json(Box<str>),
}

impl HeadValue {
    pub(crate) fn from_json(v: &Value) -> HeadValue {
        match v {
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => HeadValue::Int(i),
                (None, Some(f)) if n.is_f64() => HeadValue::Float(f),
                _ => HeadValue::Json(n.to_string().into()),
            },
            other => HeadValue::Json(other.to_string().into()),
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        match self {
            HeadValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            HeadValue::Int(i) => Value::from(*i),
            HeadValue::Json(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        }
    }
}

/// One point in memory.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeadPoint {
    pub(crate) time: i64,
    pub(crate) ingest: i64,
    pub(crate) value: HeadValue,
}

impl HeadPoint {
    pub(crate) fn to_point(&self) -> Point {
        Point {
            time: self.time,
            ingest: self.ingest,
            value: self.value.to_json(),
        }
    }
}

/// Puts `points` back in time order after appends out of order; a stable
/// sort, so equal times keep arrival order. Rust's sort finds the sorted
/// runs, so a head with one late batch is merged in linear time.
pub(crate) fn sort(points: &mut [HeadPoint]) {
    points.sort_by_key(|p| p.time);
}
