//! The in-memory graph: twins, relationships in both directions, routes
//! and jobs, with the indexes every write keeps current.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::jobs::{Job, JobKind};
use crate::models::Models;
use crate::{EventRoute, Relationship, Twin};

/// Everything the graph holds, guarded by one lock in [`crate::Graph`].
#[derive(Default)]
pub struct State {
    /// The model registry.
    pub models: Models,
    /// Twins by id.
    pub twins: HashMap<String, Twin>,
    /// Outgoing relationships by source twin, then by relationship id.
    pub outgoing: HashMap<String, BTreeMap<String, Relationship>>,
    /// Incoming relationships by target twin, as (source, relationship id).
    pub incoming: HashMap<String, BTreeSet<(String, String)>>,
    /// How many twins use each model.
    pub twins_per_model: HashMap<String, usize>,
    /// Relationship count.
    pub relationship_count: usize,
    /// Event routes by id.
    pub routes: BTreeMap<String, EventRoute>,
    /// Jobs by kind and id.
    pub jobs: BTreeMap<(JobKind, String), Job>,
}

impl State {
    /// Inserts or replaces a twin, keeping the per-model counts.
    pub fn put_twin(&mut self, twin: Twin) {
        *self.twins_per_model.entry(twin.model.clone()).or_default() += 1;
        if let Some(old) = self.twins.insert(twin.id.clone(), twin) {
            self.uncount(&old.model);
        }
    }

    /// Removes a twin.
    pub fn remove_twin(&mut self, id: &str) -> Option<Twin> {
        let old = self.twins.remove(id)?;
        self.uncount(&old.model);
        self.outgoing.remove(id);
        self.incoming.remove(id);
        Some(old)
    }

    fn uncount(&mut self, model: &str) {
        if let Some(n) = self.twins_per_model.get_mut(model) {
            *n -= 1;
            if *n == 0 {
                self.twins_per_model.remove(model);
            }
        }
    }

    /// Inserts or replaces a relationship, keeping the incoming index.
    pub fn put_relationship(&mut self, rel: Relationship) {
        let out = self.outgoing.entry(rel.source.clone()).or_default();
        if let Some(old) = out.get(&rel.id) {
            let (old_target, old_source, old_id) =
                (old.target.clone(), old.source.clone(), old.id.clone());
            if let Some(inc) = self.incoming.get_mut(&old_target) {
                inc.remove(&(old_source, old_id));
            }
        } else {
            self.relationship_count += 1;
        }
        self.incoming
            .entry(rel.target.clone())
            .or_default()
            .insert((rel.source.clone(), rel.id.clone()));
        self.outgoing
            .entry(rel.source.clone())
            .or_default()
            .insert(rel.id.clone(), rel);
    }

    /// Removes a relationship.
    pub fn remove_relationship(&mut self, source: &str, id: &str) -> Option<Relationship> {
        let out = self.outgoing.get_mut(source)?;
        let rel = out.remove(id)?;
        if out.is_empty() {
            self.outgoing.remove(source);
        }
        if let Some(inc) = self.incoming.get_mut(&rel.target) {
            inc.remove(&(rel.source.clone(), rel.id.clone()));
            if inc.is_empty() {
                self.incoming.remove(&rel.target);
            }
        }
        self.relationship_count -= 1;
        Some(rel)
    }

    /// The relationship, if present.
    pub fn relationship(&self, source: &str, id: &str) -> Option<&Relationship> {
        self.outgoing.get(source)?.get(id)
    }

    /// Whether a twin has any outgoing or incoming relationship.
    pub fn has_relationships(&self, twin: &str) -> bool {
        self.outgoing.get(twin).is_some_and(|m| !m.is_empty())
            || self.incoming.get(twin).is_some_and(|s| !s.is_empty())
    }
}
