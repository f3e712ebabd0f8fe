//! Device payloads into the [`TwinSink`], the same for every protocol:
//! telemetry is a JSON object of telemetry names to values (optional
//! `"$ts"` or `"timestamp"` as its RFC 3339 source time) or an array of
//! them; a property report is a non-empty JSON object of property names to
//! values, applied all or nothing.

use serde_json::{Map, Value};

use crate::{SinkError, TwinSink};

/// What a message carries (`telemetry` or `properties` in configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataKind {
    /// Telemetry onto the event stream.
    Telemetry,
    /// Reported property values, written to the twin.
    Properties,
}

/// Decodes `payload` as `kind` and hands it to `sink` for `twin_id`.
pub(crate) async fn deliver<S: TwinSink>(
    sink: &S,
    twin_id: &str,
    kind: DataKind,
    payload: &[u8],
) -> Result<(), SinkError> {
    let body: Value = serde_json::from_slice(payload)
        .map_err(|err| SinkError::Invalid(format!("the payload is not JSON: {err}")))?;
    match kind {
        DataKind::Telemetry => {
            let messages = match body {
                Value::Array(items) => items,
                one => vec![one],
            };
            for m in messages {
                let Value::Object(mut data) = m else {
                    return Err(SinkError::Invalid(
                        "telemetry must be a JSON object or an array of them".into(),
                    ));
                };
                let ts = source_time(&mut data)?;
                let id = uuid::Uuid::new_v4().to_string();
                sink.telemetry(twin_id, &id, ts.as_deref(), Value::Object(data))
                    .await?;
            }
            Ok(())
        }
        DataKind::Properties => match body {
            Value::Object(props) if !props.is_empty() => sink.report(twin_id, props).await,
            _ => Err(SinkError::Invalid(
                "a property report must be a non-empty JSON object".into(),
            )),
        },
    }
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
