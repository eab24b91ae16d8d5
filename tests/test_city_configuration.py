"""Configuration that applies to the whole city is changed only by city-wide staff, through every path:
the services behind the back office (its forms are covered by tests/test_admin_matrix.py)."""

from __future__ import annotations

import pytest

from qingcheng.core.errors import DomainError


@pytest.fixture
def district_admin(make_user):
    return make_user(["admin"], area_code="150105")


@pytest.fixture
def city_admin(make_user):
    return make_user(["admin"], area_code="150100")


def _writes(catalogue):
    from qingcheng.cases.catalogue_admin import copy_version, publish_version
    from qingcheng.core.worktime import calendar_year_mark_official
    from qingcheng.emergency.services import supply_item_create
    from qingcheng.evaluation.models import ScoringScheme
    from qingcheng.evaluation.services import scoring_scheme_save
    from qingcheng.open311.services import client_create, client_rotate_key

    def scheme(actor):
        current = ScoringScheme.objects.filter(is_active=True).first()
        current.name = f"{current.name}·"
        return scoring_scheme_save(actor=actor, scheme=current)

    app = client_create(actor=None, name="app", contact="ops@example.org")[0]
    return {
        "catalogue copy": lambda actor: copy_version(catalogue, actor=actor),
        "catalogue publish": lambda actor: publish_version(catalogue, actor=actor),
        "calendar year": lambda actor: calendar_year_mark_official(year=2027, actor=actor),
        "supply item": lambda actor: supply_item_create(
            actor=actor, code=f"X{actor.pk}", name="帐篷", unit="顶", category="living"
        ),
        "scoring scheme": scheme,
        "open311 staff client": lambda actor: client_create(
            actor=actor, name="staff app", contact="ops@example.org", is_staff_client=True
        ),
        "open311 key rotation": lambda actor: client_rotate_key(actor=actor, client=app),
    }


def test_district_staff_change_no_city_configuration(db, catalogue, district_admin, city_admin):
    from qingcheng.core.models import AuditEntry

    for name, write in _writes(catalogue).items():
        before = AuditEntry.objects.count()
        with pytest.raises(DomainError) as refused:
            write(district_admin)
        assert refused.value.status == 403, name
        # Refused before anything was written (audit entries are written with every change).
        assert AuditEntry.objects.count() == before, name
        write(city_admin)
        assert AuditEntry.objects.count() > before, name


def test_a_district_may_set_alarm_rules_for_its_own_devices_only(db, district_admin, city_admin):
    from django.test import Client

    from qingcheng.sensing.models import AlarmRule, Device

    mine = Device.objects.create(
        device_id="urn:test:mine",
        device_type="manhole",
        name="井盖",
        area_code="150105001",
        lon=111.7,
        lat=40.8,
    )
    other = Device.objects.create(
        device_id="urn:test:other",
        device_type="manhole",
        name="井盖",
        area_code="150102001",
        lon=111.6,
        lat=40.8,
    )
    client = Client()
    client.force_login(district_admin)
    base = {
        "name": "倾斜",
        "device_type": "manhole",
        "kind": "status",
        "hysteresis": "0",
        "raise_after": "1",
        "clear_after": "1",
        "status_values": '["tilted"]',
        "severity": "yellow",
        "active": "on",
    }
    assert client.post("/admin/sensing/alarmrule/add/", {**base, "device": mine.pk}).status_code == 302
    assert AlarmRule.objects.filter(device=mine).count() == 1
    for device in (other.pk, ""):
        response = client.post("/admin/sensing/alarmrule/add/", {**base, "device": device})
        assert response.status_code == 200
    assert AlarmRule.objects.filter(device=other).count() == 0
    assert AlarmRule.objects.filter(device__isnull=True, name="倾斜").count() == 0
    city = Client()
    city.force_login(city_admin)
    assert city.post("/admin/sensing/alarmrule/add/", {**base, "device": ""}).status_code == 302
