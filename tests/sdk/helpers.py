"""Shared helpers for the SDK scenarios: ids, credentials, small test models, error checks."""

from __future__ import annotations

import contextlib
import datetime
import re
import time
import uuid
from typing import Dict, List, Optional, Tuple, Type, Union

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError

REC = "dtmi:digitaltwins:rec_3_3:"


def rec_id(name: str) -> str:
    """Full DTMI of a RealEstateCore interface, e.g. rec_id('core:Building')."""
    return f"{REC}{name};1"


def uid(prefix: str = "t") -> str:
    """A fresh id fragment; DTMI-safe (starts with a letter, no dashes)."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


class StaticTokenCredential:
    """A TokenCredential that hands out one fixed ferrotwin bearer token."""

    def __init__(self, token: str):
        self.token = token
        self.scopes_seen: List[tuple] = []

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        self.scopes_seen.append(scopes)
        return AccessToken(self.token, int(time.time()) + 10 * 365 * 24 * 3600)


class Raised:
    """Holds the exception caught by expect_error, for further assertions."""

    value: Optional[HttpResponseError] = None


@contextlib.contextmanager
def expect_error(
    exc_type: Type[HttpResponseError],
    status: int,
    code: Union[None, str, Tuple[str, ...]] = None,
    mentions: Optional[str] = None,
):
    """Assert the block raises exc_type (that class or a subclass) with the HTTP status,
    and when given, the ADT error code of the body {"error": {"code", "message"}} (one of
    several where the spec leaves the choice open) and a word the message must contain."""
    box = Raised()
    try:
        yield box
    except HttpResponseError as e:  # noqa: PERF203
        box.value = e
        body = _body(e)
        assert isinstance(e, exc_type), (
            f"expected {exc_type.__name__}, got {type(e).__name__} "
            f"(status {e.status_code}, body {body})"
        )
        assert e.status_code == status, f"expected HTTP {status}, got {e.status_code}: {body}"
        if code is not None:
            assert e.error is not None, f"no ADT error body {{error:{{code,message}}}}: {body}"
            codes = (code,) if isinstance(code, str) else code
            assert e.error.code in codes, f"expected error code {code}, got {e.error.code}: {body}"
            assert e.error.message, f"error {code} has an empty message: {body}"
            header = e.response.headers.get("x-ms-error-code")
            assert header == e.error.code, (
                f"the x-ms-error-code header ({header!r}) should repeat the error code {e.error.code!r}"
            )
        if mentions is not None:
            assert e.error is not None and mentions in (e.error.message or ""), (
                f"the error message should name {mentions!r}: {body}"
            )
    else:
        raise AssertionError(f"expected {exc_type.__name__} (HTTP {status} {code or ''}), nothing raised")


def _body(e: HttpResponseError) -> str:
    try:
        return e.response.text()[:1000] if e.response is not None else "<no response>"
    except Exception:  # pragma: no cover - diagnostics only
        return "<unreadable body>"


def parse_ts(value: str) -> datetime.datetime:
    """An ADT timestamp (ISO 8601, UTC, up to 7 fractional digits) as an aware datetime."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", value)
    assert m, f"not an ISO 8601 UTC timestamp: {value!r}"
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.datetime.fromisoformat(f"{m.group(1)}.{frac}{tz}")


def assert_twin(twin: dict, twin_id: str, model_id: str) -> None:
    """The ADT wire shape of a digital twin."""
    assert twin["$dtId"] == twin_id, twin
    assert isinstance(twin.get("$etag"), str) and twin["$etag"], f"twin has no $etag: {twin}"
    meta = twin.get("$metadata")
    assert isinstance(meta, dict), f"twin has no $metadata: {twin}"
    assert meta["$model"] == model_id, twin
    assert isinstance(meta.get("$lastUpdateTime"), str), f"no $metadata.$lastUpdateTime: {twin}"
    parse_ts(meta["$lastUpdateTime"])


def assert_relationship(rel: dict, rel_id: str, source: str, target: str, name: str) -> None:
    """The ADT wire shape of a relationship."""
    assert rel["$relationshipId"] == rel_id, rel
    assert rel["$sourceId"] == source, rel
    assert rel["$targetId"] == target, rel
    assert rel["$relationshipName"] == name, rel
    assert isinstance(rel.get("$etag"), str) and rel["$etag"], f"relationship has no $etag: {rel}"


def thermostat_models(ns: str) -> List[dict]:
    """A small DTDL v3 model set with a component, telemetry, an enum and a relationship
    with a property. ns makes the DTMIs unique per test."""
    sensor = f"dtmi:com:ferrotwin:sdktest:{ns}:TempSensor;1"
    thermostat = f"dtmi:com:ferrotwin:sdktest:{ns}:Thermostat;1"
    return [
        {
            "@id": sensor,
            "@type": "Interface",
            "@context": "dtmi:dtdl:context;3",
            "displayName": "Temperature sensor",
            "contents": [
                {"@type": "Property", "name": "reading", "schema": "double", "writable": True},
                {"@type": "Property", "name": "unit", "schema": "string", "writable": True},
                {"@type": "Telemetry", "name": "temp", "schema": "double"},
            ],
        },
        {
            "@id": thermostat,
            "@type": "Interface",
            "@context": "dtmi:dtdl:context;3",
            "displayName": "Thermostat",
            "contents": [
                {"@type": "Property", "name": "setpoint", "schema": "double", "writable": True},
                {"@type": "Property", "name": "label", "schema": "string", "writable": True},
                {"@type": "Property", "name": "floorNumber", "schema": "integer", "writable": True},
                {
                    "@type": "Property",
                    "name": "mode",
                    "writable": True,
                    "schema": {
                        "@type": "Enum",
                        "valueSchema": "string",
                        "enumValues": [
                            {"name": "heat", "enumValue": "heat"},
                            {"name": "cool", "enumValue": "cool"},
                        ],
                    },
                },
                {"@type": "Telemetry", "name": "humidity", "schema": "double"},
                {"@type": "Component", "name": "sensor", "schema": sensor},
                {
                    "@type": "Relationship",
                    "name": "controls",
                    "target": thermostat,
                    "properties": [
                        {"@type": "Property", "name": "priority", "schema": "integer"},
                    ],
                },
            ],
        },
    ]


def _bases(model: dict) -> List[str]:
    ext = model.get("extends", [])
    return [ext] if isinstance(ext, str) else [e for e in ext if isinstance(e, str)]


def component_names(model_id: str, models: Dict[str, dict]) -> List[str]:
    """Names of all components of an interface, inherited ones included."""
    names: List[str] = []
    seen = set()
    stack = [model_id]
    while stack:
        mid = stack.pop()
        if mid in seen:
            continue
        seen.add(mid)
        model = models[mid]
        for c in model.get("contents", []):
            types = c["@type"] if isinstance(c["@type"], list) else [c["@type"]]
            if "Component" in types and c["name"] not in names:
                names.append(c["name"])
        stack.extend(_bases(model))
    return names


def new_twin(model_id: str, models: Dict[str, dict], **props) -> dict:
    """A twin body with every component initialised, as ADT requires on creation;
    a dict given for a component name is merged into that component."""
    twin: dict = {"$metadata": {"$model": model_id}}
    for name in component_names(model_id, models):
        twin[name] = {"$metadata": {}}
    for key, value in props.items():
        if isinstance(value, dict) and key in twin:
            twin[key].update(value)
        else:
            twin[key] = value
    return twin


def with_headers(pipeline_response, body, headers):
    """A `cls` callback for SDK calls: returns (body, response headers) instead of the body."""
    return body, pipeline_response.http_response.headers


_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def assert_relationship_link(link: str, source: str, rel_id: str) -> None:
    """$relationshipLink is /digitaltwins/{source}/relationships/{id} with the ids
    percent-encoded where needed; RFC 3986 (2.3) says unreserved characters
    (letters, digits, - . _ ~) are never to be percent-encoded."""
    from urllib.parse import unquote

    assert unquote(link) == f"/digitaltwins/{source}/relationships/{rel_id}", link
    for m in re.finditer(r"%([0-9A-Fa-f]{2})", link):
        ch = chr(int(m.group(1), 16))
        assert ch not in _UNRESERVED, (
            f"{link!r} percent-encodes the unreserved character {ch!r} as {m.group(0)}"
        )
