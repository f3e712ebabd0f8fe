//! Events into samples: the [`HistoryRecorder`] sits on the event bus as a
//! durable recorder, so a telemetry reading or property change is in
//! history before the write that caused it is acknowledged.

use std::sync::Arc;

use ferrotwin_events::{Event, RecordError, RecordFuture, Recorder};
use serde_json::{Map, Value, json};

use crate::sample::to_millis;
use crate::{HistoryStore, Kind, LIFECYCLE, Point, Sample, SeriesKey};

/// Decides which property changes are kept: called with the twin's model
/// and the property path. Telemetry is always kept.
pub type PropertySelector = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// Feeds a [`HistoryStore`] from the event bus.
pub struct HistoryRecorder {
    store: Arc<dyn HistoryStore>,
    select: Option<PropertySelector>,
    clock: fn() -> i64,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

impl HistoryRecorder {
    /// Records into `store`: every property change when `select` is None,
    /// else those it accepts.
    pub fn new(store: Arc<dyn HistoryStore>, select: Option<PropertySelector>) -> HistoryRecorder {
        HistoryRecorder {
            store,
            select,
            clock: now,
        }
    }

    /// The samples an event yields, stamped with ingest time `now`.
    pub fn samples(&self, event: &Event, now: i64) -> Vec<Sample> {
        let mut out = Vec::new();
        let ingest = to_millis(now);
        let mut push =
            |twin: &str, model: &str, kind: Kind, name: String, time: i64, value: Value| {
                if kind == Kind::Property && self.select.as_ref().is_some_and(|f| !f(model, &name))
                {
                    return;
                }
                out.push(Sample {
                    key: SeriesKey::new(twin, name),
                    kind,
                    model: model.to_string(),
                    point: Point {
                        time,
                        ingest,
                        value,
                    },
                });
            };
        match event {
            Event::Telemetry {
                twin_id,
                component,
                model,
                source_time,
                data,
                ..
            } => {
                let time = source_time
                    .as_deref()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .map_or(now, |d| d.timestamp_micros());
                let prefix = component
                    .as_ref()
                    .map(|c| format!("{c}/"))
                    .unwrap_or_default();
                match data {
                    Value::Object(m) => flatten(m, &prefix, &mut |name, v| {
                        push(twin_id, model, Kind::Telemetry, name, time, v.clone())
                    }),
                    other => push(
                        twin_id,
                        model,
                        Kind::Telemetry,
                        format!("{prefix}$data"),
                        time,
                        other.clone(),
                    ),
                }
            }
            Event::TwinCreated {
                twin_id,
                model,
                twin,
            } => {
                push(
                    twin_id,
                    model,
                    Kind::Lifecycle,
                    LIFECYCLE.into(),
                    now,
                    json!({"event": "created", "model": model}),
                );
                for (k, v) in twin.as_object().into_iter().flatten() {
                    if k.starts_with('$') {
                        continue;
                    }
                    match v.as_object() {
                        Some(c) if c.contains_key("$metadata") => {
                            for (ck, cv) in c.iter().filter(|(ck, _)| !ck.starts_with('$')) {
                                push(
                                    twin_id,
                                    model,
                                    Kind::Property,
                                    format!("{k}/{ck}"),
                                    now,
                                    cv.clone(),
                                );
                            }
                        }
                        _ => push(twin_id, model, Kind::Property, k.clone(), now, v.clone()),
                    }
                }
            }
            Event::TwinUpdated {
                twin_id,
                model,
                patch,
            } => {
                for op in patch.as_array().into_iter().flatten() {
                    let (Some(kind), Some(path)) = (
                        op.get("op").and_then(Value::as_str),
                        op.get("path").and_then(Value::as_str),
                    ) else {
                        continue;
                    };
                    let name = pointer_to_name(path);
                    if name.is_empty() || name.starts_with('$') {
                        continue;
                    }
                    let value = match kind {
                        "add" | "replace" => op.get("value").cloned().unwrap_or(Value::Null),
                        "remove" => Value::Null,
                        _ => continue,
                    };
                    push(twin_id, model, Kind::Property, name, now, value);
                }
            }
            Event::TwinDeleted { twin_id, model } => {
                push(
                    twin_id,
                    model,
                    Kind::Lifecycle,
                    LIFECYCLE.into(),
                    now,
                    json!({"event": "deleted"}),
                );
            }
            Event::RelationshipCreated { .. }
            | Event::RelationshipUpdated { .. }
            | Event::RelationshipDeleted { .. }
            | Event::Analytics { .. } => {}
        }
        out
    }
}

/// Calls `f` for every leaf of a telemetry object, nested objects joined
/// with `/`; arrays and scalars are leaves.
fn flatten(m: &Map<String, Value>, prefix: &str, f: &mut dyn FnMut(String, &Value)) {
    for (k, v) in m {
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                flatten(inner, &format!("{prefix}{k}/"), f)
            }
            _ => f(format!("{prefix}{k}"), v),
        }
    }
}

/// A JSON Pointer (RFC 6901) as a series name: segments unescaped and
/// joined with `/`.
fn pointer_to_name(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join("/")
}

impl Recorder for HistoryRecorder {
    fn name(&self) -> &'static str {
        "history"
    }

    fn record<'a>(&'a self, events: &'a [Arc<Event>]) -> RecordFuture<'a> {
        Box::pin(async move {
            let now = (self.clock)();
            let samples: Vec<Sample> = events.iter().flat_map(|e| self.samples(e, now)).collect();
            if samples.is_empty() {
                return Ok(());
            }
            self.store.append(samples).await.map_err(|e| RecordError {
                recorder: "history",
                message: e.to_string(),
            })
        })
    }
}
