//! A read-only view of the graph for the query engine: twins and
//! relationships by slot, the id index, the model index (twins by exact
//! model) and adjacency in both directions. A view lives only inside
//! [`Graph::view`], under the read lock, so a query sees one consistent
//! state that includes every acknowledged write.

use serde_json::{Map, Value};

use ferrotwin_dtdl::ModelSet;

use crate::property_index::ValueRange;
use crate::state::State;
use crate::{Graph, Twin};

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
        let mut props = self.state.properties.lock();
        props.index(name, self.slots()).equal(values)
    }

    /// How many twins hold a top-level property `name` within `range`,
    /// counting no further than `cap`. Builds the index on first use.
    pub fn count_in_range(&self, name: &str, range: &ValueRange, cap: usize) -> usize {
        let mut props = self.state.properties.lock();
        props.index(name, self.slots()).count_in(range, cap)
    }

    /// Slots of the twins whose top-level property `name` lies within
    /// `range`, in slot order. Builds the index on first use.
    pub fn twins_in_range(&self, name: &str, range: &ValueRange) -> Vec<u32> {
        let mut props = self.state.properties.lock();
        props.index(name, self.slots()).slots_in(range)
    }

    /// Every twin with its slot.
    fn slots(&self) -> impl Iterator<Item = (u32, &'a Twin)> + 'a {
        let state = self.state;
        (0..state.twin_slot_bound()).filter_map(move |s| Some((s, state.twin_at(s)?)))
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
