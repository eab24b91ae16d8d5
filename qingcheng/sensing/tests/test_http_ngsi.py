"""HTTP ingestion with device keys, the NGSI-LD-shaped read API, the platform API and the monitor page."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from qingcheng.sensing.models import Reading
from qingcheng.sensing.services import device_key_create, device_key_revoke

pytestmark = pytest.mark.django_db


def body(values, ts=None):
    return json.dumps({"ts": ts or int(time.time() * 1000), "values": values})


def test_http_ingestion_with_device_key(make_device):
    dev = make_device("parking_lot")
    key, raw = device_key_create(actor=None, device=dev)
    c = Client()
    url = "/sensing/http/v1/telemetry"
    assert c.post(url, body({"availableSpotNumber": 10}), content_type="application/json").status_code == 401
    r = c.post(
        url, body({"availableSpotNumber": 10}), content_type="application/json", headers={"X-Device-Key": raw}
    )
    assert r.status_code == 202 and r.json()["stored"] == 1
    r = c.post(url, b"{oops", content_type="application/json", headers={"X-Device-Key": raw})
    assert r.status_code == 400 and r.json()["rejected"] == {"malformed": 1}
    device_key_revoke(actor=None, key=key)
    r = c.post(
        url, body({"availableSpotNumber": 9}), content_type="application/json", headers={"X-Device-Key": raw}
    )
    assert r.status_code == 401
    assert Reading.objects.filter(device=dev).count() == 1


def test_ngsi_entities_query_and_temporal(make_device, make_user):
    from qingcheng.sensing import ingest as ing
    from qingcheng.sensing.services import readings_ingest

    wq = make_device("water_quality")
    other = make_device("water_quality")
    now = int(time.time() * 1000)
    readings_ingest(
        messages=[
            ing.Message(wq.device_id, body({"pH": 7.0, "turbidity": 0.2}, now - 2000)),
            ing.Message(wq.device_id, body({"pH": 7.4, "turbidity": 0.3}, now - 1000)),
            ing.Message(other.device_id, body({"pH": 6.9}, now - 1000)),
        ]
    )
    c = Client()
    assert c.get("/ngsi-ld/v1/entities?type=WaterQualityObserved").status_code == 401
    c.force_login(make_user(["receiver"], area_code="150105"))
    r = c.get("/ngsi-ld/v1/entities", {"type": "WaterQualityObserved", "q": "pH>7.2"})
    assert r.status_code == 200 and r["Content-Type"] == "application/ld+json"
    entities = r.json()
    assert [e["id"] for e in entities] == [f"urn:ngsi-ld:WaterQualityObserved:{wq.device_id}"]
    assert entities[0]["pH"]["value"] == 7.4 and entities[0]["location"]["type"] == "GeoProperty"
    assert "@context" in entities[0]
    one = c.get(f"/ngsi-ld/v1/entities/urn:ngsi-ld:WaterQualityObserved:{wq.device_id}").json()
    assert one["turbidity"]["value"] == 0.3
    assert c.get("/ngsi-ld/v1/entities/urn:ngsi-ld:WaterQualityObserved:NOPE").status_code == 404
    series = c.get(
        f"/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:WaterQualityObserved:{wq.device_id}", {"attrs": "pH"}
    ).json()
    assert [p["value"] for p in series["pH"]] == [7.0, 7.4] and "turbidity" not in series
    # another district sees nothing
    c.force_login(make_user(["receiver"], area_code="150102"))
    assert c.get("/ngsi-ld/v1/entities", {"type": "WaterQualityObserved"}).json() == []


def test_monitor_page_and_live_json(make_device, make_user):
    make_device("waste")
    c = Client()
    c.force_login(make_user(["citizen"], area_code="150105"))
    assert c.get("/sensing/").status_code == 403
    c.force_login(make_user(["receiver"], area_code="150105"))
    page = c.get("/sensing/")
    assert page.status_code == 200 and b"sensing-map" in page.content
    live = c.get("/sensing/live.json").json()
    assert len(live["devices"]) == 1 and live["devices"][0]["health"] == "never"


def test_platform_api(make_device, make_user):
    from ninja import NinjaAPI
    from ninja.testing import TestClient

    from qingcheng.sensing.api import router

    dev = make_device("noise")
    api = NinjaAPI(urls_namespace=f"sensing-test-{time.time_ns()}")
    api.add_router("/sensing/", router)
    client = TestClient(api)
    user = make_user(["receiver"], area_code="150105")
    rows = client.get("/sensing/devices", user=user).json()
    assert [d["device_id"] for d in rows] == [dev.device_id]
    assert client.get(f"/sensing/devices/{dev.device_id}/readings", user=user).json() == []


def test_demo_sensors_and_simulator(test_city):
    from qingcheng.sensing import ingest as ing
    from qingcheng.sensing.demo import Simulator, load_demo_sensors
    from qingcheng.sensing.services import readings_ingest

    created, total = load_demo_sensors(count=40)
    assert created == total == 40
    sim = Simulator(seed=3, fault_rate=0.3)
    msgs = [ing.Message(topic.split("/")[-2], body) for topic, body in sim.round(root="city")]
    out = readings_ingest(messages=msgs, source="sim")
    assert out.counts["stored"] >= 20
    assert set(out.counts) <= {"stored", "malformed", "out_of_range", "too_old"}


def test_ngsi_entities_mask_phone_numbers_in_names(make_device, make_user):
    device = make_device("water_quality")
    device.name = "3号泵站 管护人 138-1234-5678 / 0471-6012345"
    device.save(update_fields=["name"])
    c = Client()
    c.force_login(make_user(["receiver"], area_code="150105"))
    one = c.get(f"/ngsi-ld/v1/entities/urn:ngsi-ld:WaterQualityObserved:{device.device_id}").json()
    assert one["name"]["value"] == "3号泵站 管护人 138-****-5678 / 0471-*****45"
    listed = c.get("/ngsi-ld/v1/entities", {"type": "WaterQualityObserved"}).content.decode()
    assert "1234-5678" not in listed and "6012345" not in listed
