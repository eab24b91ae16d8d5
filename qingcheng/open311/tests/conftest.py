"""Fixtures for the Open311 conformance suite: the case-loop fixtures (test city, catalogue, one user per
role), client applications with keys, the JSON Schemas, an XML reader that works like FixMyStreet's
client, and a snapshot of every table a request may write."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft202012Validator

BASE = "/open311/v2"
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
NAME, PHONE, EMAIL = "王小明", "13812345678", "xiaoming@example.com"


@pytest.fixture(autouse=True)
def _media_cache_and_seed(settings, tmp_path, db):
    """Photos go to a fresh directory; rate counters start at zero; the default questions exist (a
    transactional test elsewhere may have flushed what the migration seeded)."""
    from django.core.cache import cache

    from qingcheng.open311.services import seed

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    seed()
    yield
    cache.clear()


@pytest.fixture
def city(loop):
    return loop


@pytest.fixture
def make_client():
    from qingcheng.open311.services import client_create

    def make(name: str = "FixMyStreet 测试", **kwargs):
        kwargs.setdefault("contact", "ops@example.org")
        return client_create(actor=None, name=name, **kwargs)

    return make


@pytest.fixture
def api_key(make_client):
    _, raw = make_client()
    return raw


@pytest.fixture
def staff_key(make_client):
    _, raw = make_client("巡查 App", is_staff_client=True)
    return raw


def validate(name: str, data: Any) -> Any:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return data


# FixMyStreet's client (perllib/Open311.pm) reads XML with XML::Simple and forces these elements into lists.
FORCE_ARRAY = {
    "service",
    "attribute",
    "value",
    "request",
    "error",
    "request_update",
    "group",
    "endpoint",
    "format",
}


def _simple(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        value = _simple(child)
        if child.tag in FORCE_ARRAY:
            out.setdefault(child.tag, []).append(value)
        elif child.tag in out:
            if not isinstance(out[child.tag], list):
                out[child.tag] = [out[child.tag]]
            out[child.tag].append(value)
        else:
            out[child.tag] = value
    return out


def parse_xml(response, root: str, item: str | None = None) -> Any:
    """The body as FixMyStreet reads it: the declaration first, no namespace, `root/item` lists."""
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    element = ET.fromstring(response.content)
    assert element.tag == root, element.tag
    assert "}" not in element.tag  # no namespace
    data = _simple(element)
    if item is None:
        return data
    if data == "":
        return []
    assert set(data) <= {item}, set(data)
    return data.get(item, [])


def parse_json(response, schema: str) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return validate(schema, response.json())


def xml_errors(response) -> list[dict[str, str]]:
    return parse_xml(response, "errors", "error")


def get(client, path: str, **params):
    return client.get(f"{BASE}/{path}", {k: v for k, v in params.items() if v is not None})


def post(client, path: str, data: dict, **extra):
    return client.post(f"{BASE}/{path}", data, **extra)


def report_form(loop, key: str, /, **overrides) -> dict[str, Any]:
    lon, lat = loop["point"]
    data = {
        "api_key": key,
        "service_code": "E0102",
        "lat": f"{lat:.7f}",
        "long": f"{lon:.7f}",
        "description": "小区门口堆了几袋生活垃圾，有异味",
        "attribute[amount]": "pile",
        "attribute[kinds][]": ["household", "kitchen"],
        "first_name": "小明",
        "last_name": "王",
        "email": EMAIL,
        "phone": PHONE,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_report(client, loop, key: str, /, fmt: str = "json", **overrides) -> str:
    response = post(client, f"requests.{fmt}", report_form(loop, key, **overrides))
    assert response.status_code == 200, response.content.decode()
    if fmt == "json":
        row = parse_json(response, "request-created")[0]
    else:
        row = parse_xml(response, "service_requests", "request")[0]
    return row.get("service_request_id") or row["token"]


def write_snapshot(media_root: Path) -> dict[str, Any]:
    """Counts of every table an Open311 call may write, and the files under MEDIA_ROOT."""
    from qingcheng.cases.models import (
        Case,
        CaseEvent,
        CasePhoto,
        CaseReporter,
        IdempotencyRecord,
        Notification,
    )
    from qingcheng.core.models import AuditEntry, Deadline
    from qingcheng.open311.models import Client, InboundUpdate, ServiceRequest

    models = [
        Case,
        CaseEvent,
        CasePhoto,
        CaseReporter,
        IdempotencyRecord,
        Notification,
        AuditEntry,
        Deadline,
        ServiceRequest,
        InboundUpdate,
    ]
    counts: dict[str, Any] = {m.__name__: m.objects.count() for m in models}
    counts["client_last_used"] = sorted(str(c) for c in Client.objects.values_list("last_used_at", flat=True))
    root = Path(media_root)
    counts["files"] = sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return counts


@pytest.fixture
def nothing_written(settings):
    """`with nothing_written(): ...` around a call that must leave no trace."""

    @contextlib.contextmanager
    def check():
        before = write_snapshot(settings.MEDIA_ROOT)
        yield
        assert write_snapshot(settings.MEDIA_ROOT) == before

    return check


@pytest.fixture
def two_cities(db):
    """Two jurisdictions served: the test city (Hohhot, 150100) and Baotou (150200, no grids loaded)."""
    from qingcheng.open311.models import Jurisdiction

    Jurisdiction.objects.all().delete()
    return {
        "hohhot": Jurisdiction.objects.create(
            jurisdiction_id="huhhot.gov.cn", name="呼和浩特市", area_code="150100"
        ),
        "baotou": Jurisdiction.objects.create(
            jurisdiction_id="baotou.gov.cn", name="包头市", area_code="150200"
        ),
    }
