//! Device payloads into the [`TwinSink`], the same for every protocol:
//! telemetry is a JSON object of telemetry names to values (optional
//! `"$ts"` or `"timestamp"` as its RFC 3339 source time) or an array of
//! them; a property report is a non-empty JSON object of property names to
//! values, applied all or nothing.

use serde_json::{Map, Value};

use crate::{Cause, Refused, SinkError, TwinSink};

/// What a message carries (`telemetry` or `properties` in configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataKind {
    /// Telemetry onto the event stream.
    Telemetry,
    /// Reported property values, written to the twin.
    Properties,
}

impl DataKind {
    /// `telemetry` or `properties`, as in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            DataKind::Telemetry => "telemetry",
            DataKind::Properties => "properties",
        }
    }

    /// The kind named `s` (`telemetry` or `properties`).
    pub fn parse(s: &str) -> Option<DataKind> {
        match s {
            "telemetry" => Some(DataKind::Telemetry),
            "properties" => Some(DataKind::Properties),
            _ => None,
        }
    }
}

/// What became of a message the platform could read or not.
#[derive(Debug, PartialEq)]
pub(crate) enum Outcome {
    /// All of it was taken.
    Taken,
    /// Some or all of it was refused, and is in the dead-letter store;
    /// the reason for logs.
    Refused(String),
}

/// Decodes `payload` as `kind` and hands it to `sink` for `twin_id`. What
/// the platform refuses for what it holds goes to [`TwinSink::refused`]
/// with `source`, never dropped: a batch is delivered item by item, so one
/// bad item costs only itself. `Err` only when the platform cannot take
/// data at all just now (the source retries).
pub(crate) async fn deliver<S: TwinSink>(
    sink: &S,
    source: &str,
    twin_id: &str,
    kind: DataKind,
    payload: &[u8],
) -> Result<Outcome, String> {
    let letter = |payload: Vec<u8>, cause: Cause, reason: String| Refused {
        source: source.to_string(),
        twin_id: Some(twin_id.to_string()),
        kind: Some(kind),
        payload,
        cause,
        reason,
    };
    let body: Value = match serde_json::from_slice(payload) {
        Ok(b) => b,
        Err(err) => {
            let why = format!("the payload is not JSON: {err}");
            sink.refused(letter(payload.to_vec(), Cause::Invalid, why.clone()))
                .await;
            return Ok(Outcome::Refused(why));
        }
    };
    match kind {
        DataKind::Telemetry => {
            let (messages, batch) = match body {
                Value::Array(items) => (items, true),
                one => (vec![one], false),
            };
            let mut refused = None;
            let mut rest = messages.into_iter();
            while let Some(m) = rest.next() {
                let Value::Object(mut data) = m else {
                    let why = "telemetry must be a JSON object or an array of them".to_string();
                    sink.refused(letter(to_bytes(&m), Cause::Invalid, why.clone()))
                        .await;
                    refused = Some(why);
                    continue;
                };
                let original = data.clone();
                let result = match source_time(&mut data) {
                    Ok(ts) => {
                        let id = uuid::Uuid::new_v4().to_string();
                        sink.telemetry(twin_id, &id, ts.as_deref(), Value::Object(data))
                            .await
                    }
                    Err(e) => Err(e),
                };
                match result {
                    Ok(()) => {}
                    Err(SinkError::Unavailable(why)) => return Err(why),
                    Err(SinkError::NotFound(id)) => {
                        // Every later item names the same missing twin: one letter.
                        let why = SinkError::NotFound(id).to_string();
                        let mut left = vec![Value::Object(original)];
                        left.extend(rest.by_ref());
                        let body = if batch {
                            Value::Array(left)
                        } else {
                            left.remove(0)
                        };
                        sink.refused(letter(to_bytes(&body), Cause::UnknownTwin, why.clone()))
                            .await;
                        return Ok(Outcome::Refused(why));
                    }
                    Err(e) => {
                        let why = e.to_string();
                        let bytes = to_bytes(&Value::Object(original));
                        sink.refused(letter(bytes, Cause::Invalid, why.clone()))
                            .await;
                        refused = Some(why);
                    }
                }
            }
            Ok(refused.map_or(Outcome::Taken, Outcome::Refused))
        }
        DataKind::Properties => {
            let result = match body {
                Value::Object(ref props) if !props.is_empty() => {
                    sink.report(twin_id, props.clone()).await
                }
                _ => Err(SinkError::Invalid(
                    "a property report must be a non-empty JSON object".into(),
                )),
            };
            match result {
                Ok(()) => Ok(Outcome::Taken),
                Err(SinkError::Unavailable(why)) => Err(why),
                Err(e) => {
                    let cause = match e {
                        SinkError::NotFound(_) => Cause::UnknownTwin,
                        _ => Cause::Invalid,
                    };
                    let why = e.to_string();
                    sink.refused(letter(to_bytes(&body), cause, why.clone()))
                        .await;
                    Ok(Outcome::Refused(why))
                }
            }
        }
    }
}

/// As [`deliver`], after reading `payload` through `map` (the device's
/// own layout into the default convention); a payload the map cannot read
/// is refused as received, the reason naming the mapping.
pub(crate) async fn deliver_mapped<S: TwinSink>(
    sink: &S,
    source: &str,
    twin_id: &str,
    kind: DataKind,
    map: &crate::PayloadMap,
    payload: &[u8],
) -> Result<Outcome, String> {
    match map.apply(payload) {
        Ok(p) => deliver(sink, source, twin_id, kind, &p).await,
        Err(why) => {
            let why = format!("mapping: {why}");
            sink.refused(Refused {
                source: source.to_string(),
                twin_id: Some(twin_id.to_string()),
                kind: Some(kind),
                payload: payload.to_vec(),
                cause: Cause::Invalid,
                reason: why.clone(),
            })
            .await;
            Ok(Outcome::Refused(why))
        }
    }
}

/// Keeps a message the source could not route to any twin.
pub(crate) async fn unroutable<S: TwinSink>(sink: &S, source: &str, payload: &[u8], why: String) {
    sink.refused(Refused {
        source: source.to_string(),
        twin_id: None,
        kind: None,
        payload: payload.to_vec(),
        cause: Cause::Unroutable,
        reason: why,
    })
    .await;
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// Takes the source time (`$ts` or `timestamp`, RFC 3339) out of a
/// telemetry message.
fn source_time(data: &mut Map<String, Value>) -> Result<Option<String>, SinkError> {
    for key in ["$ts", "timestamp"] {
        if let Some(v) = data.remove(key) {
            return match v {
                Value::String(s) => Ok(Some(s)),
                _ => Err(SinkError::Invalid(format!(
                    "{key} must be an RFC 3339 string"
                ))),
            };
        }
    }
    Ok(None)
}
