//! Relationship operations on the graph.

use ferrotwin_dtdl::Content;
use ferrotwin_events::Event;
use serde_json::Value;

use crate::etag::ETag;
use crate::graph::{Graph, check_id};
use crate::state::State;
use crate::store::{Mutation, Table};
use crate::{GraphError, Page, PageRequest, Relationship, etag, patch, validate};

/// A relationship built from a request body, checked against the source
/// model's definition: name, target model, multiplicity and properties.
pub(crate) fn build(
    st: &State,
    source: &str,
    id: &str,
    body: Value,
) -> Result<Relationship, GraphError> {
    check_id("relationship", id)?;
    let Value::Object(mut body) = body else {
        return Err(GraphError::InvalidArgument(
            "the relationship must be a JSON object".into(),
        ));
    };
    let mut take = |k: &str, required: bool| -> Result<Option<String>, GraphError> {
        match body.remove(k) {
            Some(Value::String(s)) => Ok(Some(s)),
            None if !required => Ok(None),
            _ => Err(GraphError::InvalidArgument(format!(
                "the relationship needs a string '{k}'"
            ))),
        }
    };
    let target = take("$targetId", true)?.unwrap_or_default();
    let name = take("$relationshipName", true)?.unwrap_or_default();
    if let Some(given) = take("$relationshipId", false)? {
        if given != id {
            return Err(GraphError::InvalidArgument(format!(
                "$relationshipId '{given}' does not match '{id}' in the URL"
            )));
        }
    }
    if let Some(given) = take("$sourceId", false)? {
        if given != source {
            return Err(GraphError::InvalidArgument(format!(
                "$sourceId '{given}' does not match the twin '{source}' in the URL"
            )));
        }
    }
    body.remove("$etag");
    if let Some(k) = body.keys().find(|k| k.starts_with('$')) {
        return Err(GraphError::InvalidArgument(format!(
            "'{k}' is not a relationship member that can be set"
        )));
    }
    let src = st
        .twin(source)
        .ok_or_else(|| GraphError::TwinNotFound(source.to_string()))?;
    let tgt = st
        .twin(&target)
        .ok_or_else(|| GraphError::TargetTwinNotFound(target.clone()))?;
    if source == target {
        return Err(GraphError::OperationNotAllowed(format!(
            "relationship '{id}' cannot connect twin '{source}' to itself"
        )));
    }
    let models = st.models.set();
    let def = match models
        .interface(&src.model)
        .and_then(|i| i.contents.get(&name))
    {
        Some(Content::Relationship(r)) => r,
        _ => {
            return Err(GraphError::InvalidRelationship(format!(
                "model '{}' of twin '{source}' defines no relationship '{name}'",
                src.model
            )));
        }
    };
    if let Some(t) = &def.target {
        if !models.is_a(&tgt.model, t) {
            return Err(GraphError::InvalidRelationship(format!(
                "relationship '{name}' must target a twin of model '{t}', but '{target}' is a '{}'",
                tgt.model
            )));
        }
    }
    if let Some(max) = def.max_multiplicity {
        let existing = st.count_named(source, &name, id);
        if existing as u64 >= u64::from(max) {
            return Err(GraphError::InvalidRelationship(format!(
                "relationship '{name}' of model '{}' allows at most {max} instance(s) per twin, and '{source}' has {existing}",
                src.model
            )));
        }
    }
    validate::relationship_properties(models, def, &body)?;
    Ok(Relationship {
        id: id.to_string(),
        source: source.to_string(),
        target,
        name,
        etag: etag::fresh(),
        properties: body,
    })
}

impl Graph {
    /// One relationship.
    pub fn relationship(&self, source: &str, id: &str) -> Result<Relationship, GraphError> {
        self.read(|st| {
            if !st.has_twin(source) {
                return Err(GraphError::TwinNotFound(source.to_string()));
            }
            st.relationship(source, id)
                .ok_or_else(|| GraphError::RelationshipNotFound(source.to_string(), id.to_string()))
        })
    }

    /// Creates or replaces a relationship.
    pub async fn put_relationship(
        &self,
        source: &str,
        id: &str,
        body: Value,
        if_none_match: bool,
        if_match: Option<&str>,
    ) -> Result<Relationship, GraphError> {
        self.write(|st| {
            let rel = build(st, source, id, body)?;
            match st.relationship(source, id) {
                Some(_) if if_none_match => {
                    return Err(GraphError::PreconditionFailed(format!(
                        "relationship '{id}' of '{source}' already exists (If-None-Match: *)"
                    )));
                }
                Some(cur) => {
                    etag::check_if_match(cur.etag, if_match, &format!("relationship '{id}'"))?
                }
                None if if_match.is_some() => {
                    return Err(GraphError::PreconditionFailed(format!(
                        "relationship '{id}' of '{source}' does not exist (If-Match)"
                    )));
                }
                None => {}
            }
            let event = Event::RelationshipCreated {
                source_id: source.into(),
                relationship_id: id.into(),
                relationship: rel.to_document(),
            };
            let muts = vec![Mutation::Put {
                table: Table::Relationships,
                key: Relationship::key(source, id),
                value: rel.encode(),
            }];
            st.put_relationship(rel.clone());
            Ok((rel, muts, vec![event]))
        })
        .await
    }

    /// Applies a JSON Patch to a relationship's properties; returns the new ETag.
    pub async fn patch_relationship(
        &self,
        source: &str,
        id: &str,
        ops: Value,
        if_match: Option<&str>,
    ) -> Result<ETag, GraphError> {
        self.write(|st| {
            let src = st
                .twin(source)
                .ok_or_else(|| GraphError::TwinNotFound(source.to_string()))?;
            let cur = st.relationship(source, id).ok_or_else(|| {
                GraphError::RelationshipNotFound(source.to_string(), id.to_string())
            })?;
            etag::check_if_match(cur.etag, if_match, &format!("relationship '{id}'"))?;
            let props = patch::relationship_properties(&cur.properties, &ops)?;
            let models = st.models.set();
            match models
                .interface(&src.model)
                .and_then(|i| i.contents.get(&cur.name))
            {
                Some(Content::Relationship(def)) => {
                    validate::relationship_properties(models, def, &props)?
                }
                _ => {
                    return Err(GraphError::InvalidRelationship(format!(
                        "model '{}' no longer defines relationship '{}'",
                        src.model, cur.name
                    )));
                }
            }
            let next = Relationship {
                properties: props,
                etag: etag::fresh(),
                ..cur.clone()
            };
            let etag = next.etag;
            let event = Event::RelationshipUpdated {
                source_id: source.into(),
                relationship_id: id.into(),
                patch: ops,
            };
            let muts = vec![Mutation::Put {
                table: Table::Relationships,
                key: Relationship::key(source, id),
                value: next.encode(),
            }];
            st.put_relationship(next);
            Ok((etag, muts, vec![event]))
        })
        .await
    }

    /// Deletes a relationship.
    pub async fn delete_relationship(
        &self,
        source: &str,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), GraphError> {
        self.write(|st| {
            if !st.has_twin(source) {
                return Err(GraphError::TwinNotFound(source.to_string()));
            }
            let cur = st.relationship(source, id).ok_or_else(|| {
                GraphError::RelationshipNotFound(source.to_string(), id.to_string())
            })?;
            etag::check_if_match(cur.etag, if_match, &format!("relationship '{id}'"))?;
            st.remove_relationship(source, id);
            let event = Event::RelationshipDeleted {
                source_id: source.into(),
                relationship_id: id.into(),
            };
            Ok((
                (),
                vec![Mutation::Delete {
                    table: Table::Relationships,
                    key: Relationship::key(source, id),
                }],
                vec![event],
            ))
        })
        .await
    }

    /// A page of a twin's outgoing relationships, optionally of one name.
    pub fn relationships(
        &self,
        source: &str,
        name: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Relationship>, GraphError> {
        self.read(|st| {
            if !st.has_twin(source) {
                return Err(GraphError::TwinNotFound(source.to_string()));
            }
            let it = st.outgoing(source, name, page.after.as_deref());
            Ok(page.take(it, |r| r.id.clone()))
        })
    }

    /// A page of the relationships that point at a twin.
    pub fn incoming(
        &self,
        target: &str,
        page: &PageRequest,
    ) -> Result<Page<Relationship>, GraphError> {
        self.read(|st| {
            if !st.has_twin(target) {
                return Err(GraphError::TwinNotFound(target.to_string()));
            }
            let it = st.incoming(target, page.after.as_deref());
            Ok(page.take(it, |r| Relationship::key(&r.source, &r.id)))
        })
    }
}
