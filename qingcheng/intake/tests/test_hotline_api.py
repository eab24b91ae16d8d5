"""Hotline work orders through the API: 12319 calls, orders transferred from 12345 and 110, enquiries
answered on the spot, transfer to 110, the call-back after closure, masking of callers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from qingcheng.cases.models import Case
from qingcheng.intake.models import HotlineOrder
from qingcheng.testing import drive_to_closed

from .conftest import error_code

URL = "/api/intake/hotline/orders"
pytestmark = pytest.mark.django_db

CALLER = {"caller_name": "王小明", "caller_phone": "13800001234"}


def order(loop, **overrides):
    lon, lat = loop["point"]
    data = {
        "channel": "12319",
        "kind": "complaint",
        "content": "小区门口垃圾好几天没人清运",
        **CALLER,
        "lon": lon,
        "lat": lat,
        "category_code": "E0102",
    }
    data.update(overrides)
    return data


@pytest.fixture
def agent(users, client_for):
    return client_for(users["hotline_agent"])


def test_12319_complaint_becomes_a_case(loop, users, agent):
    response = agent.post(URL, order(loop), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "case_created" and body["number"].startswith("RX")
    case = Case.objects.get(number=body["case_number"])
    assert case.source == "hotline_12319" and case.status == "reported" and case.category.code == "E0102"
    reporter = case.reporters.get()
    assert (reporter.name, reporter.phone) == ("王小明", "13800001234")
    # The agent holds cases.view_personal_case: the caller is shown in full.
    assert body["caller_phone"] == "13800001234"


def test_orders_transferred_from_12345_and_110_keep_their_numbers(loop, agent):
    a = agent.post(
        URL,
        order(loop, channel="12345", external_number="HHHT12345-2026-000981"),
        content_type="application/json",
    )
    b = agent.post(
        URL,
        order(
            loop,
            channel="110",
            external_number="110-20260518-0042",
            category_code="E0505",
            content="车辆堵门",
        ),
        content_type="application/json",
    )
    assert a.status_code == b.status_code == 201
    first, second = (
        Case.objects.get(number=a.json()["case_number"]),
        Case.objects.get(number=b.json()["case_number"]),
    )
    assert (first.source, first.external_number) == ("hotline_12345", "HHHT12345-2026-000981")
    assert (second.source, second.external_number) == ("police_110", "110-20260518-0042")
    assert a.json()["external_number"] == "HHHT12345-2026-000981"
    # The same transferred order sent again without a key is caught by its number.
    again = agent.post(
        URL,
        order(loop, channel="12345", external_number="HHHT12345-2026-000981"),
        content_type="application/json",
    )
    assert again.status_code == 409 and error_code(again) == "duplicate_external_number"
    missing = agent.post(URL, order(loop, channel="12345"), content_type="application/json")
    assert missing.status_code == 400 and error_code(missing) == "required"


def test_enquiry_is_answered_without_a_case(loop, agent):
    payload = {
        "channel": "12319",
        "kind": "enquiry",
        "content": "请问大件垃圾怎么预约清运？",
        **CALLER,
        "answer": "可拨打社区电话预约，每周二、五清运。",
    }
    response = agent.post(URL, payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "answered" and body["case_number"] is None and body["closed_at"]
    assert Case.objects.count() == 0
    no_answer = agent.post(URL, {**payload, "answer": ""}, content_type="application/json")
    assert no_answer.status_code == 400 and error_code(no_answer) == "required"


def test_suggestion_without_location_is_received_then_closed(loop, agent):
    payload = {"channel": "12319", "kind": "suggestion", "content": "建议增设分类垃圾桶", **CALLER}
    response = agent.post(URL, payload, content_type="application/json")
    assert response.status_code == 201 and response.json()["status"] == "received"
    order_id = response.json()["id"]
    closed = agent.post(
        f"{URL}/{order_id}/close", {"answer": "已转城管局研究"}, content_type="application/json"
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert Case.objects.count() == 0


def test_complaint_needs_a_location(loop, agent, nothing_written):
    with nothing_written():
        response = agent.post(URL, order(loop, lon=None, lat=None), content_type="application/json")
        unknown = agent.post(
            URL, order(loop, lon=None, lat=None, address="火星大街999号"), content_type="application/json"
        )
    assert response.status_code == 400 and error_code(response) == "location_required"
    assert unknown.status_code == 400 and error_code(unknown) == "address_not_found"


def test_idempotent_retry_and_reused_key(loop, agent, nothing_written):
    headers = {"Idempotency-Key": "call-20260518-7"}
    first = agent.post(URL, order(loop), content_type="application/json", headers=headers)
    second = agent.post(URL, order(loop), content_type="application/json", headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["number"] == second.json()["number"] and second.json()["created"] is False
    assert HotlineOrder.objects.count() == 1 and Case.objects.count() == 1
    with nothing_written():
        reused = agent.post(
            URL, order(loop, content="别的事"), content_type="application/json", headers=headers
        )
    assert reused.status_code == 409 and error_code(reused) == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"lon": 116.39, "lat": 39.9}, "outside_coverage"),
        ({"category_code": "E9999"}, "unknown_category"),
        ({"channel": "12306"}, "invalid_channel"),
        ({"kind": "praise"}, "invalid_kind"),
        ({"content": "  "}, "required"),
    ],
)
def test_bad_orders_write_nothing(loop, agent, nothing_written, overrides, code):
    with nothing_written():
        response = agent.post(
            URL, order(loop, **overrides), content_type="application/json", headers={"Idempotency-Key": code}
        )
    assert response.status_code == 400, response.content
    assert error_code(response) == code


def test_only_hotline_staff_take_orders(loop, users, client_for):
    response = client_for(users["supervisor"]).post(URL, order(loop), content_type="application/json")
    assert response.status_code == 403


def test_transfer_to_110_cancels_the_unopened_case(loop, agent):
    created = agent.post(
        URL, order(loop, content="有人在小区门口打架"), content_type="application/json"
    ).json()
    response = agent.post(
        f"{URL}/{created['id']}/transfer-110", {"reason": "涉及治安案件"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["status"] == "transferred_110"
        and body["transferred_at"]
        and body["transfer_reason"] == "涉及治安案件"
    )
    case = Case.objects.get(number=created["case_number"])
    assert case.status == "cancelled"
    assert "110" in case.events.get(action="cancel").data["reason"]
    again = agent.post(
        f"{URL}/{created['id']}/transfer-110", {"reason": "再次"}, content_type="application/json"
    )
    assert again.status_code == 409 and error_code(again) == "invalid_order_status"


def test_transfer_refused_once_the_case_is_opened(loop, users, agent):
    created = agent.post(URL, order(loop), content_type="application/json").json()
    from qingcheng.cases.services import case_act

    case_act(
        case_id=Case.objects.get(number=created["case_number"]).pk, actor=users["receiver"], action="open"
    )
    response = agent.post(
        f"{URL}/{created['id']}/transfer-110", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 409 and error_code(response) == "case_in_progress"


def test_callback_unsatisfied_reopens_then_satisfied_closes(loop, users, agent, photo):
    created = agent.post(URL, order(loop), content_type="application/json").json()
    case = Case.objects.get(number=created["case_number"])
    early = agent.post(
        "/api/intake/hotline/callbacks",
        {"case_number": case.number, "satisfied": True, "score": 5},
        content_type="application/json",
    )
    assert early.status_code == 409 and error_code(early) == "invalid_transition"
    drive_to_closed(case, users, photo)

    unhappy = agent.post(
        "/api/intake/hotline/callbacks",
        {"case_number": case.number, "satisfied": False, "score": 2, "note": "垃圾又堆起来了"},
        content_type="application/json",
    )
    assert unhappy.status_code == 200, unhappy.content
    assert unhappy.json()["status"] == "handling" and unhappy.json()["rework_count"] == 1
    assert agent.get(f"{URL}/{created['id']}").json()["status"] == "case_created"

    drive_to_closed_again(case, users, photo)
    happy = agent.post(
        "/api/intake/hotline/callbacks",
        {"case_number": case.number, "satisfied": True, "score": 5},
        content_type="application/json",
    )
    assert (
        happy.status_code == 200 and happy.json()["status"] == "closed" and happy.json()["satisfaction"] == 5
    )
    assert agent.get(f"{URL}/{created['id']}").json()["status"] == "closed"
    unknown = agent.post(
        "/api/intake/hotline/callbacks",
        {"case_number": "nope", "satisfied": True},
        content_type="application/json",
    )
    assert unknown.status_code == 404


def drive_to_closed_again(case, users, photo):
    from qingcheng.cases.services import case_act

    for role, action, data, photos in [
        ("handler", "feedback", {}, [photo("after")]),
        ("receiver", "send_check", {}, None),
        ("supervisor", "check", {"passed": True}, None),
        ("shift_leader", "close", {}, None),
    ]:
        case_act(case_id=case.pk, actor=users[role], action=action, data=data, photos=photos)


def test_list_masks_callers_without_the_permission(loop, users, agent, make_user, client_for):
    agent.post(URL, order(loop), content_type="application/json")
    full = agent.get(URL).json()
    assert full["count"] == 1 and full["items"][0]["caller_phone"] == "13800001234"

    viewer = make_user(["dispatcher"], area_code="150105")
    viewer.user_permissions.add(Permission.objects.get(codename="view_hotlineorder"))
    response = client_for(viewer).get(URL)
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert (item["caller_name"], item["caller_phone"]) == ("王**", "138****1234")
    assert "13800001234" not in response.content.decode() and "王小明" not in response.content.decode()

    outsider = make_user(["hotline_agent"], area_code="150102")
    assert client_for(outsider).get(URL).json()["count"] == 0
    assert client_for(outsider).get(f"{URL}/{item['id']}").status_code == 404
    assert client_for(users["handler"]).get(URL).status_code == 403
