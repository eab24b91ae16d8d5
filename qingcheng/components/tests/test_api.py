"""The components API: filters, bounding box, paging, map features, detail, writes, scope."""

import json

import pytest

from qingcheng.components import services
from qingcheng.components.models import Component
from qingcheng.components.selectors import component_features


@pytest.fixture
def inventory(city, centre):
    made = []
    for col, row, klass in [(0, 0, "0101"), (1, 0, "0101"), (2, 1, "0102"), (3, 2, "0305"), (0, 2, "0402")]:
        lon, lat = centre(col, row)
        made.append(
            services.component_create(actor=None, class_code=klass, lon=lon, lat=lat, name=f"部件{col}{row}")
        )
    services.component_set_state(actor=None, component=made[2], state="破损")
    return made


@pytest.fixture
def client(make_user, api_client_for):
    return api_client_for(make_user(["dispatcher"], area_code="150105"))


def test_list_filters_and_paging(inventory, client):
    body = client.get("/api/components/").json()
    assert body["count"] == 5 and body["items"][0]["code"] == "1501050101000001"
    assert body["items"][0]["class_name"] == "上水井盖" and body["items"][0]["state_zh"] == "完好"
    assert client.get("/api/components/?class_code=01").json()["count"] == 3
    assert client.get("/api/components/?class_code=0102").json()["count"] == 1
    assert client.get("/api/components/?state=破损").json()["items"][0]["class_code"] == "0102"
    assert client.get("/api/components/?area=150105002").json()["count"] == 2
    assert client.get("/api/components/?q=1501050101").json()["count"] == 2
    assert client.get("/api/components/?q=部件00").json()["count"] == 1
    page = client.get("/api/components/?page=2&page_size=2").json()
    assert page["count"] == 5 and [i["code"] for i in page["items"]] == [
        "1501050102000001",
        "1501050305000001",
    ]


def test_bbox_filter_and_bad_bbox(inventory, client, centre):
    (w, n), (e, s) = centre(0, 0), centre(1, 0)
    box = f"{w - 0.0001},{s - 0.0001},{e + 0.0001},{n + 0.0001}"
    assert client.get(f"/api/components/?bbox={box}").json()["count"] == 2
    for bad in ["1,2,3", "a,b,c,d", "112,41,111,40", "111,40,112,95", "nan,1,2,3"]:
        response = client.get(f"/api/components/?bbox={bad}")
        assert response.status_code == 400, bad
        error = response.json()["error"]
        assert error["code"] == "invalid_bbox" and error["message_zh"] and error["message_en"]
    assert client.get("/api/components/?state=坏").status_code == 400
    assert client.get("/api/components/?class_code=abc").status_code == 400


def test_geojson_for_the_map(inventory, client, make_user):
    response = client.get("/api/components/geojson?bbox=111.6,40.7,111.8,40.9&class_code=01")
    body = response.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 3 and body["truncated"] is False
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["code"] == "1501050101000001"
    assert client.get("/api/components/geojson").status_code in (400, 422)
    assert client.get("/api/components/geojson?bbox=1,2").status_code == 400
    dispatcher = make_user(["dispatcher"], area_code="150105")
    limited = component_features(actor=dispatcher, bbox=(111.6, 40.7, 111.8, 40.9), limit=2)
    assert len(limited["features"]) == 2 and limited["truncated"] is True


def test_detail_and_scope(inventory, client, make_user, api_client_for):
    code = inventory[0].code
    assert client.get(f"/api/components/{code}").json()["grid_code"] == "150105001001001"
    assert client.get("/api/components/1501050101999999").status_code == 404
    outsider = api_client_for(make_user(["dispatcher"], area_code="150102"))
    response = outsider.get(f"/api/components/{code}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert outsider.get("/api/components/").json()["count"] == 0
    assert outsider.get("/api/components/geojson?bbox=111.6,40.7,111.8,40.9").json()["features"] == []
    citizen = api_client_for(make_user(["citizen"], area_code="150105"))
    assert citizen.get("/api/components/").status_code == 403


def test_classes_endpoint(db, client):
    body = client.get("/api/components/classes?major=01").json()
    codes = [c["code"] for c in body]
    assert codes[0] == "01" and "0101" in codes and all(c.startswith("01") for c in codes)
    assert next(c for c in body if c["code"] == "0102")["parent_code"] == "01"
    unverified = client.get("/api/components/classes?verified=false").json()
    assert "0110" in [c["code"] for c in unverified]


def test_write_endpoints(city, centre, make_user, api_client_for):
    admin = api_client_for(make_user(["admin"], area_code="150105"))
    lon, lat = centre(1, 1)
    response = admin.post(
        "/api/components/",
        json.dumps({"class_code": "0118", "lon": lon, "lat": lat, "name": "路灯1"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert code == "1501050118000001" and response.json()["accuracy"] == "A"
    outside = admin.post(
        "/api/components/",
        json.dumps({"class_code": "0118", "lon": 113.0, "lat": 42.0}),
        content_type="application/json",
    )
    assert outside.status_code == 400 and outside.json()["error"]["code"] == "outside_coverage"
    patched = admin.patch(
        f"/api/components/{code}", json.dumps({"note": "新装"}), content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["note"] == "新装"
    state = admin.post(
        f"/api/components/{code}/state", json.dumps({"state": "丢失"}), content_type="application/json"
    )
    assert state.json()["state"] == "lost"
    viewer = api_client_for(make_user(["dispatcher"], area_code="150105"))
    denied = viewer.patch(
        f"/api/components/{code}", json.dumps({"note": "x"}), content_type="application/json"
    )
    assert denied.status_code == 403
    assert Component.objects.get(code=code).note == "新装"
