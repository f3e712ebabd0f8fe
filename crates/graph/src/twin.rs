//! A digital twin: its model, ETag, property values and their metadata.
//! The saved encoding is ADT's twin document, which is also what the query
//! language addresses (`$dtId`, `$metadata.$model`).

use serde_json::{Map, Value, json};

use crate::GraphError;

/// One twin as the graph holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Twin {
    /// The twin id (`$dtId`).
    pub id: String,
    /// The model DTMI (`$metadata.$model`).
    pub model: String,
    /// The weak ETag of the current version.
    pub etag: String,
    /// When any part of the twin last changed.
    pub last_update: String,
    /// Property and component values by name; a component value is an
    /// object with its own `$metadata`.
    pub contents: Map<String, Value>,
    /// Per-property metadata (`lastUpdateTime`, optional `sourceTime`).
    pub meta: Map<String, Value>,
}

impl Twin {
    /// The ADT twin document.
    pub fn to_document(&self) -> Value {
        let mut doc = Map::with_capacity(self.contents.len() + 3);
        doc.insert("$dtId".into(), Value::String(self.id.clone()));
        doc.insert("$etag".into(), Value::String(self.etag.clone()));
        for (k, v) in &self.contents {
            doc.insert(k.clone(), v.clone());
        }
        let mut meta = Map::with_capacity(self.meta.len() + 2);
        meta.insert("$model".into(), Value::String(self.model.clone()));
        meta.insert(
            "$lastUpdateTime".into(),
            Value::String(self.last_update.clone()),
        );
        for (k, v) in &self.meta {
            meta.insert(k.clone(), v.clone());
        }
        doc.insert("$metadata".into(), Value::Object(meta));
        Value::Object(doc)
    }

    /// Reads a saved twin document.
    pub fn from_document(doc: Value) -> Result<Twin, GraphError> {
        let Value::Object(mut doc) = doc else {
            return Err(GraphError::InvalidArgument(
                "a twin document must be a JSON object".into(),
            ));
        };
        let id = take_str(&mut doc, "$dtId")?;
        let etag = take_str(&mut doc, "$etag")?;
        let Some(Value::Object(mut meta)) = doc.remove("$metadata") else {
            return Err(GraphError::InvalidArgument(format!(
                "twin '{id}' has no $metadata object"
            )));
        };
        let model = take_str(&mut meta, "$model")?;
        let last_update = take_str(&mut meta, "$lastUpdateTime")?;
        Ok(Twin {
            id,
            model,
            etag,
            last_update,
            contents: doc,
            meta,
        })
    }

    /// The saved encoding.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_document()).unwrap_or_default()
    }

    /// A component's document, if the twin has that component.
    pub fn component(&self, name: &str) -> Option<&Value> {
        self.contents.get(name).filter(|v| v.is_object())
    }

    /// Per-property metadata for a property written at `time`.
    pub fn property_meta(time: &str) -> Value {
        json!({ "lastUpdateTime": time })
    }
}

fn take_str(doc: &mut Map<String, Value>, key: &str) -> Result<String, GraphError> {
    match doc.remove(key) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(GraphError::InvalidArgument(format!(
            "'{key}' is missing or not a string"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_round_trip() {
        let t = Twin {
            id: "pump-1".into(),
            model: "dtmi:x:Pump;1".into(),
            etag: "W/\"a\"".into(),
            last_update: "2026-01-01T00:00:00.000000Z".into(),
            contents: json!({"rpm": 10, "motor": {"$metadata": {}}})
                .as_object()
                .unwrap()
                .clone(),
            meta: json!({"rpm": {"lastUpdateTime": "2026-01-01T00:00:00.000000Z"}})
                .as_object()
                .unwrap()
                .clone(),
        };
        let doc = t.to_document();
        assert_eq!(doc["$metadata"]["$model"], "dtmi:x:Pump;1");
        assert_eq!(Twin::from_document(doc).unwrap(), t);
    }
}
