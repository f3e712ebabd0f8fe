"""Role enforcement as the SDK sees it: a reader may read but not write (403), a writer
may change twins, and a token the server never issued gets 401."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.digitaltwins.core import DigitalTwinsEventRoute

from helpers import expect_error, new_twin, rec_id, thermostat_models, uid

ROOM = rec_id("core:Room")


@pytest.fixture(scope="module")
def room(client, rec, rec_models):
    tid = uid("authroom")
    client.upsert_digital_twin(tid, new_twin(ROOM, rec_models, name="auth room"))
    yield tid
    for rel in list(client.list_relationships(tid)):
        client.delete_relationship(tid, rel["$relationshipId"])
    client.delete_digital_twin(tid)


def test_reader_can_read(server, tokens, room):
    reader = server.client(tokens["reader"])
    assert reader.get_digital_twin(room)["$dtId"] == room
    assert reader.get_model(ROOM).id == ROOM
    assert any(m.id == ROOM for m in reader.list_models())
    assert list(reader.list_relationships(room)) == []
    assert list(reader.list_incoming_relationships(room)) == []
    assert isinstance(reader.get_component(room, "temperature"), dict)
    assert isinstance(list(reader.list_event_routes()), list)


@pytest.fixture(scope="module")
def own_model(client):
    """A model of this module's own, so that a wrongly allowed decommission or delete
    cannot break the other scenarios."""
    defs = thermostat_models(uid("auth"))
    client.create_models(defs)
    return defs[1]["@id"]


def test_reader_gets_403_on_writes(server, tokens, room, rec_models, own_model):
    reader = server.client(tokens["reader"])
    ns = uid("auth")
    forbidden = [
        lambda: reader.create_models(thermostat_models(ns)),
        lambda: reader.upsert_digital_twin(uid("t"), new_twin(ROOM, rec_models)),
        lambda: reader.update_digital_twin(room, [{"op": "add", "path": "/name", "value": "x"}]),
        lambda: reader.update_component(room, "temperature",
                                        [{"op": "add", "path": "/temperatureSetpoint", "value": 1.0}]),
        lambda: reader.upsert_relationship(room, uid("r"), {"$targetId": room, "$relationshipName": "hasPart"}),
        lambda: reader.delete_digital_twin(room),
        lambda: reader.publish_telemetry(room, {"x": 1}),
        lambda: reader.decommission_model(own_model),
        lambda: reader.delete_model(own_model),
        lambda: reader.upsert_event_route(uid("route"), DigitalTwinsEventRoute(endpoint_name="e", filter="true")),
    ]
    for call in forbidden:
        with expect_error(HttpResponseError, 403):
            call()
    assert "name" in reader.get_digital_twin(room) and reader.get_digital_twin(room)["name"] == "auth room"
    assert reader.get_model(own_model).decommissioned is False


def test_writer_can_change_twins(server, tokens, rec_models):
    writer = server.client(tokens["writer"])
    tid = uid("w")
    created = writer.upsert_digital_twin(tid, new_twin(ROOM, rec_models, name="by writer"))
    assert created["name"] == "by writer"
    assert writer.update_digital_twin(tid, [{"op": "replace", "path": "/name", "value": "renamed"}]) is None
    assert writer.get_digital_twin(tid)["name"] == "renamed"
    assert writer.delete_digital_twin(tid) is None


def test_minted_admin_token_works(server, tokens):
    admin = server.client(tokens["admin"])
    assert admin.get_model(ROOM).id == ROOM


def test_unknown_token_gets_401(server, rec):
    stranger = server.client("not-a-ferrotwin-token")
    with expect_error(ClientAuthenticationError, 401):
        stranger.get_model(ROOM)
    with expect_error(ClientAuthenticationError, 401):
        list(stranger.list_models())
    with expect_error(ClientAuthenticationError, 401):
        stranger.upsert_digital_twin(uid("t"), {"$metadata": {"$model": ROOM}})


def test_credential_is_asked_for_the_adt_scope(server, rec):
    from helpers import StaticTokenCredential
    from azure.digitaltwins.core import DigitalTwinsClient

    cred = StaticTokenCredential(server.admin_token)
    c = DigitalTwinsClient(server.https_url, cred, connection_verify=False)
    assert c.get_model(ROOM).id == ROOM
    assert cred.scopes_seen and cred.scopes_seen[0] == ("https://digitaltwins.azure.net/.default",)
