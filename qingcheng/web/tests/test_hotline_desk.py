"""The hotline desk pages: calls become work orders (and cases), enquiries are answered, police matters
go to 110, and the call-back on the case page follows the orders."""

from __future__ import annotations

import pytest

from qingcheng.cases.models import Case
from qingcheng.cases.services import PhotoUpload, case_act
from qingcheng.intake.models import HotlineOrder
from qingcheng.testing import jpeg_bytes


@pytest.fixture
def agent(client, loop):
    client.force_login(loop["users"]["hotline_agent"])
    return client


def test_a_complaint_with_a_point_becomes_a_case(agent, loop):
    lon, lat = loop["point"]
    response = agent.post(
        "/hotline/",
        {
            "channel": "12345",
            "kind": "complaint",
            "external_number": "12345-2026-0001",
            "caller_name": "赵六",
            "caller_phone": "13700001234",
            "content": "小区门口垃圾堆放三天无人清理",
            "lon": lon,
            "lat": lat,
            "category_code": "E0102",
            "key": "desk-1",
        },
    )
    order = HotlineOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/hotline/{order.pk}/"
    assert order.case is not None and order.case.source == "hotline_12345"
    assert order.case.external_number == "12345-2026-0001"
    page = agent.get(f"/hotline/{order.pk}/")
    assert order.case.number in page.content.decode()


def test_enquiry_is_answered_without_a_case_and_bad_input_is_kept(agent):
    refused = agent.post("/hotline/", {"channel": "12319", "kind": "enquiry", "content": "", "key": "k"})
    assert refused.status_code == 400 and refused.context["error"].code
    assert HotlineOrder.objects.count() == 0
    done = agent.post(
        "/hotline/",
        {
            "channel": "12319",
            "kind": "enquiry",
            "content": "渣土车办证需要哪些材料？",
            "answer": "已告知所需材料",
            "key": "k2",
        },
    )
    assert done.status_code == 302
    order = HotlineOrder.objects.get()
    assert order.case is None and order.status == "answered"


def test_transfer_to_110_cancels_the_unopened_case(agent, loop):
    lon, lat = loop["point"]
    agent.post(
        "/hotline/",
        {"channel": "12319", "kind": "complaint", "content": "有人打架", "lon": lon, "lat": lat, "key": "k3"},
    )
    order = HotlineOrder.objects.get()
    refused = agent.post(f"/hotline/{order.pk}/act/", {"action": "transfer_110", "reason": ""})
    assert refused.status_code == 400
    agent.post(f"/hotline/{order.pk}/act/", {"action": "transfer_110", "reason": "治安案件，属公安管辖"})
    order.refresh_from_db()
    assert order.transferred_at is not None
    assert Case.objects.get(pk=order.case_id).status == "cancelled"


def test_unsatisfied_call_back_on_the_case_page_reopens_the_case(client, loop):
    lon, lat = loop["point"]
    client.force_login(loop["users"]["hotline_agent"])
    client.post(
        "/hotline/",
        {
            "channel": "12319",
            "kind": "complaint",
            "content": "井盖缺失",
            "lon": lon,
            "lat": lat,
            "category_code": "E0102",
            "key": "k4",
        },
    )
    case = HotlineOrder.objects.get().case
    for action, data, photos in (
        ("open", {}, []),
        ("dispatch", {"department_id": loop["unit"].pk}, []),
        ("accept", {}, []),
        ("feedback", {}, [PhotoUpload(data=jpeg_bytes(), kind="after", name="a.jpg")]),
        ("send_check", {}, []),
        ("check", {"passed": True}, []),
        ("close", {}, []),
    ):
        case_act(case_id=case.pk, actor=None, action=action, data=data, photos=photos)
    queue = client.get("/work/to_call_back/")
    assert [c.number for c in queue.context["page"].object_list] == [case.number]
    response = client.post(
        f"/cases/{case.number}/act/",
        {"action": "callback", "satisfied": "no", "score": "2", "note": "井盖仍未补上"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "handling" and case.rework_count == 1 and case.satisfaction == 2
    assert client.get("/work/to_call_back/").context["page"].paginator.count == 0
