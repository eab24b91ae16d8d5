"""The scope-isolation matrix: every role, inside and outside a record's area, against every endpoint of
the JSON API, every page, Open311 and public tracking; who may read and who may change.

The world (tests/_scope_world.py) has two districts, one user per role in each, and in each district one
record of every kind an endpoint reads or writes by key, made through the real services; every text field
that can carry one holds the district's marker, and reporters and callers carry its personal data.

Oracles, independent of how each endpoint is written:
- nothing answers 5xx;
- a user never receives the other district's marker or personal data; public endpoints (the public site,
  Open311) never return anyone's personal data, and a tracking number (or an enforcement party's link)
  without its secret reveals nothing;
- where personal data is masked for users without a permission (MASKED_PERSONAL_DATA: administrative
  enforcement), such a user never receives even the own district's personal data;
- a record-level read from outside the record's district is a 403 or 404; from inside it by a user who
  holds the view permission, a 200 that carries the record;
- a write by the procuratorate observer, an auxiliary, a citizen or a leader inside the area, or by anyone
  outside it, is refused (4xx) and changes no row of any of our tables (counts and last updates), except the
  writes listed in ALLOWED_WRITES; and for each write operation a user who may do it does it (the body is
  valid, so the refusals are about who asks, not about the body); every step of the case workflow and of
  the enforcement procedures, in a state where it is possible, is refused to them;
- auxiliaries never hold an enforcement permission, whatever path tries to give them one.

Every operation of `qingcheng.api.api` and every URL pattern must appear in the tables below: a new endpoint
fails `test_every_endpoint_is_in_the_matrix` until it is given a row.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import logging
import re
import uuid
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client

from qingcheng.accounts.roles import ROLES
from qingcheng.cases.workflow import ACTIONS
from tests._rows import row_fingerprint
from tests._scope_world import (
    DISTRICTS,
    INSIDE,
    OUTSIDE,
    PERSONAL_MARKERS,
    SCOPE_MARKERS,
    Records,
    World,
    build_world,
    other,
    png_bytes,
)

# Inside the area these roles write nothing (leaders: nothing but the ALLOWED_WRITES); outside it, nobody.
NEVER_WRITE_INSIDE = ("procuratorate", "auxiliary", "citizen", "leader")
NOBODY = "nobody"  # a read that no session may make (public photos need the tracking secret)
PARTY_LINK = "party-link"  # a write only the holder of a non-site record's link may make (its secret)
PUBLIC = "public"  # a read open to everyone, logged in or not: only the personal-data oracle applies

# The two districts' boxes together, for endpoints that take a bounding box.
BOTH_BOXES = "111.65,40.79,111.71,40.81"


def _our_apps() -> set[str]:
    return {c.label for c in apps.get_app_configs() if c.name.startswith("qingcheng.")}


def _fingerprint() -> dict[str, tuple]:
    return row_fingerprint(_our_apps())


def _body(response) -> str:
    """The answer as text, as a person would read it: JSON once more decoded (the API escapes non-ASCII,
    so a name would not show as itself), a ZIP (the case archive) with the contents of its files and the
    text of its PDF."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    text = content.decode("utf-8", "replace")
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for name in archive.namelist():
                data = archive.read(name)
                text += _pdf_text(data) if data.startswith(b"%PDF") else data.decode("utf-8", "replace")
    elif "json" in response.get("Content-Type", ""):
        with contextlib.suppress(ValueError):
            text += json.dumps(json.loads(content), ensure_ascii=False)
    return text


def _pdf_unescape(match: re.Match) -> bytes:
    escaped = match.group(1)
    if escaped.isdigit():
        return bytes([int(escaped, 8) & 0xFF])
    return {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(escaped, escaped)


def _pdf_text(pdf: bytes) -> str:
    """The strings a ReportLab PDF shows (its content streams are ASCII85 and Flate encoded, its Chinese
    text UCS-2), one per line."""
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        with contextlib.suppress(ValueError, zlib.error):
            stream = stream.strip()
            if stream.endswith(b"~>"):
                stream = base64.a85decode(stream[:-2].replace(b"\n", b"").replace(b"\r", b""))
            stream = zlib.decompress(stream)
        for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream):
            raw = re.sub(rb"\\([0-7]{1,3}|.)", _pdf_unescape, raw, flags=re.S)
            try:
                shown.append(raw.decode("utf-16-be"))
            except UnicodeDecodeError:
                shown.append(raw.decode("latin-1"))
    return "\n".join(shown)


def _personal_markers() -> list[str]:
    return [text for pair in PERSONAL_MARKERS.values() for text in pair]


# ---------------------------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class Read:
    """A read of one record: the path parameters from a district's records, the permission that lets a
    user of that district read it (None: any logged-in user of the district), and what the answer carries
    (the district's marker when None). `personal`: the answer shows the district's personal data to the
    readers who may see it (MASKED_PERSONAL_DATA), masked for the others."""

    fill: Callable[[Records], dict[str, Any]]
    perm: str | None
    witness: Callable[[Records], str] | None = None
    query: Callable[[Records], dict[str, Any]] = field(default=lambda r: {})
    personal: bool = False


# Every GET of the API with path parameters. An operation missing here fails the completeness test.
API_RECORD_READS: dict[str, Read] = {
    "/api/accounts/departments/{department_id}": Read(
        lambda r: {"department_id": r.unit.pk}, "accounts.view_department", lambda r: r.unit.code
    ),
    "/api/geo/areas/{code}/feature": Read(lambda r: {"code": r.street_code}, None, lambda r: r.street_code),
    "/api/geo/areas/{code}": Read(lambda r: {"code": r.street_code}, None, lambda r: r.street_code),
    "/api/geo/grids/{code}": Read(lambda r: {"code": r.grid_code}, None, lambda r: r.grid_code),
    "/api/components/{code}": Read(lambda r: {"code": r.component.code}, "components.view_component"),
    "/api/cases/{case_id}": Read(lambda r: {"case_id": r.case.pk}, "cases.view_case"),
    "/api/intake/hotline/orders/{order_id}": Read(
        lambda r: {"order_id": r.order.pk}, "intake.view_hotlineorder"
    ),
    # Without the tracking secret a public photo is not found, for everyone (with it: test_public_tracking).
    # The secret is taken from the X-Tracking-Secret header only: even the right one in the query is not.
    "/api/public/cases/{number}/photos/{photo_id}": Read(
        lambda r: {"number": r.public_case.number, "photo_id": r.public_photo.pk},
        NOBODY,
        query=lambda r: {"secret": r.tracking_secret},
    ),
    "/api/sensing/devices/{device_id}": Read(
        lambda r: {"device_id": r.device.device_id}, "sensing.view_device"
    ),
    "/api/sensing/devices/{device_id}/readings": Read(
        lambda r: {"device_id": r.device.device_id}, "sensing.view_device", lambda r: "burning"
    ),
    "/api/emergency/hazard-sources/{pk}": Read(
        lambda r: {"pk": r.hazard_source.pk}, "emergency.view_hazardsource"
    ),
    "/api/emergency/incidents/{pk}": Read(lambda r: {"pk": r.incident.pk}, "emergency.view_incident"),
    # The incident's nearest shelters (the district's shelter carries the marker).
    "/api/emergency/incidents/{pk}/shelters": Read(
        lambda r: {"pk": r.incident.pk}, "emergency.view_incident"
    ),
    "/api/enforcement/cases/{case_id}": Read(
        lambda r: {"case_id": r.penalty_case.pk}, "enforcement.view_penaltycase", personal=True
    ),
    "/api/enforcement/transfers/{transfer_id}": Read(
        lambda r: {"transfer_id": r.transfer.pk}, "enforcement.view_crimetransfer", personal=True
    ),
}

# Administrative enforcement masks the party's personal data (a name keeps its surname, a phone number
# 3+4 digits) for users without this permission: under these URL prefixes such a user never receives even
# their own district's personal data, whatever the read (leaders and the procuratorate read cases masked).
MASKED_PERSONAL_DATA: dict[str, str] = {
    "/api/enforcement/": "enforcement.view_party_data",
    "/enforcement/": "enforcement.view_party_data",
}


def _unmasked_by(url: str) -> str | None:
    """The permission without which the answer at `url` masks personal data (None: no masking rule)."""
    return next((perm for prefix, perm in MASKED_PERSONAL_DATA.items() if url.startswith(prefix)), None)


# GETs without path parameters that need query parameters to answer at all. They probe the *other*
# district (its point, or a box over both), so a leak shows as the other district's marker.
API_LIST_QUERIES: dict[str, Callable[[Records], dict[str, Any]]] = {
    "/api/core/worktime/deadline": lambda r: {
        "kind": "working_days",
        "start": "2026-11-02T09:00:00+08:00",
        "amount": "3",
        "area_code": r.district,
    },
    "/api/geo/grids": lambda r: {"bbox": BOTH_BOXES},
    "/api/geo/locate": lambda r: {"lon": r.point[0], "lat": r.point[1], "matter": "E01"},
    "/api/geo/geocode": lambda r: {"q": "区外街道"},
    "/api/geo/reverse-geocode": lambda r: {"lon": r.point[0], "lat": r.point[1]},
    "/api/components/geojson": lambda r: {"bbox": BOTH_BOXES},
    "/api/components/": lambda r: {"bbox": BOTH_BOXES},
    "/api/emergency/shelters/nearest": lambda r: {"lon": r.point[0], "lat": r.point[1], "limit": 50},
    "/api/emergency/lifelines": lambda r: {"area_code": r.district},
    "/api/sensing/alarms": lambda r: {"open_only": "false"},
    "/api/emergency/warnings": lambda r: {"active_only": "false"},
}
# GET operations the matrix does not send, with the reason. At most a few.
SKIPPED_GETS: dict[str, str] = {}

# Apps whose endpoints are not in the matrix yet, with the reason; each is warned about on every run, so
# the entry is removed (and the completeness test then names every endpoint to add) as soon as it can be.
PENDING_APPS: dict[str, str] = {}


def _pending(name_or_path: str) -> bool:
    """Whether a URL name ("enforcement-…") or an API path ("/api/enforcement/…") is of a PENDING_APPS app."""
    return any(
        name_or_path.startswith((f"{app}-", f"{app}:", f"/api/{app}/", f"/{app}/")) for app in PENDING_APPS
    )


@dataclass(frozen=True)
class Page:
    """A page by URL name: how to fill its URL (None: no parameters), who may read it, and what it shows.
    `perm=PUBLIC` pages are open to everyone; `perm=None` any logged-in user. `record=True` pages show one
    record: outside its district they are a 403 or 404. `personal` as for Read."""

    url: Callable[[Records], str] | None
    perm: str | None = None
    witness: Callable[[Records], str] | None = None
    record: bool = False
    personal: bool = False


PAGE_READS: dict[str, Page] = {
    "home": Page(lambda r: "/"),
    "login": Page(lambda r: "/login/", PUBLIC),
    "workbench": Page(lambda r: "/work/"),
    "case-search": Page(lambda r: "/cases/?q=" + SCOPE_MARKERS[other(r.district)]),
    "case-detail": Page(lambda r: f"/cases/{r.case.number}/", "cases.view_case", record=True),
    "case-photo": Page(
        lambda r: f"/cases/{r.case.number}/photos/{r.case_photo.pk}/",
        "cases.view_case",
        witness=lambda r: "JFIF",
        record=True,
    ),
    "hotline": Page(lambda r: "/hotline/"),
    "hotline-order": Page(lambda r: f"/hotline/{r.order.pk}/", "intake.view_hotlineorder", record=True),
    "field-app": Page(lambda r: "/m/"),
    "field-manifest": Page(lambda r: "/m/manifest.webmanifest", PUBLIC),
    "field-sw": Page(lambda r: "/m/sw.js", PUBLIC),
    "public-home": Page(lambda r: "/public/", PUBLIC),
    # Published penalty decisions: public by law (双公示), the party masked, nothing personal.
    "public-disclosure": Page(lambda r: "/disclosure/", PUBLIC),
    "public-disclosure-detail": Page(
        lambda r: f"/disclosure/{r.disclosure.pk}/", PUBLIC, witness=lambda r: r.penalty_case.decision_number
    ),
    "public-report": Page(lambda r: "/public/report/", PUBLIC),
    # Tracking is a POST: a secret in the query string (even the right one) is not read, and the page is
    # the empty form for everyone.
    "public-track": Page(
        lambda r: f"/public/track/?number={r.public_case.number}&secret={r.tracking_secret}", NOBODY
    ),
    "public-rate": Page(lambda r: "/public/rate/", PUBLIC),
    "public-map-data": Page(lambda r: "/public/map.json", PUBLIC),
    "public-districts": Page(lambda r: "/public/districts.json", PUBLIC),
    # Only with the grant the tracking page leaves in its visitor's session; a secret in the URL is not read.
    "public-photo": Page(
        lambda r: f"/public/photos/{r.public_case.number}/{r.public_photo.pk}/?secret={r.tracking_secret}",
        NOBODY,
        record=True,
    ),
    "evaluation-command-centre": Page(lambda r: "/command-centre/"),
    "evaluation-command-centre-data": Page(lambda r: "/command-centre/data.json"),
    "evaluation-reports": Page(lambda r: "/evaluation/"),
    "evaluation-report-download": Page(lambda r: "/evaluation/download/?level=grid&format=json"),
    "sensing-monitor": Page(lambda r: "/sensing/"),
    "sensing-live": Page(lambda r: "/sensing/live.json"),
    "ngsi-entities": Page(lambda r: "/ngsi-ld/v1/entities?limit=1000"),
    "ngsi-context": Page(lambda r: "/ngsi-ld/v1/context.jsonld", PUBLIC),
    "ngsi-entity": Page(
        lambda r: f"/ngsi-ld/v1/entities/urn:ngsi-ld:WasteContainer:{r.device.device_id}",
        "sensing.view_device",
        record=True,
    ),
    "ngsi-temporal-entity": Page(
        lambda r: f"/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:WasteContainer:{r.device.device_id}",
        "sensing.view_device",
        witness=lambda r: "burning",
        record=True,
    ),
    "emergency-home": Page(lambda r: "/emergency/"),
    "emergency-incidents": Page(lambda r: "/emergency/incidents/"),
    "emergency-incident": Page(
        lambda r: f"/emergency/incidents/{r.incident.pk}/", "emergency.view_incident", record=True
    ),
    "emergency-hazard-sources": Page(lambda r: "/emergency/hazard-sources/"),
    "emergency-hidden-dangers": Page(lambda r: "/emergency/hidden-dangers/"),
    "emergency-hidden-danger": Page(
        lambda r: f"/emergency/hidden-dangers/{r.hidden_danger.pk}/",
        "emergency.view_hiddendanger",
        record=True,
    ),
    "emergency-plans": Page(lambda r: "/emergency/plans/"),
    "emergency-shelters": Page(lambda r: "/emergency/shelters/"),
    "emergency-supplies": Page(lambda r: "/emergency/supplies/"),
    "geo-map": Page(lambda r: "/map/"),
    # Open311 is public by its specification: requests show their (masked) text, never a reporter.
    "open311:discovery": Page(lambda r: "/open311/v2/discovery.json", PUBLIC),
    "open311:services": Page(lambda r: "/open311/v2/services.xml", PUBLIC),
    "open311:service": Page(lambda r: "/open311/v2/services/E0101.json", PUBLIC),
    "open311:requests": Page(lambda r: "/open311/v2/requests.json?extensions=true", PUBLIC),
    "open311:request": Page(
        lambda r: f"/open311/v2/requests/{r.open311_case.number}.json?extensions=true",
        PUBLIC,
        witness=lambda r: r.open311_case.number,
    ),
    "open311:token": Page(
        lambda r: f"/open311/v2/tokens/{r.open311_token}.xml", PUBLIC, witness=lambda r: r.open311_case.number
    ),
    "open311:updates": Page(lambda r: "/open311/v2/servicerequestupdates.json", PUBLIC),
    "open311:media": Page(lambda r: f"/open311/v2/media/{r.public_photo.sha256}.jpg", PUBLIC),
    "open311:unknown": Page(lambda r: "/open311/v2/nothing.json", NOBODY),
    "enforcement-home": Page(lambda r: "/enforcement/"),
    "enforcement-case-new": Page(lambda r: "/enforcement/cases/new/"),
    "enforcement-case-simplified": Page(lambda r: "/enforcement/cases/on-the-spot/"),
    "enforcement-case": Page(
        lambda r: f"/enforcement/cases/{r.penalty_case.pk}/",
        "enforcement.view_penaltycase",
        record=True,
        personal=True,
    ),
    "enforcement-statistics": Page(lambda r: "/enforcement/statistics/"),
    "enforcement-transfers": Page(lambda r: "/enforcement/transfers/"),
    "enforcement-transfer": Page(
        lambda r: f"/enforcement/transfers/{r.transfer.pk}/",
        "enforcement.view_crimetransfer",
        record=True,
        personal=True,
    ),
    "enforcement-catalogue": Page(lambda r: "/enforcement/catalogue/?q=SR-01"),
    "enforcement-evidence-file": Page(
        lambda r: f"/enforcement/evidence/{r.evidence.pk}/file",
        "enforcement.view_evidence",
        witness=lambda r: "IHDR",
        record=True,
    ),
    # The archive needs both view permissions (all the roles that read cases hold both); _body reads the
    # manifest and the text of the PDF in it.
    "enforcement-archive": Page(
        lambda r: f"/enforcement/cases/{r.penalty_case.number}/archive.zip",
        "enforcement.view_penaltycase",
        record=True,
        personal=True,
    ),
    # The party's link carries its secret in the fragment; the page at its address is the same for every
    # record and shows none (a secret in the query, as old links had it, is not read: test_party_link_...).
    "enforcement-party-notice": Page(
        lambda r: f"/enforcement/notice/{r.nonsite.public_id}/?k={r.nonsite_secret}", NOBODY
    ),
    "enforcement-party-evidence": Page(
        lambda r: (
            f"/enforcement/notice/{r.nonsite.public_id}/evidence/{r.nonsite_evidence.pk}?k={r.nonsite_secret}"
        ),
        NOBODY,
        record=True,
    ),
}

# URL patterns that are no read: each is exercised by the write matrix (PAGE_WRITES) or needs no session.
PAGE_NOT_READ = {
    "logout": "POST only (Django 5 logs out by POST); changes only the caller's own session",
    "case-action": "POST only: PAGE_WRITES",
    "hotline-order-action": "POST only: PAGE_WRITES",
    "sensing-alarm-action": "POST only: PAGE_WRITES",
    "emergency-incident-act": "POST only: PAGE_WRITES",
    "sensing-http-telemetry": "POST only, authenticated by a device key: PAGE_WRITES",
    "enforcement-case-act": "POST only: PAGE_WRITES",
    "enforcement-case-evidence": "POST only: PAGE_WRITES",
    "enforcement-transfer-act": "POST only: PAGE_WRITES",
    "enforcement-bank-callback": "POST only, authenticated by the bank's HMAC signature: PAGE_WRITES",
    "workbench-queue": "each user reads the work queues of their roles in test_reads_never_leak_outside_the_area",
}


# ---------------------------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class Write:
    """One write operation: the path parameters and the body from the inside district's records; `form`
    sends the body as multipart form data instead of JSON; `allowed` is who (a role inside the area) may do
    it, `allowed_status` what they get; `reads` marks a POST that only reads (nothing may change)."""

    fill: Callable[[Records], dict[str, Any]]
    body: Callable[[Records], dict[str, Any]]
    allowed: str
    allowed_status: tuple[int, ...] = (200, 201)
    form: bool = False
    reads: bool = False


def _component_body(r: Records) -> dict[str, Any]:
    return {"class_code": "0102", "lon": r.point[0], "lat": r.point[1], "name": "新井盖"}


def _penalty_body(r: Records, **extra: Any) -> dict[str, Any]:
    """A new penalty case of the district (the actor and the district's second officer present)."""
    return {
        "violation_code": "SR-01",
        "facts": "在人行道上摆摊经营（矩阵）",
        "address": "大学东街",
        "occurred_at": "2026-11-25T09:00:00+08:00",
        "officer_ids": [r.officer2.pk],
        "area_code": r.district,
        "party_kind": "individual",
        "party_name": "矩阵当事人",
        "party_address": "呼和浩特市（测试）",
        **extra,
    }


def _penalty_form(r: Records, **extra: Any) -> dict[str, Any]:
    """The same as the page's form posts it (local time; the actor is always among the officers)."""
    return {**_penalty_body(r, **extra), "occurred_at": "2026-11-25T09:00"}


def _evidence_form(r: Records) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "file": SimpleUploadedFile("现场.png", png_bytes((20, 160, 20)), content_type="image/png"),
        "kind": "audiovisual",
        "title": "现场照片（矩阵）",
        "collected_at": "2026-11-25T09:00",
        "officer_ids": [r.officer2.pk],
    }


API_WRITES: dict[tuple[str, str], Write] = {
    ("PATCH", "/api/accounts/departments/{department_id}"): Write(
        lambda r: {"department_id": r.unit.pk}, lambda r: {"phone": "0471-1234567"}, "dispatcher"
    ),
    ("POST", "/api/components/"): Write(lambda r: {}, _component_body, "admin"),
    ("PATCH", "/api/components/{code}"): Write(
        lambda r: {"code": r.component.code}, lambda r: {"note": "已核对"}, "unit_manager"
    ),
    ("POST", "/api/components/{code}/state"): Write(
        lambda r: {"code": r.component.code}, lambda r: {"state": "damaged", "note": "破损"}, "unit_manager"
    ),
    ("POST", "/api/cases/{case_id}/actions"): Write(
        lambda r: {"case_id": r.case.pk}, lambda r: {"action": "open", "data": {}}, "receiver"
    ),
    ("POST", "/api/intake/supervisor/reports"): Write(
        lambda r: {},
        lambda r: {
            "lon": r.point[0],
            "lat": r.point[1],
            "category_code": "E0102",
            "description": "暴露垃圾（矩阵）",
        },
        "supervisor",
        form=True,
    ),
    ("POST", "/api/intake/supervisor/tasks/{task_id}/result"): Write(
        lambda r: {"task_id": r.task.pk},
        lambda r: {"result": "true", "note": "属实"},
        "supervisor",
        form=True,
    ),
    ("POST", "/api/intake/hotline/orders"): Write(
        lambda r: {},
        lambda r: {
            "channel": "12319",
            "kind": "complaint",
            "content": "噪音扰民（矩阵）",
            "lon": r.point[0],
            "lat": r.point[1],
            "category_code": "E0102",
        },
        "hotline_agent",
    ),
    ("POST", "/api/intake/hotline/orders/{order_id}/transfer-110"): Write(
        lambda r: {"order_id": r.order.pk}, lambda r: {"reason": "涉及治安"}, "hotline_agent"
    ),
    ("POST", "/api/intake/hotline/orders/{order_id}/close"): Write(
        lambda r: {"order_id": r.order.pk}, lambda r: {"answer": "已答复"}, "hotline_agent"
    ),
    # A call-back needs a closed hotline case: the agent gets as far as the state check (409).
    ("POST", "/api/intake/hotline/callbacks"): Write(
        lambda r: {},
        lambda r: {"case_number": r.case.number, "satisfied": True, "score": 5},
        "hotline_agent",
        allowed_status=(409,),
    ),
    ("POST", "/api/intake/machine/events"): Write(
        lambda r: {},
        lambda r: {
            "vendor": "demo-video",
            "event_id": "scope-matrix-1",
            "event_code": "garbage_exposed",
            "lon": r.point[0],
            "lat": r.point[1],
            "occurred_at": "2026-11-26T08:00:00+08:00",
        },
        "api_client",
    ),
    ("POST", "/api/public/reports"): Write(
        lambda r: {},
        lambda r: {
            "lon": r.point[0],
            "lat": r.point[1],
            "description": "井盖缺失（矩阵）",
            "anonymous": "true",
        },
        "*",
        form=True,
    ),
    ("POST", "/api/public/track"): Write(
        lambda r: {},
        lambda r: {"number": r.public_case.number, "secret": r.tracking_secret},
        "*",
        allowed_status=(200,),
        reads=True,
    ),
    # Rating needs a closed case: with the right secret the reporter gets as far as the state check.
    ("POST", "/api/public/rate"): Write(
        lambda r: {},
        lambda r: {"number": r.public_case.number, "secret": r.tracking_secret, "score": 5},
        "*",
        allowed_status=(409,),
    ),
    ("POST", "/api/sensing/alarms/{alarm_id}/acknowledge"): Write(
        lambda r: {"alarm_id": r.alarm.pk}, lambda r: {"note": "已通知"}, "receiver"
    ),
    ("POST", "/api/sensing/alarms/{alarm_id}/close"): Write(
        lambda r: {"alarm_id": r.alarm.pk}, lambda r: {"note": "已处理"}, "receiver"
    ),
    ("POST", "/api/emergency/hazard-sources"): Write(
        lambda r: {},
        lambda r: {
            "code": "WX-MATRIX",
            "name": "加油站",
            "owner_name": "测试能源公司",
            "area_code": r.district,
            "lon": r.point[0],
            "lat": r.point[1],
            "people_exposed": 10,
            "substances": [
                {
                    "name": "液氯",
                    "category": "toxic_gas",
                    "gas_key": "cl2",
                    "quantity_t": "2",
                    "critical_t": "5",
                }
            ],
        },
        "admin",
    ),
    ("POST", "/api/emergency/hidden-dangers"): Write(
        lambda r: {},
        lambda r: {
            "title": "井盖松动",
            "level": "general",
            "origin": "inspection",
            "area_code": r.district,
            "responsible_department_id": r.unit.pk,
            "rectify_days": 7,
        },
        "supervisor",
    ),
    ("POST", "/api/emergency/hidden-dangers/{pk}/actions/{action}"): Write(
        lambda r: {"pk": r.hidden_danger.pk, "action": "supervise"}, lambda r: {"note": "挂牌督办"}, "leader"
    ),
    ("POST", "/api/emergency/plans/{pk}/drills"): Write(
        lambda r: {"pk": r.plan.pk},
        lambda r: {"held_on": "2026-10-20", "form": "tabletop", "participants": 12},
        "leader",
    ),
    ("POST", "/api/emergency/incidents"): Write(
        lambda r: {},
        lambda r: {
            "title": "内涝",
            "category": "natural",
            "grade": "4",
            "area_code": r.district,
            "lon": r.point[0],
            "lat": r.point[1],
        },
        "leader",
    ),
    ("POST", "/api/emergency/incidents/{pk}/actions/{action}"): Write(
        lambda r: {"pk": r.incident.pk, "action": "start_response"},
        lambda r: {"level": 4, "matters": "排险", "measures": "疏散", "expected_hours": 12},
        "leader",
    ),
    ("POST", "/api/emergency/incidents/{pk}/warnings"): Write(
        lambda r: {"pk": r.incident.pk},
        lambda r: {
            "category": "暴雨",
            "level": 4,
            "affected_area": "全区",
            "advice": "避免外出",
            "measures": "巡查",
            "issuer": "区人民政府",
        },
        "leader",
    ),
    ("POST", "/api/emergency/warnings/{pk}/lift"): Write(
        lambda r: {"pk": r.warning.pk}, lambda r: {}, "leader"
    ),
    ("POST", "/api/emergency/incidents/{pk}/dispatch"): Write(
        lambda r: {"pk": r.incident.pk},
        lambda r: {"warehouse_id": r.warehouse.pk, "item_id": r.item.pk, "quantity": 2},
        "dispatcher",
    ),
    ("POST", "/api/emergency/incidents/{pk}/tasks"): Write(
        lambda r: {"pk": r.incident.pk},
        lambda r: {"department_id": r.unit.pk, "description": "排查燃气管线", "due_hours": 4},
        "dispatcher",
    ),
    ("POST", "/api/emergency/lifelines"): Write(
        lambda r: {},
        lambda r: {"area_code": r.street_code, "kind": "power", "state": "outage", "note": "停电"},
        "leader",
    ),
    ("POST", "/api/enforcement/cases"): Write(
        lambda r: {}, lambda r: _penalty_body(r, source="inspection"), "enforcement_officer"
    ),
    ("POST", "/api/enforcement/cases/simplified"): Write(
        lambda r: {},
        lambda r: _penalty_body(r, form_number="简易-矩阵-0001", fine_fen=5_000, bank_id=r.bank.pk),
        "enforcement_officer",
    ),
    ("POST", "/api/enforcement/cases/{case_id}/actions"): Write(
        lambda r: {"case_id": r.proposed_case.pk}, lambda r: {"action": "approve_filing"}, "enforcement_head"
    ),
}

# Page and Open311 writes (the session, as a browser sends them; form data). Refused page writes answer
# with a redirect and a message, so for them only "nothing changed" is asserted.
PAGE_WRITES: dict[str, Write] = {
    "case-action": Write(
        lambda r: {"url": f"/cases/{r.case.number}/act/"},
        lambda r: {"action": "open"},
        "receiver",
    ),
    "hotline-order-action": Write(
        lambda r: {"url": f"/hotline/{r.order.pk}/act/"},
        lambda r: {"action": "close", "answer": "已答复"},
        "hotline_agent",
    ),
    "hotline": Write(
        lambda r: {"url": "/hotline/"},
        lambda r: {
            "channel": "12319",
            "kind": "complaint",
            "content": "噪音扰民（页面）",
            "lon": str(r.point[0]),
            "lat": str(r.point[1]),
            "category_code": "E0102",
        },
        "hotline_agent",
    ),
    "sensing-alarm-action": Write(
        lambda r: {"url": f"/sensing/alarms/{r.alarm.pk}/acknowledge"},
        lambda r: {"note": "已通知"},
        "receiver",
    ),
    "emergency-incidents": Write(
        lambda r: {"url": "/emergency/incidents/"},
        lambda r: {
            "title": "内涝（页面）",
            "category": "natural",
            "grade": "4",
            "area_code": r.district,
            "lon": str(r.point[0]),
            "lat": str(r.point[1]),
        },
        "leader",
    ),
    "emergency-incident-act": Write(
        lambda r: {"url": f"/emergency/incidents/{r.incident.pk}/act/"},
        lambda r: {
            "op": "warning",
            "category": "大风",
            "level": "4",
            "affected_area": "全区",
            "advice": "加固",
            "measures": "巡查",
            "issuer": "区人民政府",
        },
        "leader",
    ),
    "emergency-hidden-danger": Write(
        lambda r: {"url": f"/emergency/hidden-dangers/{r.hidden_danger.pk}/"},
        lambda r: {"action": "supervise", "note": "挂牌督办"},
        "leader",
    ),
    "public-report": Write(
        lambda r: {"url": "/public/report/"},
        lambda r: {"lon": str(r.point[0]), "lat": str(r.point[1]), "description": "路面破损（页面）"},
        "*",
    ),
    "public-track": Write(
        lambda r: {"url": "/public/track/"},
        lambda r: {"number": r.public_case.number, "secret": r.tracking_secret},
        "*",
        reads=True,
    ),
    "public-rate": Write(
        lambda r: {"url": "/public/rate/"},
        lambda r: {"number": r.public_case.number, "secret": r.tracking_secret, "score": "5"},
        "*",
        reads=True,  # the case is not closed: nobody's rating is taken
    ),
    "login": Write(
        lambda r: {"url": "/login/"},
        lambda r: {"username": "nobody-here", "password": "wrong"},
        "*",
    ),
    "enforcement-case-new": Write(
        lambda r: {"url": "/enforcement/cases/new/"},
        lambda r: _penalty_form(r, source="inspection"),
        "enforcement_officer",
    ),
    "enforcement-case-simplified": Write(
        lambda r: {"url": "/enforcement/cases/on-the-spot/"},
        lambda r: _penalty_form(r, form_number="简易-矩阵-0002", fine_yuan="50", bank_id=r.bank.pk),
        "enforcement_officer",
    ),
    "enforcement-case-act": Write(
        lambda r: {"url": f"/enforcement/cases/{r.proposed_case.pk}/act/"},
        lambda r: {"action": "approve_filing", "version": r.proposed_case.version},
        "enforcement_head",
    ),
    "enforcement-case-evidence": Write(
        lambda r: {"url": f"/enforcement/cases/{r.penalty_case.pk}/evidence/"},
        _evidence_form,
        "enforcement_officer",
    ),
    "enforcement-transfers": Write(
        lambda r: {"url": "/enforcement/transfers/"},
        lambda r: {
            "suspected_offence": "非法经营罪（矩阵）",
            "summary": "无证经营，数额较大（矩阵）",
            "officer_ids": [r.officer2.pk],
        },
        "enforcement_officer",
    ),
    "enforcement-transfer-act": Write(
        lambda r: {"url": f"/enforcement/transfers/{r.transfer.pk}/act/"},
        lambda r: {"action": "approve"},
        "enforcement_head",
    ),
    # The party answers a non-site record through their link: without its secret nobody may.
    "enforcement-party-notice": Write(
        lambda r: {"url": f"/enforcement/notice/{r.nonsite.public_id}/"},
        lambda r: {"k": r.nonsite_secret[:-1], "answer": "车辆当时正在装卸货物（矩阵）"},
        PARTY_LINK,
    ),
    # The collecting bank signs its payment reports (HMAC); no user, logged in or not, may post one.
    "enforcement-bank-callback": Write(
        lambda r: {"url": "/enforcement/bank/v1/callback"},
        lambda r: {
            "bank_code": r.bank.code,
            "transaction_id": "T-MATRIX-1",
            "notice_number": r.payment_notice.number,
            "amount_fen": str(r.payment_notice.amount_fen),
            "paid_at": "2026-11-25T09:00:00+08:00",
            "payer_name": "矩阵",
        },
        NOBODY,
    ),
    # Device telemetry needs a device key; no user, logged in or not, may post readings.
    "sensing-http-telemetry": Write(
        lambda r: {"url": "/sensing/http/v1/telemetry"},
        lambda r: {"values": {"status": "ok"}},
        NOBODY,
    ),
    # Open311 writes need a client application's key; a session is no key (allowed: the client, see below).
    "open311:requests": Write(
        lambda r: {"url": "/open311/v2/requests.json"},
        lambda r: {
            "service_code": "E0101",
            "lat": str(r.point[1]),
            "long": str(r.point[0]),
            "description": "垃圾满溢（Open311）",
        },
        "open311-client",
    ),
    "open311:updates": Write(
        lambda r: {"url": "/open311/v2/servicerequestupdates.json"},
        lambda r: {
            "service_request_id": r.open311_case.number,
            "update_id": "u-matrix-1",
            "status": "OPEN",
            "description": "补充说明",
        },
        "open311-client",
    ),
}

# Writes that some of the refused writers may make after all, each with why. Keyed by (role, operation).
ALLOWED_WRITES: dict[tuple[str, Any], str] = {
    # Leaders supervise (督办) hidden dangers, as they supervise cases (case actions: test_refused_case_actions).
    ("leader", ("POST", "/api/emergency/hidden-dangers/{pk}/actions/{action}")): "督办 of a hidden danger",
    ("leader", "emergency-hidden-danger"): "督办 of a hidden danger, from its page",
    # Emergency duty: the emergency app gives leaders the command of incidents (qingcheng/emergency/apps.py:
    # "leaders and shift leaders command incidents and accept rectifications"): recording an incident,
    # starting a response, warnings, supplies, tasks, lifelines, drills and reporting hidden dangers. This
    # contradicts "leaders can never write" in the scope-matrix issue; kept as the emergency design says
    # until the product owner decides.
    ("leader", ("POST", "/api/emergency/incidents")): "emergency command (应急指挥)",
    ("leader", ("POST", "/api/emergency/incidents/{pk}/actions/{action}")): "emergency command",
    ("leader", ("POST", "/api/emergency/incidents/{pk}/warnings")): "emergency command: warnings",
    ("leader", ("POST", "/api/emergency/warnings/{pk}/lift")): "emergency command: warnings",
    ("leader", ("POST", "/api/emergency/incidents/{pk}/dispatch")): "emergency command: supplies",
    ("leader", ("POST", "/api/emergency/incidents/{pk}/tasks")): "emergency command: tasks",
    ("leader", ("POST", "/api/emergency/lifelines")): "emergency command: lifeline status",
    ("leader", ("POST", "/api/emergency/plans/{pk}/drills")): "emergency plans: recording drills",
    ("leader", ("POST", "/api/emergency/hidden-dangers")): "reporting a hidden danger found on inspection",
    ("leader", "emergency-incidents"): "emergency command, from the incidents page",
    ("leader", "emergency-incident-act"): "emergency command, from the incident page",
    # The public channel: anyone, logged in or not, from anywhere, may report a problem and follow it.
    ("*", ("POST", "/api/public/reports")): "a public report (citizens and anyone else)",
    ("*", "public-report"): "a public report from the public site",
    # Anyone's failed login is recorded (accounts.LoginFailure) to throttle password guessing.
    ("*", "login"): "a failed login attempt is recorded for throttling",
}


def _allowed(role: str, district: str, key: Any) -> bool:
    """Whether ALLOWED_WRITES lets this user make this write (role-bound entries hold inside the area)."""
    return ("*", key) in ALLOWED_WRITES or (district == INSIDE and (role, key) in ALLOWED_WRITES)


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def world(loop, make_user, make_department, settings, tmp_path) -> World:
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_READS_PER_HOUR = 10**6
    settings.PUBLIC_REPORTS_PER_HOUR = 10**6
    settings.OPEN311_ANONYMOUS_REQUESTS_PER_MINUTE = 0
    cache.clear()
    return build_world(loop, make_user, make_department)


@pytest.fixture(autouse=True)
def _quiet_request_log():
    """Thousands of refusals are expected: the 4xx warnings of django.request (and the bank callback's
    refusals of unsigned posts) would drown the output."""
    loggers = [logging.getLogger(name) for name in ("django.request", "qingcheng.enforcement.bank")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


_sessions: dict[int, Client] = {}


def _session(user) -> Client:
    """A client logged in as `user`, one per user and test (logging in writes the session and last_login)."""
    if user.pk not in _sessions:
        client = Client()
        client.force_login(user)
        _sessions[user.pk] = client
    return _sessions[user.pk]


@pytest.fixture(autouse=True)
def _forget_sessions_and_baseline():
    _sessions.clear()
    _baseline.clear()
    yield
    if _baseline:  # every attempt was rolled back: the world is as it was before the first
        assert _fingerprint() == _baseline[0]
    _sessions.clear()
    _baseline.clear()


@functools.cache
def _schema() -> dict:
    from qingcheng.api import api

    return api.get_openapi_schema()


def _fill(path: str, values: dict[str, Any]) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)


def _url_names() -> set[str]:
    """Every named URL pattern outside the admin, the API and i18n ("open311:..." for Open311)."""
    from django.urls import get_resolver

    names: set[str] = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                if str(pattern.pattern) in {"admin/", "api/", "i18n/"}:
                    continue
                walk(pattern.url_patterns, f"{pattern.namespace}:" if pattern.namespace else namespace)
            else:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


# ---------------------------------------------------------------------------------------------- tests


def test_every_endpoint_is_in_the_matrix():
    """A new API operation or page fails here until it has a row in the tables above."""
    missing, pending = [], []
    for path, methods in _schema()["paths"].items():
        if _pending(path):
            pending += [f"{method.upper()} {path}" for method in methods]
            continue
        for method in methods:
            if method == "get":
                if "{" in path and path not in API_RECORD_READS and path not in SKIPPED_GETS:
                    missing.append(f"GET {path}: add it to API_RECORD_READS")
            elif (method.upper(), path) not in API_WRITES:
                missing.append(f"{method.upper()} {path}: add it to API_WRITES")
    for name in sorted(_url_names()):
        if _pending(name):
            pending.append(f"page {name}")
        elif name not in PAGE_READS and name not in PAGE_WRITES and name not in PAGE_NOT_READ:
            missing.append(f"page {name}: add it to PAGE_READS, PAGE_WRITES or PAGE_NOT_READ")
    assert missing == []
    assert len(SKIPPED_GETS) <= 3 and len(PENDING_APPS) <= 1
    if pending:
        warnings.warn(
            f"scope matrix: {len(pending)} endpoints of {', '.join(PENDING_APPS)} are not covered yet: "
            + ", ".join(pending),
            stacklevel=1,
        )
    stale = [k for k in [*API_RECORD_READS, *API_LIST_QUERIES] if k not in _schema()["paths"]]
    stale += [name for name in [*PAGE_READS, *PAGE_WRITES, *PAGE_NOT_READ] if name not in _url_names()]
    assert stale == [], "rows for endpoints that no longer exist"


def _query(params: dict[str, Any]) -> str:
    return "?" + urlencode(params) if params else ""


@dataclass(frozen=True)
class Probe:
    """One read a user makes: the record's district (None: a list or a page without a record)."""

    url: str
    where: str | None
    spec: Read | Page | None
    record: bool


def _probes(world: World, district: str, user: Any, *, public_pages: bool) -> list[Probe]:
    """Every read a user of `district` makes: each record-level read for both districts' records, each
    list once (its query aimed at the other district), every page and the work queues the user has (the
    others answer like /work/ itself, which everyone reads)."""
    from qingcheng.web.queues import queues_for

    probe = world.records[other(district)]
    probes: list[Probe] = []
    for path, methods in _schema()["paths"].items():
        if "get" not in methods or path in SKIPPED_GETS or _pending(path):
            continue
        spec = API_RECORD_READS.get(path)
        if spec is None:
            query = API_LIST_QUERIES.get(path, lambda r: {})(probe)
            probes.append(Probe(path + _query(query), None, None, False))
            continue
        for where, records in world.records.items():
            probes.append(
                Probe(_fill(path, spec.fill(records)) + _query(spec.query(records)), where, spec, True)
            )
    for page in PAGE_READS.values():
        if page.perm == PUBLIC and not public_pages:
            continue
        if page.record or page.witness is not None:
            probes += [
                Probe(page.url(records), where, page, page.record) for where, records in world.records.items()
            ]
        else:
            probes.append(Probe(page.url(probe), None, page, False))
    queues = queues_for(user) if user is not None else []
    probes += [Probe(f"/work/{queue.key}/", None, None, False) for queue in queues]
    return probes


# The public pages say the same to everyone: they are read by these users (and by nobody logged in).
PUBLIC_PAGE_READERS = {"citizen", "receiver", "leader"}


@pytest.mark.django_db
def test_reads_never_leak_outside_the_area(world):
    """Every user against every read: the other district's data never, the own district's records exactly
    when the user holds the view permission, anyone's personal data never on a public endpoint nor where
    it is masked for the user (MASKED_PERSONAL_DATA), and where it is not, the record shows it."""
    problems: list[Any] = []
    cells = {"inside-read": 0, "inside-refused": 0, "outside-refused": 0, "public": 0, "list": 0}
    masked_cells = 0  # cells (of all the above) where the user may not see the own district's personal data
    answered: dict[str, set[int]] = {}  # each read's path and the statuses it gave
    personal = _personal_markers()
    readers = [(role, district, _session(user)) for (role, district), user in world.users.items()]
    readers += [("anonymous", district, Client()) for district in DISTRICTS]
    for role, district, client in readers:
        user = world.users.get((role, district))
        foreign = [SCOPE_MARKERS[other(district)], *PERSONAL_MARKERS[other(district)]]
        if user is None:  # nobody logged in reads nothing of any district
            foreign += [SCOPE_MARKERS[district], *PERSONAL_MARKERS[district]]
        public_pages = role in PUBLIC_PAGE_READERS | {"anonymous"}
        for probe in _probes(world, district, user, public_pages=public_pages):
            response = client.get(probe.url)
            body, status = _body(response), response.status_code
            spec = probe.spec
            public = spec is not None and spec.perm == PUBLIC
            cell = (role, district, probe.url, status)
            if spec is not None and spec.perm == NOBODY:
                if any(marker in body for marker in [*SCOPE_MARKERS.values(), *personal]):
                    problems.append(("a read nobody may make answered with data", cell))
            else:
                answered.setdefault(
                    probe.url.split("?")[0].replace(district, "").replace(other(district), ""), set()
                ).add(status)
            if status >= 500:
                problems.append(("5xx", cell))
            if public and any(marker in body for marker in personal):
                problems.append(("personal data on a public endpoint", cell))
            if not public and any(marker in body for marker in foreign):
                problems.append(("another district's data", cell))
            unmasked_by = _unmasked_by(probe.url)
            masked = user is not None and unmasked_by is not None and not user.has_perm(unmasked_by)
            if masked:
                masked_cells += 1
                if any(marker in body for marker in PERSONAL_MARKERS[district]):
                    problems.append(("personal data for a user who may not see it", cell))
            if public:
                cells["public"] += 1
                # Open311 serves every district of its jurisdiction (the city) to everyone.
                if (
                    probe.where
                    and spec.witness
                    and (status != 200 or spec.witness(world.records[probe.where]) not in body)
                ):
                    problems.append(("a public record is missing", cell))
            elif probe.where is None:
                cells["list"] += 1
            elif probe.where != district or user is None:
                cells["outside-refused"] += 1
                if status not in (401, 403, 404) and not (user is None and status == 302):
                    problems.append(("read a record outside the area", cell))
            elif spec.perm is None or (spec.perm != NOBODY and user.has_perm(spec.perm)):
                cells["inside-read"] += 1
                records = world.records[district]
                witness = spec.witness(records) if spec.witness else SCOPE_MARKERS[district]
                if status != 200 or witness not in body:
                    problems.append(("may read the record but did not", cell))
                elif spec.personal and not masked and PERSONAL_MARKERS[district][0] not in body:
                    problems.append(("may see the party's personal data but did not", cell))
            else:
                cells["inside-refused"] += 1
                if status not in (403, 404):
                    problems.append(("read a record without the view permission", cell))
    # Every read answers someone: a query that no user gets a 200 for tests nothing.
    problems += [
        ("nobody reads", path, statuses) for path, statuses in answered.items() if 200 not in statuses
    ]
    assert not problems, "\n".join(map(str, problems))
    print(
        f"\nscope matrix reads: {cells}, {sum(cells.values())} cells ({masked_cells} with personal data masked)"
    )
    users = len(ROLES) * 2
    assert cells["outside-refused"] >= users * (len(API_RECORD_READS) + 7)
    assert cells["inside-read"] >= 300 and cells["inside-refused"] >= 300
    public_pages = sum(1 for page in PAGE_READS.values() if page.perm == PUBLIC)
    assert (
        cells["list"] >= users * 60 and cells["public"] >= (2 * len(PUBLIC_PAGE_READERS) + 2) * public_pages
    )


@pytest.mark.django_db
def test_public_tracking_needs_the_secret(world):
    """A tracking number without its secret (or with another report's secret) answers like an unknown
    number, on the API and on the public site; with the secret the reporter follows the report, and sees
    nobody's personal data. The secret travels only in POST bodies and a header: in a query string, where
    access logs keep it, it is not read even when right."""
    anonymous = Client()
    forbidden = [*_personal_markers(), *SCOPE_MARKERS.values()]

    def track(number: str, secret: str):
        return anonymous.post(
            "/api/public/track", {"number": number, "secret": secret}, content_type="application/json"
        )

    unknown = track("20991231999999", "x" * 32)
    assert unknown.status_code == 404
    for district, records in world.records.items():
        number, secret = records.public_case.number, records.tracking_secret
        photo = records.public_photo.pk
        for attempt in ("", "x" * 32, world.records[other(district)].tracking_secret, secret[:-1]):
            answers = [
                track(number, attempt),
                anonymous.get(
                    f"/api/public/cases/{number}/photos/{photo}", headers={"X-Tracking-Secret": attempt}
                ),
                anonymous.post("/public/track/", {"number": number, "secret": attempt}),
                Client().get(f"/public/photos/{number}/{photo}/"),
            ]
            assert answers[0].json() == unknown.json(), (district, attempt)
            for response in answers:
                body = _body(response)
                assert response.status_code == 404, (district, attempt, response.status_code)
                assert [m for m in forbidden if m in body] == [], (district, attempt)
                assert number not in body or response is answers[2], (district, attempt)
        # The right secret in a URL opens nothing.
        for url in (
            f"/api/public/cases/{number}/photos/{photo}?secret={secret}",
            f"/public/photos/{number}/{photo}/?secret={secret}",
        ):
            assert Client().get(url).status_code == 404, url
        in_query = Client().get(f"/public/track/?number={number}&secret={secret}")
        assert in_query.status_code == 200 and [m for m in forbidden if m in _body(in_query)] == []
        tracked = track(number, secret)
        assert tracked.status_code == 200 and tracked.json()["number"] == number
        assert {p["id"] for p in tracked.json()["photos"]} == {photo}
        page = anonymous.post("/public/track/", {"number": number, "secret": secret})
        assert page.status_code == 200 and number in _body(page)
        assert secret not in "".join(re.findall(r'(?:href|src|action)="[^"]*"', _body(page)))
        image = anonymous.get(
            f"/api/public/cases/{number}/photos/{photo}", headers={"X-Tracking-Secret": secret}
        )
        assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
        shown = anonymous.get(f"/public/photos/{number}/{photo}/")  # the grant the page left
        assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
        # The reporter's own name and phone are not shown back either: the page may be on a shared screen.
        for response in (tracked, page):
            assert [m for m in _personal_markers() if m in _body(response)] == []


def _form_values_blanked(response) -> str:
    """The page without its form values (the CSRF token and the language form's return address differ
    from request to request)."""
    return re.sub(r'value="[^"]*"', 'value=""', _body(response))


@pytest.mark.django_db
def test_party_link_needs_the_secret(world):
    """A non-site record's party link without its secret (or with another record's) answers like an
    unknown record: the page, its file and the statement form alike; with the secret the party sees the
    record and its file, and nobody's personal data. The link carries the secret in its fragment, so the
    page at its address is the same for every record, known or not; a secret in the query (old links) is
    never read."""
    anonymous = Client()
    forbidden = [*_personal_markers(), *SCOPE_MARKERS.values()]
    unknown_page = f"/enforcement/notice/{uuid.uuid4()}/"
    unknown = anonymous.post(unknown_page, {"k": "x" * 32})
    assert unknown.status_code == 404
    opening = anonymous.get(f"{unknown_page}?k={'x' * 32}")
    assert opening.status_code == 200
    for district, records in world.records.items():
        page, secret = f"/enforcement/notice/{records.nonsite.public_id}/", records.nonsite_secret
        file = f"{page}evidence/{records.nonsite_evidence.pk}"
        opened = anonymous.get(f"{page}?k={secret}")
        assert _form_values_blanked(opened) == _form_values_blanked(opening), district
        assert [m for m in forbidden if m in _body(opened)] == [], district
        for attempt in ("", "x" * 32, world.records[other(district)].nonsite_secret, secret[:-1]):
            answers = [
                anonymous.post(page, {"k": attempt}),
                Client().get(f"{file}?k={attempt}"),
                anonymous.post(page, {"k": attempt, "answer": "车辆当时正在装卸货物"}),
            ]
            assert _form_values_blanked(answers[0]) == _form_values_blanked(unknown), (district, attempt)
            for response in answers:
                assert response.status_code == 404, (district, attempt, response.status_code)
                assert [m for m in forbidden if m in _body(response)] == [], (district, attempt)
        assert Client().get(f"{file}?k={secret}").status_code == 404  # the right secret in the URL: not read
        shown = anonymous.post(page, {"k": secret})
        assert shown.status_code == 200 and SCOPE_MARKERS[district] in _body(shown)
        assert shown["Referrer-Policy"] == "same-origin"
        assert secret not in "".join(re.findall(r'(?:href|src|action)="[^"]*"', _body(shown)))
        # The party's own name and phone are not shown back either (the link may be forwarded).
        assert [m for m in _personal_markers() if m in _body(shown)] == []
        image = anonymous.get(file)  # the grant the page left in this visitor's session
        assert image.status_code == 200 and image["Content-Type"] == "image/png"


def _writers(world: World) -> list[tuple[str, str, Any]]:
    """(role, district, user) of every refused writer: the never-writers inside, everyone outside, and
    nobody logged in (user None, counted as outside: only the "*" entries of ALLOWED_WRITES apply)."""
    writers = [
        (role, district, user)
        for (role, district), user in world.users.items()
        if district == OUTSIDE or role in NEVER_WRITE_INSIDE
    ]
    return [*writers, ("anonymous", OUTSIDE, None)]


def _send(client: Client, method: str, url: str, spec: Write, body: dict[str, Any], headers: dict[str, str]):
    if spec.form:
        return client.generic(method, url, **_multipart(body), headers=headers)
    return client.generic(method, url, json.dumps(body), content_type="application/json", headers=headers)


def _multipart(body: dict[str, Any]) -> dict[str, Any]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, body), "content_type": MULTIPART_CONTENT}


@dataclass
class Attempt:
    status: int
    changed: bool


_baseline: list[dict[str, tuple]] = []  # the world's fingerprint, taken before the first attempt of a test


def _attempt(send: Callable[[], Any], prepare: Callable[[], None] | None = None) -> Attempt:
    """Send one request inside a savepoint that is rolled back, so every attempt meets the same world and
    is compared with the same fingerprint. `prepare` changes the world for this attempt only, in ways the
    fingerprint does not see (a queryset update of a state); if it did, every attempt would show a change
    and the test fail, never pass wrongly."""
    if not _baseline:
        _baseline.append(_fingerprint())
    with transaction.atomic():
        if prepare is not None:
            prepare()
        response = send()
        changed = _fingerprint() != _baseline[0]
        transaction.set_rollback(True)
    return Attempt(response.status_code, changed)


def _api_write_sender(world: World, method: str, path: str, spec: Write, role: str, district: str):
    records = world.records[INSIDE]
    url = _fill(path, spec.fill(records))
    body = spec.body(records)
    client = Client()
    headers = {"X-API-Key": world.keys[(role, district)]} if (role, district) in world.keys else {}
    return lambda: _send(client, method, url, spec, body, headers)


def _page_write_sender(world: World, spec: Write, client: Client, headers: dict[str, str] | None = None):
    records = world.records[INSIDE]
    url = spec.fill(records)["url"]
    body = spec.body(records)
    return lambda: client.post(url, body, headers=headers or {})


@pytest.mark.django_db
def test_refused_writers_change_nothing(world):
    """Every write of the API and the pages, by everyone who may not write, is refused and changes nothing
    (ALLOWED_WRITES excepted); the one who may, can. Each attempt runs in a savepoint that is rolled back,
    so every attempt meets the same world."""
    problems: list[Any] = []
    counts = {"refused": 0, "allowed": 0, "reads": 0, "positive": 0}

    def judge(
        cell: tuple, attempt: Attempt, spec: Write, key: Any, role: str, district: str, api: bool
    ) -> None:
        if attempt.status >= 500:
            problems.append(("5xx", cell))
        elif spec.reads:
            counts["reads"] += 1
            if attempt.changed:
                problems.append(("a read through POST changed data", cell))
        elif _allowed(role, district, key):
            counts["allowed"] += 1
            if api and attempt.status not in spec.allowed_status:
                problems.append(("an allowed write failed", cell))
            if attempt.changed != (attempt.status < 400):
                problems.append(("an allowed write and the data disagree", cell))
        else:
            counts["refused"] += 1
            # A refused page write answers with a redirect and a message: only "nothing changed" holds.
            if api and not 400 <= attempt.status < 500:
                problems.append(("a write was not refused", cell))
            if attempt.changed:
                problems.append(("a refused write changed data", cell))

    def positive(cell: tuple, attempt: Attempt, statuses: tuple[int, ...], spec: Write) -> None:
        counts["positive"] += 1
        if attempt.status not in statuses:
            problems.append(("the allowed writer could not write", cell))
        elif attempt.changed != (attempt.status < 400 and not spec.reads):
            problems.append(("the allowed writer's write and the data disagree", cell))

    writers = _writers(world)
    for (method, path), spec in API_WRITES.items():
        for role, district, _user in writers:
            attempt = _attempt(_api_write_sender(world, method, path, spec, role, district))
            judge(
                (role, district, method, path, attempt.status),
                attempt,
                spec,
                (method, path),
                role,
                district,
                True,
            )
        if spec.allowed != "*":
            attempt = _attempt(_api_write_sender(world, method, path, spec, spec.allowed, INSIDE))
            positive((spec.allowed, method, path, attempt.status), attempt, spec.allowed_status, spec)
    for name, spec in PAGE_WRITES.items():
        for role, district, user in writers:
            client = _session(user) if user is not None else Client()
            attempt = _attempt(_page_write_sender(world, spec, client))
            judge((role, district, name, attempt.status), attempt, spec, name, role, district, False)
        if spec.allowed == "open311-client":
            attempt = _attempt(_page_write_sender(world, spec, Client(), {"X-API-Key": world.open311_key}))
            positive(("open311 client", name, attempt.status), attempt, (200, 201), spec)
        elif spec.allowed == NOBODY:
            attempt = _attempt(_page_write_sender(world, spec, Client()))
            counts["positive"] += 1
            if attempt.status != 401 or attempt.changed:
                problems.append(("a write without credentials", name, attempt))
        elif spec.allowed == PARTY_LINK:
            records = world.records[INSIDE]
            url, body = spec.fill(records)["url"], {**spec.body(records), "k": records.nonsite_secret}
            attempt = _attempt(lambda url=url, body=body: Client().post(url, body))
            positive(("the party, with the link", name, attempt.status), attempt, (200,), spec)
        elif spec.allowed != "*":
            attempt = _attempt(_page_write_sender(world, spec, _session(world.users[(spec.allowed, INSIDE)])))
            positive((spec.allowed, name, attempt.status), attempt, (302,), spec)
    assert not problems, "\n".join(map(str, problems))
    print(f"\nscope matrix writes: {counts}, {sum(counts.values())} cells")
    operations = len(API_WRITES) + len(PAGE_WRITES)
    assert counts["refused"] >= len(writers) * operations * 3 // 4
    assert counts["positive"] == operations - sum(
        1 for spec in API_WRITES.values() if spec.allowed == "*"
    ) - sum(1 for spec in PAGE_WRITES.values() if spec.allowed == "*")
    assert {key for _role, key in ALLOWED_WRITES} <= {*API_WRITES, *PAGE_WRITES}
    world.records[INSIDE].case.refresh_from_db()
    assert world.records[INSIDE].case.status == "reported"


@pytest.mark.django_db
def test_refused_case_actions_change_nothing(world):
    """Every workflow action, with the case put in a state where the action is possible (so a refusal is
    about who asks, not about the state): the refused writers are refused with a 403 or 404 over the API
    (and, inside the area, on the case page) and change nothing; a leader supervises (督办) and only that."""
    from qingcheng.cases.models import Case

    case, order = world.records[INSIDE].case, world.records[INSIDE].order
    people = [writer for writer in _writers(world) if writer[2] is not None]
    problems: list[Any] = []
    attempts = 0
    for action, transition in ACTIONS.items():
        state = sorted(transition.sources)[0]

        def prepare(state=state) -> None:
            Case.objects.filter(pk=case.pk).update(status=state)

        for role, district, user in people:
            allowed = district == INSIDE and role == "leader" and action == "supervise"
            client = _session(user)
            sends = [
                lambda client=client, action=action: client.post(
                    f"/api/cases/{case.pk}/actions",
                    {"action": action, "data": {"reason": "x", "genuine": True, "passed": True}},
                    content_type="application/json",
                )
            ]
            if district == INSIDE:
                sends.append(
                    lambda client=client, action=action: client.post(
                        f"/cases/{case.number}/act/", {"action": action, "reason": "x", "satisfied": "yes"}
                    )
                )
            for send in sends:
                attempt = _attempt(send, prepare)
                attempts += 1
                if allowed and not (attempt.status in (200, 302) and attempt.changed):
                    problems.append(("the leader could not supervise", state, attempt))
                if not allowed and (attempt.status not in (403, 404) or attempt.changed):
                    problems.append((role, district, action, state, attempt))
    for role, district, user in people:
        hotline = _attempt(
            lambda user=user: _session(user).post(
                f"/hotline/{order.pk}/act/", {"action": "close", "answer": "已答复"}
            )
        )
        attempts += 1
        if hotline.status not in (403, 404) or hotline.changed:
            problems.append((role, district, "hotline close", hotline))
    assert not problems, "\n".join(map(str, problems))
    case.refresh_from_db()
    assert case.status == "reported"
    print(f"\nscope matrix case actions: {attempts} attempts")
    assert attempts >= len(ACTIONS) * (len(people) + len(NEVER_WRITE_INSIDE)) + len(people)


@pytest.mark.django_db
def test_refused_enforcement_steps_change_nothing(world):
    """Every step of the penalty procedure (over the API) and of a crime transfer (on its page), with the
    case or transfer put in a state where the step is possible: the procuratorate observer, leaders,
    auxiliaries and citizens of the area, and everyone outside it who holds the step's permission (only
    the area stands in their way), are refused with a 403 or 404 and change nothing. Enforcement has no
    exception for leaders."""
    from qingcheng.enforcement.models import CrimeTransfer, PenaltyCase
    from qingcheng.enforcement.penalty.workflow import SYSTEM_ACTIONS, TRANSITIONS
    from qingcheng.enforcement.transfers.workflow import TRANSITIONS as TRANSFER_STEPS

    records = world.records[INSIDE]
    case, transfer = records.penalty_case, records.transfer
    insiders = [(r, d, _session(u)) for r, d, u in _writers(world) if u is not None and d == INSIDE]
    outsiders = [(r, d, u, _session(u)) for (r, d), u in world.users.items() if d == OUTSIDE]
    pair = [world.users[("enforcement_officer", INSIDE)].pk, records.officer2.pk]
    sends: list[tuple[str, str, Callable[[Client], Any], Callable[[], None]]] = []
    for step in TRANSITIONS:
        if step.action in SYSTEM_ACTIONS:
            continue  # the API takes no system step from anyone (400)
        state, procedure = sorted(step.sources)[0], step.procedure or "general"
        sends.append(
            (
                step.action,
                step.permission,
                lambda client, action=step.action: client.post(
                    f"/api/enforcement/cases/{case.pk}/actions",
                    {"action": action, "officer_ids": pair, "params": {"fine_fen": 20_000}},
                    content_type="application/json",
                ),
                lambda state=state, procedure=procedure: PenaltyCase.objects.filter(pk=case.pk).update(
                    status=state, procedure=procedure
                ),
            )
        )
    for step in TRANSFER_STEPS:
        if not step.sources:
            continue  # the report that creates a transfer: PAGE_WRITES "enforcement-transfers"
        state = sorted(step.sources)[0]
        sends.append(
            (
                f"transfer {step.action}",
                step.permission,
                lambda client, action=step.action: client.post(
                    f"/enforcement/transfers/{transfer.pk}/act/",
                    {"action": action, "officer_ids": pair, "reasons": "x", "police_unit": "赛罕区公安分局"},
                ),
                lambda state=state: CrimeTransfer.objects.filter(pk=transfer.pk).update(status=state),
            )
        )
    problems: list[Any] = []
    attempts = outside = 0
    for action, permission, send, prepare in sends:
        holders = [(r, d, client) for r, d, u, client in outsiders if u.has_perm(permission)]
        assert holders, action  # someone could take the step in their own area
        for role, district, client in [*insiders, *holders]:
            attempt = _attempt(lambda client=client, send=send: send(client), prepare)
            attempts += 1
            outside += district == OUTSIDE
            if attempt.status not in (403, 404) or attempt.changed:
                problems.append((role, district, action, attempt))
    assert not problems, "\n".join(map(str, problems))
    case.refresh_from_db()
    transfer.refresh_from_db()
    assert case.status == "executing" and transfer.status == "reported"
    print(f"\nscope matrix enforcement steps: {attempts} attempts ({outside} from outside the area)")
    assert {role for role, _district, _client in insiders} == set(NEVER_WRITE_INSIDE)
    assert attempts - outside == len(sends) * len(NEVER_WRITE_INSIDE) and len(sends) >= 40


# ---------------------------------------------------------------------------------------------- auxiliaries


@pytest.mark.django_db
def test_auxiliaries_never_hold_an_enforcement_permission(make_user):
    """For every enforcement permission of every app: an auxiliary does not have it, and giving it to them
    (directly, through a group, through the permission's side) raises."""
    from django.contrib.auth.models import Group, Permission

    from qingcheng.accounts.guards import AuxiliaryEnforcementError
    from qingcheng.accounts.roles import enforcement_permissions

    labels = sorted(enforcement_permissions())
    assert "accounts.perform_enforcement_act" in labels and len(labels) >= 2
    auxiliary = make_user(["auxiliary"], staff_category="auxiliary")
    officer = make_user(["enforcement_officer"])
    held_by_officers = 0
    for label in labels:
        app_label, codename = label.split(".", 1)
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        auxiliary = type(auxiliary).objects.get(pk=auxiliary.pk)
        assert not auxiliary.has_perm(label), label
        with pytest.raises(AuxiliaryEnforcementError), transaction.atomic():
            auxiliary.user_permissions.add(permission)
        with pytest.raises(AuxiliaryEnforcementError), transaction.atomic():
            permission.user_set.add(auxiliary)
        with pytest.raises(AuxiliaryEnforcementError), transaction.atomic():
            Group.objects.get(name="auxiliary").permissions.add(permission)
        with pytest.raises(AuxiliaryEnforcementError), transaction.atomic():
            group = Group.objects.create(name=f"holds-{label}")
            group.permissions.add(permission)
            auxiliary.groups.add(group)
        assert not type(auxiliary).objects.get(pk=auxiliary.pk).has_perm(label), label
        held_by_officers += officer.has_perm(label) or type(officer).objects.get(pk=officer.pk).has_perm(
            label
        )
    assert held_by_officers >= 1  # the permissions are real: officers hold at least the act itself
    # A user in the auxiliary group (staff category not set) and an auxiliary by category (no group) alike.
    for user in (make_user(["auxiliary"]), make_user([], staff_category="auxiliary")):
        for label in labels:
            assert not user.has_perm(label), (user.username, label)
        with pytest.raises(AuxiliaryEnforcementError), transaction.atomic():
            user.groups.add(Group.objects.get(name="enforcement_officer"))
    # The back end refuses even if a row slips past the signals (written with a raw insert).
    permission = Permission.objects.get(
        content_type__app_label="accounts", codename="perform_enforcement_act"
    )
    type(auxiliary).user_permissions.through.objects.bulk_create(
        [type(auxiliary).user_permissions.through(user_id=auxiliary.pk, permission_id=permission.pk)]
    )
    from qingcheng.accounts.backends import forget_permissions

    forget_permissions()
    fresh = type(auxiliary).objects.get(pk=auxiliary.pk)
    assert "accounts.perform_enforcement_act" in fresh.get_user_permissions()
    assert not fresh.has_perm("accounts.perform_enforcement_act")


def test_tables_are_honest():
    """The allow-list names only operations that exist, and only the roles the matrix treats as refused."""
    keys = {*API_WRITES, *PAGE_WRITES}
    for role, key in ALLOWED_WRITES:
        assert key in keys, key
        assert role == "*" or role in NEVER_WRITE_INSIDE, role
    assert len(ALLOWED_WRITES) <= 16
