"""The upload order itself, without a server: batches of at most 250 in which every
model's references of the set are in its own or an earlier batch."""

from __future__ import annotations

import pytest

import ontology
from helpers import rec_id


def test_rec_batches_respect_dependencies(rec_models):
    batches = ontology.upload_batches(rec_models)
    ontology.check_order(batches)
    assert [len(b) for b in batches] == [250, 250, 250, 17]
    position = {m["@id"]: i for i, b in enumerate(batches) for m in b}
    assert position[rec_id("core:Space")] <= position[rec_id("core:Building")]
    assert position[rec_id("core:Capability")] <= position[rec_id("device:TemperatureSensor")]


def test_check_order_catches_a_forward_reference():
    base = {"@id": "dtmi:x:Base;1", "@type": "Interface", "@context": "dtmi:dtdl:context;3"}
    child = {"@id": "dtmi:x:Child;1", "@type": "Interface", "@context": "dtmi:dtdl:context;3",
             "extends": "dtmi:x:Base;1"}
    ontology.check_order([[base], [child]])
    ontology.check_order([[child, base]])
    with pytest.raises(AssertionError):
        ontology.check_order([[child], [base]])


def test_reference_cycles_stay_in_one_batch():
    a = {"@id": "dtmi:x:A;1", "@type": "Interface", "@context": "dtmi:dtdl:context;3",
         "contents": [{"@type": "Relationship", "name": "r", "target": "dtmi:x:B;1"}]}
    b = {"@id": "dtmi:x:B;1", "@type": "Interface", "@context": "dtmi:dtdl:context;3",
         "contents": [{"@type": "Relationship", "name": "r", "target": "dtmi:x:A;1"}]}
    c = {"@id": "dtmi:x:C;1", "@type": "Interface", "@context": "dtmi:dtdl:context;3"}
    batches = ontology.upload_batches({m["@id"]: m for m in (a, b, c)}, max_batch=2)
    ontology.check_order(batches)
    assert any({m["@id"] for m in batch} == {"dtmi:x:A;1", "dtmi:x:B;1"} for batch in batches)
