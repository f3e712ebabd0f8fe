"""query_twins through the official Python SDK: RealEstateCore twins found by
model (with inheritance), by property and through JOIN and MATCH, paged with
max-items-per-page, plus ADT's error for a malformed query."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.digitaltwins.core._generated.models import QueryTwinsOptions

from helpers import new_twin, rec_id, uid

BUILDING = rec_id("core:Building")
LEVEL = rec_id("core:Level")
ROOM = rec_id("core:Room")
SPACE = rec_id("core:Space")


@pytest.fixture(scope="module")
def site(client, rec, rec_models):
    ns = uid("q")
    building, levels = f"{ns}-b", [f"{ns}-l{i}" for i in range(2)]
    rooms = [f"{ns}-r{i}" for i in range(5)]
    client.upsert_digital_twin(building, new_twin(BUILDING, rec_models, name=f"{ns} building"))
    for i, lv in enumerate(levels):
        client.upsert_digital_twin(lv, new_twin(LEVEL, rec_models, name=f"{ns} level {i}"))
        client.upsert_relationship(building, f"{lv}-part", {"$targetId": lv, "$relationshipName": "hasPart"})
    for i, room in enumerate(rooms):
        client.upsert_digital_twin(room, new_twin(ROOM, rec_models, name=f"{ns} room {i}"))
        lv = levels[i % 2]
        client.upsert_relationship(lv, f"{room}-part", {"$targetId": room, "$relationshipName": "hasPart"})
    return ns, building, levels, rooms


def test_query_by_model_property_and_paging(client, site):
    ns, building, levels, rooms = site
    # Acknowledged writes are visible at once; Room extends Space.
    q = f"SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, '{SPACE}') AND STARTSWITH(T.$dtId, '{ns}-')"
    found = sorted(t["$dtId"] for t in client.query_twins(q))
    assert found == sorted([building, *levels, *rooms])
    exact = [t["$dtId"] for t in client.query_twins(f"SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('{ROOM}', exact) AND STARTSWITH($dtId, '{ns}-')")]
    assert sorted(exact) == rooms
    named = list(client.query_twins(f"SELECT T.name FROM DIGITALTWINS T WHERE T.$dtId = '{rooms[3]}'"))
    assert named == [{"name": f"{ns} room 3"}]
    count = list(client.query_twins(f"SELECT COUNT() FROM DIGITALTWINS WHERE STARTSWITH($dtId, '{ns}-r')"))
    assert count == [{"COUNT": 5}]
    # Paging: two twins a page, continued through the SDK's continuation tokens.
    pages = [list(p) for p in client.query_twins(f"SELECT * FROM DIGITALTWINS WHERE STARTSWITH($dtId, '{ns}-r')", query_twins_options=QueryTwinsOptions(max_items_per_page=2)).by_page()]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(t["$dtId"] for p in pages for t in p) == rooms


def test_query_join_and_match(client, site):
    ns, building, levels, rooms = site
    rows = list(client.query_twins(
        f"SELECT L, R FROM DIGITALTWINS B JOIN L RELATED B.hasPart JOIN R RELATED L.hasPart WHERE B.$dtId = '{building}'"
    ))
    pairs = sorted((r["L"]["$dtId"], r["R"]["$dtId"]) for r in rows)
    assert pairs == sorted((levels[i % 2], room) for i, room in enumerate(rooms))
    rows = list(client.query_twins(
        f"SELECT R FROM DIGITALTWINS MATCH (B)-[:hasPart*2]->(R) WHERE B.$dtId = '{building}'"
    ))
    assert sorted(r["R"]["$dtId"] for r in rows) == rooms


def test_query_syntax_error(client):
    with pytest.raises(HttpResponseError) as e:
        list(client.query_twins("SELECT * FROM DIGITALTWINS WHERE"))
    assert e.value.status_code == 400
    assert e.value.error.code == "SqlQueryError"
    assert "line 1, column 33" in e.value.error.message
