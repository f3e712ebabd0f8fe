"""Event routes through the SDK's public API; import jobs through its generated
operations (azure-digitaltwins-core 1.3.0 has no public import-job methods)."""

from __future__ import annotations

import json
import time

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.digitaltwins.core import DigitalTwinsEventRoute
from azure.digitaltwins.core._generated.models import EventRoutesListOptions, ImportJob

from helpers import expect_error, thermostat_models, uid

ENDPOINT = "ferrotwin-sdk-endpoint"
CREATE_FILTER = "type = 'Microsoft.DigitalTwins.Twin.Create'"


def test_event_route_lifecycle(client):
    rid = uid("route")
    route = DigitalTwinsEventRoute(endpoint_name=ENDPOINT, filter=CREATE_FILTER)
    assert client.upsert_event_route(rid, route) is None

    got = client.get_event_route(rid)
    assert isinstance(got, DigitalTwinsEventRoute)
    assert got.id == rid
    assert got.endpoint_name == ENDPOINT
    assert got.filter == CREATE_FILTER

    listed = {r.id: r for r in client.list_event_routes()}
    assert rid in listed
    assert listed[rid].endpoint_name == ENDPOINT
    assert listed[rid].filter == CREATE_FILTER

    # PUT again replaces
    assert client.upsert_event_route(rid, DigitalTwinsEventRoute(endpoint_name=ENDPOINT, filter="true")) is None
    assert client.get_event_route(rid).filter == "true"

    assert client.delete_event_route(rid) is None
    with expect_error(ResourceNotFoundError, 404, "EventRouteNotFound"):
        client.get_event_route(rid)
    with expect_error(ResourceNotFoundError, 404, "EventRouteNotFound"):
        client.delete_event_route(rid)
    assert rid not in {r.id for r in client.list_event_routes()}


def test_event_routes_page(client):
    ids = [uid("route") for _ in range(5)]
    for i, rid in enumerate(ids):
        client.upsert_event_route(
            rid, DigitalTwinsEventRoute(endpoint_name=f"{ENDPOINT}-{i}", filter="true")
        )
    pages = [
        list(p)
        for p in client.list_event_routes(
            event_routes_list_options=EventRoutesListOptions(max_items_per_page=2)
        ).by_page()
    ]
    sizes = [len(p) for p in pages]
    assert all(0 < s <= 2 for s in sizes), sizes
    seen = [r.id for p in pages for r in p]
    assert len(seen) == len(set(seen)), "paging returned a route twice"
    assert set(ids) <= set(seen)
    assert len(pages) >= 3, sizes
    for rid in ids:
        client.delete_event_route(rid)


def test_event_route_with_invalid_filter_is_rejected(client):
    with expect_error(HttpResponseError, 400, "EventRouteFilterInvalid"):
        client.upsert_event_route(
            uid("route"), DigitalTwinsEventRoute(endpoint_name=ENDPOINT, filter="type = = 'x'")
        )


def test_event_route_to_an_undeclared_endpoint_is_rejected(client):
    with expect_error(HttpResponseError, 400, "EventRouteEndpointInvalid", mentions="not-declared"):
        client.upsert_event_route(
            uid("route"), DigitalTwinsEventRoute(endpoint_name="not-declared", filter="true")
        )


def test_import_jobs_list_and_missing(client):
    jobs = client._client.import_jobs  # generated operations; no public wrapper in 1.3.0
    listed = list(jobs.list())
    assert isinstance(listed, list)
    with expect_error(ResourceNotFoundError, 404, "ImportJobNotFound"):
        jobs.get_by_id(uid("nojob"))


def test_import_job_loads_models_twins_and_relationships(client, tmp_path):
    """Bulk import in ADT's NDJSON format; ferrotwin reads inputBlobUri/outputBlobUri as
    file:// URIs on the server's machine."""
    jobs = client._client.import_jobs
    ns = uid("imp")
    sensor_model, thermostat_model = thermostat_models(ns)
    tid = thermostat_model["@id"]
    twins = [f"{ns}-t{i}" for i in range(5)]
    lines = [
        {"Section": "Header"},
        {"fileVersion": "1.0.0", "author": "ferrotwin-sdk-tests", "organization": "ferrotwin"},
        {"Section": "Models"},
        sensor_model,
        thermostat_model,
        {"Section": "Twins"},
        *[
            {"$dtId": t, "$metadata": {"$model": tid}, "setpoint": 20.0 + i, "sensor": {"$metadata": {}}}
            for i, t in enumerate(twins)
        ],
        {"Section": "Relationships"},
        *[
            {"$dtId": a, "$relationshipId": f"{a}-ctl", "$targetId": b, "$relationshipName": "controls", "priority": 1}
            for a, b in zip(twins, twins[1:])
        ],
    ]
    src = tmp_path / "import.ndjson"
    src.write_text("\n".join(json.dumps(l) for l in lines) + "\n")
    out = tmp_path / "import-log.ndjson"
    job_id = uid("job")

    job = jobs.add(job_id, ImportJob(input_blob_uri=f"file://{src}", output_blob_uri=f"file://{out}"))
    assert isinstance(job, ImportJob)
    assert job.id == job_id
    assert job.input_blob_uri == f"file://{src}"
    assert job.status in ("notstarted", "running", "succeeded"), job.status
    assert job.created_date_time is not None

    deadline = time.monotonic() + 60
    while job.status not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = jobs.get_by_id(job_id)
    assert job.status == "succeeded", (job.status, job.error and job.error.message)
    assert job.finished_date_time is not None
    assert out.exists(), "the job writes its log to outputBlobUri"

    assert client.get_model(tid).id == tid
    for i, t in enumerate(twins):
        assert client.get_digital_twin(t)["setpoint"] == 20.0 + i
    rels = list(client.list_relationships(twins[0]))
    assert [(r["$relationshipId"], r["$targetId"], r["priority"]) for r in rels] == [(f"{twins[0]}-ctl", twins[1], 1)]

    assert job_id in {j.id for j in jobs.list()}
    with expect_error(HttpResponseError, 400):
        jobs.add(job_id, ImportJob(input_blob_uri=f"file://{src}", output_blob_uri=f"file://{out}"))
    assert jobs.delete(job_id) is None
    with expect_error(ResourceNotFoundError, 404, "ImportJobNotFound"):
        jobs.get_by_id(job_id)

    for a in twins[:-1]:
        client.delete_relationship(a, f"{a}-ctl")
    for t in twins:
        client.delete_digital_twin(t)
