//! Event routes: which events go to which named endpoint. Delivery is the
//! event stream's job; the graph only keeps the definitions durable.

use serde_json::{Value, json};

use crate::GraphError;

/// An event route definition.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRoute {
    /// The route id.
    pub id: String,
    /// The endpoint the events go to.
    pub endpoint_name: String,
    /// The filter expression (`true` for every event).
    pub filter: String,
}

impl EventRoute {
    /// The ADT event route document.
    pub fn to_document(&self) -> Value {
        json!({ "id": self.id, "endpointName": self.endpoint_name, "filter": self.filter })
    }

    /// Reads a saved route document.
    pub fn from_document(doc: &Value) -> Result<EventRoute, GraphError> {
        let s = |k: &str| {
            doc.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    GraphError::EventRouteInvalid(format!(
                        "event route field '{k}' is missing or not a string"
                    ))
                })
        };
        Ok(EventRoute {
            id: s("id")?,
            endpoint_name: s("endpointName")?,
            filter: s("filter")?,
        })
    }
}
