//! The in-memory graph, laid out for a million twins: twins live in a slot
//! arena found through an id index, relationships in a second arena that
//! names twins by slot, and each twin keeps its outgoing relationships
//! sorted by id and its incoming ones sorted by (source, id), as slot
//! numbers. Model and relationship names are shared, not copied per twin.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::etag::ETag;
use crate::jobs::{Job, JobKind};
use crate::models::Models;
use crate::{EventRoute, Relationship, Twin};

/// A relationship as stored: endpoints as twin slots, name shared.
struct Rel {
    id: Box<str>,
    source: u32,
    target: u32,
    name: Arc<str>,
    etag: ETag,
    /// Property values as compact JSON text (`None` when there are none):
    /// a parsed map costs ~300 bytes more per relationship, and relationship
    /// properties are read far less often than they are stored.
    properties: Option<Box<str>>,
}

/// Relationship properties as stored.
pub(crate) fn pack(properties: &Map<String, Value>) -> Option<Box<str>> {
    (!properties.is_empty()).then(|| serde_json::to_string(properties).unwrap_or_default().into())
}

/// Relationship properties as stored, parsed back.
pub(crate) fn unpack(packed: Option<&str>) -> Map<String, Value> {
    packed
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default()
}

struct Node {
    twin: Twin,
    out: Vec<u32>,
    inc: Vec<u32>,
}

/// Everything the graph holds, guarded by one lock in [`crate::Graph`].
#[derive(Default)]
pub struct State {
    /// The model registry.
    pub models: Models,
    index: HashMap<Arc<str>, u32>,
    nodes: Vec<Option<Node>>,
    free_nodes: Vec<u32>,
    rels: Vec<Option<Rel>>,
    free_rels: Vec<u32>,
    names: HashSet<Arc<str>>,
    /// How many twins use each model (its keys are the shared model names).
    pub twins_per_model: HashMap<Arc<str>, usize>,
    /// Relationship count.
    pub relationship_count: usize,
    /// Event routes by id.
    pub routes: BTreeMap<String, EventRoute>,
    /// Jobs by kind and id.
    pub jobs: BTreeMap<(JobKind, String), Job>,
    /// Twin slots by exact model, in slot order, for the query engine.
    by_model: HashMap<Arc<str>, BTreeSet<u32>>,
    /// Equality indexes on properties, built when a query first needs one
    /// (under the read lock, hence the mutex) and kept current by writes.
    pub(crate) properties: parking_lot::Mutex<crate::property_index::PropertyIndexes>,
}

impl State {
    fn node(&self, slot: u32) -> &Node {
        self.nodes[slot as usize]
            .as_ref()
            .expect("slots in use hold a node")
    }

    fn node_mut(&mut self, slot: u32) -> &mut Node {
        self.nodes[slot as usize]
            .as_mut()
            .expect("slots in use hold a node")
    }

    fn rel(&self, slot: u32) -> &Rel {
        self.rels[slot as usize]
            .as_ref()
            .expect("slots in use hold a relationship")
    }

    /// The twin with this id.
    pub fn twin(&self, id: &str) -> Option<&Twin> {
        self.index.get(id).map(|s| &self.node(*s).twin)
    }

    /// Whether a twin with this id exists.
    pub fn has_twin(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// How many twins there are.
    pub fn twin_count(&self) -> usize {
        self.index.len()
    }

    /// The shared copy of a model id, so twins do not each own one.
    pub fn intern_model(&self, model: &str) -> Arc<str> {
        self.twins_per_model
            .get_key_value(model)
            .map_or_else(|| Arc::from(model), |(k, _)| k.clone())
    }

    /// Inserts or replaces a twin, keeping its relationships.
    pub fn put_twin(&mut self, mut twin: Twin) {
        twin.model = self.intern_model(&twin.model);
        *self.twins_per_model.entry(twin.model.clone()).or_default() += 1;
        if let Some(&slot) = self.index.get(&*twin.id) {
            twin.id = self.node(slot).twin.id.clone();
            self.index_model(&twin.model, slot);
            let old = std::mem::replace(&mut self.node_mut(slot).twin, twin);
            self.uncount(&old.model);
            if old.model != self.node(slot).twin.model {
                self.unindex_model(&old.model, slot);
            }
            let props = self.properties.get_mut();
            props.remove(&old, slot);
            if let Some(Some(n)) = self.nodes.get(slot as usize) {
                props.add(&n.twin, slot);
            }
            return;
        }
        let model = twin.model.clone();
        let id = twin.id.clone();
        let node = Some(Node {
            twin,
            out: Vec::new(),
            inc: Vec::new(),
        });
        let slot = match self.free_nodes.pop() {
            Some(s) => {
                self.nodes[s as usize] = node;
                s
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.index.insert(id, slot);
        self.index_model(&model, slot);
        if let Some(Some(n)) = self.nodes.get(slot as usize) {
            self.properties.get_mut().add(&n.twin, slot);
        }
    }

    /// Removes a twin and any relationships it still has.
    pub fn remove_twin(&mut self, id: &str) -> Option<Twin> {
        let slot = self.index.remove(id)?;
        let (out, inc) = {
            let n = self.node(slot);
            (n.out.clone(), n.inc.clone())
        };
        for r in out.into_iter().chain(inc) {
            if self.rels[r as usize].is_some() {
                self.drop_rel(r);
            }
        }
        let node = self.nodes[slot as usize].take().expect("indexed slot");
        self.free_nodes.push(slot);
        self.uncount(&node.twin.model);
        self.unindex_model(&node.twin.model, slot);
        self.properties.get_mut().remove(&node.twin, slot);
        Some(node.twin)
    }

    fn index_model(&mut self, model: &Arc<str>, slot: u32) {
        self.by_model.entry(model.clone()).or_default().insert(slot);
    }

    fn unindex_model(&mut self, model: &str, slot: u32) {
        if let Some(set) = self.by_model.get_mut(model) {
            set.remove(&slot);
            if set.is_empty() {
                self.by_model.remove(model);
            }
        }
    }

    /// Twin slots whose model is exactly `model`, in slot order.
    pub fn twins_of_model(&self, model: &str) -> Option<&BTreeSet<u32>> {
        self.by_model.get(model)
    }

    /// Every model some twin uses, with how many twins use it.
    pub fn indexed_models(&self) -> impl Iterator<Item = (&str, usize)> {
        self.by_model.iter().map(|(m, s)| (&**m, s.len()))
    }

    /// One past the highest twin slot ever used.
    pub fn twin_slot_bound(&self) -> u32 {
        self.nodes.len() as u32
    }

    /// The twin in `slot`, if the slot is in use.
    pub fn twin_at(&self, slot: u32) -> Option<&Twin> {
        self.nodes.get(slot as usize)?.as_ref().map(|n| &n.twin)
    }

    /// The slot of the twin with this id.
    pub fn twin_slot(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// A twin's outgoing relationship slots (sorted by id) and incoming
    /// ones (sorted by source id, then id).
    pub fn adjacency(&self, slot: u32) -> (&[u32], &[u32]) {
        match self.nodes.get(slot as usize).and_then(Option::as_ref) {
            Some(n) => (&n.out, &n.inc),
            None => (&[], &[]),
        }
    }

    /// One past the highest relationship slot ever used.
    pub fn rel_slot_bound(&self) -> u32 {
        self.rels.len() as u32
    }

    /// The relationship in `slot` as (id, source slot, target slot, name,
    /// etag, properties), if the slot is in use.
    #[allow(clippy::type_complexity)]
    pub fn rel_at(&self, slot: u32) -> Option<(&str, u32, u32, &str, ETag, Option<&str>)> {
        self.rels.get(slot as usize)?.as_ref().map(|r| {
            (
                &*r.id,
                r.source,
                r.target,
                &*r.name,
                r.etag,
                r.properties.as_deref(),
            )
        })
    }

    fn uncount(&mut self, model: &str) {
        if let Some(n) = self.twins_per_model.get_mut(model) {
            *n -= 1;
            if *n == 0 {
                self.twins_per_model.remove(model);
            }
        }
    }

    fn public(&self, r: &Rel) -> Relationship {
        Relationship {
            id: r.id.to_string(),
            source: self.node(r.source).twin.id.to_string(),
            target: self.node(r.target).twin.id.to_string(),
            name: r.name.to_string(),
            etag: r.etag,
            properties: unpack(r.properties.as_deref()),
        }
    }

    /// Position of relationship `id` in a source's sorted outgoing list.
    fn find_out(&self, source: u32, id: &str) -> Result<usize, usize> {
        self.node(source)
            .out
            .binary_search_by(|r| (*self.rel(*r).id).cmp(id))
    }

    /// Position of a relationship in a target's incoming list, sorted by (source id, id).
    fn find_inc(&self, target: u32, source_id: &str, id: &str) -> Result<usize, usize> {
        self.node(target).inc.binary_search_by(|r| {
            let rel = self.rel(*r);
            (&*self.node(rel.source).twin.id, &*rel.id).cmp(&(source_id, id))
        })
    }

    fn slot_of(&self, source: &str, id: &str) -> Option<u32> {
        let s = *self.index.get(source)?;
        self.find_out(s, id).ok().map(|i| self.node(s).out[i])
    }

    /// The relationship, if present.
    pub fn relationship(&self, source: &str, id: &str) -> Option<Relationship> {
        self.slot_of(source, id).map(|r| self.public(self.rel(r)))
    }

    /// Inserts or replaces a relationship; both twins must exist.
    pub fn put_relationship(&mut self, rel: Relationship) {
        if self.slot_of(&rel.source, &rel.id).is_some() {
            self.remove_relationship(&rel.source, &rel.id);
        }
        let (Some(&source), Some(&target)) = (
            self.index.get(rel.source.as_str()),
            self.index.get(rel.target.as_str()),
        ) else {
            return;
        };
        let name = match self.names.get(rel.name.as_str()) {
            Some(n) => n.clone(),
            None => {
                let n: Arc<str> = Arc::from(rel.name.as_str());
                self.names.insert(n.clone());
                n
            }
        };
        let stored = Some(Rel {
            id: rel.id.as_str().into(),
            source,
            target,
            name,
            etag: rel.etag,
            properties: pack(&rel.properties),
        });
        let slot = match self.free_rels.pop() {
            Some(s) => {
                self.rels[s as usize] = stored;
                s
            }
            None => {
                self.rels.push(stored);
                (self.rels.len() - 1) as u32
            }
        };
        let at = self.find_out(source, &rel.id).unwrap_err();
        self.node_mut(source).out.insert(at, slot);
        let at = self.find_inc(target, &rel.source, &rel.id).unwrap_err();
        self.node_mut(target).inc.insert(at, slot);
        self.relationship_count += 1;
    }

    fn drop_rel(&mut self, slot: u32) -> Relationship {
        let public = self.public(self.rel(slot));
        let (source, target) = (self.rel(slot).source, self.rel(slot).target);
        if let Ok(i) = self.find_out(source, &public.id) {
            self.node_mut(source).out.remove(i);
        }
        if let Ok(i) = self.find_inc(target, &public.source, &public.id) {
            self.node_mut(target).inc.remove(i);
        }
        self.rels[slot as usize] = None;
        self.free_rels.push(slot);
        self.relationship_count -= 1;
        public
    }

    /// Removes a relationship.
    pub fn remove_relationship(&mut self, source: &str, id: &str) -> Option<Relationship> {
        let slot = self.slot_of(source, id)?;
        Some(self.drop_rel(slot))
    }

    /// How many relationships named `name` leave `source`, not counting `except`.
    pub fn count_named(&self, source: &str, name: &str, except: &str) -> usize {
        self.index.get(source).map_or(0, |s| {
            self.node(*s)
                .out
                .iter()
                .map(|r| self.rel(*r))
                .filter(|r| &*r.name == name && &*r.id != except)
                .count()
        })
    }

    /// Outgoing relationships of `source` (only those named `name`, if given)
    /// with ids after `after`, in id order; the name is checked before a
    /// relationship is copied out.
    pub fn outgoing<'a>(
        &'a self,
        source: &str,
        name: Option<&'a str>,
        after: Option<&str>,
    ) -> impl Iterator<Item = Relationship> + 'a {
        let slot = self.index.get(source).copied();
        let list: &[u32] = slot.map_or(&[], |s| &self.node(s).out);
        let start = match (slot, after) {
            (Some(s), Some(a)) => self.find_out(s, a).map_or_else(|i| i, |i| i + 1),
            _ => 0,
        };
        list[start..]
            .iter()
            .map(|r| self.rel(*r))
            .filter(move |r| name.is_none_or(|n| &*r.name == n))
            .map(|r| self.public(r))
    }

    /// Incoming relationships of `target` after the key `source \0 id`, in key order.
    pub fn incoming<'a>(
        &'a self,
        target: &str,
        after: Option<&str>,
    ) -> impl Iterator<Item = Relationship> + 'a {
        let slot = self.index.get(target).copied();
        let list: &[u32] = slot.map_or(&[], |s| &self.node(s).inc);
        let start = match (slot, after.and_then(|a| a.split_once('\u{0}'))) {
            (Some(s), Some((src, id))) => self.find_inc(s, src, id).map_or_else(|i| i, |i| i + 1),
            _ => 0,
        };
        list[start..].iter().map(move |r| self.public(self.rel(*r)))
    }

    /// Whether a twin has any outgoing or incoming relationship.
    pub fn has_relationships(&self, twin: &str) -> bool {
        self.index.get(twin).is_some_and(|s| {
            let n = self.node(*s);
            !n.out.is_empty() || !n.inc.is_empty()
        })
    }

    /// Up to `n` relationships, as (source, id), in no particular order.
    pub fn some_relationships(&self, n: usize) -> Vec<(String, String)> {
        self.rels
            .iter()
            .flatten()
            .take(n)
            .map(|r| (self.node(r.source).twin.id.to_string(), r.id.to_string()))
            .collect()
    }

    /// Up to `n` twin ids, in no particular order.
    pub fn some_twins(&self, n: usize) -> Vec<String> {
        self.index.keys().take(n).map(|k| k.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn twin(id: &str) -> Twin {
        Twin {
            id: id.into(),
            model: "dtmi:x:T;1".into(),
            etag: ETag::fresh(),
            last_update: Timestamp(0),
            contents: Map::new(),
            meta: vec![],
        }
    }

    fn rel(source: &str, id: &str, target: &str) -> Relationship {
        Relationship {
            id: id.into(),
            source: source.into(),
            target: target.into(),
            name: "r".into(),
            etag: ETag::fresh(),
            properties: Map::new(),
        }
    }

    #[test]
    fn adjacency_stays_consistent_through_puts_replaces_and_removals() {
        let mut st = State::default();
        for t in ["a", "b", "c"] {
            st.put_twin(twin(t));
        }
        st.put_relationship(rel("a", "2", "b"));
        st.put_relationship(rel("a", "1", "c"));
        st.put_relationship(rel("b", "1", "c"));
        let ids: Vec<String> = st.outgoing("a", None, None).map(|r| r.id).collect();
        assert_eq!(ids, ["1", "2"]);
        let inc: Vec<String> = st
            .incoming("c", None)
            .map(|r| format!("{}/{}", r.source, r.id))
            .collect();
        assert_eq!(inc, ["a/1", "b/1"]);
        assert_eq!(st.incoming("c", Some("a\u{0}1")).count(), 1);
        assert_eq!(st.outgoing("a", None, Some("1")).count(), 1);
        assert_eq!(st.outgoing("a", Some("r"), None).count(), 2);
        assert_eq!(st.outgoing("a", Some("other"), None).count(), 0);
        // Replacing retargets the incoming index.
        st.put_relationship(rel("a", "1", "b"));
        assert_eq!(st.incoming("c", None).count(), 1);
        assert_eq!(st.incoming("b", None).count(), 2);
        assert_eq!(st.relationship_count, 3);
        assert_eq!(st.count_named("a", "r", "2"), 1);
        // Replacing a twin keeps its relationships; removing it drops them.
        st.put_twin(twin("a"));
        assert!(st.has_relationships("a"));
        assert!(st.remove_twin("b").is_some());
        assert_eq!(st.relationship_count, 0);
        assert!(!st.has_relationships("a") && !st.has_relationships("c"));
        // Relationship properties survive their compact storage.
        let mut with_props = rel("a", "p", "c");
        with_props.properties = serde_json::json!({"weight": 1.5, "tags": ["x"]})
            .as_object()
            .unwrap()
            .clone();
        st.put_relationship(with_props.clone());
        assert_eq!(
            st.relationship("a", "p").unwrap().properties,
            with_props.properties
        );
        assert!(st.remove_relationship("a", "p").is_some());
        // Freed slots are reused.
        st.put_twin(twin("d"));
        st.put_relationship(rel("d", "x", "a"));
        assert_eq!(st.relationship("d", "x").unwrap().target, "a");
        assert_eq!(st.twin_count(), 3);
        assert_eq!(st.twins_per_model.values().sum::<usize>(), 3);
    }

    #[test]
    fn model_index_follows_puts_replacements_and_removals() {
        let mut st = State::default();
        let of = |st: &State, m: &str| -> Vec<u32> {
            st.twins_of_model(m)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default()
        };
        for t in ["a", "b", "c"] {
            st.put_twin(twin(t));
        }
        assert_eq!(of(&st, "dtmi:x:T;1"), [0, 1, 2]);
        let mut b = twin("b");
        b.model = "dtmi:x:U;1".into();
        st.put_twin(b);
        assert_eq!(of(&st, "dtmi:x:T;1"), [0, 2]);
        assert_eq!(of(&st, "dtmi:x:U;1"), [1]);
        st.remove_twin("b");
        assert!(st.twins_of_model("dtmi:x:U;1").is_none());
        assert_eq!(st.indexed_models().collect::<Vec<_>>(), [("dtmi:x:T;1", 2)]);
        assert_eq!(st.twin_at(2).map(|t| &*t.id), Some("c"));
        assert!(st.twin_at(1).is_none());
    }
}
