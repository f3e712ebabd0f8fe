"""Load a DTDL ontology from disk and order it for upload to an ADT-compatible service.

ADT accepts at most 250 models per POST /models, and every model a batch refers to
must already exist or be part of the same batch. This module reads the JSON files
(one interface or an array of interfaces each, UTF-8 with or without BOM), works out
which defined DTMIs each interface refers to (extends, component schemas, relationship
targets, any other DTMI string), and packs the strongly connected groups of that
graph, in dependency order, into batches.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Set

DTMI_RE = re.compile(r"^dtmi:[A-Za-z0-9_:]+;[0-9]+(\.[0-9]+)?$")
MAX_BATCH = 250


def load_interfaces(root: Path) -> Dict[str, dict]:
    """Every Interface under root, keyed by @id. Fails on a duplicate id."""
    models: Dict[str, dict] = {}
    for path in sorted(root.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
        for model in doc if isinstance(doc, list) else [doc]:
            mid = model["@id"]
            if mid in models:
                raise ValueError(f"duplicate interface {mid} in {path}")
            models[mid] = model
    return models


def _dtmis_in(value: Any, out: Set[str]) -> None:
    if isinstance(value, str):
        if DTMI_RE.match(value):
            out.add(value)
    elif isinstance(value, list):
        for v in value:
            _dtmis_in(v, out)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "@context":
                continue
            _dtmis_in(v, out)


def dependencies(models: Dict[str, dict]) -> Dict[str, Set[str]]:
    """For each model, the other models of the set that it refers to."""
    deps: Dict[str, Set[str]] = {}
    for mid, model in models.items():
        refs: Set[str] = set()
        _dtmis_in(model, refs)
        deps[mid] = {r for r in refs if r in models and r != mid}
    return deps


def _sccs(nodes: List[str], deps: Dict[str, Set[str]]) -> List[List[str]]:
    """Tarjan's algorithm, iterative. Components come out dependencies-first."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    on_stack: Set[str] = set()
    stack: List[str] = []
    out: List[List[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(deps[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(deps[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(sorted(comp))
    return out


def upload_batches(models: Dict[str, dict], max_batch: int = MAX_BATCH) -> List[List[dict]]:
    """Batches of at most max_batch models; each batch refers only to itself and earlier ones."""
    deps = dependencies(models)
    comps = _sccs(sorted(models), deps)
    batches: List[List[str]] = []
    current: List[str] = []
    for comp in comps:
        if len(comp) > max_batch:
            raise ValueError(f"a reference cycle of {len(comp)} models cannot fit in one batch")
        if len(current) + len(comp) > max_batch:
            batches.append(current)
            current = []
        current.extend(comp)
    if current:
        batches.append(current)
    return [[models[m] for m in batch] for batch in batches]


def check_order(batches: Iterable[List[dict]]) -> None:
    """Raise if a batch refers to a model of the set that comes only later."""
    batches = list(batches)
    all_models = {m["@id"]: m for b in batches for m in b}
    deps = dependencies(all_models)
    seen: Set[str] = set()
    for i, batch in enumerate(batches):
        ids = {m["@id"] for m in batch}
        if len(batch) > MAX_BATCH:
            raise AssertionError(f"batch {i} has {len(batch)} models")
        for mid in ids:
            missing = deps[mid] - seen - ids
            if missing:
                raise AssertionError(f"{mid} in batch {i} needs {sorted(missing)} first")
        seen |= ids
