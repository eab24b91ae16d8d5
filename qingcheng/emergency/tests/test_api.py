"""API: reads in scope, writes through services, errors are 4xx with a code and nothing half-written."""

from __future__ import annotations

import pytest

from qingcheng.emergency.models import EmergencyWarning, HazardSource, HiddenDanger, Incident, StockMovement

pytestmark = [pytest.mark.django_db, pytest.mark.urls("qingcheng.emergency.tests.api_urls")]

BASE = "/api/emergency"


def post(client, url, body):
    return client.post(f"{BASE}{url}", body, content_type="application/json")


def incident_body(**kw):
    return {
        "title": "测试：内涝",
        "category": "natural",
        "grade": "4",
        "area_code": "150105",
        "lon": 111.7,
        "lat": 40.8,
        **kw,
    }


def test_hazard_source_register_and_errors(em, api_client_for):
    admin = api_client_for(em["admin"])
    body = {
        "code": "WX-API",
        "name": "测试液氨冷库",
        "owner_name": "测试食品有限公司",
        "area_code": "150105",
        "lon": 111.7,
        "lat": 40.8,
        "people_exposed": 60,
        "substances": [
            {
                "name": "液氨",
                "category": "toxic_gas",
                "gas_key": "nh3",
                "quantity_t": "40",
                "critical_t": "10",
            }
        ],
    }
    response = post(admin, "/hazard-sources", body)
    assert response.status_code == 201, response.content
    assert response.json()["grade"] == 3 and response.json()["r_value"] == "12.0000"
    again = post(admin, "/hazard-sources", body)
    assert again.status_code == 400 and again.json()["error"]["code"] == "duplicate"
    bad = post(
        admin,
        "/hazard-sources",
        {**body, "code": "WX-API2", "substances": [{**body["substances"][0], "gas_key": "xx"}]},
    )
    assert bad.status_code == 400 and bad.json()["error"]["message_zh"]
    outside = post(admin, "/hazard-sources", {**body, "code": "WX-API3", "area_code": "150102"})
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "permission_denied"
    assert HazardSource.objects.count() == 1
    listing = api_client_for(em["leader"]).get(f"{BASE}/hazard-sources")
    assert [row["code"] for row in listing.json()] == ["WX-API"]
    assert api_client_for(em["outsider_leader"]).get(f"{BASE}/hazard-sources").json() == []
    assert api_client_for(em["citizen"]).get(f"{BASE}/hazard-sources").status_code == 403


def test_hidden_danger_flow_over_the_api(em, api_client_for):
    body = {
        "title": "测试：配电箱锈蚀",
        "level": "general",
        "origin": "inspection",
        "area_code": "150105",
        "responsible_department_id": em["unit"].pk,
        "rectify_days": 7,
    }
    created = post(api_client_for(em["supervisor"]), "/hidden-dangers", body)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    handler = api_client_for(em["handler"])
    assert post(handler, f"/hidden-dangers/{pk}/actions/start", {}).json()["status"] == "rectifying"
    wrong = post(handler, f"/hidden-dangers/{pk}/actions/accept", {})
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "invalid_transition"
    assert post(handler, f"/hidden-dangers/{pk}/actions/submit", {}).status_code == 200
    own = post(api_client_for(em["handler"]), f"/hidden-dangers/{pk}/actions/accept", {})
    assert own.status_code == 403
    stale = post(
        api_client_for(em["leader"]), f"/hidden-dangers/{pk}/actions/accept", {"expected_version": 0}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    ok = post(api_client_for(em["leader"]), f"/hidden-dangers/{pk}/actions/accept", {})
    assert ok.json()["status"] == "closed"
    hidden = post(api_client_for(em["outsider_leader"]), f"/hidden-dangers/{pk}/actions/supervise", {})
    assert hidden.status_code == 404
    missing_days = post(api_client_for(em["supervisor"]), "/hidden-dangers", {**body, "rectify_days": 0})
    assert (
        missing_days.status_code == 400 and missing_days.json()["error"]["details"]["field"] == "rectify_days"
    )
    assert HiddenDanger.objects.count() == 1


def test_incident_warning_response_dispatch_and_close(em, api_client_for, stock):
    stock["receive"](10)
    leader = api_client_for(em["leader"])
    created = post(leader, "/incidents", incident_body())
    assert created.status_code == 201
    pk = created.json()["id"]
    bad_level = post(
        leader,
        f"/incidents/{pk}/warnings",
        {
            "category": "暴雨",
            "level": 5,
            "affected_area": "赛罕区",
            "advice": "a",
            "measures": "b",
            "issuer": "c",
        },
    )
    assert bad_level.status_code == 400 and bad_level.json()["error"]["details"]["field"] == "level"
    warning = post(
        leader,
        f"/incidents/{pk}/warnings",
        {
            "category": "暴雨",
            "level": 2,
            "affected_area": "赛罕区",
            "advice": "避免外出",
            "measures": "停课",
            "issuer": "赛罕区人民政府",
        },
    )
    assert warning.status_code == 201 and warning.json()["colour"] == "orange"
    no_matters = post(leader, f"/incidents/{pk}/actions/start_response", {"level": 3})
    assert no_matters.status_code == 400 and no_matters.json()["error"]["code"] == "required"
    assert Incident.objects.get(pk=pk).status == "reported"
    started = post(
        leader,
        f"/incidents/{pk}/actions/start_response",
        {"level": 3, "matters": "排涝", "measures": "抽水", "expected_hours": 24},
    )
    assert started.json()["response_level"] == 3 and started.json()["status"] == "responding"
    adjusted = post(
        leader,
        f"/incidents/{pk}/actions/adjust_response",
        {"level": 2, "matters": "排涝", "measures": "增派"},
    )
    assert adjusted.json()["response_level"] == 2
    dispatcher = api_client_for(em["dispatcher"])
    too_many = post(
        dispatcher,
        f"/incidents/{pk}/dispatch",
        {"warehouse_id": stock["warehouse"].pk, "item_id": stock["item"].pk, "quantity": 11},
    )
    assert too_many.status_code == 409 and too_many.json()["error"]["code"] == "insufficient_stock"
    assert StockMovement.objects.filter(kind="dispatch").count() == 0
    moved = post(
        dispatcher,
        f"/incidents/{pk}/dispatch",
        {"warehouse_id": stock["warehouse"].pk, "item_id": stock["item"].pk, "quantity": 4},
    )
    assert moved.status_code == 201 and moved.json()[0]["delta"] == -4
    assert post(
        api_client_for(em["citizen"]), f"/incidents/{pk}/actions/end_response", {"reason": "x"}
    ).status_code in (403, 404)
    ended = post(leader, f"/incidents/{pk}/actions/end_response", {"reason": "积水已排除"})
    assert ended.json()["status"] == "recovery" and ended.json()["response_level"] is None
    blocked = post(leader, f"/incidents/{pk}/actions/close", {})
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "warnings_active"
    assert post(leader, f"/warnings/{warning.json()['id']}/lift", {}).json()["status"] == "lifted"
    assert post(leader, f"/incidents/{pk}/actions/close", {}).json()["status"] == "closed"
    responses = Incident.objects.get(pk=pk).responses.order_by("started_at", "id")
    assert [(r.level, r.ended_at is not None) for r in responses] == [(3, True), (2, True)]
    assert EmergencyWarning.objects.get().status == "lifted"
    unknown = post(leader, f"/incidents/{pk}/actions/fly", {})
    assert unknown.status_code == 409


def test_nearest_shelters_and_lifelines_and_validation(em, api_client_for, shelters):
    shelters("S1", 111.701, 40.8, capacity=100)
    leader = api_client_for(em["leader"])
    hits = leader.get(f"{BASE}/shelters/nearest", {"lon": 111.7, "lat": 40.8, "people": 5}).json()
    assert [h["shelter"]["code"] for h in hits] == ["S1"] and hits[0]["free"] == 100
    bad = leader.get(f"{BASE}/shelters/nearest", {"lon": 500, "lat": 40.8})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_coordinates"
    missing = leader.get(f"{BASE}/shelters/nearest", {"lat": 40.8})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_input"
    set_ = post(
        leader,
        "/lifelines",
        {"area_code": "150105001", "kind": "power", "state": "outage", "note": "变电站故障"},
    )
    assert set_.status_code == 200 and set_.json()["state"] == "outage"
    bad_kind = post(leader, "/lifelines", {"area_code": "150105001", "kind": "magic", "state": "outage"})
    assert bad_kind.status_code == 400
    board = {row["kind"]: row["state"] for row in leader.get(f"{BASE}/lifelines").json()}
    assert board == {
        "water": "normal",
        "power": "outage",
        "gas": "normal",
        "heat": "normal",
        "traffic": "normal",
        "telecom": "normal",
    }
    assert api_client_for(em["outsider_leader"]).get(f"{BASE}/lifelines").json()[1]["state"] == "normal"


def test_unauthenticated_is_401(client):
    response = client.get(f"{BASE}/incidents")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
