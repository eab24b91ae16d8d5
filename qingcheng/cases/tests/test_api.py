import json
import threading

import pytest
from django.db import connection
from django.test import Client

from qingcheng.cases.models import Case
from qingcheng.cases.services import case_report


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def new_case(loop):
    lon, lat = loop["point"]
    return case_report(
        actor=loop["users"]["supervisor"],
        source="supervisor",
        lon=lon,
        lat=lat,
        description="暴露垃圾",
        category_code="E0102",
    ).case


def test_list_detail_and_actions_through_the_api(loop, api_client_for):
    case = new_case(loop)
    receiver = api_client_for(loop["users"]["receiver"])
    listing = receiver.get("/api/cases/", {"status": ["reported"]}).json()
    assert listing["count"] == 1 and listing["items"][0]["number"] == case.number
    detail = receiver.get(f"/api/cases/{case.pk}").json()
    assert set(detail["allowed_actions"]) >= {"open", "send_verification", "cancel", "merge"}
    assert "dispatch" not in detail["allowed_actions"]
    assert [e["action"] for e in detail["timeline"]] == ["report"]
    opened = post(receiver, f"/api/cases/{case.pk}/actions", {"action": "open", "expected_version": 1})
    assert opened.status_code == 200, opened.content
    assert opened.json()["status"] == "opened"
    assert opened.json()["suggested_department_id"] == loop["unit"].pk
    dispatcher = api_client_for(loop["users"]["dispatcher"])
    assert "dispatch" in dispatcher.get(f"/api/cases/{case.pk}").json()["allowed_actions"]
    dispatched = post(dispatcher, f"/api/cases/{case.pk}/actions", {"action": "dispatch", "data": {}})
    assert dispatched.json()["owner_department_id"] == loop["unit"].pk  # the suggestion was taken


def test_errors_have_codes_and_write_nothing(loop, api_client_for):
    case = new_case(loop)
    receiver = api_client_for(loop["users"]["receiver"])
    wrong_state = post(receiver, f"/api/cases/{case.pk}/actions", {"action": "close"})
    assert wrong_state.status_code == 409 and wrong_state.json()["error"]["code"] == "invalid_transition"
    unknown = post(receiver, f"/api/cases/{case.pk}/actions", {"action": "teleport"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_action"
    # The procuratorate may read every case in its area but never act; auxiliaries do not even see cases.
    observer = api_client_for(loop["users"]["procuratorate"])
    assert observer.get(f"/api/cases/{case.pk}").json()["allowed_actions"] == []
    forbidden = post(observer, f"/api/cases/{case.pk}/actions", {"action": "open"})
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "permission_denied"
    hidden = post(
        api_client_for(loop["users"]["auxiliary"]), f"/api/cases/{case.pk}/actions", {"action": "open"}
    )
    assert hidden.status_code == 404
    outsider = api_client_for(loop["users"]["outsider_dispatcher"])
    assert outsider.get(f"/api/cases/{case.pk}").status_code == 404
    assert post(outsider, f"/api/cases/{case.pk}/actions", {"action": "open"}).status_code == 404
    assert outsider.get("/api/cases/").json()["count"] == 0
    case.refresh_from_db()
    assert case.status == "reported" and case.version == 1


def test_reporter_data_is_masked_without_permission(loop, api_client_for):
    lon, lat = loop["point"]
    case = case_report(
        actor=loop["users"]["hotline_agent"],
        source="hotline_12319",
        lon=lon,
        lat=lat,
        description="来电",
        reporter_name="张三丰",
        reporter_phone="13812345678",
    ).case
    seen = api_client_for(loop["users"]["receiver"]).get(f"/api/cases/{case.pk}").json()["reporters"][0]
    assert seen["name"] == "张三丰" and seen["phone"] == "13812345678"
    masked = api_client_for(loop["users"]["dispatcher"]).get(f"/api/cases/{case.pk}").json()["reporters"][0]
    assert masked["name"] == "张**" and masked["phone"] == "138****5678"


def test_units_see_cases_dispatched_to_them(loop, api_client_for, make_user):
    city_handler = make_user(["handler"], area_code="150100", department=loop["unit"])
    case = new_case(loop)
    assert api_client_for(city_handler).get("/api/cases/", {"mine": True}).json()["count"] == 0
    post(api_client_for(loop["users"]["receiver"]), f"/api/cases/{case.pk}/actions", {"action": "open"})
    post(
        api_client_for(loop["users"]["dispatcher"]),
        f"/api/cases/{case.pk}/actions",
        {"action": "dispatch", "data": {"department_id": loop["unit"].pk}},
    )
    assert api_client_for(city_handler).get("/api/cases/", {"mine": True}).json()["count"] == 1


def test_categories_and_tasks(loop, api_client_for):
    categories = api_client_for(loop["users"]["supervisor"]).get("/api/cases/categories").json()
    codes = {c["code"] for c in categories}
    assert {"E0102", "C0101", "E0101"} <= codes
    lon, lat = loop["point"]
    case = case_report(
        actor=loop["users"]["hotline_agent"], source="hotline_12319", lon=lon, lat=lat, description="来电"
    ).case
    post(
        api_client_for(loop["users"]["receiver"]),
        f"/api/cases/{case.pk}/actions",
        {"action": "send_verification"},
    )
    tasks = api_client_for(loop["users"]["supervisor"]).get("/api/cases/tasks/mine").json()
    assert [(t["kind"], t["case_number"]) for t in tasks] == [("verify", case.number)]


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_give_one_winner(transactional_loop):
    """Optimistic locking: both saw version 2; exactly one dispatch wins, the other gets 409."""
    if connection.vendor == "sqlite":
        pytest.skip("needs real concurrent transactions (runs on PostgreSQL in CI)")
    loop = transactional_loop
    case = new_case(loop)
    Client().force_login(loop["users"]["receiver"])
    receiver = Client()
    receiver.force_login(loop["users"]["receiver"])
    post(receiver, f"/api/cases/{case.pk}/actions", {"action": "open"})
    results = []
    barrier = threading.Barrier(2)

    def dispatch(unit):
        client = Client()
        client.force_login(loop["users"]["shift_leader"])
        barrier.wait()
        response = post(
            client,
            f"/api/cases/{case.pk}/actions",
            {"action": "dispatch", "data": {"department_id": unit.pk}, "expected_version": 2},
        )
        results.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=dispatch, args=(u,)) for u in (loop["unit"], loop["other_unit"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    case.refresh_from_db()
    assert case.version == 3
    assert list(case.events.values_list("action", flat=True)) == ["report", "open", "dispatch"]


@pytest.fixture
def transactional_loop(transactional_db, make_user, make_department):
    from qingcheng.cases.catalogue import load_demo_catalogue
    from qingcheng.geo.testing import build_test_city, cell_centre

    build_test_city()
    load_demo_catalogue()
    unit = make_department(area_code="150105", name="单位甲")
    other = make_department(area_code="150105", name="单位乙")
    users = {r: make_user([r], area_code="150105") for r in ("supervisor", "receiver", "shift_leader")}
    return {"unit": unit, "other_unit": other, "users": users, "point": cell_centre(0, 0)}


def test_case_is_visible_in_the_admin_only_in_scope(loop, client):
    case = new_case(loop)
    client.force_login(loop["users"]["outsider_dispatcher"])
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code in (302, 403)
    assert Case.objects.filter(pk=case.pk).exists()
