//! Ordered indexes on top-level twin properties, for the query engine's
//! equality and range predicates. An index is built the first time a
//! query asks for a property and is then kept current by every twin
//! write, so only properties that queries filter on cost memory.
//!
//! Values are ordered as the query language compares them: numbers with
//! numbers (by value, integers and floats alike), strings with strings
//! (by bytes), booleans with booleans; a range never crosses from one
//! kind to another, because such comparisons are undefined.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use serde_json::Value;

use crate::Twin;

/// An indexable value. Numbers are held as order-preserving bits of their
/// f64 value, so that the derived order is numeric order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Null,
    Bool(bool),
    Num(u64),
    Str(Box<str>),
}

/// Maps an f64 to bits whose unsigned order is the numeric order; +0.0
/// and -0.0 compare equal, so they share bits.
fn ordered_bits(f: f64) -> u64 {
    let b = (f + 0.0).to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

fn key(v: &Value) -> Option<Key> {
    Some(match v {
        Value::Null => Key::Null,
        Value::Bool(b) => Key::Bool(*b),
        Value::Number(n) => Key::Num(ordered_bits(n.as_f64()?)),
        Value::String(s) => Key::Str(s.as_str().into()),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// The first and last key of `k`'s kind (`None` last: strings have no
/// greatest key).
fn kind_span(k: &Key) -> (Key, Option<Key>) {
    match k {
        Key::Null => (Key::Null, Some(Key::Null)),
        Key::Bool(_) => (Key::Bool(false), Some(Key::Bool(true))),
        Key::Num(_) => (Key::Num(0), Some(Key::Num(u64::MAX))),
        Key::Str(_) => (Key::Str("".into()), None),
    }
}

/// The index of one property: (value, slot) pairs in value order.
#[derive(Default)]
pub(crate) struct Entries(BTreeSet<(Key, u32)>);

/// A bound of an index range, as (value, slot) pairs.
type Edge = Bound<(Key, u32)>;

/// Equality and range indexes, one per indexed property name.
#[derive(Default)]
pub struct PropertyIndexes {
    by_name: HashMap<Box<str>, Entries>,
}

impl PropertyIndexes {
    /// Indexes a twin now in `slot` under every indexed property.
    pub(crate) fn add(&mut self, twin: &Twin, slot: u32) {
        for (name, idx) in &mut self.by_name {
            if let Some(k) = twin.contents.get(&**name).and_then(key) {
                idx.0.insert((k, slot));
            }
        }
    }

    /// Forgets a twin that was in `slot`.
    pub(crate) fn remove(&mut self, twin: &Twin, slot: u32) {
        for (name, idx) in &mut self.by_name {
            if let Some(k) = twin.contents.get(&**name).and_then(key) {
                idx.0.remove(&(k, slot));
            }
        }
    }

    /// The index of `name`, built from `twins` (slot, twin) if it does not
    /// exist yet.
    pub(crate) fn index<'t>(
        &mut self,
        name: &str,
        twins: impl Iterator<Item = (u32, &'t Twin)>,
    ) -> &Entries {
        self.by_name.entry(name.into()).or_insert_with(|| {
            Entries(
                twins
                    .filter_map(|(slot, t)| Some((key(t.contents.get(name)?)?, slot)))
                    .collect(),
            )
        })
    }
}

/// A range over one property's values: the bounds as the query gives
/// them (`Unbounded` on one side at most).
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRange {
    /// The lower bound.
    pub lower: Bound<Value>,
    /// The upper bound.
    pub upper: Bound<Value>,
}

/// The index range holding exactly the values within `r`, or `None` when
/// no value can be (a bound is an array or object, or the two bounds are
/// of different kinds, or both are unbounded).
fn edges(r: &ValueRange) -> Option<(Edge, Edge)> {
    let lower = bound_key(&r.lower)?;
    let upper = bound_key(&r.upper)?;
    let kind = match (&lower, &upper) {
        (Bound::Unbounded, Bound::Unbounded) => return None,
        (Bound::Included(k) | Bound::Excluded(k), _)
        | (_, Bound::Included(k) | Bound::Excluded(k)) => k.clone(),
    };
    let (first, last) = kind_span(&kind);
    let same_kind = |b: &Bound<Key>| match b {
        Bound::Included(k) | Bound::Excluded(k) => kind_span(k).0 == first,
        Bound::Unbounded => true,
    };
    if !same_kind(&lower) || !same_kind(&upper) {
        return None;
    }
    let lo = match lower {
        Bound::Included(k) => Bound::Included((k, 0)),
        Bound::Excluded(k) => Bound::Excluded((k, u32::MAX)),
        Bound::Unbounded => Bound::Included((first, 0)),
    };
    let hi = match upper {
        Bound::Included(k) => Bound::Included((k, u32::MAX)),
        Bound::Excluded(k) => Bound::Excluded((k, 0)),
        Bound::Unbounded => last.map_or(Bound::Unbounded, |l| Bound::Included((l, u32::MAX))),
    };
    Some((lo, hi))
}

fn bound_key(b: &Bound<Value>) -> Option<Bound<Key>> {
    Some(match b {
        Bound::Included(v) => Bound::Included(key(v)?),
        Bound::Excluded(v) => Bound::Excluded(key(v)?),
        Bound::Unbounded => Bound::Unbounded,
    })
}

/// Whether the range holds any (value, slot) pair; `BTreeSet::range`
/// panics on a reversed range, so an empty one is caught first.
fn nonempty(lo: &Edge, hi: &Edge) -> bool {
    match (lo, hi) {
        (Bound::Included(a), Bound::Included(b)) => a <= b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => a < b,
        _ => true,
    }
}

impl Entries {
    /// Slots of the entries whose value is one of `values`, sorted; `None`
    /// when a value is an array or object, which the index does not hold.
    pub(crate) fn equal(&self, values: &[Value]) -> Option<Vec<u32>> {
        let keys: Vec<Key> = values.iter().map(key).collect::<Option<_>>()?;
        let mut out: Vec<u32> = keys
            .into_iter()
            .flat_map(|k| {
                self.0
                    .range((k.clone(), 0)..=(k, u32::MAX))
                    .map(|(_, slot)| *slot)
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// How many entries fall within `r`, counting no further than `cap`.
    pub(crate) fn count_in(&self, r: &ValueRange, cap: usize) -> usize {
        match edges(r) {
            Some((lo, hi)) if nonempty(&lo, &hi) => self.0.range((lo, hi)).take(cap).count(),
            _ => 0,
        }
    }

    /// Slots of the entries within `r`, sorted.
    pub(crate) fn slots_in(&self, r: &ValueRange) -> Vec<u32> {
        let mut out: Vec<u32> = match edges(r) {
            Some((lo, hi)) if nonempty(&lo, &hi) => {
                self.0.range((lo, hi)).map(|(_, s)| *s).collect()
            }
            _ => Vec::new(),
        };
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entries(values: &[Value]) -> Entries {
        Entries(
            values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| Some((key(v)?, i as u32)))
                .collect(),
        )
    }

    fn range(lower: Bound<Value>, upper: Bound<Value>) -> ValueRange {
        ValueRange { lower, upper }
    }

    #[test]
    fn numbers_are_ordered_by_value_across_integers_and_floats() {
        let idx = entries(&[
            json!(-3.5),
            json!(-0.0),
            json!(0),
            json!(2),
            json!(2.5),
            json!(1e300),
            json!("2"),
            json!(true),
            json!(null),
            json!([1]),
        ]);
        let r = range(Bound::Excluded(json!(0)), Bound::Unbounded);
        assert_eq!(idx.slots_in(&r), vec![3, 4, 5]);
        let r = range(Bound::Unbounded, Bound::Included(json!(0.0)));
        assert_eq!(idx.slots_in(&r), vec![0, 1, 2]);
        let r = range(Bound::Included(json!(2)), Bound::Excluded(json!(3)));
        assert_eq!(idx.slots_in(&r), vec![3, 4]);
        assert_eq!(idx.count_in(&r, 1), 1);
        // Equality treats 2 and 2.0, 0 and -0.0 alike.
        assert_eq!(idx.equal(&[json!(2.0), json!(0)]), Some(vec![1, 2, 3]));
        assert_eq!(idx.equal(&[json!({"a": 1})]), None);
    }

    #[test]
    fn ranges_never_cross_kinds() {
        let idx = entries(&[
            json!("apple"),
            json!("banana"),
            json!(5),
            json!(false),
            json!(true),
        ]);
        let r = range(Bound::Included(json!("b")), Bound::Unbounded);
        assert_eq!(idx.slots_in(&r), vec![1]);
        let r = range(Bound::Unbounded, Bound::Excluded(json!("b")));
        assert_eq!(idx.slots_in(&r), vec![0]);
        let r = range(Bound::Excluded(json!(false)), Bound::Unbounded);
        assert_eq!(idx.slots_in(&r), vec![4]);
        // Mixed kinds, reversed and empty ranges hold nothing and do not panic.
        let r = range(Bound::Included(json!(1)), Bound::Included(json!("z")));
        assert!(idx.slots_in(&r).is_empty());
        let r = range(Bound::Included(json!(9)), Bound::Included(json!(1)));
        assert!(idx.slots_in(&r).is_empty());
        let r = range(Bound::Excluded(json!(5)), Bound::Excluded(json!(5)));
        assert!(idx.slots_in(&r).is_empty());
        assert_eq!(idx.count_in(&r, 10), 0);
    }
}
