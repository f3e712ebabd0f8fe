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
        use ferrotwin_dtdl::{Content, Interface};
        self.read(|st| {
            let models = st.models.set();
            let Some(root) = st.twin(id).and_then(|t| models.interface(&t.model)) else {
                return false;
            };
            let sub = |iface: &Interface, name: &str| match iface.contents.get(name) {
                Some(Content::Component(c)) => models.interface(&c.schema),
                _ => None,
            };
            let writable = |iface: &Interface, name: &str| {
                matches!(iface.contents.get(name), Some(Content::Property(p)) if p.writable)
            };
            let base = match component {
                Some(c) => match sub(root, c) {
                    Some(i) => i,
                    None => return false,
                },
                None => root,
            };
            ops.as_array().into_iter().flatten().any(|op| {
                let Some(path) = op.get("path").and_then(Value::as_str) else {
                    return false;
                };
                let mut segs = path.trim_start_matches('/').split('/');
                let first = segs.next().unwrap_or_default();
                // At the twin's level, a path may go into a component.
                match (component, sub(base, first), segs.next()) {
                    (None, Some(inner), Some(second)) => writable(inner, second),
                    _ => writable(base, first),
                }
            })
        })
    }

    /// Accepts telemetry for a twin (or a component of it) onto the event
    /// stream. The twin and component must exist; the values are not
    /// checked against the model, as in ADT's REST API.
    /// Resolves once every recorder (history) has kept it.
    pub async fn publish_telemetry(
        &self,
        id: &str,
        component: Option<&str>,
        message_id: &str,
        source_time: Option<&str>,
        data: Value,
    ) -> Result<(), GraphError> {
        self.telemetry(id, component, message_id, source_time, data, false)
            .await
    }

    /// As [`Graph::publish_telemetry`] for a device's telemetry, which must
    /// also fit the twin's model (see [`validate::telemetry`]): every member
    /// a declared Telemetry, every value of its schema.
    pub async fn publish_device_telemetry(
        &self,
        id: &str,
        message_id: &str,
        source_time: Option<&str>,
        data: Value,
    ) -> Result<(), GraphError> {
        self.telemetry(id, None, message_id, source_time, data, true)
            .await
    }

    async fn telemetry(
        &self,
        id: &str,
        component: Option<&str>,
        message_id: &str,
        source_time: Option<&str>,
        data: Value,
        check: bool,
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
            if check {
                let Value::Object(members) = &data else {
                    return Err(GraphError::ValidationFailed(
                        "telemetry must be a JSON object".into(),
                    ));
                };
                validate::telemetry(st.models.set(), &t.model, component, members)?;
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
