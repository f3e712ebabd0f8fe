//! The model registry: every uploaded DTDL interface with its upload time
//! and decommission flag, and the parsed [`ModelSet`] that twins are
//! validated against. An upload is parsed together with the models it
//! references and is accepted whole or not at all.

use std::collections::{BTreeMap, BTreeSet};

use ferrotwin_dtdl::{Document, ModelSet, Resolver};
use serde_json::{Map, Value, json};

use crate::GraphError;

/// A stored model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    /// The interface DTMI.
    pub id: String,
    /// The DTDL document as uploaded.
    pub definition: Value,
    /// When it was uploaded.
    pub upload_time: String,
    /// Whether new twins may no longer use it.
    pub decommissioned: bool,
}

/// What a model listing shows about one model.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// The interface DTMI.
    pub id: String,
    /// Display names by language.
    pub display_name: Map<String, Value>,
    /// Descriptions by language.
    pub description: Map<String, Value>,
    /// When it was uploaded.
    pub upload_time: String,
    /// Whether it is decommissioned.
    pub decommissioned: bool,
    /// The DTDL document, when asked for.
    pub model: Option<Value>,
}

impl ModelRecord {
    /// The saved encoding.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "id": self.id,
            "model": self.definition,
            "uploadTime": self.upload_time,
            "decommissioned": self.decommissioned,
        }))
        .unwrap_or_default()
    }

    /// Reads a saved record.
    pub fn decode(bytes: &[u8]) -> Result<ModelRecord, GraphError> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| GraphError::Storage(format!("model record: {e}")))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        match (s("id"), v.get("model"), s("uploadTime")) {
            (Some(id), Some(def), Some(upload_time)) => Ok(ModelRecord {
                id,
                definition: def.clone(),
                upload_time,
                decommissioned: v
                    .get("decommissioned")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            }),
            _ => Err(GraphError::Storage(
                "model record lacks id, model or uploadTime".into(),
            )),
        }
    }

    /// The listing view of this record.
    pub fn info(&self, include_definition: bool) -> ModelInfo {
        ModelInfo {
            id: self.id.clone(),
            display_name: localized(self.definition.get("displayName")),
            description: localized(self.definition.get("description")),
            upload_time: self.upload_time.clone(),
            decommissioned: self.decommissioned,
            model: include_definition.then(|| self.definition.clone()),
        }
    }
}

/// A DTDL localizable string as a language map; a plain string is English.
fn localized(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::String(s)) => Map::from_iter([("en".to_string(), Value::String(s.clone()))]),
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// The DTMIs a model document refers to outside itself: its `extends`,
/// component and other `schema` references, and relationship targets.
pub fn references(doc: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, defined: &mut BTreeSet<String>, refs: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("@id", Value::String(s)) => {
                            defined.insert(s.clone());
                        }
                        ("extends" | "schema" | "target", Value::String(s))
                            if s.starts_with("dtmi:") =>
                        {
                            refs.insert(s.clone());
                        }
                        ("extends", Value::Array(a)) => {
                            for item in a {
                                match item {
                                    Value::String(s) => {
                                        refs.insert(s.clone());
                                    }
                                    other => walk(other, defined, refs),
                                }
                            }
                        }
                        _ => walk(v, defined, refs),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, defined, refs)),
            _ => {}
        }
    }
    let (mut defined, mut refs) = (BTreeSet::new(), BTreeSet::new());
    walk(doc, &mut defined, &mut refs);
    refs.retain(|r| !defined.contains(r));
    refs
}

/// All models and the parsed set built from them.
#[derive(Default)]
pub struct Models {
    records: BTreeMap<String, ModelRecord>,
    refs: BTreeMap<String, BTreeSet<String>>,
    set: ModelSet,
}

/// Resolves references to models already in the registry.
struct Stored<'a>(&'a BTreeMap<String, ModelRecord>);

impl Resolver for Stored<'_> {
    fn resolve(&self, dtmis: &[String]) -> Vec<String> {
        dtmis
            .iter()
            .filter_map(|d| self.0.get(d))
            .map(|r| r.definition.to_string())
            .collect()
    }
}

impl Models {
    /// Rebuilds the registry from stored records, parsing them all at once.
    pub fn load(records: Vec<ModelRecord>) -> Result<Models, GraphError> {
        let docs: Vec<Value> = records.iter().map(|r| r.definition.clone()).collect();
        let set = parse(&docs, &BTreeMap::new())?;
        let refs = records
            .iter()
            .map(|r| (r.id.clone(), references(&r.definition)))
            .collect();
        let records = records.into_iter().map(|r| (r.id.clone(), r)).collect();
        Ok(Models { records, refs, set })
    }

    /// The parsed, inheritance-resolved models.
    pub fn set(&self) -> &ModelSet {
        &self.set
    }

    /// One stored model.
    pub fn get(&self, id: &str) -> Option<&ModelRecord> {
        self.records.get(id)
    }

    /// Every stored model in id order.
    pub fn records(&self) -> impl Iterator<Item = &ModelRecord> {
        self.records.values()
    }

    /// How many models are stored.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Models that `ids` depend on, transitively, with `ids` themselves.
    pub fn with_dependencies(&self, ids: &[String]) -> Result<BTreeSet<String>, GraphError> {
        let mut out = BTreeSet::new();
        let mut stack: Vec<String> = Vec::new();
        for id in ids {
            if !self.records.contains_key(id) {
                return Err(GraphError::ModelNotFound(id.clone()));
            }
            stack.push(id.clone());
        }
        while let Some(id) = stack.pop() {
            if out.insert(id.clone()) {
                if let Some(r) = self.refs.get(&id) {
                    stack.extend(r.iter().filter(|d| self.records.contains_key(*d)).cloned());
                }
            }
        }
        Ok(out)
    }

    /// Validates an upload against the stored models. Returns the new
    /// records and the model set that includes them; changes nothing.
    pub fn prepare_add(
        &self,
        docs: Vec<Value>,
        now: &str,
    ) -> Result<(Vec<ModelRecord>, ModelSet), GraphError> {
        if docs.is_empty() {
            return Err(GraphError::InvalidArgument(
                "the request must be a non-empty JSON array of DTDL interfaces".into(),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut records = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            let Some(id) = doc.get("@id").and_then(Value::as_str) else {
                return Err(GraphError::InvalidArgument(format!(
                    "models[{i}] is not a DTDL interface with an '@id'"
                )));
            };
            if self.records.contains_key(id) {
                return Err(GraphError::ModelAlreadyExists(id.to_string()));
            }
            if !seen.insert(id.to_string()) {
                return Err(GraphError::InvalidArgument(format!(
                    "model '{id}' appears twice in the request"
                )));
            }
            records.push(ModelRecord {
                id: id.to_string(),
                definition: doc.clone(),
                upload_time: now.to_string(),
                decommissioned: false,
            });
        }
        let parsed = parse(&docs, &self.records)?;
        let mut set = self.set.clone();
        set.interfaces.extend(parsed.interfaces);
        Ok((records, set))
    }

    /// Applies a prepared upload.
    pub fn apply_add(&mut self, records: Vec<ModelRecord>, set: ModelSet) {
        for r in records {
            self.refs.insert(r.id.clone(), references(&r.definition));
            self.records.insert(r.id.clone(), r);
        }
        self.set = set;
    }

    /// Sets the decommission flag; returns the updated record.
    pub fn decommission(&mut self, id: &str) -> Result<ModelRecord, GraphError> {
        let r = self
            .records
            .get_mut(id)
            .ok_or_else(|| GraphError::ModelNotFound(id.to_string()))?;
        r.decommissioned = true;
        Ok(r.clone())
    }

    /// Checks that no other model references `id`.
    pub fn check_unreferenced(&self, id: &str) -> Result<(), GraphError> {
        if !self.records.contains_key(id) {
            return Err(GraphError::ModelNotFound(id.to_string()));
        }
        let users: Vec<&str> = self
            .refs
            .iter()
            .filter(|(m, r)| m.as_str() != id && r.contains(id))
            .map(|(m, _)| m.as_str())
            .take(5)
            .collect();
        if users.is_empty() {
            Ok(())
        } else {
            Err(GraphError::ModelInUse(format!(
                "model '{id}' is referenced by {}; delete those models first",
                users.join(", ")
            )))
        }
    }

    /// Removes a model (after the checks) from the registry.
    pub fn remove(&mut self, id: &str) {
        self.records.remove(id);
        self.refs.remove(id);
        self.set.interfaces.remove(id);
    }

    /// Removes every model.
    pub fn clear(&mut self) {
        *self = Models::default();
    }
}

fn parse(docs: &[Value], stored: &BTreeMap<String, ModelRecord>) -> Result<ModelSet, GraphError> {
    if docs.is_empty() {
        return Ok(ModelSet::default());
    }
    let documents: Vec<Document> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| Document {
            name: format!("models[{i}]"),
            text: d.to_string(),
        })
        .collect();
    let resolver = Stored(stored);
    let parsed = ferrotwin_dtdl::parse(&documents, Some(&resolver));
    if parsed.is_valid() {
        return Ok(parsed.models);
    }
    let lines: Vec<String> = parsed
        .diagnostics
        .iter()
        .take(20)
        .map(|d| d.to_string())
        .collect();
    let more = parsed.diagnostics.len().saturating_sub(lines.len());
    let mut msg = format!("the models are not valid DTDL: {}", lines.join("; "));
    if more > 0 {
        msg.push_str(&format!(" (and {more} more)"));
    }
    Err(GraphError::DtdlParserError(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_skip_inline_definitions() {
        let doc = json!({
            "@id": "dtmi:x:A;1", "@type": "Interface", "extends": ["dtmi:x:B;1"],
            "schemas": [{"@id": "dtmi:x:A:obj;1", "@type": "Object", "fields": []}],
            "contents": [
                {"@type": "Component", "name": "c", "schema": "dtmi:x:C;1"},
                {"@type": "Property", "name": "p", "schema": "dtmi:x:A:obj;1"},
                {"@type": "Property", "name": "q", "schema": "double"},
                {"@type": "Relationship", "name": "r", "target": "dtmi:x:D;1"}
            ]
        });
        let r: Vec<String> = references(&doc).into_iter().collect();
        assert_eq!(r, ["dtmi:x:B;1", "dtmi:x:C;1", "dtmi:x:D;1"]);
    }
}
