//! A read-only view of the graph for the query engine: twins and
//! relationships by slot, the id index, the model index (twins by exact
//! model) and adjacency in both directions. A view lives only inside
//! [`Graph::view`], under the read lock, so a query sees one consistent
//! state that includes every acknowledged write.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use ferrotwin_dtdl::ModelSet;

use crate::state::State;
use crate::{Graph, Twin};

/// Equality indexes on top-level twin properties: for each indexed
/// property name, the slots of the twins holding each primitive value.
/// An index is built the first time a query asks for that property and
/// is then kept current by every twin write, so only properties that
/// queries filter on cost memory.
#[derive(Default)]
pub struct PropertyIndexes {
    by_name: HashMap<Box<str>, HashMap<Key, BTreeSet<u32>>>,
}

/// An indexable value: numbers by their f64 bits, as the query language
/// compares them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Null,
    Bool(bool),
    Num(u64),
    Str(Box<str>),
}

fn key(v: &Value) -> Option<Key> {
    Some(match v {
        Value::Null => Key::Null,
        Value::Bool(b) => Key::Bool(*b),
        // +0.0 and -0.0 compare equal, so they share a key.
        Value::Number(n) => Key::Num((n.as_f64()? + 0.0).to_bits()),
        Value::String(s) => Key::Str(s.as_str().into()),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

impl PropertyIndexes {
    /// Indexes a twin now in `slot` under every indexed property.
    pub(crate) fn add(&mut self, twin: &Twin, slot: u32) {
        for (name, idx) in &mut self.by_name {
            if let Some(k) = twin.contents.get(&**name).and_then(key) {
                idx.entry(k).or_default().insert(slot);
            }
        }
    }

    /// Forgets a twin that was in `slot`.
    pub(crate) fn remove(&mut self, twin: &Twin, slot: u32) {
        for (name, idx) in &mut self.by_name {
            if let Some(k) = twin.contents.get(&**name).and_then(key)
                && let Some(set) = idx.get_mut(&k)
            {
                set.remove(&slot);
                if set.is_empty() {
                    idx.remove(&k);
                }
            }
        }
    }
}

/// The graph as the query engine reads it.
pub struct GraphView<'a> {
    state: &'a State,
}

/// One stored relationship, borrowed from the graph.
#[derive(Clone, Copy)]
pub struct RelRef<'a> {
    /// The relationship id (`$relationshipId`).
    pub id: &'a str,
    /// The source twin's slot.
    pub source: u32,
    /// The target twin's slot.
    pub target: u32,
    /// The relationship name (`$relationshipName`).
    pub name: &'a str,
    packed: Option<&'a str>,
    etag: crate::etag::ETag,
}

impl RelRef<'_> {
    /// The relationship's property values.
    pub fn properties(&self) -> Map<String, Value> {
        crate::state::unpack(self.packed)
    }

    /// One property value.
    pub fn property(&self, name: &str) -> Option<Value> {
        self.packed?;
        self.properties().remove(name)
    }

    /// The ETag as ADT shows it (`W/"…"`).
    pub fn etag(&self) -> String {
        self.etag.to_string()
    }
}

impl Graph {
    /// Runs `f` over a consistent read-only view of the graph, under the
    /// read lock. Every write acknowledged before this call is visible.
    pub fn view<T>(&self, f: impl FnOnce(&GraphView<'_>) -> T) -> T {
        self.read(|state| f(&GraphView { state }))
    }
}

impl<'a> GraphView<'a> {
    /// The parsed, inheritance-resolved models.
    pub fn models(&self) -> &'a ModelSet {
        self.state.models.set()
    }

    /// How many twins there are.
    pub fn twin_count(&self) -> usize {
        self.state.twin_count()
    }

    /// How many relationships there are.
    pub fn relationship_count(&self) -> usize {
        self.state.relationship_count
    }

    /// One past the highest twin slot; slots below it may be empty.
    pub fn twin_slot_bound(&self) -> u32 {
        self.state.twin_slot_bound()
    }

    /// The twin in `slot`, if that slot is in use.
    pub fn twin(&self, slot: u32) -> Option<&'a Twin> {
        self.state.twin_at(slot)
    }

    /// The slot of the twin with id `id`.
    pub fn twin_slot(&self, id: &str) -> Option<u32> {
        self.state.twin_slot(id)
    }

    /// Slots of twins whose model is exactly `model`, from slot `from`
    /// on, in slot order.
    pub fn twins_of_model(&self, model: &str, from: u32) -> impl Iterator<Item = u32> + 'a {
        self.state
            .twins_of_model(model)
            .into_iter()
            .flat_map(move |s| s.range(from..).copied())
    }

    /// Every model some twin uses, with its twin count.
    pub fn used_models(&self) -> impl Iterator<Item = (&'a str, usize)> + 'a {
        self.state.indexed_models()
    }

    /// A twin's outgoing relationship slots, sorted by relationship id.
    pub fn outgoing(&self, slot: u32) -> &'a [u32] {
        self.state.adjacency(slot).0
    }

    /// A twin's incoming relationship slots, sorted by (source id, id).
    pub fn incoming(&self, slot: u32) -> &'a [u32] {
        self.state.adjacency(slot).1
    }

    /// One past the highest relationship slot; slots below it may be empty.
    pub fn rel_slot_bound(&self) -> u32 {
        self.state.rel_slot_bound()
    }

    /// The relationship in `slot`, if that slot is in use.
    pub fn relationship(&self, slot: u32) -> Option<RelRef<'a>> {
        self.state
            .rel_at(slot)
            .map(|(id, source, target, name, etag, packed)| RelRef {
                id,
                source,
                target,
                name,
                packed,
                etag,
            })
    }

    /// Slots of the twins whose top-level property `name` equals one of
    /// `values`, in slot order; `None` when a value is an array or object,
    /// which the index does not hold. Builds the index on first use.
    pub fn twins_with_property(&self, name: &str, values: &[Value]) -> Option<Vec<u32>> {
        let keys: Vec<Key> = values.iter().map(key).collect::<Option<_>>()?;
        let mut props = self.state.properties.lock();
        if !props.by_name.contains_key(name) {
            let mut idx: HashMap<Key, BTreeSet<u32>> = HashMap::new();
            for slot in 0..self.twin_slot_bound() {
                if let Some(k) = self
                    .twin(slot)
                    .and_then(|t| t.contents.get(name))
                    .and_then(key)
                {
                    idx.entry(k).or_default().insert(slot);
                }
            }
            props.by_name.insert(name.into(), idx);
        }
        let idx = &props.by_name[name];
        let mut out: Vec<u32> = keys
            .iter()
            .filter_map(|k| idx.get(k))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// The ADT document of the relationship in `slot`.
    pub fn relationship_document(&self, slot: u32) -> Option<Value> {
        let r = self.relationship(slot)?;
        let id_of = |s: u32| self.twin(s).map_or_else(String::new, |t| t.id.to_string());
        let properties = r.properties();
        let mut doc = Map::with_capacity(properties.len() + 5);
        doc.insert("$relationshipId".into(), Value::String(r.id.to_string()));
        doc.insert("$etag".into(), Value::String(r.etag()));
        doc.insert("$sourceId".into(), Value::String(id_of(r.source)));
        doc.insert(
            "$relationshipName".into(),
            Value::String(r.name.to_string()),
        );
        doc.insert("$targetId".into(), Value::String(id_of(r.target)));
        doc.extend(properties);
        Some(Value::Object(doc))
    }
}
