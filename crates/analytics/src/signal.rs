//! Numeric signals of an event, named the way history names its series:
//! telemetry leaves joined with `/` (prefixed by the component), property
//! paths from a patch's JSON Pointers.

use ferrotwin_events::Event;
use serde_json::{Map, Value};

/// The numeric values an event carries, with their signal names, and the
/// event's time in ms (the source time when the sender gave one, else `now`).
pub fn numeric_signals(event: &Event, now: i64) -> (i64, Vec<(String, f64)>) {
    let mut out = Vec::new();
    match event {
        Event::Telemetry {
            component,
            source_time,
            data,
            ..
        } => {
            let t = source_time
                .as_deref()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map_or(now, |d| d.timestamp_millis());
            let prefix = component
                .as_ref()
                .map(|c| format!("{c}/"))
                .unwrap_or_default();
            if let Value::Object(m) = data {
                leaves(m, &prefix, &mut out);
            } else if let Some(v) = data.as_f64() {
                out.push((format!("{prefix}$data"), v));
            }
            return (t, out);
        }
        Event::TwinUpdated { patch, .. } => {
            for op in patch.as_array().into_iter().flatten() {
                let (Some("add" | "replace"), Some(path)) = (
                    op.get("op").and_then(Value::as_str),
                    op.get("path").and_then(Value::as_str),
                ) else {
                    continue;
                };
                let name = path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|s| s.replace("~1", "/").replace("~0", "~"))
                    .collect::<Vec<_>>()
                    .join("/");
                match op.get("value") {
                    Some(Value::Object(m)) => leaves(m, &format!("{name}/"), &mut out),
                    Some(v) => {
                        if let Some(x) = v.as_f64() {
                            out.push((name, x));
                        }
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
    (now, out)
}

fn leaves(m: &Map<String, Value>, prefix: &str, out: &mut Vec<(String, f64)>) {
    for (k, v) in m {
        if k.starts_with('$') {
            continue;
        }
        match v {
            Value::Object(inner) => leaves(inner, &format!("{prefix}{k}/"), out),
            Value::Number(n) => {
                if let Some(x) = n.as_f64().filter(|x| x.is_finite()) {
                    out.push((format!("{prefix}{k}"), x));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn telemetry_leaves_and_patch_paths_become_named_numbers() {
        let e = Event::Telemetry {
            twin_id: "p".into(),
            component: None,
            model: "m".into(),
            message_id: "1".into(),
            source_time: Some("2026-01-01T00:00:01Z".into()),
            data: json!({"a": 1.5, "b": {"c": 2}, "s": "text", "$ts": 3}),
        };
        let (t, v) = numeric_signals(&e, 0);
        assert_eq!(t, 1_767_225_601_000);
        assert_eq!(v, vec![("a".into(), 1.5), ("b/c".into(), 2.0)]);
        let e = Event::TwinUpdated {
            twin_id: "p".into(),
            model: "m".into(),
            patch: json!([{"op": "replace", "path": "/x~1y", "value": 4},
                          {"op": "remove", "path": "/z"}]),
        };
        assert_eq!(numeric_signals(&e, 9), (9, vec![("x/y".into(), 4.0)]));
    }
}
