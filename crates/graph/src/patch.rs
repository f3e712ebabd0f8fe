//! JSON Patch (RFC 6902) on twins, components and relationships, with the
//! ADT rules: add, replace and remove only; `$metadata` limited to the
//! model and per-property source times. A patch is applied to a copy, so a
//! failing operation leaves nothing half-applied.

use serde_json::{Map, Value};

use crate::time::Timestamp;
use crate::{GraphError, Twin, etag};

/// One checked operation.
struct Op {
    op: String,
    path: String,
    value: Option<Value>,
}

fn ops(patch: &Value) -> Result<Vec<Op>, GraphError> {
    let Value::Array(items) = patch else {
        return Err(GraphError::JsonPatchInvalid(
            "a JSON Patch must be a JSON array of operations".into(),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let op = item.get("op").and_then(Value::as_str);
            let path = item.get("path").and_then(Value::as_str);
            match (op, path) {
                (Some(op @ ("add" | "replace" | "remove")), Some(path)) => {
                    if !path.starts_with('/') {
                        return Err(GraphError::JsonPatchInvalid(format!(
                            "operation {i}: path '{path}' must start with '/'"
                        )));
                    }
                    let value = item.get("value").cloned();
                    if op != "remove" && value.is_none() {
                        return Err(GraphError::JsonPatchInvalid(format!(
                            "operation {i} ({op} {path}) has no 'value'"
                        )));
                    }
                    Ok(Op {
                        op: op.into(),
                        path: path.into(),
                        value,
                    })
                }
                (Some(other), Some(_)) => Err(GraphError::JsonPatchInvalid(format!(
                    "operation {i}: '{other}' is not supported; use add, replace or remove"
                ))),
                _ => Err(GraphError::JsonPatchInvalid(format!(
                    "operation {i} needs string members 'op' and 'path'"
                ))),
            }
        })
        .collect()
}

fn segments(path: &str) -> Vec<String> {
    path[1..]
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn apply_ops(target: &mut Value, ops: &[Op]) -> Result<(), GraphError> {
    let doc: Vec<Value> = ops
        .iter()
        .map(|o| {
            let mut m = Map::new();
            m.insert("op".into(), Value::String(o.op.clone()));
            m.insert("path".into(), Value::String(o.path.clone()));
            if let Some(v) = &o.value {
                m.insert("value".into(), v.clone());
            }
            Value::Object(m)
        })
        .collect();
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(doc))
        .map_err(|e| GraphError::JsonPatchInvalid(e.to_string()))?;
    json_patch::patch(target, &patch).map_err(|e| GraphError::JsonPatchInvalid(e.to_string()))
}

/// Applies a patch to a twin (or, with `component`, to one of its
/// components) and returns the new version; the input is untouched.
pub fn twin(
    current: &Twin,
    patch: &Value,
    component: Option<&str>,
    now: Timestamp,
) -> Result<Twin, GraphError> {
    let mut ops = ops(patch)?;
    if let Some(c) = component {
        for o in &mut ops {
            o.path = format!("/{}{}", c.replace('~', "~0").replace('/', "~1"), o.path);
        }
    }
    let mut next = current.clone();
    let (meta_ops, content_ops): (Vec<Op>, Vec<Op>) = ops
        .into_iter()
        .partition(|o| o.path.starts_with("/$metadata/"));
    for o in &meta_ops {
        let seg = segments(&o.path);
        match (o.op.as_str(), seg.as_slice(), &o.value) {
            ("replace" | "add", [_, m], Some(Value::String(model))) if m == "$model" => {
                next.model = model.as_str().into()
            }
            ("replace" | "add", [_, prop, st], Some(Value::String(t)))
                if st == "sourceTime" && !prop.starts_with('$') =>
            {
                next.set_source_time(prop, t, now);
            }
            _ => {
                return Err(GraphError::JsonPatchInvalid(format!(
                    "'{} {}' is not allowed: under $metadata only $model and <property>/sourceTime can be set",
                    o.op, o.path
                )));
            }
        }
    }
    let mut contents = Value::Object(std::mem::take(&mut next.contents));
    apply_ops(&mut contents, &content_ops)?;
    let Value::Object(contents) = contents else {
        return Err(GraphError::JsonPatchInvalid(
            "a patch cannot replace the whole twin".into(),
        ));
    };
    next.contents = contents;
    for o in &content_ops {
        touch(&mut next, &segments(&o.path), now);
    }
    next.etag = etag::fresh();
    next.last_update = now;
    Ok(next)
}

/// Records the write time of the property a patch path lands in.
fn touch(twin: &mut Twin, seg: &[String], now: Timestamp) {
    let Some(first) = seg.first() else { return };
    let component_prop = seg.get(1).filter(|s| !s.starts_with('$'));
    match (twin.contents.get_mut(first), component_prop) {
        (Some(Value::Object(comp)), Some(prop)) if comp.contains_key("$metadata") => {
            let present = comp.contains_key(prop);
            if let Some(Value::Object(meta)) = comp.get_mut("$metadata") {
                if present {
                    meta.insert(
                        prop.clone(),
                        serde_json::json!({ "lastUpdateTime": now.to_string() }),
                    );
                } else {
                    meta.remove(prop);
                }
            }
        }
        (Some(_), _) => twin.touch(first, now),
        (None, _) => twin.forget(first),
    }
}

/// Applies a patch to relationship properties; `$` members are read-only.
pub fn relationship_properties(
    current: &Map<String, Value>,
    patch: &Value,
) -> Result<Map<String, Value>, GraphError> {
    let ops = ops(patch)?;
    if let Some(o) = ops.iter().find(|o| o.path.starts_with("/$")) {
        return Err(GraphError::JsonPatchInvalid(format!(
            "'{} {}' is not allowed: relationship '$' members are read-only",
            o.op, o.path
        )));
    }
    let mut props = Value::Object(current.clone());
    apply_ops(&mut props, &ops)?;
    match props {
        Value::Object(m) => Ok(m),
        _ => Err(GraphError::JsonPatchInvalid(
            "a patch cannot replace the whole relationship".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const T1: Timestamp = Timestamp(1_700_000_000_000_000);

    fn pump() -> Twin {
        Twin {
            id: "p".into(),
            model: "dtmi:x:P;1".into(),
            etag: etag::fresh(),
            last_update: Timestamp(0),
            contents: json!({"rpm": 1, "motor": {"$metadata": {}, "temp": 3}})
                .as_object()
                .unwrap()
                .clone(),
            meta: vec![],
        }
    }

    #[test]
    fn patch_updates_values_metadata_and_etag() {
        let t = pump();
        let n = twin(&t, &json!([{"op": "replace", "path": "/rpm", "value": 5}, {"op": "add", "path": "/motor/temp", "value": 4}]), None, T1).unwrap();
        assert_eq!(n.contents["rpm"], 5);
        assert_eq!(n.meta[0].last_update, T1);
        assert_eq!(
            n.contents["motor"]["$metadata"]["temp"]["lastUpdateTime"],
            T1.to_string()
        );
        assert_ne!(n.etag, t.etag);
    }

    #[test]
    fn component_patch_paths_are_relative() {
        let n = twin(
            &pump(),
            &json!([{"op": "replace", "path": "/temp", "value": 9}]),
            Some("motor"),
            T1,
        )
        .unwrap();
        assert_eq!(n.contents["motor"]["temp"], 9);
    }

    #[test]
    fn failing_operation_applies_nothing() {
        let t = pump();
        let err = twin(
            &t,
            &json!([{"op": "replace", "path": "/rpm", "value": 5}, {"op": "remove", "path": "/nothing"}]),
            None,
            T1,
        );
        assert!(matches!(err, Err(GraphError::JsonPatchInvalid(_))));
        assert_eq!(t.contents["rpm"], 1);
    }

    #[test]
    fn unsupported_operations_are_refused() {
        for bad in [
            json!({}),
            json!([{"op": "move", "from": "/a", "path": "/b"}]),
            json!([{"op": "add", "path": "/x"}]),
            json!([{"op": "replace", "path": "/$metadata/$lastUpdateTime", "value": "x"}]),
        ] {
            assert!(
                matches!(
                    twin(&pump(), &bad, None, T1),
                    Err(GraphError::JsonPatchInvalid(_))
                ),
                "{bad}"
            );
        }
    }
}
