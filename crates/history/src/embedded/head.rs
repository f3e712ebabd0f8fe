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

/// Puts `points` back in time order when `points[..from]` already is:
/// sorts the tail, then only the part of the head it overlaps. Stable, so
/// equal times keep arrival order; a few late points cost about as many
/// moves, a late batch one linear merge (the sort finds the two runs).
pub(crate) fn merge_tail(points: &mut [HeadPoint], from: usize) {
    let (head, tail) = points.split_at_mut(from);
    tail.sort_by_key(|p| p.time);
    let Some(first) = tail.first() else { return };
    let at = head.partition_point(|p| p.time <= first.time);
    points[at..].sort_by_key(|p| p.time);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_merges_in_time_then_arrival_order() {
        let p = |time, v| HeadPoint {
            time,
            ingest: 0,
            value: HeadValue::Int(v),
        };
        let mut points = vec![
            p(1, 0),
            p(3, 1),
            p(3, 2),
            p(5, 3),
            p(3, 4),
            p(0, 5),
            p(5, 6),
            p(3, 7),
        ];
        merge_tail(&mut points, 4);
        let got: Vec<(i64, i64)> = points
            .iter()
            .map(|p| match p.value {
                HeadValue::Int(v) => (p.time, v),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            got,
            [
                (0, 5),
                (1, 0),
                (3, 1),
                (3, 2),
                (3, 4),
                (3, 7),
                (5, 3),
                (5, 6)
            ]
        );
    }
}
