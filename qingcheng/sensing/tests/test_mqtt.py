"""Against the real Mosquitto on 127.0.0.1:1883: ingestion, bad payloads, hysteresis on a noisy stream,
and a killed ingester that restarts without losing a message."""

from __future__ import annotations

import random
import time

import pytest

from qingcheng.sensing.ingest import topic_for
from qingcheng.sensing.models import Alarm, IngestCounter, Reading

from .conftest import payload

pytestmark = pytest.mark.django_db


def test_mqtt_ingestion_and_bad_payload_counters(make_device, ingester_factory, publisher, root):
    dev = make_device("noise")
    topic = topic_for("noise", dev.area_code, dev.device_id, root=root)
    ingester = ingester_factory()
    now_ms = int(time.time() * 1000)
    for i in range(20):
        publisher.publish(
            topic, payload({"LAeq": 55.0 + i % 3}, ts=now_ms - 20_000 + i * 1000, seq=i)
        ).wait_for_publish(5)
    publisher.publish(topic, b"\xff\xfe garbage").wait_for_publish(5)
    publisher.publish(topic, payload({"LAeq": 400.0})).wait_for_publish(5)
    publisher.publish(
        topic_for("noise", dev.area_code, "GHOST-1", root=root), payload({"LAeq": 50})
    ).wait_for_publish(5)
    publisher.publish(topic, payload({"LAeq": 50}, ts=now_ms + 3_600_000)).wait_for_publish(5)
    assert ingester.run_until(lambda: sum(ingester.totals.values()) >= 24, timeout=15)
    assert Reading.objects.filter(device=dev).count() == 20
    counters = dict(IngestCounter.objects.filter(source=ingester.client_id).values_list("reason", "count"))
    assert counters == {
        "stored": 20,
        "malformed": 1,
        "out_of_range": 1,
        "unknown_device": 1,
        "future_timestamp": 1,
    }
    dev.refresh_from_db()
    assert dev.last_values["LAeq"] in (55.0, 56.0, 57.0)


def test_mqtt_noisy_signal_raises_one_alarm(make_device, ingester_factory, publisher, root):
    """LAeq noise of ±2.5 dB around the 70 dB limit (hysteresis 3, three readings to raise) raises
    exactly one alarm for a real excursion and recovers once."""
    dev = make_device("noise")
    topic = topic_for("noise", dev.area_code, dev.device_id, root=root)
    ingester = ingester_factory()
    rnd = random.Random(7)
    base = int(time.time() * 1000) - 200_000
    values = [68.0 + rnd.uniform(-2.5, 2.5) for _ in range(40)]  # hovering just under/over 70
    values += [78.0 + rnd.uniform(-1, 1) for _ in range(10)]  # a real excursion
    values += [68.5 + rnd.uniform(-1.5, 1.5) for _ in range(30)]  # back into the band: must not re-raise
    values += [60.0] * 5
    for i, v in enumerate(values):
        publisher.publish(topic, payload({"LAeq": round(v, 1)}, ts=base + i * 1000, seq=i))
    assert ingester.run_until(lambda: Reading.objects.filter(device=dev).count() == len(values), timeout=20)
    alarms = list(Alarm.objects.filter(device=dev, rule__prop="LAeq"))
    assert len(alarms) == 1, [a.value for a in alarms]
    assert alarms[0].status == "recovered" and alarms[0].case is not None


def test_killed_ingester_restarts_without_loss(make_device, ingester_factory, publisher, root):
    devices = [make_device("dust") for _ in range(5)]
    total = 600
    first = ingester_factory(client_id=f"{root}-a", batch_size=50)
    base = int(time.time() * 1000) - 100_000
    topics = [topic_for("dust", d.area_code, d.device_id, root=root) for d in devices]
    infos = []
    for i in range(total // 2):
        infos.append(
            publisher.publish(topics[i % 5], payload({"pm10": 50.0, "pm25": 20.0}, ts=base + i * 100, seq=i))
        )
    assert first.run_until(lambda: Reading.objects.count() >= 100, timeout=15)
    first.crash()  # mid-stream: some messages received but not stored/acknowledged
    stored_at_crash = Reading.objects.count()
    assert stored_at_crash < total
    for i in range(total // 2, total):  # published while no ingester runs: the session queues them
        infos.append(
            publisher.publish(topics[i % 5], payload({"pm10": 50.0, "pm25": 20.0}, ts=base + i * 100, seq=i))
        )
    for info in infos:
        info.wait_for_publish(5)
    second = ingester_factory(client_id=f"{root}-a", batch_size=50)
    assert second.run_until(lambda: Reading.objects.count() >= total, timeout=20), Reading.objects.count()
    second.pump(0.5)
    seqs = sorted(Reading.objects.values_list("seq", flat=True))
    assert seqs == list(range(total))
