"""Alarm lifecycle, stale devices and alarm → case through machine intake (one open case per device+rule)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from qingcheng.cases.models import Case
from qingcheng.core import clock
from qingcheng.core.errors import Conflict, PermissionDeniedError
from qingcheng.intake.models import MachineEvent
from qingcheng.sensing import ingest as ing
from qingcheng.sensing.models import Alarm, AlarmRule
from qingcheng.sensing.services import alarm_acknowledge, alarm_close, device_stale_sweep, readings_ingest

pytestmark = pytest.mark.django_db


def send(device, values, at):
    return readings_ingest(
        messages=[
            ing.Message(device.device_id, json.dumps({"ts": int(at.timestamp() * 1000), "values": values}))
        ]
    )


def test_alarm_opens_one_case_per_device_and_rule(make_device):
    bin_ = make_device("waste")
    t = clock.now() - timedelta(minutes=20)
    send(bin_, {"status": "burning"}, t)
    first = Alarm.objects.get(device=bin_)
    assert first.case is not None and first.case.status == "reported"
    event = MachineEvent.objects.get(event_id=f"alarm-{first.pk}")
    assert event.vendor == "qingcheng-sensing" and event.device_id == bin_.device_id
    # recover, then burn again while the case is still open: no second case
    send(bin_, {"status": "ok"}, t + timedelta(minutes=1))
    send(bin_, {"status": "burning"}, t + timedelta(minutes=2))
    second = Alarm.objects.filter(device=bin_).order_by("-pk").first()
    assert second.pk != first.pk and second.case_id == first.case_id
    assert Case.objects.count() == 1
    assert MachineEvent.objects.count() == 1


def test_alarm_lifecycle_and_permissions(make_device, users, make_user):
    dev = make_device("waste")
    send(dev, {"status": "burning"}, clock.now() - timedelta(minutes=5))
    alarm = Alarm.objects.get(device=dev)
    operator = make_user(["receiver"], area_code="150105")
    outsider = make_user(["receiver"], area_code="150102")
    with pytest.raises(PermissionDeniedError):
        alarm_acknowledge(actor=users["citizen"], alarm_id=alarm.pk)
    from qingcheng.core.errors import NotFound

    with pytest.raises(NotFound):
        alarm_acknowledge(actor=outsider, alarm_id=alarm.pk)
    alarm = alarm_acknowledge(actor=operator, alarm_id=alarm.pk, note="已通知环卫")
    assert alarm.status == "acknowledged" and alarm.acknowledged_by == operator
    send(dev, {"status": "ok"}, clock.now() - timedelta(minutes=4))
    alarm.refresh_from_db()
    assert alarm.status == "recovered"
    alarm = alarm_close(actor=operator, alarm_id=alarm.pk)
    assert alarm.status == "closed"
    with pytest.raises(Conflict):
        alarm_close(actor=operator, alarm_id=alarm.pk)


def test_stale_device_alarm_and_recovery(make_device):
    dev = make_device("tunnel_gas")
    rule = AlarmRule.objects.get(device_type="tunnel_gas", kind="stale")
    t = clock.now() - timedelta(minutes=30)
    send(dev, {"CH4": 1.0, "H2S": 0.5, "O2": 20.9}, t)
    assert device_stale_sweep() == 1
    alarm = Alarm.objects.get(device=dev, rule=rule)
    assert alarm.status == "raised" and alarm.severity == "blue" and alarm.case is None
    assert device_stale_sweep() == 0  # one alarm, not one per sweep
    send(dev, {"CH4": 1.0}, clock.now())
    alarm.refresh_from_db()
    assert alarm.status == "recovered"
    # a device that never reported is stale too, once older than the rule's window
    fresh = make_device("tunnel_gas")
    assert device_stale_sweep() == 0
    assert device_stale_sweep(now=clock.now() + timedelta(seconds=rule.stale_seconds + 5)) >= 1
    assert Alarm.objects.filter(device=fresh, rule=rule, status="raised").exists()
