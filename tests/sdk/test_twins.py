"""Twins on a small model set: create/replace, If-None-Match, property validation,
components, telemetry and relationship properties."""

from __future__ import annotations

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)

from helpers import (
    assert_relationship,
    assert_relationship_link,
    assert_twin,
    expect_error,
    thermostat_models,
    uid,
    with_headers,
)


@pytest.fixture(scope="module")
def models(client):
    ns = uid("tw")
    defs = thermostat_models(ns)
    created = client.create_models(defs)
    assert {m.id for m in created} == {d["@id"] for d in defs}
    return {"sensor": defs[0]["@id"], "thermostat": defs[1]["@id"]}


def thermostat(models, **props) -> dict:
    body = {"$metadata": {"$model": models["thermostat"]}, "sensor": {"$metadata": {}}}
    body.update(props)
    return body


def test_create_get_and_replace(client, models):
    tid = uid("th")
    created = client.upsert_digital_twin(
        tid, thermostat(models, setpoint=21.5, label="hall", mode="heat",
                        sensor={"$metadata": {}, "unit": "C"})
    )
    assert_twin(created, tid, models["thermostat"])
    assert created["setpoint"] == 21.5
    assert created["label"] == "hall"
    assert created["mode"] == "heat"
    assert created["sensor"]["unit"] == "C"
    for prop in ("setpoint", "label", "mode"):
        assert isinstance(created["$metadata"][prop]["lastUpdateTime"], str), created["$metadata"]
    assert client.get_digital_twin(tid) == created

    replaced = client.upsert_digital_twin(tid, thermostat(models, setpoint=19.0))
    assert_twin(replaced, tid, models["thermostat"])
    assert replaced["setpoint"] == 19.0
    assert "label" not in replaced, "PUT replaces the whole twin"
    assert "mode" not in replaced
    assert replaced["$etag"] != created["$etag"]
    assert client.get_digital_twin(tid) == replaced

    assert client.delete_digital_twin(tid) is None


def test_dtid_in_the_body_is_ignored(client, models):
    """Spec, DigitalTwins_Add: "If provided, the $dtId property is ignored." """
    tid = uid("th")
    created = client.upsert_digital_twin(tid, thermostat(models, **{"$dtId": "something-else"}))
    assert created["$dtId"] == tid
    assert client.get_digital_twin(tid)["$dtId"] == tid
    client.delete_digital_twin(tid)


def test_create_if_none_match_twice(client, models):
    tid = uid("th")
    first = client.upsert_digital_twin(
        tid, thermostat(models, label="first"), match_condition=MatchConditions.IfMissing
    )
    assert first["label"] == "first"
    with expect_error(ResourceExistsError, 412, "PreconditionFailed"):
        client.upsert_digital_twin(
            tid, thermostat(models, label="second"), match_condition=MatchConditions.IfMissing
        )
    assert client.get_digital_twin(tid) == first
    client.delete_digital_twin(tid)


def test_property_validation_failures_name_the_property(client, models):
    cases = [
        ("setpoint", thermostat(models, setpoint="warm")),
        ("floorNumber", thermostat(models, floorNumber=1.5)),
        ("mode", thermostat(models, mode="dry")),
        ("bogus", thermostat(models, bogus=1)),
        ("reading", thermostat(models, sensor={"$metadata": {}, "reading": "hot"})),
    ]
    for prop, body in cases:
        tid = uid("bad")
        with expect_error(HttpResponseError, 400, "ValidationFailed", mentions=prop):
            client.upsert_digital_twin(tid, body)
        with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
            client.get_digital_twin(tid)


def test_twin_of_unknown_model_is_rejected(client, models):
    tid = uid("bad")
    with expect_error(HttpResponseError, 400):
        client.upsert_digital_twin(tid, {"$metadata": {"$model": "dtmi:com:ferrotwin:sdktest:Nope;1"}})
    with expect_error(HttpResponseError, 400):
        client.upsert_digital_twin(tid, {"setpoint": 1.0})  # no $metadata.$model at all


def test_patch_validation_and_invalid_patches(client, models):
    tid = uid("th")
    created = client.upsert_digital_twin(tid, thermostat(models, setpoint=20.0))
    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="setpoint"):
        client.update_digital_twin(tid, [{"op": "replace", "path": "/setpoint", "value": "hot"}])
    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="floorNumber"):
        client.update_digital_twin(tid, [{"op": "add", "path": "/floorNumber", "value": "two"}])
    with expect_error(HttpResponseError, 400, "JsonPatchInvalid"):
        client.update_digital_twin(tid, [{"op": "frobnicate", "path": "/setpoint", "value": 1}])
    assert client.get_digital_twin(tid) == created, "rejected patches must change nothing"
    client.delete_digital_twin(tid)


def test_missing_twin_is_not_found(client, models):
    tid = uid("ghost")
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.get_digital_twin(tid)
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.update_digital_twin(tid, [{"op": "add", "path": "/label", "value": "x"}])
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.delete_digital_twin(tid)
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.get_component(tid, "sensor")


def test_components(client, models):
    tid = uid("th")
    created = client.upsert_digital_twin(tid, thermostat(models, setpoint=20.0))
    comp = client.get_component(tid, "sensor")
    assert isinstance(comp.get("$metadata"), dict), comp
    assert "reading" not in comp

    assert client.update_component(tid, "sensor", [
        {"op": "add", "path": "/reading", "value": 21.5},
        {"op": "add", "path": "/unit", "value": "C"},
    ]) is None
    comp = client.get_component(tid, "sensor")
    assert comp["reading"] == 21.5
    assert comp["unit"] == "C"
    assert isinstance(comp["$metadata"]["reading"]["lastUpdateTime"], str), comp
    twin = client.get_digital_twin(tid)
    assert twin["sensor"]["reading"] == 21.5
    assert twin["$etag"] != created["$etag"], "a component update changes the twin's ETag"

    with expect_error(ResourceModifiedError, 412, "PreconditionFailed"):
        client.update_component(
            tid, "sensor", [{"op": "replace", "path": "/reading", "value": 99.0}],
            etag=created["$etag"], match_condition=MatchConditions.IfNotModified,
        )
    assert client.update_component(
        tid, "sensor", [{"op": "replace", "path": "/reading", "value": 22.0}],
        etag=twin["$etag"], match_condition=MatchConditions.IfNotModified,
    ) is None
    assert client.get_component(tid, "sensor")["reading"] == 22.0

    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="reading"):
        client.update_component(tid, "sensor", [{"op": "replace", "path": "/reading", "value": "cold"}])
    with expect_error(ResourceNotFoundError, 404, "ComponentNotFound"):
        client.get_component(tid, "nope")
    with expect_error(ResourceNotFoundError, 404, "ComponentNotFound"):
        client.update_component(tid, "nope", [{"op": "add", "path": "/reading", "value": 1.0}])
    client.delete_digital_twin(tid)


def test_publish_telemetry(client, models):
    tid = uid("th")
    client.upsert_digital_twin(tid, thermostat(models))
    assert client.publish_telemetry(tid, {"humidity": 41.5}) is None
    assert client.publish_telemetry(tid, {"humidity": 42.0}, message_id=uid("msg")) is None
    assert client.publish_component_telemetry(tid, "sensor", {"temp": 21.25}) is None
    assert client.publish_component_telemetry(tid, "sensor", {"temp": 21.5}, message_id=uid("msg")) is None
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.publish_telemetry(uid("ghost"), {"humidity": 1.0})
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.publish_component_telemetry(uid("ghost"), "sensor", {"temp": 1.0})
    with expect_error(ResourceNotFoundError, 404, "ComponentNotFound"):
        client.publish_component_telemetry(tid, "nope", {"temp": 1.0})
    client.delete_digital_twin(tid)


def test_relationship_with_properties(client, models):
    a, b = uid("th"), uid("th")
    client.upsert_digital_twin(a, thermostat(models))
    client.upsert_digital_twin(b, thermostat(models))
    rid = uid("ctl")
    rel = client.upsert_relationship(
        a, rid, {"$targetId": b, "$relationshipName": "controls", "priority": 1},
        match_condition=MatchConditions.IfMissing,
    )
    assert_relationship(rel, rid, a, b, "controls")
    assert rel["priority"] == 1
    assert client.get_relationship(a, rid) == rel

    with expect_error(ResourceExistsError, 412, "PreconditionFailed"):
        client.upsert_relationship(
            a, rid, {"$targetId": b, "$relationshipName": "controls", "priority": 2},
            match_condition=MatchConditions.IfMissing,
        )
    replaced = client.upsert_relationship(a, rid, {"$targetId": b, "$relationshipName": "controls", "priority": 3})
    assert replaced["priority"] == 3
    assert replaced["$etag"] != rel["$etag"]

    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="priority"):
        client.update_relationship(a, rid, [{"op": "replace", "path": "/priority", "value": "high"}])
    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="priority"):
        client.upsert_relationship(a, uid("ctl"), {"$targetId": b, "$relationshipName": "controls", "priority": 1.5})

    assert client.update_relationship(
        a, rid, [{"op": "remove", "path": "/priority"}],
        etag=replaced["$etag"], match_condition=MatchConditions.IfNotModified,
    ) is None
    assert "priority" not in client.get_relationship(a, rid)

    listed = list(client.list_relationships(a, relationship_id="controls"))
    assert [r["$relationshipId"] for r in listed] == [rid]
    incoming = list(client.list_incoming_relationships(b))
    assert [(r.relationship_id, r.source_id, r.relationship_name) for r in incoming] == [(rid, a, "controls")]

    assert client.delete_relationship(a, rid) is None
    with expect_error(ResourceNotFoundError, 404, "RelationshipNotFound"):
        client.delete_relationship(a, rid)
    client.delete_digital_twin(a)
    client.delete_digital_twin(b)


def test_etag_headers_match_the_bodies(client, models):
    """The spec returns the ETag header on twin, relationship and component reads and writes;
    it must be the $etag of the body and change on every write."""
    tid, other = uid("th"), uid("th")
    body, headers = client.upsert_digital_twin(tid, thermostat(models, setpoint=1.0), cls=with_headers)
    assert headers.get("ETag") == body["$etag"], (headers, body)
    client.upsert_digital_twin(other, thermostat(models))

    body, headers = client.get_digital_twin(tid, cls=with_headers)
    assert headers.get("ETag") == body["$etag"]
    etag0 = body["$etag"]

    _, headers = client.update_digital_twin(
        tid, [{"op": "replace", "path": "/setpoint", "value": 2.0}], cls=with_headers
    )
    etag1 = headers.get("ETag")
    assert etag1 and etag1 != etag0, headers
    assert client.get_digital_twin(tid)["$etag"] == etag1

    comp, headers = client.get_component(tid, "sensor", cls=with_headers)
    assert headers.get("ETag") == etag1, "a component read carries its twin's ETag"
    _, headers = client.update_component(
        tid, "sensor", [{"op": "add", "path": "/reading", "value": 3.0}], cls=with_headers
    )
    etag2 = headers.get("ETag")
    assert etag2 and etag2 not in (etag0, etag1)
    assert client.get_digital_twin(tid)["$etag"] == etag2

    rid = uid("r")
    rel, headers = client.upsert_relationship(
        tid, rid, {"$targetId": other, "$relationshipName": "controls", "priority": 1}, cls=with_headers
    )
    assert headers.get("ETag") == rel["$etag"]
    rel2, headers = client.get_relationship(tid, rid, cls=with_headers)
    assert headers.get("ETag") == rel2["$etag"] == rel["$etag"]
    _, headers = client.update_relationship(
        tid, rid, [{"op": "replace", "path": "/priority", "value": 2}], cls=with_headers
    )
    assert headers.get("ETag") and headers.get("ETag") != rel["$etag"]
    assert client.get_relationship(tid, rid)["$etag"] == headers.get("ETag")

    client.delete_relationship(tid, rid)
    client.delete_digital_twin(tid)
    client.delete_digital_twin(other)


def test_twin_without_its_components_is_rejected(client, models):
    tid = uid("th")
    with expect_error(HttpResponseError, 400, "ValidationFailed", mentions="sensor"):
        client.upsert_digital_twin(tid, {"$metadata": {"$model": models["thermostat"]}})


def test_ids_with_spaces_and_non_ascii_characters(client, models):
    """The SDK percent-encodes ids in the path; the server must decode them and give the
    same ids back, and encode them (only where needed) in $relationshipLink."""
    a = f"{uid('th')} Møterom 3.1 (øst)"
    b = f"{uid('th')}+Kantine#2"
    created = client.upsert_digital_twin(a, thermostat(models, label="æøå"))
    assert created["$dtId"] == a
    assert created["label"] == "æøå"
    assert client.upsert_digital_twin(b, thermostat(models))["$dtId"] == b
    assert client.get_digital_twin(a)["$dtId"] == a

    rid = "ctl 1ø"
    rel = client.upsert_relationship(a, rid, {"$targetId": b, "$relationshipName": "controls"})
    assert (rel["$relationshipId"], rel["$sourceId"], rel["$targetId"]) == (rid, a, b)
    assert client.get_relationship(a, rid)["$relationshipId"] == rid
    [incoming] = list(client.list_incoming_relationships(b))
    assert (incoming.relationship_id, incoming.source_id) == (rid, a)
    assert_relationship_link(incoming.relationship_link, a, rid)

    client.delete_relationship(a, rid)
    client.delete_digital_twin(a)
    client.delete_digital_twin(b)
    with expect_error(ResourceNotFoundError, 404, "DigitalTwinNotFound"):
        client.get_digital_twin(a)


def test_concurrent_conditional_updates_let_exactly_one_win(server, client, models):
    """Eight clients patch the same twin at once, each with the same If-Match ETag:
    one succeeds, the other seven get 412 (ResourceModifiedError), and the twin
    holds the winner's value."""
    from concurrent.futures import ThreadPoolExecutor

    tid = uid("race")
    etag = client.upsert_digital_twin(tid, thermostat(models, floorNumber=0))["$etag"]
    clients = [server.client(server.admin_token) for _ in range(8)]

    def attempt(i):
        try:
            clients[i].update_digital_twin(
                tid, [{"op": "replace", "path": "/floorNumber", "value": i + 1}],
                etag=etag, match_condition=MatchConditions.IfNotModified,
            )
            return i + 1
        except ResourceModifiedError as e:
            assert e.status_code == 412
            return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1, f"exactly one conditional update may win, got {results}"
    assert client.get_digital_twin(tid)["floorNumber"] == winners[0]
    client.delete_digital_twin(tid)
