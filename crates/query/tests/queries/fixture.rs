//! The fixture graph: a small building (building, floors, rooms, sensors,
//! a service crew) with models that use inheritance, maps, objects and
//! arrays, and twin ids chosen so that many of ADT's documented example
//! queries have something to find.

use std::sync::{Arc, OnceLock};

use ferrotwin_events::EventBus;
use ferrotwin_graph::{Graph, GraphStore, Mutation, StoreError, Table};
use serde_json::{Value, json};

/// A store that keeps nothing: the fixture lives in memory only.
struct NoStore;

impl GraphStore for NoStore {
    fn scan(
        &self,
        _: Table,
        _: &mut dyn FnMut(&str, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Ok(())
    }
    fn commit(&self, _: &[Mutation]) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The fixture's models.
pub fn models() -> Vec<Value> {
    let ctx = "dtmi:dtdl:context;3";
    vec![
        json!({"@context": ctx, "@id": "dtmi:test:Space;1", "@type": "Interface", "contents": [
            {"@type": "Property", "name": "name", "schema": "string", "writable": true},
            {"@type": "Property", "name": "tags", "writable": true, "schema": {"@type": "Map",
                "mapKey": {"name": "tag", "schema": "string"}, "mapValue": {"name": "value", "schema": "string"}}},
            {"@type": "Relationship", "name": "contains"}
        ]}),
        json!({"@context": ctx, "@id": "dtmi:test:Building;1", "@type": "Interface", "extends": "dtmi:test:Space;1",
            "contents": [{"@type": "Property", "name": "area", "schema": "double", "writable": true}]}),
        json!({"@context": ctx, "@id": "dtmi:test:Floor;1", "@type": "Interface", "extends": "dtmi:test:Space;1"}),
        json!({"@context": ctx, "@id": "dtmi:test:Room;1", "@type": "Interface", "extends": "dtmi:test:Space;1", "contents": [
            {"@type": "Property", "name": "Temperature", "schema": "double", "writable": true},
            {"@type": "Property", "name": "Humidity", "schema": "double", "writable": true},
            {"@type": "Property", "name": "Capacity", "schema": "integer", "writable": true},
            {"@type": "Property", "name": "owner", "schema": "string", "writable": true},
            {"@type": "Property", "name": "Name", "schema": "string", "writable": true},
            {"@type": "Property", "name": "Status", "schema": "string", "writable": true},
            {"@type": "Property", "name": "Group", "schema": "string", "writable": true},
            {"@type": "Property", "name": "HasTemperature", "schema": "boolean", "writable": true},
            {"@type": "Property", "name": "floor_number", "writable": true, "schema": {"@type": "Array", "elementSchema": "integer"}},
            {"@type": "Property", "name": "Location", "writable": true, "schema": {"@type": "Object", "fields": [
                {"name": "x", "schema": "double"}, {"name": "y", "schema": "double"}]}},
            {"@type": "Relationship", "name": "servicedBy", "properties": [
                {"@type": "Property", "name": "reportedCondition", "schema": "string", "writable": true}]}
        ]}),
        json!({"@context": ctx, "@id": "dtmi:test:Sensor;1", "@type": "Interface", "contents": [
            {"@type": "Property", "name": "temperature", "schema": "double", "writable": true},
            {"@type": "Relationship", "name": "isAssociatedWith"}
        ]}),
        json!({"@context": ctx, "@id": "dtmi:test:Thermostat;1", "@type": "Interface", "extends": "dtmi:test:Sensor;1"}),
        json!({"@context": ctx, "@id": "dtmi:test:Crew;1", "@type": "Interface", "contents": [
            {"@type": "Property", "name": "name", "schema": "string", "writable": true}]}),
    ]
}

/// The fixture's twins, in creation (and so slot) order.
pub fn twins() -> Vec<(&'static str, Value)> {
    let m = |model: &str, props: Value| {
        let mut doc = props;
        doc["$metadata"] = json!({"$model": model});
        doc
    };
    vec![
        (
            "ABC",
            m(
                "dtmi:test:Building;1",
                json!({"name": "ABC", "area": 500.0}),
            ),
        ),
        ("floor1", m("dtmi:test:Floor;1", json!({"name": "F1"}))),
        ("floor2", m("dtmi:test:Floor;1", json!({"name": "F2"}))),
        (
            "room1",
            m(
                "dtmi:test:Room;1",
                json!({"name": "R1", "Temperature": 70, "Humidity": 40, "Capacity": 10,
            "owner": "John", "Name": "D'Souza", "HasTemperature": true, "floor_number": [1, 2],
            "Location": {"x": 1.0, "y": 2.0}, "Group": "BravoTeam", "tags": {"red": "", "size": "small"}}),
            ),
        ),
        (
            "room2",
            m(
                "dtmi:test:Room;1",
                json!({"name": "R2", "Temperature": 85, "Humidity": 60, "Capacity": 25,
            "owner": "Anil", "HasTemperature": false, "floor_number": [3], "Status": "Completed", "tags": {"round": ""}}),
            ),
        ),
        (
            "room3",
            m(
                "dtmi:test:Room;1",
                json!({"name": "R3", "Status": "Active", "Capacity": 0, "tags": {"round": "", "size": "big"}}),
            ),
        ),
        (
            "room4",
            m(
                "dtmi:test:Room;1",
                json!({"name": "R4", "Temperature": 80, "Humidity": 45, "owner": "Bailey"}),
            ),
        ),
        (
            "sensor1",
            m("dtmi:test:Sensor;1", json!({"temperature": 55})),
        ),
        (
            "thermostat-15",
            m("dtmi:test:Thermostat;1", json!({"temperature": 21})),
        ),
        ("crew1", m("dtmi:test:Crew;1", json!({"name": "Crew"}))),
    ]
}

/// The fixture's relationships: (source, id, name, target, properties).
pub fn relationships() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Value,
)> {
    vec![
        ("ABC", "abc-f1", "contains", "floor1", json!({})),
        ("ABC", "abc-f2", "contains", "floor2", json!({})),
        ("floor1", "f1-r1", "contains", "room1", json!({})),
        ("floor1", "f1-r2", "contains", "room2", json!({})),
        ("floor1", "f1-r3", "contains", "room3", json!({})),
        ("floor2", "f2-r4", "contains", "room4", json!({})),
        ("room1", "r1-s1", "contains", "sensor1", json!({})),
        ("room2", "r2-t15", "contains", "thermostat-15", json!({})),
        (
            "room1",
            "r1-crew",
            "servicedBy",
            "crew1",
            json!({"reportedCondition": "clean"}),
        ),
        (
            "room2",
            "r2-crew",
            "servicedBy",
            "crew1",
            json!({"reportedCondition": "dirty"}),
        ),
        (
            "thermostat-15",
            "t15-f1",
            "isAssociatedWith",
            "floor1",
            json!({}),
        ),
    ]
}

/// An empty graph with the fixture's models.
pub fn empty() -> Graph {
    let g = Graph::open(Arc::new(NoStore), EventBus::new(16)).expect("graph");
    block_on(g.add_models(models())).expect("models");
    g
}

/// Builds the fixture graph.
pub fn build() -> Graph {
    let g = empty();
    for (id, doc) in twins() {
        block_on(g.put_twin(id, doc, false, None)).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    for (src, id, name, target, props) in relationships() {
        let mut doc = props;
        doc["$relationshipName"] = json!(name);
        doc["$targetId"] = json!(target);
        block_on(g.put_relationship(src, id, doc, false, None))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    g
}

/// The shared, read-only fixture.
pub fn graph() -> &'static Graph {
    static G: OnceLock<Graph> = OnceLock::new();
    G.get_or_init(build)
}

/// Runs a future to completion on a small runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}
