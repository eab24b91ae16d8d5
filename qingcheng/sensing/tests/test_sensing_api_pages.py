"""The platform API (/api/sensing/), the monitor page's alarm buttons and the management commands,
including `simulate_sensors` publishing through the real Mosquitto to an ingester."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from qingcheng.core import clock
from qingcheng.sensing import ingest as ing
from qingcheng.sensing.models import Alarm, Device, IngestCounter, Reading
from qingcheng.sensing.services import readings_ingest

pytestmark = pytest.mark.django_db

API = "/api/sensing"


def msg(device, values, at):
    return ing.Message(device.device_id, json.dumps({"ts": int(at.timestamp() * 1000), "values": values}))


@pytest.fixture
def fire(make_device):
    dev = make_device("waste")
    t = clock.now() - timedelta(minutes=10)
    readings_ingest(
        messages=[
            msg(dev, {"fillingLevel": 0.3, "temperature": 20.0}, t),
            msg(dev, {"status": "burning", "temperature": 90.0}, t + timedelta(minutes=1)),
        ],
        source="fixture",
    )
    return dev, Alarm.objects.get(device=dev, rule__kind="status"), t


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def test_devices_readings_and_filters(fire, make_device, make_user):
    dev, _, t = fire
    make_device("noise")
    c = client_of(make_user(["receiver"], area_code="150105"))
    assert len(c.get(f"{API}/devices").json()) == 2
    only = c.get(f"{API}/devices", {"device_type": "waste"}).json()
    assert [d["device_id"] for d in only] == [dev.device_id] and only[0]["health"] == "online"
    assert c.get(f"{API}/devices", {"limit": 1, "offset": 1}).json()[0]["device_type"] == "waste"
    one = c.get(f"{API}/devices/{dev.device_id}").json()
    assert one["last_values"]["status"] == "burning" and one["grid_code"] == dev.area_code
    series = c.get(f"{API}/devices/{dev.device_id}/readings").json()
    assert [r["values"].get("temperature") for r in series] == [20.0, 90.0]
    since = (t + timedelta(seconds=30)).isoformat()
    assert len(c.get(f"{API}/devices/{dev.device_id}/readings", {"since": since}).json()) == 1
    assert len(c.get(f"{API}/devices/{dev.device_id}/readings", {"until": since}).json()) == 1
    status_only = c.get(f"{API}/devices/{dev.device_id}/readings", {"attrs": "status"}).json()
    assert [r["values"] for r in status_only] == [{"status": "burning"}]
    assert c.get(f"{API}/devices/NOPE").status_code == 404
    # another district sees none of it
    outsider = client_of(make_user(["receiver"], area_code="150102"))
    assert outsider.get(f"{API}/devices").json() == []
    assert outsider.get(f"{API}/devices/{dev.device_id}/readings").status_code == 404
    assert client_of(make_user(["citizen"], area_code="150105")).get(f"{API}/devices").status_code == 403


def test_alarms_acknowledge_close_and_counters(fire, make_user):
    _, alarm, _ = fire
    c = client_of(make_user(["receiver"], area_code="150105"))
    listed = c.get(f"{API}/alarms", {"open_only": True}).json()
    assert [a["id"] for a in listed] == [alarm.pk]
    assert listed[0]["severity"] == "red" and listed[0]["case_number"] == alarm.case.number
    assert c.get(f"{API}/alarms", {"status": "closed"}).json() == []
    done = c.post(f"{API}/alarms/{alarm.pk}/acknowledge", {"note": "已派人"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    again = c.post(f"{API}/alarms/{alarm.pk}/acknowledge", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "alarm_bad_transition"
    closed = c.post(f"{API}/alarms/{alarm.pk}/close", {}, content_type="application/json")
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    assert c.get(f"{API}/alarms", {"open_only": True}).json() == []
    outsider = client_of(make_user(["receiver"], area_code="150102"))
    assert (
        outsider.post(f"{API}/alarms/{alarm.pk}/close", {}, content_type="application/json").status_code
        == 404
    )
    counts = c.get(f"{API}/counters").json()
    assert counts == {"stored": 2}
    IngestCounter.objects.create(source="other", reason="stored", count=5)
    assert c.get(f"{API}/counters").json() == {"stored": 7}


def test_monitor_alarm_buttons(fire, make_user):
    _, alarm, _ = fire
    c = client_of(make_user(["receiver"], area_code="150105"))
    page = c.get("/sensing/")
    assert page.status_code == 200 and alarm.message.encode() in page.content
    response = c.post(f"/sensing/alarms/{alarm.pk}/acknowledge", {"note": "收到"}, follow=True)
    assert response.redirect_chain[-1][0] == "/sensing/"
    alarm.refresh_from_db()
    assert alarm.status == "acknowledged"
    # a refused transition is a message on the page, nothing changes
    response = c.post(f"/sensing/alarms/{alarm.pk}/acknowledge", follow=True)
    assert any("不允许" in str(m) or "cannot" in str(m) for m in response.context["messages"])
    c.post(f"/sensing/alarms/{alarm.pk}/close")
    alarm.refresh_from_db()
    assert alarm.status == "closed"
    live = c.get("/sensing/live.json").json()
    assert live["alarms"] == [] and live["summary"]["devices"] == 1
    assert c.get(f"/sensing/alarms/{alarm.pk}/close").status_code == 405


def test_load_demo_sensors_command(test_city):
    out = io.StringIO()
    call_command("load_demo_sensors", "--count", "13", stdout=out)
    assert "13 created, 13 in total" in out.getvalue()
    call_command("load_demo_sensors", "--count", "13", stdout=out)
    assert Device.objects.filter(synthetic=True).count() == 13
    assert set(Device.objects.values_list("device_type", flat=True)) >= {"waste", "manhole", "streetlight"}


def test_simulate_sensors_without_devices_says_so(db):
    err = io.StringIO()
    call_command("simulate_sensors", "--rounds", "1", stderr=err)
    assert "load_demo_sensors" in err.getvalue()


def test_simulate_sensors_through_the_broker(test_city, ingester_factory, root):
    """One round of the simulator without faults: every synthetic device's reading arrives over MQTT and
    is stored; a round with every device faulty is counted by reason, nothing crashes."""
    from qingcheng.sensing.demo import load_demo_sensors

    load_demo_sensors(count=26)
    ingester = ingester_factory()
    out = io.StringIO()
    call_command(
        "simulate_sensors",
        "--rounds",
        "1",
        "--interval",
        "0",
        "--root",
        root,
        "--fault-rate",
        "0",
        stdout=out,
    )
    assert "round 1: 26 messages" in out.getvalue()
    assert ingester.run_until(lambda: Reading.objects.count() >= 26, timeout=15), Reading.objects.count()
    assert IngestCounter.objects.get(source=ingester.client_id, reason="stored").count == 26
    assert Device.objects.filter(synthetic=True, last_seen_at__isnull=False).count() == 26


def test_ingest_mqtt_command_stops_on_request(monkeypatch, broker, root):
    from qingcheng.sensing import mqtt

    seen = {}

    def run_forever(self):
        seen["topic"], seen["client_id"] = self.topic, self.client_id
        self.stop_event.set()
        self.close()

    monkeypatch.setattr(mqtt.Ingester, "run_forever", run_forever)
    out = io.StringIO()
    call_command("ingest_mqtt", "--client-id", f"{root}-cmd", "--root", root, stdout=out)
    assert seen == {"topic": f"$share/qingcheng/{root}/+/+/+/+/telemetry", "client_id": f"{root}-cmd"}
    assert f"ingesting $share/qingcheng/{root}" in out.getvalue()
    mqtt.discard_session(f"{root}-cmd")
