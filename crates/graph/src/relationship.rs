//! A directed, named relationship between two twins, with properties.

use serde_json::{Map, Value};

use crate::GraphError;
use crate::etag::ETag;

/// One relationship as the graph holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Relationship {
    /// The id, unique among the source twin's relationships.
    pub id: String,
    /// The source twin id.
    pub source: String,
    /// The target twin id.
    pub target: String,
    /// The relationship name from the source model.
    pub name: String,
    /// The weak ETag of the current version.
    pub etag: ETag,
    /// Relationship property values.
    pub properties: Map<String, Value>,
}

impl Relationship {
    /// The ADT relationship document.
    pub fn to_document(&self) -> Value {
        let mut doc = Map::with_capacity(self.properties.len() + 5);
        doc.insert("$relationshipId".into(), Value::String(self.id.clone()));
        doc.insert("$etag".into(), Value::String(self.etag.to_string()));
        doc.insert("$sourceId".into(), Value::String(self.source.clone()));
        doc.insert("$relationshipName".into(), Value::String(self.name.clone()));
        doc.insert("$targetId".into(), Value::String(self.target.clone()));
        for (k, v) in &self.properties {
            doc.insert(k.clone(), v.clone());
        }
        Value::Object(doc)
    }

    /// Reads a saved relationship document.
    pub fn from_document(doc: Value) -> Result<Relationship, GraphError> {
        let Value::Object(mut doc) = doc else {
            return Err(GraphError::InvalidArgument(
                "a relationship must be a JSON object".into(),
            ));
        };
        let mut take = |k: &str| match doc.remove(k) {
            Some(Value::String(s)) => Ok(s),
            _ => Err(GraphError::InvalidArgument(format!(
                "'{k}' is missing or not a string"
            ))),
        };
        let id = take("$relationshipId")?;
        let etag = ETag::parse(&take("$etag")?);
        let source = take("$sourceId")?;
        let name = take("$relationshipName")?;
        let target = take("$targetId")?;
        Ok(Relationship {
            id,
            source,
            target,
            name,
            etag,
            properties: doc,
        })
    }

    /// The storage key: source and id, which together are unique.
    pub fn key(source: &str, id: &str) -> String {
        format!("{source}\u{0}{id}")
    }

    /// The saved encoding.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_document()).unwrap_or_default()
    }
}
