"""Ingestion and alarms through the services: every rejection reason with its counter, per-device rules,
re-arming after an operator closes an alarm, one case per device and rule, the stale sweep and its job."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from qingcheng.cases.models import Case
from qingcheng.core import clock
from qingcheng.core.errors import Conflict, PermissionDeniedError
from qingcheng.intake.models import MachineEvent
from qingcheng.sensing import ingest as ing
from qingcheng.sensing.models import Alarm, AlarmRule, Device, IngestCounter, Reading, RuleState
from qingcheng.sensing.services import (
    alarm_acknowledge,
    alarm_close,
    device_create,
    forget_caches,
    readings_ingest,
)

pytestmark = pytest.mark.django_db


def msg(device, values, at, **extra):
    device_id = device if isinstance(device, str) else device.device_id
    return ing.Message(device_id, json.dumps({"ts": int(at.timestamp() * 1000), "values": values, **extra}))


def counters(source):
    return dict(IngestCounter.objects.filter(source=source).values_list("reason", "count"))


def test_every_rejection_reason_is_counted_per_source(make_device):
    now = clock.now()
    dev = make_device("water_quality")
    parked = make_device("water_quality")
    Device.objects.filter(pk=parked.pk).update(status=Device.Status.MAINTENANCE)
    forget_caches()
    first = [
        msg(dev, {"pH": 7.0}, now - timedelta(minutes=5)),  # stored
        msg(dev, {"pH": 7.0}, now - timedelta(minutes=5)),  # duplicate in the same batch
        msg(parked, {"pH": 7.0}, now),  # inactive_device
        msg("GHOST", {"pH": 7.0}, now),  # unknown_device
        msg(dev, {"pH": 7.0}, now, battery=1.5),  # out_of_range (battery)
        msg(dev, {"pH": -0.1}, now),  # out_of_range (value)
        msg(dev, {"pH": True}, now),  # bad_value (a boolean is no number)
        msg(dev, {"LAeq": 50}, now),  # bad_value (another type's property)
        msg(dev, {}, now),  # malformed (empty values)
        ing.Message(dev.device_id, json.dumps({"ts": True, "values": {"pH": 7}})),  # malformed ts
        ing.Message(dev.device_id, json.dumps({"ts": 1, "seq": "x", "values": {"pH": 7}})),  # malformed seq
        msg(dev, {"pH": 7.0}, now + timedelta(seconds=301)),  # future_timestamp (skew 300 s)
        msg(dev, {"pH": 7.0}, now - timedelta(days=7, seconds=1)),  # too_old
    ]
    out = readings_ingest(messages=first, source="reasons", now=now)
    assert out.counts == {
        "stored": 1,
        "duplicate": 1,
        "inactive_device": 1,
        "unknown_device": 1,
        "out_of_range": 2,
        "bad_value": 2,
        "malformed": 3,
        "future_timestamp": 1,
        "too_old": 1,
    }
    second = [
        msg(dev, {"pH": 7.1}, now - timedelta(minutes=5)),  # the latest reading again: duplicate
        msg(dev, {"pH": 7.1}, now - timedelta(minutes=5, seconds=61)),  # beyond the 60 s window: out_of_order
        msg(dev, {"pH": 7.1}, now - timedelta(minutes=5, seconds=30)),  # within the window: late, stored
        # just young enough to be taken, but older than the latest reading: out of order
        msg(dev, {"pH": 7.2}, now - timedelta(days=7) + timedelta(seconds=1)),
    ]
    out = readings_ingest(messages=second, source="reasons", now=now)
    assert out.counts == {"duplicate": 1, "out_of_order": 2, "late": 1, "stored": 1}  # late is stored
    # a late reading redelivered is a duplicate too
    again = readings_ingest(messages=[second[2]], source="reasons", now=now)
    assert again.counts == {"duplicate": 1}
    edge = msg(dev, {"pH": 7.2}, now + timedelta(seconds=299))
    assert readings_ingest(messages=[edge], source="reasons", now=now).counts == {"stored": 1}
    assert counters("reasons") == {
        "stored": 3,
        "duplicate": 3,
        "inactive_device": 1,
        "unknown_device": 1,
        "out_of_range": 2,
        "bad_value": 2,
        "malformed": 3,
        "future_timestamp": 1,
        "too_old": 1,
        "out_of_order": 2,
        "late": 1,
    }
    assert Reading.objects.filter(device=dev).count() == 3
    detail = IngestCounter.objects.get(source="reasons", reason="unknown_device").last_detail
    assert detail.startswith("GHOST")


def test_iso_timestamps_seq_and_battery_are_stored(make_device):
    dev = make_device("noise")
    at = clock.now() - timedelta(minutes=1)
    body = json.dumps({"ts": at.isoformat(), "seq": 9, "battery": 0.5, "values": {"LAeq": 40}})
    assert readings_ingest(messages=[ing.Message(dev.device_id, body)]).counts == {"stored": 1}
    reading = Reading.objects.get(device=dev)
    assert reading.seq == 9 and abs((reading.observed_at - at).total_seconds()) < 0.001
    dev.refresh_from_db()
    assert dev.battery == 0.5 and dev.last_values == {"LAeq": 40}
    naive = json.dumps({"ts": "2026-11-26T08:00:00", "values": {"LAeq": 40}})
    assert readings_ingest(messages=[ing.Message(dev.device_id, naive)]).counts == {"malformed": 1}


def test_topic_convention():
    assert ing.topic_device_id("city/150105/noise/noise/N-1/telemetry") == ("N-1", "telemetry")
    assert ing.topic_device_id("city/150105/noise/noise/N-1/status") == ("N-1", "status")
    assert ing.topic_device_id("city/150105/noise/noise//telemetry") is None
    assert ing.topic_device_id("N-1/data") is None
    assert ing.topic_for("waste", "150105001001001", "W-1") == "city/150105/waste/waste/W-1/telemetry"
    assert ing.topic_for("gizmo", "", "G-1", root="t") == "t/000000/other/gizmo/G-1/telemetry"


def test_a_rule_for_one_device_applies_to_it_only(make_device):
    one, other = make_device("noise"), make_device("noise")
    AlarmRule.objects.create(
        name="夜间噪声",
        device_type="noise",
        device=one,
        kind="threshold",
        prop="LAeq",
        high=50,
        severity="blue",
    )
    forget_caches()
    at = clock.now() - timedelta(minutes=1)
    readings_ingest(messages=[msg(one, {"LAeq": 55}, at), msg(other, {"LAeq": 55}, at)])
    assert list(Alarm.objects.values_list("device__device_id", "rule__name")) == [(one.device_id, "夜间噪声")]


def test_inactive_rules_raise_nothing(make_device):
    AlarmRule.objects.filter(device_type="waste").update(active=False)
    forget_caches()
    dev = make_device("waste")
    readings_ingest(messages=[msg(dev, {"status": "burning"}, clock.now())])
    assert not Alarm.objects.exists()


def test_low_limit_alarm_recovers_and_a_closed_alarm_rearms(make_device, make_user):
    """pH below 6.5 for three readings raises; back to 6.7+ for three recovers. An operator who closes an
    alarm while the value is still bad re-arms the rule: three more breaches raise a new alarm."""
    dev = make_device("water_quality")
    operator = make_user(["receiver"], area_code="150105")
    t = clock.now() - timedelta(hours=1)

    def feed(values):
        nonlocal t
        for v in values:
            t += timedelta(minutes=1)
            readings_ingest(messages=[msg(dev, {"pH": v}, t)])

    feed([6.4, 6.4])
    assert not Alarm.objects.exists()
    feed([6.4])
    alarm = Alarm.objects.get(device=dev)
    assert alarm.status == "raised" and alarm.value == "6.4" and "< 6.5" in alarm.message
    feed([6.6, 6.7, 6.7])  # 6.6 is inside the band: the three normal readings start at 6.7
    alarm.refresh_from_db()
    assert alarm.status == "raised"
    feed([6.7])
    alarm.refresh_from_db()
    assert alarm.status == "recovered" and alarm.recovered_at is not None
    alarm_close(actor=operator, alarm_id=alarm.pk)
    feed([6.0, 6.0, 6.0])
    second = Alarm.objects.filter(device=dev).exclude(pk=alarm.pk).get()
    alarm_close(actor=operator, alarm_id=second.pk, note="误报")  # false alarm, still breaching
    assert not RuleState.objects.filter(device=dev, alarm__isnull=False).exists()
    feed([6.0, 6.0])
    assert Alarm.objects.filter(device=dev).count() == 2
    feed([6.0])
    assert Alarm.objects.filter(device=dev).count() == 3
    assert Alarm.objects.filter(device=dev, status="raised").count() == 1


def test_alarm_transition_table(make_device, make_user):
    dev = make_device("waste")
    readings_ingest(messages=[msg(dev, {"status": "burning"}, clock.now() - timedelta(minutes=3))])
    alarm = Alarm.objects.get(device=dev)
    operator = make_user(["receiver"], area_code="150105")
    alarm_acknowledge(actor=operator, alarm_id=alarm.pk)
    with pytest.raises(Conflict):
        alarm_acknowledge(actor=operator, alarm_id=alarm.pk)  # acknowledged twice
    readings_ingest(messages=[msg(dev, {"status": "ok"}, clock.now() - timedelta(minutes=2))])
    alarm.refresh_from_db()
    first_ack = alarm.acknowledged_at
    assert alarm.status == "recovered"
    alarm = alarm_acknowledge(actor=operator, alarm_id=alarm.pk)  # a recovered alarm stays recovered
    assert alarm.status == "recovered" and alarm.acknowledged_at == first_ack
    alarm_close(actor=operator, alarm_id=alarm.pk)
    for action in (alarm_acknowledge, alarm_close):
        with pytest.raises(Conflict) as info:
            action(actor=operator, alarm_id=alarm.pk)
        assert info.value.code == "alarm_bad_transition"
    with pytest.raises(PermissionDeniedError):
        alarm_close(actor=None, alarm_id=alarm.pk)


def test_cases_one_per_device_and_rule_and_a_new_one_after_closing(make_device):
    # far enough apart that intake does not take the second fire for a duplicate of the first
    a, b = make_device("waste", cell=(0, 0)), make_device("waste", cell=(3, 2))
    t = clock.now() - timedelta(minutes=30)
    readings_ingest(messages=[msg(a, {"status": "burning"}, t), msg(b, {"status": "burning"}, t)])
    assert Case.objects.count() == 2  # one per device
    readings_ingest(messages=[msg(a, {"status": "ok", "fillingLevel": 0.5}, t + timedelta(minutes=1))])
    readings_ingest(messages=[msg(a, {"status": "burning"}, t + timedelta(minutes=2))])
    case_a = Alarm.objects.filter(device=a).first().case
    assert Case.objects.count() == 2 and Alarm.objects.filter(device=a, case=case_a).count() == 2
    # once the case is closed, the next alarm of the rule opens a new case
    Case.objects.filter(pk=case_a.pk).update(status=Case.Status.CLOSED)
    readings_ingest(messages=[msg(a, {"status": "ok"}, t + timedelta(minutes=3))])
    readings_ingest(messages=[msg(a, {"status": "burning"}, t + timedelta(minutes=4))])
    newest = Alarm.objects.filter(device=a, rule__kind="status").order_by("-pk").first()
    assert newest.case_id not in (None, case_a.pk) and Case.objects.count() == 3
    assert MachineEvent.objects.count() == 3


def test_another_rule_of_the_same_device_opens_its_own_case(make_device):
    manhole = make_device("manhole")
    t = clock.now() - timedelta(minutes=30)
    readings_ingest(messages=[msg(manhole, {"status": "open"}, t)])
    readings_ingest(
        messages=[msg(manhole, {"waterLevel": 1.6}, t + timedelta(minutes=k + 1)) for k in range(3)]
    )
    cases = dict(Alarm.objects.filter(device=manhole).values_list("rule__prop", "case_id"))
    assert set(cases) == {"status", "waterLevel"} and None not in cases.values()
    assert cases["status"] != cases["waterLevel"] and Case.objects.count() == 2


def test_a_case_that_cannot_be_opened_is_recorded_and_ingestion_goes_on(make_device):
    dev = make_device("noise")
    AlarmRule.objects.create(
        name="无映射", device_type="noise", kind="threshold", prop="LAeq", high=10, event_code="no-such-code"
    )
    forget_caches()
    out = readings_ingest(messages=[msg(dev, {"LAeq": 20}, clock.now() - timedelta(minutes=1))])
    assert out.counts == {"stored": 1}
    alarm = Alarm.objects.get(rule__name="无映射")
    assert alarm.case is None and alarm.case_error
    assert Reading.objects.filter(device=dev).count() == 1


def test_rules_without_an_event_code_open_no_case(make_device):
    dev = make_device("water_quality")
    t = clock.now() - timedelta(minutes=10)
    readings_ingest(messages=[msg(dev, {"freeChlorine": 0.01}, t + timedelta(minutes=k)) for k in range(3)])
    alarm = Alarm.objects.get(device=dev)
    assert alarm.rule.event_code == "" and alarm.case is None and not Case.objects.exists()


def test_stale_sweep_skips_inactive_devices_and_the_job_runs_it(make_device):
    from qingcheng.sensing.jobs import device_stale_sweep

    live, parked = make_device("flood"), make_device("flood")
    Device.objects.filter(pk=parked.pk).update(status=Device.Status.MAINTENANCE)
    rule = AlarmRule.objects.get(device_type="flood", kind="stale")
    later = clock.now() + timedelta(seconds=rule.stale_seconds + 1)
    assert device_stale_sweep(now=later) == 1
    assert list(Alarm.objects.values_list("device_id", flat=True)) == [live.pk]
    assert device_stale_sweep() == 0  # now: nothing is stale yet, and the open alarm is not repeated
    alarm = Alarm.objects.get()
    assert alarm.message == f"no reading for {rule.stale_seconds}s" and alarm.value == ""


def test_device_create_checks(make_user, loop):
    from qingcheng.core.errors import ValidationFailed
    from qingcheng.geo.testing import cell_centre

    lon, lat = cell_centre(0, 0)
    admin = make_user(["admin"], area_code="150105")
    for bad in ("", "a/b", "a+b", "a#b", "x" * 65):
        with pytest.raises(ValidationFailed):
            device_create(actor=admin, device_id=bad, device_type="noise", name="n", lon=lon, lat=lat)
    with pytest.raises(ValidationFailed):
        device_create(actor=admin, device_id="T-1", device_type="gizmo", name="n", lon=lon, lat=lat)
    device = device_create(actor=admin, device_id="T-1", device_type="noise", name="", lon=lon, lat=lat)
    assert device.area_code == "150105001001001" and device.name == "T-1"
    assert device.controlled_properties == ["LAeq"]
    with pytest.raises(Conflict):
        device_create(actor=admin, device_id="T-1", device_type="noise", name="n", lon=lon, lat=lat)
    with pytest.raises(PermissionDeniedError):
        device_create(
            actor=make_user(["admin"], area_code="150102"),
            device_id="T-2",
            device_type="noise",
            name="n",
            lon=lon,
            lat=lat,
        )
    with pytest.raises(PermissionDeniedError):
        device_create(
            actor=loop["users"]["citizen"], device_id="T-3", device_type="noise", name="n", lon=lon, lat=lat
        )
