"""Machine events (video analytics, sensors) through the API: mapping to subclasses, draft cases, the
dedupe window, idempotency by event id, unknown codes."""

from __future__ import annotations

import base64
import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps

from qingcheng.cases.models import Case
from qingcheng.cases.services import case_act
from qingcheng.core import clock
from qingcheng.geo.geometry import METRES_PER_DEGREE_LAT
from qingcheng.intake.models import MachineEvent, MachineEventMapping
from qingcheng.testing import jpeg_bytes

from .conftest import error_code

URL = "/api/intake/machine/events"
pytestmark = pytest.mark.django_db


def event(loop, event_id, *, code="garbage_exposed", vendor="demo-video", north_m=0.0, minutes=0, **extra):
    lon, lat = loop["point"]
    return {
        "vendor": vendor,
        "event_id": event_id,
        "event_code": code,
        "lon": lon,
        "lat": lat + north_m / METRES_PER_DEGREE_LAT,
        "occurred_at": (clock.now() - timedelta(minutes=120) + timedelta(minutes=minutes)).isoformat(),
        "device_id": "CAM-0001",
        "payload": {"confidence": 0.93, "box": [10, 20, 200, 180]},
        **extra,
    }


def _seed_module():
    return importlib.import_module("qingcheng.intake.migrations.0002_seed_machine_event_mappings")


@pytest.fixture(autouse=True)
def _mappings(db):
    """The seeded mappings (a flush by a transactional test elsewhere removes data-migration rows)."""
    _seed_module().seed(django_apps, None)


@pytest.fixture
def post(client, api_key):
    def send(body, **headers):
        return client.post(
            URL, body, content_type="application/json", headers={"X-API-Key": api_key, **headers}
        )

    return send


def test_seeded_mappings():
    MachineEventMapping.objects.all().delete()
    _seed_module().seed(django_apps, None)
    rows = dict(MachineEventMapping.objects.values_list("event_code", "category_code"))
    assert rows["garbage_exposed"] == "E0102" and rows["street_vending"] == "E0501"
    assert rows["illegal_parking"] == "E0505" and rows["shop_outside"] == "E0504"
    assert rows["manhole_missing"] == "C0101" and rows["bin_full"] == "C0305"
    assert (
        MachineEventMapping.objects.get(vendor="demo-sensor", event_code="manhole_missing").urgency
        == "urgent"
    )


def test_video_event_becomes_a_draft_case_and_a_retry_is_idempotent(loop, post):
    snapshot = base64.b64encode(jpeg_bytes()).decode()
    first = post(event(loop, "evt-1", snapshot_base64=snapshot))
    assert first.status_code == 201, first.content
    body = first.json()
    assert (
        body["case_created"] is True and body["deduplicated"] is False and body["case_status"] == "reported"
    )
    case = Case.objects.get(number=body["case_number"])
    assert case.source == "video" and case.category.code == "E0102" and case.status == "reported"
    assert "暴露垃圾" in case.description and case.photos.count() == 1
    again = post(event(loop, "evt-1", snapshot_base64=snapshot))
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["case_number"] == body["case_number"]
    assert MachineEvent.objects.count() == 1 and Case.objects.count() == 1


def test_event_id_may_come_from_the_idempotency_key(loop, post):
    body = event(loop, None)
    first = post(body, **{"Idempotency-Key": "vendor-key-9"})
    second = post(body, **{"Idempotency-Key": "vendor-key-9"})
    assert first.status_code == 201 and second.status_code == 200
    assert MachineEvent.objects.get().event_id == "vendor-key-9"
    missing = post(body)
    assert missing.status_code == 400 and error_code(missing) == "required"


def test_events_20_m_apart_within_the_window_make_one_case(loop, post):
    a = post(event(loop, "evt-a")).json()
    b = post(event(loop, "evt-b", north_m=20, minutes=15))
    assert b.status_code == 201
    assert b.json()["deduplicated"] is True and b.json()["case_created"] is False
    assert b.json()["case_number"] == a["case_number"]
    assert Case.objects.count() == 1 and MachineEvent.objects.filter(deduplicated=True).count() == 1
    # The window slides with the events: 70 minutes after the first, 55 after the second, still one case.
    c = post(event(loop, "evt-c", north_m=-10, minutes=70))
    assert c.json()["case_number"] == a["case_number"]


def test_events_outside_the_window_radius_or_subclass_make_new_cases(loop, post, settings):
    settings.MACHINE_DEDUPE_WINDOW_MINUTES = 30
    a = post(event(loop, "evt-a")).json()
    late = post(event(loop, "evt-late", minutes=45)).json()
    far = post(event(loop, "evt-far", north_m=80)).json()
    other = post(event(loop, "evt-other", code="illegal_parking")).json()
    numbers = {a["case_number"], late["case_number"], far["case_number"], other["case_number"]}
    assert len(numbers) == 4
    assert far["duplicates"] == [] or all(d["distance_m"] > 0 for d in far["duplicates"])


def test_closed_case_does_not_absorb_new_events(loop, users, post):
    a = post(event(loop, "evt-a")).json()
    case = Case.objects.get(number=a["case_number"])
    case_act(case_id=case.pk, actor=users["receiver"], action="cancel", data={"reason": "误报"})
    b = post(event(loop, "evt-b", minutes=5)).json()
    assert b["case_created"] is True and b["case_number"] != a["case_number"]


def test_sensor_event_maps_urgency(loop, post):
    body = post(event(loop, "s-1", vendor="demo-sensor", code="manhole_missing")).json()
    case = Case.objects.get(number=body["case_number"])
    assert (case.source, case.category.code, case.urgency) == ("sensor", "C0101", "urgent")


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"event_code": "ufo_landing"}, 400, "unknown_event_code"),
        ({"vendor": "acme"}, 400, "unknown_event_code"),
        ({"lon": 87.6, "lat": 43.8}, 400, "outside_coverage"),
        ({"snapshot_base64": base64.b64encode(b"GIF89a not really").decode()}, 400, "photo_invalid"),
        ({"snapshot_base64": "***"}, 400, "photo_invalid"),
        ({"occurred_at": (clock.now() + timedelta(days=1)).isoformat()}, 400, "invalid_time"),
        ({"payload": {"blob": "x" * 20000}}, 413, "payload_too_large"),
    ],
)
def test_bad_events_write_nothing(loop, post, nothing_written, overrides, status, code):
    with nothing_written():
        response = post({**event(loop, f"bad-{code}"), **overrides})
    assert response.status_code == status, response.content
    assert error_code(response) == code


def test_unknown_subclass_in_a_mapping_is_a_clear_400(loop, post, nothing_written):
    MachineEventMapping.objects.create(
        vendor="demo-video", event_code="new_thing", source="video", name="新事件", category_code="E9901"
    )
    with nothing_written():
        response = post(event(loop, "evt-x", code="new_thing"))
    assert response.status_code == 400 and error_code(response) == "unknown_category"


def test_api_key_with_report_permission_required(loop, users, client_for, client, make_user):
    session = client_for(users["receiver"]).post(URL, event(loop, "e1"), content_type="application/json")
    assert session.status_code == 401
    nobody = client.post(URL, event(loop, "e1"), content_type="application/json")
    assert nobody.status_code == 401

    from qingcheng.accounts.services import api_key_create

    handler = make_user(["handler"], area_code="150105")
    _, raw = api_key_create(actor=None, user=handler, name="wrong client")
    denied = client.post(URL, event(loop, "e1"), content_type="application/json", headers={"X-API-Key": raw})
    assert denied.status_code == 403
    assert MachineEvent.objects.count() == 0
