"""Absurd numbers and nesting in telemetry: counted as malformed, answered 400 over HTTP, never a 500 and
never a crashed MQTT ingester (a poison message would be redelivered for ever)."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from qingcheng.sensing import ingest as ing
from qingcheng.sensing.ingest import topic_for
from qingcheng.sensing.models import IngestCounter, Reading
from qingcheng.sensing.services import device_key_create, readings_ingest

from .conftest import payload

pytestmark = pytest.mark.django_db


def now_ms() -> int:
    return int(time.time() * 1000)


def raw(ts: object, value: object, extra: str = "") -> bytes:
    """A payload written by hand, so that literals json.dumps would never produce get through."""
    return ('{"ts": ' + str(ts) + extra + ', "values": {"LAeq": ' + str(value) + "}}").encode()


def hostile() -> list[tuple[str, bytes]]:
    ts = now_ms()
    big = "1" + "0" * 400
    return [
        ("float 1e400 in values", raw(ts, "1e400")),
        ("integer 10^400 in values", raw(ts, big)),
        ("integer 10^400 as ts", raw(big, 50)),
        ("integer 10^400 as seq", raw(ts, 50, ', "seq": ' + big)),
        ("integer 10^400 as battery", raw(ts, 50, ', "battery": ' + big)),
        ("NaN", raw(ts, "NaN")),
        ("Infinity", raw(ts, "Infinity")),
        ("-Infinity as ts", raw("-Infinity", 50)),
        ("2,000 deep under the size cap", b"[" * 2000 + b"]" * 2000),
        ("10,000 deep", b"[" * 10_000 + b"]" * 10_000),
        ("deep inside values", raw(ts, "[[[[[1]]]]]")),
        ("year 1 at +14:00", raw('"0001-01-01T00:00:00+14:00"', 50)),
        ("year 9999 at -12:00", raw('"9999-12-31T23:59:59-12:00"', 50)),
    ]


def test_decode_refuses_what_is_no_telemetry():
    for label, body in hostile()[:11]:
        with pytest.raises(ing.PayloadError):
            ing.decode(body)
        assert isinstance(ing.parse(ing.Message("X", body)), ing.Rejected), label
    assert ing.decode(b'{"ts": 1, "seq": -9223372036854775807, "values": {"a": 1.5e300}}')["values"] == {
        "a": 1.5e300
    }


def test_hostile_payloads_are_counted_malformed_and_the_good_one_stored(make_device):
    dev = make_device("noise")
    batch = [ing.Message(dev.device_id, body) for _, body in hostile()]
    batch.append(ing.Message(dev.device_id, payload({"LAeq": 50.5})))
    out = readings_ingest(messages=batch, source="hostile")
    assert out.counts == {"malformed": len(hostile()), "stored": 1}
    assert Reading.objects.filter(device=dev).count() == 1
    assert dict(IngestCounter.objects.filter(source="hostile").values_list("reason", "count")) == {
        "malformed": len(hostile()),
        "stored": 1,
    }


@pytest.mark.parametrize("label,body", hostile(), ids=[label for label, _ in hostile()])
def test_http_answers_400_malformed(make_device, label, body):
    dev = make_device("noise")
    _, raw = device_key_create(actor=None, device=dev)
    response = Client(raise_request_exception=False).post(
        "/sensing/http/v1/telemetry", body, content_type="application/json", headers={"X-Device-Key": raw}
    )
    assert response.status_code == 400, response.content[:200]
    assert response.json() == {"stored": 0, "rejected": {"malformed": 1}, "alarms_raised": 0}
    assert not Reading.objects.exists()


def test_http_list_with_hostile_items_stores_the_good_ones(make_device):
    dev = make_device("noise")
    _, raw = device_key_create(actor=None, device=dev)
    ts = now_ms()
    body = b'[{"ts": %d, "values": {"LAeq": 50}}, {"ts": %d, "values": {"LAeq": NaN}}]' % (ts - 1000, ts)
    response = Client().post(
        "/sensing/http/v1/telemetry", body, content_type="application/json", headers={"X-Device-Key": raw}
    )
    # NaN makes the whole body invalid JSON: one malformed message, nothing half-stored
    assert response.status_code == 400 and response.json()["rejected"] == {"malformed": 1}
    good = json.dumps([{"ts": ts - 1000, "values": {"LAeq": 50}}, {"ts": ts, "values": {"LAeq": 1e308}}])
    response = Client().post(
        "/sensing/http/v1/telemetry", good, content_type="application/json", headers={"X-Device-Key": raw}
    )
    assert response.status_code == 202
    assert response.json() == {"stored": 1, "rejected": {"out_of_range": 1}, "alarms_raised": 0}


def test_http_body_over_the_cap_is_413(make_device):
    dev = make_device("noise")
    _, raw = device_key_create(actor=None, device=dev)
    response = Client().post(
        "/sensing/http/v1/telemetry",
        b"[" + b"1," * 140_000 + b"1]",
        content_type="application/json",
        headers={"X-Device-Key": raw},
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_mqtt_ingester_survives_hostile_payloads(make_device, ingester_factory, publisher, root):
    dev = make_device("noise")
    topic = topic_for("noise", dev.area_code, dev.device_id, root=root)
    ingester = ingester_factory()
    for _, body in hostile():
        publisher.publish(topic, body).wait_for_publish(5)
    publisher.publish(topic, payload({"LAeq": 52.0})).wait_for_publish(5)
    expected = len(hostile()) + 1
    assert ingester.run_until(lambda: sum(ingester.totals.values()) >= expected, timeout=15)
    assert ingester.acked == expected  # every poison message was acknowledged, so none comes back
    counters = dict(IngestCounter.objects.filter(source=ingester.client_id).values_list("reason", "count"))
    assert counters == {"malformed": len(hostile()), "stored": 1}
    assert Reading.objects.filter(device=dev).count() == 1
