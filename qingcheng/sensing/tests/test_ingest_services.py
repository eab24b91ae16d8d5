"""Ingestion without the broker: validation counters, storage, rules with hysteresis, alarm → case."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from qingcheng.core import clock
from qingcheng.sensing import ingest as ing
from qingcheng.sensing.models import Alarm, AlarmRule, IngestCounter, Reading
from qingcheng.sensing.services import readings_ingest

pytestmark = pytest.mark.django_db


def msg(device, values, at, seq=None):
    return ing.Message(
        device.device_id, json.dumps({"ts": int(at.timestamp() * 1000), "seq": seq, "values": values})
    )


def test_bad_payloads_are_counted_by_reason_and_never_stored(make_device):
    dev = make_device("water_quality")
    now = clock.now()
    batch = [
        ing.Message(dev.device_id, b"{not json"),
        ing.Message(dev.device_id, b"[1,2]"),
        ing.Message(dev.device_id, json.dumps({"values": {"pH": 7}})),  # no ts
        ing.Message("NOPE-1", json.dumps({"ts": int(now.timestamp() * 1000), "values": {"pH": 7}})),
        msg(dev, {"pH": 19.0}, now),  # physically impossible
        msg(dev, {"colour": 3}, now),  # not a property of the type
        msg(dev, {"pH": "seven"}, now),
        msg(dev, {"pH": 7.0}, now + timedelta(hours=2)),  # future
        msg(dev, {"pH": 7.0}, now - timedelta(days=30)),  # too old
        msg(dev, {"pH": 7.1}, now),  # good
        msg(dev, {"pH": 7.1}, now),  # duplicate
    ]
    out = readings_ingest(messages=batch, source="unit", now=now)
    later = readings_ingest(
        messages=[
            msg(dev, {"pH": 7.1}, now - timedelta(hours=1)),
            msg(dev, {"pH": 7.2}, now - timedelta(seconds=20)),
        ],
        source="unit",
        now=now,
    )
    assert later.counts == {
        "out_of_order": 1,
        "late": 1,
        "stored": 1,
    }  # late within the reorder window: history
    assert out.counts == {
        "malformed": 3,
        "unknown_device": 1,
        "out_of_range": 1,
        "bad_value": 2,
        "future_timestamp": 1,
        "too_old": 1,
        "stored": 1,
        "duplicate": 1,
    }
    assert Reading.objects.count() == 2
    counters = dict(IngestCounter.objects.filter(source="unit").values_list("reason", "count"))
    assert counters["malformed"] == 3 and counters["stored"] == 2
    dev.refresh_from_db()
    assert dev.last_values == {"pH": 7.1} and dev.last_seen_at is not None


def test_threshold_with_hysteresis_does_not_flap_on_noise(make_device):
    dev = make_device("water_quality")
    rule = AlarmRule.objects.get(device_type="water_quality", prop="pH", kind="threshold")
    assert (rule.high, rule.hysteresis, rule.raise_after) == (8.5, 0.2, 3)
    start = clock.now() - timedelta(hours=1)
    # noise around the limit: 8.4..8.6 alternating, then a real excursion, then noise inside the band
    signal = [
        8.45,
        8.55,
        8.4,
        8.6,
        8.45,
        8.52,
        8.48,
        8.9,
        9.0,
        9.1,
        9.0,
        8.45,
        8.4,
        8.55,
        8.42,
        8.38,
        8.6,
        8.35,
        8.0,
        8.0,
        8.0,
    ]
    for i, value in enumerate(signal):
        readings_ingest(
            messages=[msg(dev, {"pH": value}, start + timedelta(seconds=10 * i))], now=clock.now()
        )
    alarms = list(Alarm.objects.filter(device=dev, rule=rule))
    assert len(alarms) == 1
    assert alarms[0].status == "recovered"
    assert alarms[0].severity == "orange"
    assert Reading.objects.filter(device=dev).count() == len(signal)


def test_status_and_rate_rules(make_device):
    bin_ = make_device("waste")
    pipe = make_device("pipe")
    t = clock.now() - timedelta(minutes=30)
    readings_ingest(messages=[msg(bin_, {"fillingLevel": 0.3, "status": "ok"}, t)])
    readings_ingest(messages=[msg(bin_, {"status": "burning"}, t + timedelta(seconds=5))])
    fire = Alarm.objects.get(device=bin_)
    assert fire.severity == "red" and fire.status == "raised" and fire.value == "burning"
    readings_ingest(
        messages=[msg(pipe, {"pressure": 0.40}, t), msg(pipe, {"pressure": 0.38}, t + timedelta(minutes=1))]
    )
    assert not Alarm.objects.filter(device=pipe).exists()
    readings_ingest(messages=[msg(pipe, {"pressure": 0.15}, t + timedelta(minutes=2))])
    drop = Alarm.objects.get(device=pipe, rule__kind="rate")
    assert drop.severity == "red"
