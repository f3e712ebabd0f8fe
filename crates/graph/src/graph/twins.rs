//! Twin and component operations, and telemetry, on the graph.

use ferrotwin_events::Event;
use serde_json::{Map, Value};

use crate::etag::ETag;
use crate::graph::{Graph, check_id};
use crate::state::State;
use crate::store::{Mutation, Table};
use crate::time::Timestamp;
use crate::{GraphError, Twin, etag, patch, validate};

/// A twin built from a request body, checked against its model.
pub(crate) fn build(st: &State, id: &str, body: Value, now: Timestamp) -> Result<Twin, GraphError> {
    check_id("digital twin", id)?;
    let Value::Object(mut body) = body else {
        return Err(GraphError::InvalidArgument(
            "the digital twin must be a JSON object".into(),
        ));
    };
    // ADT ignores a $dtId in the body: the URL names the twin.
    body.remove("$dtId");
    body.remove("$etag");
    let mut given_meta = match body.remove("$metadata") {
        Some(Value::Object(m)) => m,
        _ => {
            return Err(GraphError::InvalidArgument(
                "the digital twin needs \"$metadata\": {\"$model\": \"<model id>\"}".into(),
            ));
        }
    };
    let Some(Value::String(model)) = given_meta.remove("$model") else {
        return Err(GraphError::InvalidArgument(
            "the digital twin needs a string \"$metadata.$model\"".into(),
        ));
    };
    let Some(record) = st.models.get(&model) else {
        return Err(GraphError::ValidationFailed(format!(
            "model '{model}' is not uploaded; upload it before creating twins of it"
        )));
    };
    if record.decommissioned {
        return Err(GraphError::ModelDecommissioned(format!(
            "model '{model}' is decommissioned; new twins cannot use it"
        )));
    }
    validate::twin(st.models.set(), &model, &body)?;
    let stamp = now.to_string();
    let mut twin = Twin {
        id: id.into(),
        model: st.intern_model(&model),
        etag: etag::fresh(),
        last_update: now,
        contents: Map::new(),
        meta: Vec::with_capacity(body.len()),
    };
    for (name, mut value) in body {
        match &mut value {
            Value::Object(comp) if matches!(comp.get("$metadata"), Some(Value::Object(_))) => {
                let props: Vec<String> = comp
                    .keys()
                    .filter(|k| !k.starts_with('$'))
                    .cloned()
                    .collect();
                if let Some(Value::Object(cm)) = comp.get_mut("$metadata") {
                    for k in props {
                        cm.insert(k, serde_json::json!({ "lastUpdateTime": stamp }));
                    }
                }
            }
            _ => match given_meta
                .get(&name)
                .and_then(|g| g.get("sourceTime"))
                .and_then(Value::as_str)
            {
                Some(src) => twin.set_source_time(&name, src, now),
                None => twin.touch(&name, now),
            },
        }
        twin.contents.insert(name, value);
    }
    Ok(twin)
}

impl Graph {
    /// One twin's ADT document as JSON bytes, with its ETag, serialized
    /// under the read lock so that nothing is copied.
    pub fn twin_json(&self, id: &str) -> Result<(Vec<u8>, ETag), GraphError> {
        self.read(|st| {
            st.twin(id)
                .map(|t| {
                    (
                        serde_json::to_vec(&crate::Document(t)).unwrap_or_default(),
                        t.etag,
                    )
                })
                .ok_or_else(|| GraphError::TwinNotFound(id.to_string()))
        })
    }

    /// The model of a twin, if it exists.
    pub fn twin_model(&self, id: &str) -> Option<String> {
        self.read(|st| st.twin(id).map(|t| t.model.to_string()))
    }

    /// One twin.
    pub fn twin(&self, id: &str) -> Result<Twin, GraphError> {
        self.read(|st| st.twin(id).cloned())
            .ok_or_else(|| GraphError::TwinNotFound(id.to_string()))
    }

    /// Creates or replaces a twin. `if_none_match` (`*`) refuses to replace
    /// an existing twin; `if_match` requires its current ETag.
    pub async fn put_twin(
        &self,
        id: &str,
        body: Value,
        if_none_match: bool,
        if_match: Option<&str>,
    ) -> Result<Twin, GraphError> {
        let now = Timestamp::now();
        self.write(|st| {
            let twin = build(st, id, body, now)?;
            match st.twin(id) {
                Some(_) if if_none_match => {
                    return Err(GraphError::PreconditionFailed(format!(
                        "digital twin '{id}' already exists (If-None-Match: *)"
                    )));
                }
                Some(cur) => {
                    etag::check_if_match(cur.etag, if_match, &format!("digital twin '{id}'"))?
                }
                None if if_match.is_some() => {
                    return Err(GraphError::PreconditionFailed(format!(
                        "digital twin '{id}' does not exist (If-Match)"
                    )));
                }
                None => {}
            }
            let event = Event::TwinCreated {
                twin_id: id.to_string(),
                model: twin.model.to_string(),
                twin: twin.to_document(),
            };
            let muts = vec![Mutation::Put {
                table: Table::Twins,
                key: id.to_string(),
                value: twin.encode(),
            }];
            st.put_twin(twin.clone());
            Ok((twin, muts, vec![event]))
        })
        .await
    }

    /// Applies a JSON Patch to a twin, or to one of its components.
    /// Returns the new ETag.
    pub async fn patch_twin(
        &self,
        id: &str,
        component: Option<&str>,
        ops: Value,
        if_match: Option<&str>,
    ) -> Result<ETag, GraphError> {
        let now = Timestamp::now();
        self.write(|st| {
            let cur = st
                .twin(id)
                .ok_or_else(|| GraphError::TwinNotFound(id.to_string()))?;
            if let Some(c) = component {
                if cur.component(c).is_none() {
                    return Err(GraphError::ComponentNotFound(id.to_string(), c.to_string()));
                }
            }
            etag::check_if_match(cur.etag, if_match, &format!("digital twin '{id}'"))?;
            let next = patch::twin(cur, &ops, component, now)?;
            if next.model != cur.model {
                match st.models.get(&next.model) {
                    None => {
                        return Err(GraphError::ValidationFailed(format!(
                            "model '{}' is not uploaded",
                            next.model
                        )));
                    }
                    Some(r) if r.decommissioned => {
                        return Err(GraphError::ModelDecommissioned(format!(
                            "model '{}' is decommissioned",
                            next.model
                        )));
                    }
                    Some(_) => {}
                }
            }
            validate::twin(st.models.set(), &next.model, &next.contents)?;
            let event = Event::TwinUpdated {
                twin_id: id.to_string(),
                model: next.model.to_string(),
                patch: relative(&ops, component),
            };
            let etag = next.etag;
            let muts = vec![Mutation::Put {
                table: Table::Twins,
                key: id.to_string(),
                value: next.encode(),
            }];
            st.put_twin(next);
            Ok((etag, muts, vec![event]))
        })
        .await
    }

    /// Deletes a twin that has no relationships left.
    pub async fn delete_twin(&self, id: &str, if_match: Option<&str>) -> Result<(), GraphError> {
        self.write(|st| {
            let cur = st
                .twin(id)
                .ok_or_else(|| GraphError::TwinNotFound(id.to_string()))?;
            etag::check_if_match(cur.etag, if_match, &format!("digital twin '{id}'"))?;
            if st.has_relationships(id) {
                return Err(GraphError::RelationshipsNotDeleted(id.to_string()));
            }
            let old = st.remove_twin(id).expect("checked above");
            let event = Event::TwinDeleted {
                twin_id: id.to_string(),
                model: old.model.to_string(),
            };
            Ok((
                (),
                vec![Mutation::Delete {
                    table: Table::Twins,
                    key: id.to_string(),
                }],
                vec![event],
            ))
        })
        .await
    }

    /// One component of a twin, with the twin's ETag.
    pub fn component(&self, id: &str, component: &str) -> Result<(Value, ETag), GraphError> {
        self.read(|st| {
            let t = st
                .twin(id)
                .ok_or_else(|| GraphError::TwinNotFound(id.to_string()))?;
            let c = t.component(component).ok_or_else(|| {
                GraphError::ComponentNotFound(id.to_string(), component.to_string())
            })?;
            Ok((c.clone(), t.etag))
        })
    }

    /// The twin's desired state for its device: the values of its
    /// writable properties (a component's nested under its name) and
    /// `$version`, the twin's ETag.
    pub fn desired(&self, id: &str) -> Result<Map<String, Value>, GraphError> {
        self.read(|st| {
            let t = st
                .twin(id)
                .ok_or_else(|| GraphError::TwinNotFound(id.to_string()))?;
            let models = st.models.set();
            let iface = models
                .interface(&t.model)
                .ok_or_else(|| GraphError::ModelNotFound(t.model.to_string()))?;
            let writable = |iface: &ferrotwin_dtdl::Interface, values: &Map<String, Value>| {
                let mut out = Map::new();
                for (name, c) in &iface.contents {
                    if let ferrotwin_dtdl::Content::Property(p) = c
                        && p.writable
                        && let Some(v) = values.get(name)
                    {
                        out.insert(name.clone(), v.clone());
                    }
                }
                out
            };
            let mut out = writable(iface, &t.contents);
            for (name, c) in &iface.contents {
                if let ferrotwin_dtdl::Content::Component(comp) = c
                    && let (Some(sub), Some(Value::Object(values))) =
                        (models.interface(&comp.schema), t.contents.get(name))
                {
                    let inner = writable(sub, values);
                    if !inner.is_empty() {
                        out.insert(name.clone(), Value::Object(inner));
                    }
                }
            }
            out.insert("$version".into(), Value::String(t.etag.to_string()));
            Ok(out)
        })
    }

    /// Whether a patch of `ops` (on the twin, or on `component`) writes a
    /// writable property, so the device should hear of it.
    pub fn patch_writes_desired(&self, id: &str, component: Option<&str>, ops: &Value) -> bool {
        self.read(|st| {
            let Some(t) = st.twin(id) else { return false };
            let models = st.models.set();
            let Some(mut iface) = models.interface(&t.model) else {
                return false;
            };
            let Some(items) = ops.as_array() else {
                return false;
            };
            let mut paths: Vec<Vec<&str>> = items
                .iter()
                .filter_map(|o| o.get("path").and_then(Value::as_str))
                .map(|p| p.trim_start_matches('/').split('/').collect())
                .collect();
            if let Some(c) = component {
                match iface.contents.get(c) {
                    Some(ferrotwin_dtdl::Content::Component(comp)) => {
                        match models.interface(&comp.schema) {
                            Some(sub) => iface = sub,
                            None => return false,
                        }
                    }
                    _ => return false,
                }
            } else {
                // A path into a component names the component first.
                for p in &mut paths {
                    if let (Some(first), true) = (p.first(), p.len() > 1)
                        && let Some(ferrotwin_dtdl::Content::Component(comp)) =
                            iface.contents.get(*first)
                        && let Some(sub) = models.interface(&comp.schema)
                    {
                        if matches!(sub.contents.get(p[1]), Some(ferrotwin_dtdl::Content::Property(q)) if q.writable)
                        {
                            return true;
                        }
                        p.clear();
                    }
                }
            }
            paths.iter().any(|p| {
                p.first().is_some_and(|n| {
                    matches!(iface.contents.get(*n), Some(ferrotwin_dtdl::Content::Property(q)) if q.writable)
                })
            })
        })
    }

    /// Checks device telemetry against the twin's model (see
    /// [`validate::telemetry`]); the REST telemetry endpoint, like ADT's,
    /// does not, while device connectivity does.
    pub fn check_telemetry(
        &self,
        id: &str,
        component: Option<&str>,
        data: &Map<String, Value>,
    ) -> Result<(), GraphError> {
        self.read(|st| {
            let t = st
                .twin(id)
                .ok_or_else(|| GraphError::TwinNotFound(id.to_string()))?;
            validate::telemetry(st.models.set(), &t.model, component, data)
        })
    }

    /// Accepts telemetry for a twin (or a component of it) onto the event
    /// stream. The twin and component must exist.
    /// Resolves once every recorder (history) has kept it.
    pub async fn publish_telemetry(
        &self,
        id: &str,
        component: Option<&str>,
        message_id: &str,
        source_time: Option<&str>,
        data: Value,
    ) -> Result<(), GraphError> {
        if message_id.is_empty() {
            return Err(GraphError::InvalidArgument(
                "the Message-Id header is required for telemetry".into(),
            ));
        }
        let model = self.read(|st| {
            let t = st
                .twin(id)
                .ok_or_else(|| GraphError::TwinNotFound(id.to_string()))?;
            if let Some(c) = component {
                if t.component(c).is_none() {
                    return Err(GraphError::ComponentNotFound(id.to_string(), c.to_string()));
                }
            }
            Ok(t.model.to_string())
        })?;
        self.bus()
            .emit(vec![Event::Telemetry {
                twin_id: id.to_string(),
                component: component.map(str::to_owned),
                model,
                message_id: message_id.to_string(),
                source_time: source_time.map(str::to_owned),
                data,
            }])
            .await
            .map_err(|e| GraphError::Storage(e.to_string()))
    }
}

/// The patch with component paths made relative to the twin.
fn relative(ops: &Value, component: Option<&str>) -> Value {
    let (Some(c), Value::Array(items)) = (component, ops) else {
        return ops.clone();
    };
    Value::Array(
        items
            .iter()
            .map(|o| {
                let mut o = o.clone();
                if let Some(p) = o.get("path").and_then(Value::as_str) {
                    o["path"] = Value::String(format!("/{c}{p}"));
                }
                o
            })
            .collect(),
    )
}
