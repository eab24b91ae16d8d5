"""FixMyStreet's own Open311 client against this server: each test sends what one call of
perllib/Open311.pm sends (see fixmystreet.py) and is named after that call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from qingcheng.cases.models import Case
from qingcheng.core import clock
from qingcheng.open311.models import Jurisdiction, ServiceAttribute, ServiceRequest

from .conftest import write_snapshot, xml_errors
from .fixmystreet import FixMyStreet

pytestmark = pytest.mark.django_db


@pytest.fixture
def fms(client, api_key):
    return FixMyStreet(client, api_key)


def _where(loop) -> dict[str, float]:
    lon, lat = loop["point"]
    return {"lat": lat, "long": lon}


# ---------------------------------------------------------------------- datetime questions


def test_send_service_request_with_datetime_local_attribute(fms, loop):
    """E0301 (施工扰民) asks a required datetime question; FixMyStreet fills it from a datetime-local
    field, so the value has no offset. It is read in the jurisdiction's zone (Asia/Shanghai)."""
    number = fms.send_service_request(
        service_code="E0301",
        description="工地夜间施工",
        attributes={"noise_at": "2026-12-08T01:15", "site": "新华大街工地"},
        **_where(loop),
    )
    assert number, fms.last_response.content.decode()
    link = ServiceRequest.objects.get(case__number=number)
    assert link.attributes["noise_at"] == ["2026-12-08T01:15:00+08:00"]
    # With seconds (and a fraction), as some browsers send it.
    number = fms.send_service_request(
        service_code="E0301",
        description="又一次",
        attributes={"noise_at": "2026-12-08T23:05:30.250"},
        report_id=102,
        **_where(loop),
    )
    assert number, fms.last_response.content.decode()
    assert ServiceRequest.objects.get(case__number=number).attributes["noise_at"] == [
        "2026-12-08T23:05:30+08:00"
    ]
    # A full W3C time with its own offset keeps its instant.
    number = fms.send_service_request(
        service_code="E0301",
        description="第三次",
        attributes={"noise_at": "2026-12-07T17:15:00Z"},
        report_id=103,
        **_where(loop),
    )
    assert ServiceRequest.objects.get(case__number=number).attributes["noise_at"] == [
        "2026-12-08T01:15:00+08:00"
    ]


def test_send_service_request_with_datetime_local_attribute_in_another_zone(client, api_key, loop):
    Jurisdiction.objects.all().delete()
    Jurisdiction.objects.create(jurisdiction_id="west.example", name="西部", time_zone="Asia/Urumqi")
    fms = FixMyStreet(client, api_key, jurisdiction="west.example")
    number = fms.send_service_request(
        service_code="E0301",
        description="工地夜间施工",
        attributes={"noise_at": "2026-12-08T01:15"},
        **_where(loop),
    )
    assert number, fms.last_response.content.decode()
    assert ServiceRequest.objects.get(case__number=number).attributes["noise_at"] == [
        "2026-12-08T01:15:00+06:00"
    ]


@pytest.mark.parametrize(
    "value", ["tomorrow night", "2026-12-08T25:15", "2026-13-08T01:15", "08/12/2026 01:15"]
)
def test_send_service_request_with_a_garbled_datetime_attribute(fms, loop, settings, value):
    before = write_snapshot(settings.MEDIA_ROOT)
    number = fms.send_service_request(
        service_code="E0301", description="工地夜间施工", attributes={"noise_at": value}, **_where(loop)
    )
    assert number is None and fms.last_response.status_code == 400
    errors = xml_errors(fms.last_response)
    assert errors[0]["code"] == "400" and "attribute[noise_at]" in errors[0]["description"]
    assert write_snapshot(settings.MEDIA_ROOT) == before


def test_jurisdiction_time_zone_is_checked():
    row = Jurisdiction(jurisdiction_id="x", name="x", time_zone="Asia/Hohhot")
    with pytest.raises(ValidationError) as raised:
        row.full_clean()
    assert "time_zone" in raised.value.message_dict


# ---------------------------------------------------------------------- attribute codes


def test_get_service_meta_info_lists_ascii_codes_only(fms, loop):
    ServiceAttribute.objects.create(
        category_code="E0301", code="噪声分贝", order=9, datatype="number", description="大约多少分贝？"
    )
    definition = fms.get_service_meta_info("E0301")
    codes = [a["code"] for a in definition["attributes"]["attribute"]]
    assert codes == ["noise_at", "site", "details"]
    assert all(code.isascii() for code in codes)
    # A report need not (cannot) answer the hidden question.
    assert fms.send_service_request(
        service_code="E0301",
        description="夜间施工",
        attributes={"noise_at": "2026-12-08T01:15"},
        **_where(loop),
    )


@pytest.mark.parametrize("code", ["噪声分贝", "noise level", "noise[1]", "", "x" * 41, "név"])
def test_attribute_codes_are_ascii_in_the_admin(code):
    attribute = ServiceAttribute(
        category_code="E0301", code=code, order=9, datatype="string", description="?"
    )
    with pytest.raises(ValidationError) as raised:
        attribute.full_clean()
    assert "code" in raised.value.message_dict


def test_attribute_codes_that_pass():
    for code in ("noise_at", "size-m", "Q1"):
        ServiceAttribute(
            category_code="E0301", code=code, order=9, datatype="string", description="?"
        ).full_clean(validate_unique=False, validate_constraints=False)


def test_seed_data_codes_are_ascii():
    from qingcheng.open311.seed_data import ATTRIBUTES
    from qingcheng.open311.validators import ATTRIBUTE_CODE

    codes = [row[0] for rows in ATTRIBUTES.values() for row in rows]
    assert codes and all(ATTRIBUTE_CODE.match(code) for code in codes)


def test_seed_refuses_a_non_ascii_code(monkeypatch):
    from qingcheng.open311 import seed_data
    from qingcheng.open311.services import seed

    rows = dict(seed_data.ATTRIBUTES)
    rows["E0301"] = [*rows["E0301"], ("噪声分贝", 9, True, "number", False, "多少分贝？", "", [])]
    monkeypatch.setattr(seed_data, "ATTRIBUTES", rows)
    with pytest.raises(ValueError, match="噪声分贝"):
        seed()
    assert not ServiceAttribute.objects.filter(code="噪声分贝").exists()


def test_migration_renames_non_ascii_codes_and_their_answers(loop, api_key, client):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "qingcheng.open311.migrations.0003_jurisdiction_time_zone_ascii_attribute_codes"
    )
    ServiceAttribute.objects.filter(category_code="E0301").delete()
    ServiceAttribute.objects.create(
        category_code="E0301", code="q2", order=1, datatype="string", description="?"
    )
    noisy = ServiceAttribute.objects.create(
        category_code="E0301", code="噪声时间", order=2, datatype="datetime", description="什么时候？"
    )
    fine = FixMyStreet(client, api_key).send_service_request(
        service_code="E0301", description="夜间施工", **_where(loop)
    )
    link = ServiceRequest.objects.get(case__number=fine)
    link.attributes = {"噪声时间": ["2026-12-08T01:15:00+08:00"], "q2": ["x"]}
    link.save()
    migration.rename_non_ascii_codes(apps, None)
    noisy.refresh_from_db()
    link.refresh_from_db()
    assert noisy.code == "q2-2"  # q<order>, made unique in its subclass
    assert link.attributes == {"q2-2": ["2026-12-08T01:15:00+08:00"], "q2": ["x"]}
    assert not [a for a in ServiceAttribute.objects.values_list("code", flat=True) if not a.isascii()]


# ---------------------------------------------------------------------- helpers for later tests


def _closed(number, loop, photo):
    from .test_pipeline import drive

    case = drive(Case.objects.get(number=number), loop["users"], photo, until="never")
    assert case.status == Case.Status.CLOSED
    return case


def _window():
    now = clock.now()
    return now - timedelta(hours=2), now + timedelta(seconds=1)
