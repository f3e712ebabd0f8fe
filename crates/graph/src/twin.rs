//! A digital twin: its model, ETag, property values and their metadata.
//! The saved encoding is ADT's twin document, which is also what the query
//! language addresses (`$dtId`, `$metadata.$model`).

use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::GraphError;
use crate::etag::ETag;
use crate::time::Timestamp;

/// When a top-level property was last written, and its source time.
#[derive(Debug, Clone, PartialEq)]
pub struct PropMeta {
    /// The property name.
    pub name: Box<str>,
    /// When ferrotwin last wrote it.
    pub last_update: Timestamp,
    /// The time the value was observed at the source, if given.
    pub source_time: Option<Box<str>>,
}

/// One twin as the graph holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Twin {
    /// The twin id (`$dtId`).
    pub id: Arc<str>,
    /// The model DTMI (`$metadata.$model`), shared between twins.
    pub model: Arc<str>,
    /// The weak ETag of the current version.
    pub etag: ETag,
    /// When any part of the twin last changed.
    pub last_update: Timestamp,
    /// Property and component values by name; a component value is an
    /// object with its own `$metadata`.
    pub contents: Map<String, Value>,
    /// Per-property metadata of top-level properties, sorted by name.
    pub meta: Vec<PropMeta>,
}

impl Twin {
    /// The ADT twin document.
    pub fn to_document(&self) -> Value {
        let mut doc = Map::with_capacity(self.contents.len() + 3);
        doc.insert("$dtId".into(), Value::String(self.id.to_string()));
        doc.insert("$etag".into(), Value::String(self.etag.to_string()));
        for (k, v) in &self.contents {
            doc.insert(k.clone(), v.clone());
        }
        let mut meta = Map::with_capacity(self.meta.len() + 2);
        meta.insert("$model".into(), Value::String(self.model.to_string()));
        meta.insert(
            "$lastUpdateTime".into(),
            Value::String(self.last_update.to_string()),
        );
        for m in &self.meta {
            let mut p = Map::with_capacity(2);
            p.insert(
                "lastUpdateTime".into(),
                Value::String(m.last_update.to_string()),
            );
            if let Some(s) = &m.source_time {
                p.insert("sourceTime".into(), Value::String(s.to_string()));
            }
            meta.insert(m.name.to_string(), Value::Object(p));
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
        let etag = ETag::parse(&take_str(&mut doc, "$etag")?);
        let Some(Value::Object(mut meta)) = doc.remove("$metadata") else {
            return Err(GraphError::InvalidArgument(format!(
                "twin '{id}' has no $metadata object"
            )));
        };
        let model = take_str(&mut meta, "$model")?;
        let last_update = time(&take_str(&mut meta, "$lastUpdateTime")?)?;
        let mut props = Vec::with_capacity(meta.len());
        for (name, m) in meta {
            let last = m
                .get("lastUpdateTime")
                .and_then(Value::as_str)
                .map_or(Ok(last_update), time)?;
            let source_time = m.get("sourceTime").and_then(Value::as_str).map(Into::into);
            props.push(PropMeta {
                name: name.into(),
                last_update: last,
                source_time,
            });
        }
        props.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Twin {
            id: id.into(),
            model: model.into(),
            etag,
            last_update,
            contents: doc,
            meta: props,
        })
    }

    /// The saved encoding: the ADT twin document, serialized straight from
    /// the twin without building an intermediate JSON value.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&Document(self)).unwrap_or_default()
    }

    /// A component's document, if the twin has that component.
    pub fn component(&self, name: &str) -> Option<&Value> {
        self.contents.get(name).filter(|v| v.is_object())
    }

    /// Records that property `name` was written at `at`.
    pub fn touch(&mut self, name: &str, at: Timestamp) {
        match self.meta.binary_search_by(|m| (*m.name).cmp(name)) {
            Ok(i) => self.meta[i].last_update = at,
            Err(i) => self.meta.insert(
                i,
                PropMeta {
                    name: name.into(),
                    last_update: at,
                    source_time: None,
                },
            ),
        }
    }

    /// Sets property `name`'s source time.
    pub fn set_source_time(&mut self, name: &str, source_time: &str, at: Timestamp) {
        self.touch(name, at);
        if let Ok(i) = self.meta.binary_search_by(|m| (*m.name).cmp(name)) {
            self.meta[i].source_time = Some(source_time.into());
        }
    }

    /// Forgets the metadata of a removed property.
    pub fn forget(&mut self, name: &str) {
        if let Ok(i) = self.meta.binary_search_by(|m| (*m.name).cmp(name)) {
            self.meta.remove(i);
        }
    }
}

/// A twin viewed as its ADT document, for serialization without copies.
pub struct Document<'a>(pub &'a Twin);

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_map(Some(t.contents.len() + 3))?;
        m.serialize_entry("$dtId", &*t.id)?;
        m.serialize_entry("$etag", &t.etag.to_string())?;
        for (k, v) in &t.contents {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("$metadata", &Metadata(t))?;
        m.end()
    }
}

struct Metadata<'a>(&'a Twin);

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_map(Some(t.meta.len() + 2))?;
        m.serialize_entry("$model", &*t.model)?;
        m.serialize_entry("$lastUpdateTime", &t.last_update.to_string())?;
        for p in &t.meta {
            m.serialize_entry(&*p.name, &PropTimes(p))?;
        }
        m.end()
    }
}

struct PropTimes<'a>(&'a PropMeta);

impl Serialize for PropTimes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("lastUpdateTime", &self.0.last_update.to_string())?;
        if let Some(t) = &self.0.source_time {
            m.serialize_entry("sourceTime", &**t)?;
        }
        m.end()
    }
}

fn time(s: &str) -> Result<Timestamp, GraphError> {
    Timestamp::parse(s)
        .ok_or_else(|| GraphError::InvalidArgument(format!("'{s}' is not an RFC 3339 timestamp")))
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
    use serde_json::json;

    use super::*;

    #[test]
    fn document_round_trip() {
        let mut t = Twin {
            id: "pump-1".into(),
            model: "dtmi:x:Pump;1".into(),
            etag: ETag::fresh(),
            last_update: Timestamp(1_700_000_000_000_000),
            contents: json!({"rpm": 10, "motor": {"$metadata": {}}})
                .as_object()
                .unwrap()
                .clone(),
            meta: vec![],
        };
        t.touch("rpm", Timestamp(1_700_000_000_000_001));
        t.set_source_time(
            "rpm",
            "2026-01-01T00:00:00Z",
            Timestamp(1_700_000_000_000_002),
        );
        let doc = t.to_document();
        assert_eq!(doc["$metadata"]["$model"], "dtmi:x:Pump;1");
        assert_eq!(
            doc["$metadata"]["rpm"]["sourceTime"],
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(serde_json::from_slice::<Value>(&t.encode()).unwrap(), doc);
        assert_eq!(Twin::from_document(doc).unwrap(), t);
    }
}
