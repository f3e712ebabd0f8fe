//! Device data into the twin graph: the server's implementation of the
//! connect crate's [`TwinSink`]. Telemetry is checked against the twin's
//! DTDL model here (the REST telemetry endpoint, like ADT's, does not);
//! refused messages go to the dead-letter store and are counted.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ferrotwin_api::{Metrics, Redeliver, Redelivered};
use ferrotwin_connect::{DataKind, Refused, SinkError, TwinSink};
use ferrotwin_graph::{Graph, GraphError};
use ferrotwin_ingest::{DeadLetters, NewLetter};
use serde_json::{Map, Value, json};

/// Device messages applied to the graph.
pub struct GraphSink {
    /// The twin graph.
    pub graph: Graph,
    /// Where refused messages are kept.
    pub letters: Arc<DeadLetters>,
    /// Counts refusals.
    pub metrics: Arc<Metrics>,
}

fn sink_error(e: GraphError) -> SinkError {
    match e {
        GraphError::TwinNotFound(id) => SinkError::NotFound(id),
        GraphError::Storage(m) => SinkError::Unavailable(m),
        other => SinkError::Invalid(other.to_string()),
    }
}

/// Escapes a property name for a JSON Pointer (RFC 6901).
fn pointer(name: &str) -> String {
    format!("/{}", name.replace('~', "~0").replace('/', "~1"))
}

impl TwinSink for GraphSink {
    async fn telemetry(
        &self,
        twin_id: &str,
        message_id: &str,
        source_time: Option<&str>,
        data: Value,
    ) -> Result<(), SinkError> {
        self.graph
            .publish_device_telemetry(twin_id, message_id, source_time, data)
            .await
            .map_err(sink_error)
    }

    async fn report(&self, twin_id: &str, properties: Map<String, Value>) -> Result<(), SinkError> {
        let ops: Vec<Value> = properties
            .into_iter()
            .map(|(k, v)| json!({"op": "add", "path": pointer(&k), "value": v}))
            .collect();
        self.graph
            .patch_twin(twin_id, None, Value::Array(ops), None)
            .await
            .map(|_| ())
            .map_err(sink_error)
    }

    async fn desired(&self, twin_id: &str) -> Option<Map<String, Value>> {
        self.graph.desired(twin_id).ok()
    }

    async fn refused(&self, letter: Refused) {
        let protocol = letter.source.split(' ').next().unwrap_or("unknown");
        self.metrics.device_refused(protocol, letter.cause.as_str());
        tracing::warn!(
            source = %letter.source,
            twin = letter.twin_id.as_deref(),
            "device message refused, kept as a dead letter: {}",
            letter.reason
        );
        let store = self.letters.clone();
        let new = NewLetter {
            source: letter.source,
            twin_id: letter.twin_id,
            kind: letter.kind.map(|k| k.as_str().to_string()),
            payload: letter.payload,
            reason: letter.reason,
        };
        match tokio::task::spawn_blocking(move || store.add(new)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("could not keep a dead letter: {e}"),
            Err(e) => tracing::error!("could not keep a dead letter: {e}"),
        }
    }
}

/// Replays dead letters through the same sink as live device data.
pub struct SinkRedeliver(pub Arc<GraphSink>);

impl Redeliver for SinkRedeliver {
    fn redeliver<'a>(
        &'a self,
        twin_id: &'a str,
        kind: &'a str,
        payload: &'a [u8],
    ) -> Pin<Box<dyn Future<Output = Result<Redelivered, String>> + Send + 'a>> {
        Box::pin(async move {
            let Some(kind) = DataKind::parse(kind) else {
                return Ok(Some((
                    payload.to_vec(),
                    format!("'{kind}' is not a kind of device data (telemetry or properties)"),
                )));
            };
            ferrotwin_connect::replay(self.0.clone(), twin_id, kind, payload).await
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pointers_escape() {
        assert_eq!(super::pointer("a/b~c"), "/a~1b~0c");
    }
}
