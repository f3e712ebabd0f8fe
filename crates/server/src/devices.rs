//! Device data into the twin graph: the server's implementation of the
//! connect crate's [`TwinSink`].

use ferrotwin_connect::{Refused, SinkError, TwinSink};
use ferrotwin_graph::{Graph, GraphError};
use serde_json::{Map, Value, json};

/// Device messages applied to the graph.
pub struct GraphSink(pub Graph);

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
        self.0
            .publish_telemetry(twin_id, None, message_id, source_time, data)
            .await
            .map_err(sink_error)
    }

    async fn report(&self, twin_id: &str, properties: Map<String, Value>) -> Result<(), SinkError> {
        let ops: Vec<Value> = properties
            .into_iter()
            .map(|(k, v)| json!({"op": "add", "path": pointer(&k), "value": v}))
            .collect();
        self.0
            .patch_twin(twin_id, None, Value::Array(ops), None)
            .await
            .map(|_| ())
            .map_err(sink_error)
    }

    async fn refused(&self, letter: Refused) {
        tracing::warn!(source = %letter.source, twin = letter.twin_id.as_deref(), "device message refused: {}", letter.reason);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pointers_escape() {
        assert_eq!(super::pointer("a/b~c"), "/a~1b~0c");
    }
}
