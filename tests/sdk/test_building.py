"""The RealEstateCore building scenario: a building with floors, rooms, an air handling
unit and temperature sensors, joined by relationships; patches, conditional updates,
relationship listings (outgoing, by name, incoming, paged) and deletion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.digitaltwins.core import IncomingRelationship

from helpers import assert_relationship, assert_relationship_link, assert_twin, expect_error, new_twin, parse_ts, rec_id, uid

BUILDING = rec_id("core:Building")
LEVEL = rec_id("core:Level")
ROOM = rec_id("core:Room")
AHU = rec_id("asset:AirHandlingUnit")
TEMP = rec_id("device:TemperatureSensor")

LEVELS = 3
ROOMS_PER_LEVEL = 2


@dataclass
class Building:
    ns: str
    building: str
    levels: List[str]
    rooms: Dict[str, List[str]]  # level -> rooms
    sensors: Dict[str, str]  # room -> sensor
    ahu: str
    twins: Dict[str, dict] = field(default_factory=dict)  # id -> body as created
    rels: Dict[Tuple[str, str], dict] = field(default_factory=dict)  # (source, rel id) -> body

    def all_rooms(self) -> List[str]:
        return [r for lv in self.levels for r in self.rooms[lv]]


def _put_twin(client, g: Building, twin_id: str, body: dict) -> dict:
    created = client.upsert_digital_twin(twin_id, body)
    assert_twin(created, twin_id, body["$metadata"]["$model"])
    for key, value in body.items():
        if key.startswith("$"):
            continue
        if isinstance(value, dict) and "$metadata" in value:  # a component
            assert isinstance(created.get(key), dict), f"component {key} missing: {created}"
            assert isinstance(created[key].get("$metadata"), dict), created[key]
            for ck, cv in value.items():
                if ck != "$metadata":
                    assert created[key][ck] == cv, (key, ck, created[key])
        else:
            assert created[key] == value, (key, created)
            assert isinstance(created["$metadata"][key]["lastUpdateTime"], str), created["$metadata"]
    g.twins[twin_id] = created
    return created


def _put_rel(client, g: Building, source: str, name: str, target: str, **props) -> dict:
    rel_id = f"{source}-{name}-{target}"
    body = {"$targetId": target, "$relationshipName": name, **props}
    created = client.upsert_relationship(source, rel_id, body)
    assert_relationship(created, rel_id, source, target, name)
    for key, value in props.items():
        assert created[key] == value, (key, created)
    g.rels[(source, rel_id)] = created
    return created


@pytest.fixture(scope="module")
def g(client, rec, rec_models) -> Building:
    ns = uid("b")
    levels = [f"{ns}-level{i}" for i in range(LEVELS)]
    rooms = {lv: [f"{lv}-room{j}" for j in range(ROOMS_PER_LEVEL)] for lv in levels}
    g = Building(
        ns=ns,
        building=f"{ns}-hq",
        levels=levels,
        rooms=rooms,
        sensors={r: f"{r}-temp" for lv in levels for r in rooms[lv]},
        ahu=f"{ns}-ahu1",
    )
    _put_twin(client, g, g.building, new_twin(
        BUILDING, rec_models, name="Headquarters", personCapacity=500,
        address={"city": "Oslo", "addressLine1": "Storgata 1", "postalCode": "0155"},
    ))
    for i, lv in enumerate(levels):
        _put_twin(client, g, lv, new_twin(LEVEL, rec_models, name=f"Floor {i}", levelNumber=i))
        for j, room in enumerate(rooms[lv]):
            _put_twin(client, g, room, new_twin(
                ROOM, rec_models, name=f"Room {i}.{j}", personCapacity=8 + j,
                temperature={"temperatureSetpoint": 21.0},
            ))
            _put_twin(client, g, g.sensors[room], new_twin(
                TEMP, rec_models, name=f"T-{i}.{j}", lastValue=20.5 + j,
                externalIds={"bms": f"AI-{i}{j}"},
            ))
    _put_twin(client, g, g.ahu, new_twin(
        AHU, rec_models, name="AHU-1", serialNumber="SN-0001", weight=1250.5,
        zoneDelivery="VAVZone",
    ))

    for lv in levels:
        _put_rel(client, g, g.building, "hasPart", lv)
        _put_rel(client, g, lv, "isPartOf", g.building)
        for room in rooms[lv]:
            _put_rel(client, g, lv, "hasPart", room)
            _put_rel(client, g, room, "isPartOf", lv)
            _put_rel(client, g, room, "hasCapability", g.sensors[room])
            _put_rel(client, g, g.sensors[room], "isCapabilityOf", room)
            _put_rel(client, g, g.sensors[room], "observes", room)
    _put_rel(client, g, g.ahu, "locatedIn", levels[0])
    for room in g.all_rooms():
        _put_rel(client, g, g.ahu, "feeds", room, substance="SupplyAir")
    return g


def test_graph_twins_read_back_as_created(client, g):
    expected = 1 + LEVELS + 2 * LEVELS * ROOMS_PER_LEVEL + 1
    assert len(g.twins) == expected
    for twin_id, created in g.twins.items():
        assert client.get_digital_twin(twin_id) == created, twin_id


def test_component_of_a_rec_twin(client, g):
    address = client.get_component(g.building, "address")
    assert address["city"] == "Oslo"
    assert address["addressLine1"] == "Storgata 1"
    assert isinstance(address["$metadata"]["city"]["lastUpdateTime"], str), address

    room = g.rooms[g.levels[1]][0]
    assert client.update_component(
        room, "temperature", [{"op": "replace", "path": "/temperatureSetpoint", "value": 22.5}]
    ) is None
    comp = client.get_component(room, "temperature")
    assert comp["temperatureSetpoint"] == 22.5
    assert client.get_digital_twin(room)["temperature"]["temperatureSetpoint"] == 22.5

    with expect_error(ResourceNotFoundError, 404, "ComponentNotFound"):
        client.get_component(room, "noSuchComponent")


def test_outgoing_relationships(client, g):
    out = list(client.list_relationships(g.building))
    assert {r["$relationshipId"] for r in out} == {
        rid for (src, rid) in g.rels if src == g.building
    }
    for r in out:
        assert r == g.rels[(g.building, r["$relationshipId"])]

    lv = g.levels[0]
    out = list(client.list_relationships(lv))
    names = sorted(r["$relationshipName"] for r in out)
    assert names == sorted(["isPartOf"] + ["hasPart"] * ROOMS_PER_LEVEL), names


def test_outgoing_relationships_by_name(client, g):
    lv = g.levels[1]
    parts = list(client.list_relationships(lv, relationship_id="hasPart"))
    assert sorted(r["$targetId"] for r in parts) == sorted(g.rooms[lv])
    assert all(r["$relationshipName"] == "hasPart" for r in parts)

    feeds = list(client.list_relationships(g.ahu, relationship_id="feeds"))
    assert sorted(r["$targetId"] for r in feeds) == sorted(g.all_rooms())
    assert all(r["substance"] == "SupplyAir" for r in feeds)

    assert list(client.list_relationships(g.ahu, relationship_id="hosts")) == []


def test_incoming_relationships(client, g):
    lv = g.levels[0]
    incoming = list(client.list_incoming_relationships(lv))
    assert all(isinstance(r, IncomingRelationship) for r in incoming)
    got = sorted((r.source_id, r.relationship_name) for r in incoming)
    want = sorted(
        [(g.building, "hasPart"), (g.ahu, "locatedIn")]
        + [(room, "isPartOf") for room in g.rooms[lv]]
    )
    assert got == want
    for r in incoming:
        assert (r.source_id, r.relationship_id) in g.rels
        assert_relationship_link(r.relationship_link, r.source_id, r.relationship_id)

    room = g.rooms[lv][0]
    got = sorted((r.source_id, r.relationship_name) for r in client.list_incoming_relationships(room))
    assert got == sorted([
        (lv, "hasPart"), (g.ahu, "feeds"),
        (g.sensors[room], "isCapabilityOf"), (g.sensors[room], "observes"),
    ])


def test_relationship_listing_of_missing_twin_is_not_found(client, g):
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        list(client.list_relationships(f"{g.ns}-nope"))
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        list(client.list_incoming_relationships(f"{g.ns}-nope"))


def test_patch_twins(client, g):
    lv = g.levels[2]
    before = client.get_digital_twin(lv)
    assert client.update_digital_twin(lv, [
        {"op": "replace", "path": "/levelNumber", "value": 12},
        {"op": "add", "path": "/personCapacity", "value": 120},
        {"op": "replace", "path": "/name", "value": "Roof floor"},
    ]) is None
    after = client.get_digital_twin(lv)
    assert after["levelNumber"] == 12
    assert after["personCapacity"] == 120
    assert after["name"] == "Roof floor"
    assert after["$etag"] != before["$etag"]
    assert parse_ts(after["$metadata"]["personCapacity"]["lastUpdateTime"]) >= parse_ts(
        before["$metadata"]["$lastUpdateTime"]
    )
    assert parse_ts(after["$metadata"]["$lastUpdateTime"]) >= parse_ts(before["$metadata"]["$lastUpdateTime"])

    assert client.update_digital_twin(lv, [{"op": "remove", "path": "/personCapacity"}]) is None
    removed = client.get_digital_twin(lv)
    assert "personCapacity" not in removed
    assert "personCapacity" not in removed["$metadata"]

    # component property through the twin patch
    assert client.update_digital_twin(g.building, [
        {"op": "replace", "path": "/address/city", "value": "Bergen"},
    ]) is None
    assert client.get_component(g.building, "address")["city"] == "Bergen"

    # a map property
    sensor = g.sensors[g.rooms[g.levels[0]][0]]
    assert client.update_digital_twin(sensor, [
        {"op": "add", "path": "/externalIds/bacnet", "value": "dev-7/ai-3"},
        {"op": "replace", "path": "/lastValue", "value": 23.25},
    ]) is None
    s = client.get_digital_twin(sensor)
    assert s["externalIds"] == {"bms": "AI-00", "bacnet": "dev-7/ai-3"}
    assert s["lastValue"] == 23.25


def test_patch_with_wrong_type_names_the_property(client, g):
    room = g.rooms[g.levels[0]][1]
    before = client.get_digital_twin(room)
    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="personCapacity"):
        client.update_digital_twin(room, [{"op": "replace", "path": "/personCapacity", "value": "many"}])
    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="zoneDelivery"):
        client.update_digital_twin(g.ahu, [{"op": "replace", "path": "/zoneDelivery", "value": "Sideways"}])
    assert client.get_digital_twin(room) == before, "a rejected patch must change nothing"


def test_conditional_twin_updates(client, g):
    room = g.rooms[g.levels[2]][1]
    etag1 = client.get_digital_twin(room)["$etag"]

    assert client.update_digital_twin(
        room, [{"op": "replace", "path": "/personCapacity", "value": 30}],
        etag=etag1, match_condition=MatchConditions.IfNotModified,
    ) is None
    current = client.get_digital_twin(room)
    assert current["personCapacity"] == 30
    etag2 = current["$etag"]
    assert etag2 != etag1

    with expect_error(ResourceModifiedError, 412, "PreconditionFailed"):
        client.update_digital_twin(
            room, [{"op": "replace", "path": "/personCapacity", "value": 31}],
            etag=etag1, match_condition=MatchConditions.IfNotModified,
        )
    assert client.get_digital_twin(room) == current

    # If-Match: * (IfPresent) applies to any existing twin
    assert client.update_digital_twin(
        room, [{"op": "replace", "path": "/personCapacity", "value": 32}],
        match_condition=MatchConditions.IfPresent,
    ) is None
    assert client.get_digital_twin(room)["personCapacity"] == 32

    # If-None-Match: * on create of an existing twin
    with expect_error(ResourceExistsError, 412, "PreconditionFailed"):
        client.upsert_digital_twin(room, g.twins[room], match_condition=MatchConditions.IfMissing)

    with expect_error(ResourceModifiedError, 412, "PreconditionFailed"):
        client.delete_digital_twin(g.sensors[room], etag=etag1, match_condition=MatchConditions.IfNotModified)


def test_relationship_get_update_and_conditions(client, g):
    room = g.rooms[g.levels[1]][1]
    rel_id = f"{g.ahu}-feeds-{room}"
    rel = client.get_relationship(g.ahu, rel_id)
    assert rel == g.rels[(g.ahu, rel_id)]

    assert client.update_relationship(
        g.ahu, rel_id, [{"op": "replace", "path": "/substance", "value": "ReturnAir"}]
    ) is None
    updated = client.get_relationship(g.ahu, rel_id)
    assert updated["substance"] == "ReturnAir"
    assert updated["$etag"] != rel["$etag"]

    with expect_error(ResourceModifiedError, 412, "PreconditionFailed"):
        client.update_relationship(
            g.ahu, rel_id, [{"op": "replace", "path": "/substance", "value": "OutsideAir"}],
            etag=rel["$etag"], match_condition=MatchConditions.IfNotModified,
        )
    assert client.update_relationship(
        g.ahu, rel_id, [{"op": "replace", "path": "/substance", "value": "OutsideAir"}],
        etag=updated["$etag"], match_condition=MatchConditions.IfNotModified,
    ) is None
    assert client.get_relationship(g.ahu, rel_id)["substance"] == "OutsideAir"

    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="substance"):
        client.update_relationship(
            g.ahu, rel_id, [{"op": "replace", "path": "/substance", "value": "Lava"}]
        )

    with expect_error(ResourceExistsError, 412, "PreconditionFailed"):
        client.upsert_relationship(
            g.ahu, rel_id, {"$targetId": room, "$relationshipName": "feeds"},
            match_condition=MatchConditions.IfMissing,
        )
    with expect_error(ResourceModifiedError, 412, "PreconditionFailed"):
        client.delete_relationship(
            g.ahu, rel_id, etag=rel["$etag"], match_condition=MatchConditions.IfNotModified
        )
    assert client.get_relationship(g.ahu, rel_id)["substance"] == "OutsideAir"

    with expect_error(ResourceNotFoundError, 404, "RelationshipNotFound"):
        client.get_relationship(g.ahu, f"{rel_id}-missing")


def test_invalid_relationships_are_rejected(client, g):
    lv = g.levels[0]
    room = g.rooms[lv][0]
    with expect_error(ResourceNotFoundError, 404, "TargetTwinNotFound"):
        client.upsert_relationship(lv, uid("r"), {"$targetId": f"{g.ns}-ghost", "$relationshipName": "hasPart"})
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.upsert_relationship(f"{g.ns}-ghost", uid("r"), {"$targetId": room, "$relationshipName": "hasPart"})
    # Room has no relationship named 'feeds'
    with expect_error(HttpResponseError, 400, ("InvalidRelationship", "ValidationFailed")):
        client.upsert_relationship(room, uid("r"), {"$targetId": lv, "$relationshipName": "feeds"})
    # hasCapability must target a Capability, a Level is not one
    with expect_error(HttpResponseError, 400, ("InvalidRelationship", "ValidationFailed")):
        client.upsert_relationship(room, uid("r"), {"$targetId": lv, "$relationshipName": "hasCapability"})
    with expect_error(HttpResponseError, 400, "OperationNotAllowed"):
        client.upsert_relationship(lv, uid("r"), {"$targetId": lv, "$relationshipName": "hasPart"})
    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="substance"):
        client.upsert_relationship(
            g.ahu, uid("r"), {"$targetId": room, "$relationshipName": "feeds", "substance": 7}
        )


def test_relationship_lists_page(client, rec, rec_models):
    """Enough relationships on one twin that the listings must come in several pages
    on a server with a page size below 150; all come back exactly once either way."""
    ns = uid("p")
    hub = f"{ns}-hub"
    client.upsert_digital_twin(hub, new_twin(LEVEL, rec_models, levelNumber=0))
    n = 150
    rooms = [f"{ns}-r{i:03d}" for i in range(n)]
    for room in rooms:
        client.upsert_digital_twin(room, new_twin(ROOM, rec_models))
        client.upsert_relationship(hub, f"{room}-in", {"$targetId": room, "$relationshipName": "hasPart"})
        client.upsert_relationship(room, f"{room}-of", {"$targetId": hub, "$relationshipName": "isPartOf"})

    pages = [list(p) for p in client.list_relationships(hub).by_page()]
    ids = [r["$relationshipId"] for p in pages for r in p]
    assert len(ids) == len(set(ids)) == n, [len(p) for p in pages]
    assert set(ids) == {f"{room}-in" for room in rooms}

    pages = [list(p) for p in client.list_incoming_relationships(hub).by_page()]
    ids = [r.relationship_id for p in pages for r in p]
    assert len(ids) == len(set(ids)) == n, [len(p) for p in pages]
    assert set(ids) == {f"{room}-of" for room in rooms}

    for room in rooms:
        client.delete_relationship(hub, f"{room}-in")
        client.delete_relationship(room, f"{room}-of")
        client.delete_digital_twin(room)
    client.delete_digital_twin(hub)
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.get_digital_twin(hub)


def test_zz_delete_the_building(client, g):
    """Runs last in this module: twins with relationships cannot go; after the
    relationships are deleted, the twins can."""
    with expect_error(HttpResponseError, 400, "RelationshipsNotDeleted"):
        client.delete_digital_twin(g.building)
    assert client.get_digital_twin(g.building)["$dtId"] == g.building

    for (source, rel_id) in list(g.rels):
        assert client.delete_relationship(source, rel_id) is None
        with expect_error(ResourceNotFoundError, 404, "RelationshipNotFound"):
            client.get_relationship(source, rel_id)
    with expect_error(ResourceNotFoundError, 404, "RelationshipNotFound"):
        client.delete_relationship(g.building, f"{g.building}-hasPart-{g.levels[0]}")

    for twin_id in g.twins:
        assert list(client.list_relationships(twin_id)) == []
        assert list(client.list_incoming_relationships(twin_id)) == []

    # conditional delete with the current ETag succeeds
    etag = client.get_digital_twin(g.ahu)["$etag"]
    assert client.delete_digital_twin(g.ahu, etag=etag, match_condition=MatchConditions.IfNotModified) is None
    for twin_id in g.twins:
        if twin_id != g.ahu:
            assert client.delete_digital_twin(twin_id) is None
        with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
            client.get_digital_twin(twin_id)
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.delete_digital_twin(g.building)
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.update_digital_twin(g.building, [{"op": "add", "path": "/name", "value": "x"}])
