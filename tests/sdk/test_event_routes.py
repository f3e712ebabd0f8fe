"""Event routes through the SDK's public API; import jobs through its generated
operations (azure-digitaltwins-core 1.3.0 has no public import-job methods)."""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.digitaltwins.core import DigitalTwinsEventRoute
from azure.digitaltwins.core._generated.models import EventRoutesListOptions

from helpers import expect_error, uid

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


def test_import_jobs_list_and_missing(client):
    jobs = client._client.import_jobs  # generated operations; no public wrapper in 1.3.0
    listed = list(jobs.list())
    assert isinstance(listed, list)
    with expect_error(ResourceNotFoundError, 404, "ImportJobNotFound"):
        jobs.get_by_id(uid("nojob"))
