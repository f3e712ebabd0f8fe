//! Time travel: a twin's properties as they were at a given instant,
//! rebuilt from the last value of each property series at that time.

use serde_json::{Map, Value};

use crate::{HistoryError, HistoryStore, Kind};

/// The series that records a twin's creation and deletion. Its values are
/// `{"event":"created","model":…}` and `{"event":"deleted"}`.
pub const LIFECYCLE: &str = "$lifecycle";

/// A twin as history knows it at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct TwinState {
    /// The twin's model, when its creation is in history.
    pub model: Option<String>,
    /// The properties, components as nested objects.
    pub properties: Map<String, Value>,
    /// The time of the last change at or before the instant (µs).
    pub last_change: i64,
}

impl TwinState {
    /// Rebuilds the twin at `at`; None when it did not exist then (or
    /// history holds nothing for it up to then).
    pub async fn at(
        store: &dyn HistoryStore,
        twin: &str,
        at: i64,
    ) -> Result<Option<TwinState>, HistoryError> {
        let last = store.last_at(twin, at).await?;
        let mut born = i64::MIN;
        let mut model = None;
        if let Some((_, p)) = last.iter().find(|(s, _)| s.kind == Kind::Lifecycle) {
            match p.value.get("event").and_then(Value::as_str) {
                Some("created") => {
                    born = p.time;
                    model = p
                        .value
                        .get("model")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                }
                _ => return Ok(None),
            }
        }
        let mut props: Vec<_> = last
            .iter()
            .filter(|(s, p)| s.kind == Kind::Property && p.time >= born)
            .collect();
        if props.is_empty() && model.is_none() {
            return Ok(None);
        }
        props.sort_by(|a, b| (a.1.time, &a.0.key.name).cmp(&(b.1.time, &b.0.key.name)));
        let mut properties = Map::new();
        let mut last_change = if born == i64::MIN { i64::MIN } else { born };
        for (s, p) in props {
            set_path(&mut properties, &s.key.name, &p.value);
            last_change = last_change.max(p.time);
        }
        Ok(Some(TwinState {
            model,
            properties,
            last_change,
        }))
    }
}

/// Sets `value` at a `/`-joined path, creating objects on the way; a null
/// value removes the member.
fn set_path(root: &mut Map<String, Value>, path: &str, value: &Value) {
    let mut parts = path.split('/').peekable();
    let mut map = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            if value.is_null() {
                map.remove(part);
            } else {
                map.insert(part.to_string(), value.clone());
            }
            return;
        }
        let entry = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        map = entry.as_object_mut().expect("made an object above");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_nest_and_null_removes() {
        let mut m = Map::new();
        set_path(&mut m, "motor/speed", &json!(3));
        set_path(&mut m, "motor/temp", &json!(4));
        set_path(&mut m, "motor/temp", &Value::Null);
        set_path(&mut m, "name", &json!("p"));
        assert_eq!(
            Value::Object(m),
            json!({"motor": {"speed": 3}, "name": "p"})
        );
    }
}
