"""Models: the RealEstateCore upload, get/list (definitions, dependencies, paging),
decommissioning and deletion, through azure-digitaltwins-core."""

from __future__ import annotations

import datetime

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.digitaltwins.core import DigitalTwinsModelData
from azure.digitaltwins.core._generated.models import DigitalTwinModelsListOptions

import ontology
from helpers import expect_error, rec_id, thermostat_models, uid

REC_COUNT = 767


def test_rec_ontology_uploads_in_dependency_ordered_batches(rec, rec_models):
    sizes = [len(b) for b in rec.batches]
    assert sum(sizes) == REC_COUNT
    assert all(0 < s <= ontology.MAX_BATCH for s in sizes), sizes
    assert len(rec.batches) == 4, sizes
    for batch, result in zip(rec.batches, rec.results):
        assert isinstance(result, list), type(result)
        assert len(result) == len(batch)
        assert {m.id for m in result} == {m["@id"] for m in batch}
        for data in result:
            assert isinstance(data, DigitalTwinsModelData)
            assert isinstance(data.upload_time, datetime.datetime), data.upload_time
            assert data.decommissioned is False, data.id
            source = rec_models[data.id]
            if "displayName" in source:
                assert data.display_name == source["displayName"], data.id
            if "description" in source:
                assert data.description == source["description"], data.id


def test_uploading_an_existing_model_conflicts(client, rec, rec_models):
    building = rec_models[rec_id("core:Building")]
    with expect_error(ResourceExistsError, 409, "ModelAlreadyExists"):
        client.create_models([building])


def test_get_model_without_and_with_definition(client, rec, rec_models):
    mid = rec_id("core:Building")
    plain = client.get_model(mid)
    assert isinstance(plain, DigitalTwinsModelData)
    assert plain.id == mid
    assert plain.decommissioned is False
    assert isinstance(plain.upload_time, datetime.datetime)
    assert plain.display_name == {"en": "Building"}
    assert plain.model is None, "the definition must only come with include_model_definition"

    full = client.get_model(mid, include_model_definition=True)
    assert full.id == mid
    assert full.model == rec_models[mid]


def test_get_unknown_model_is_not_found(client, rec):
    with expect_error(ResourceNotFoundError, 404, "ModelNotFound"):
        client.get_model("dtmi:com:ferrotwin:sdktest:DoesNotExist;1")


def test_list_models_returns_every_model_once(client, rec, rec_models):
    listed = list(client.list_models())
    ids = [m.id for m in listed]
    assert len(ids) == len(set(ids)), "a model was listed twice"
    assert set(rec_models) <= set(ids)
    assert all(m.model is None for m in listed), "definitions listed without include_model_definition"
    assert all(isinstance(m.upload_time, datetime.datetime) for m in listed)


def test_list_models_pages_with_max_items_per_page(client, rec, rec_models):
    options = DigitalTwinModelsListOptions(max_items_per_page=100)
    pages = [
        list(page)
        for page in client.list_models(
            include_model_definition=True, digital_twin_models_list_options=options
        ).by_page()
    ]
    sizes = [len(p) for p in pages]
    assert len(pages) >= 8, f"767+ models in pages of 100 should take 8+ pages, got {sizes}"
    assert all(0 < s <= 100 for s in sizes), sizes
    ids = [m.id for p in pages for m in p]
    assert len(ids) == len(set(ids)), "paging returned a model twice"
    assert set(rec_models) <= set(ids)
    by_id = {m.id: m for p in pages for m in p}
    for mid in (rec_id("core:Space"), rec_id("device:TemperatureSensor")):
        assert by_id[mid].model == rec_models[mid]


def test_list_models_dependencies_for(client, rec, rec_models):
    building = rec_id("core:Building")
    listed = list(client.list_models([building], include_model_definition=True))
    ids = {m.id for m in listed}
    # itself, its base (extends), its component's schema and that schema's base
    must = {building, rec_id("core:Space"), rec_id("addressing:Address"), rec_id("core:Information")}
    assert must <= ids, f"missing {sorted(must - ids)}"
    assert ids <= set(rec_models), f"unexpected {sorted(ids - set(rec_models))}"
    # nothing refers from Building's closure to leaf asset classes
    assert rec_id("asset:Bed") not in ids
    assert rec_id("asset:AirHandlingUnit") not in ids
    for m in listed:
        assert m.model == rec_models[m.id]


def test_list_models_dependencies_for_unknown_model_is_not_found(client, rec):
    with expect_error(ResourceNotFoundError, 404, "ModelNotFound"):
        list(client.list_models(["dtmi:com:ferrotwin:sdktest:Missing;1"]))


def test_invalid_dtdl_is_rejected_and_nothing_is_uploaded(client):
    ns = uid("x")
    good = {
        "@id": f"dtmi:com:ferrotwin:sdktest:{ns}:Good;1",
        "@type": "Interface",
        "@context": "dtmi:dtdl:context;3",
        "contents": [{"@type": "Property", "name": "ok", "schema": "string"}],
    }
    bad = {
        "@id": f"dtmi:com:ferrotwin:sdktest:{ns}:Bad;1",
        "@type": "Interface",
        "@context": "dtmi:dtdl:context;3",
        "contents": [{"@type": "Property", "name": "broken", "schema": "notASchema"}],
    }
    with expect_error(HttpResponseError, 400, "DTDLParserError"):
        client.create_models([good, bad])
    with expect_error(ResourceNotFoundError, 404, "ModelNotFound"):
        client.get_model(good["@id"])


def test_model_with_unresolved_reference_is_rejected(client):
    ns = uid("x")
    orphan = {
        "@id": f"dtmi:com:ferrotwin:sdktest:{ns}:Orphan;1",
        "@type": "Interface",
        "@context": "dtmi:dtdl:context;3",
        "extends": f"dtmi:com:ferrotwin:sdktest:{ns}:NotUploaded;1",
    }
    with expect_error(HttpResponseError, 400, "DTDLParserError"):
        client.create_models([orphan])


def test_model_lifecycle_decommission_and_delete(client):
    ns = uid("m")
    sensor_model, thermostat_model = thermostat_models(ns)
    sensor_id, thermostat_id = sensor_model["@id"], thermostat_model["@id"]

    created = client.create_models([sensor_model, thermostat_model])
    assert {m.id for m in created} == {sensor_id, thermostat_id}
    assert all(m.decommissioned is False for m in created)

    twin_id = uid("thermo")
    twin = client.upsert_digital_twin(
        twin_id, {"$metadata": {"$model": thermostat_id}, "sensor": {"$metadata": {}}}
    )
    assert twin["$dtId"] == twin_id

    # a model referenced by another model cannot go
    with expect_error(ResourceExistsError, 409, "ModelReferencesNotDeleted"):
        client.delete_model(sensor_id)
    # nor one that twins still use
    with expect_error(ResourceExistsError, 409):
        client.delete_model(thermostat_id)

    assert client.decommission_model(thermostat_id) is None
    assert client.get_model(thermostat_id).decommissioned is True
    listed = {m.id: m for m in client.list_models([thermostat_id])}
    assert listed[thermostat_id].decommissioned is True
    assert listed[sensor_id].decommissioned is False

    # no new twins of a decommissioned model; existing twins stay readable
    with expect_error(HttpResponseError, 400, "ModelDecommissioned"):
        client.upsert_digital_twin(
            uid("thermo"), {"$metadata": {"$model": thermostat_id}, "sensor": {"$metadata": {}}}
        )
    assert client.get_digital_twin(twin_id)["$metadata"]["$model"] == thermostat_id

    assert client.delete_digital_twin(twin_id) is None
    assert client.delete_model(thermostat_id) is None
    with expect_error(ResourceNotFoundError, 404, "ModelNotFound"):
        client.get_model(thermostat_id)
    with expect_error(ResourceNotFoundError, 404, "ModelNotFound"):
        client.delete_model(thermostat_id)
    with expect_error(ResourceNotFoundError, 404, "ModelNotFound"):
        client.decommission_model(thermostat_id)
    assert client.delete_model(sensor_id) is None
    assert sensor_id not in {m.id for m in client.list_models()}
