//! Delivering a dead letter again, once its cause is fixed (the twin
//! created, the model updated): through the same decoding as live
//! messages, with whatever is still refused handed back instead of kept
//! a second time.

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::payload::{self, DataKind, Outcome};
use crate::{Refused, SinkError, TwinSink};

/// A sink that passes data on and catches refusals.
struct Catch<S> {
    inner: Arc<S>,
    refused: Mutex<Vec<Refused>>,
}

impl<S: TwinSink> TwinSink for Catch<S> {
    async fn telemetry(
        &self,
        twin_id: &str,
        message_id: &str,
        source_time: Option<&str>,
        data: Value,
    ) -> Result<(), SinkError> {
        self.inner
            .telemetry(twin_id, message_id, source_time, data)
            .await
    }

    async fn report(&self, twin_id: &str, properties: Map<String, Value>) -> Result<(), SinkError> {
        self.inner.report(twin_id, properties).await
    }

    async fn desired(&self, twin_id: &str) -> Option<Map<String, Value>> {
        self.inner.desired(twin_id).await
    }

    async fn refused(&self, letter: Refused) {
        self.refused.lock().expect("not poisoned").push(letter);
    }
}

/// Delivers `payload` (in the default convention) for `twin_id` again.
/// `Ok(None)` when all of it was taken; `Ok(Some(rest))` with what is
/// still refused (the refused items of a batch together, as one array)
/// and why; `Err` when the platform cannot take data just now.
pub async fn replay<S: TwinSink>(
    sink: Arc<S>,
    twin_id: &str,
    kind: DataKind,
    payload: &[u8],
) -> Result<Option<(Vec<u8>, String)>, String> {
    let catch = Catch {
        inner: sink,
        refused: Mutex::new(Vec::new()),
    };
    let outcome = payload::deliver(&catch, "replay", twin_id, kind, payload).await?;
    let refused = catch.refused.into_inner().expect("not poisoned");
    match (outcome, refused.len()) {
        (Outcome::Taken, _) | (_, 0) => Ok(None),
        (Outcome::Refused(_), 1) => {
            let r = refused.into_iter().next().expect("one");
            Ok(Some((r.payload, r.reason)))
        }
        (Outcome::Refused(_), _) => {
            let mut items = Vec::new();
            let mut reasons = Vec::new();
            for r in refused {
                match serde_json::from_slice::<Value>(&r.payload) {
                    Ok(Value::Array(many)) => items.extend(many),
                    Ok(one) => items.push(one),
                    Err(_) => items.push(Value::String(String::from_utf8_lossy(&r.payload).into())),
                }
                if !reasons.contains(&r.reason) {
                    reasons.push(r.reason);
                }
            }
            let body = serde_json::to_vec(&Value::Array(items)).unwrap_or_default();
            Ok(Some((body, reasons.join("; "))))
        }
    }
}
