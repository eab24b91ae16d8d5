"""Workbench pages without a browser: queues, counts, filters, scope, actions and their refusals."""

from __future__ import annotations

import pytest

from qingcheng.cases.models import Case
from qingcheng.cases.services import PhotoUpload, case_act, case_report
from qingcheng.testing import jpeg_bytes


def _report(loop, description="暴露垃圾", point=None):
    lon, lat = point or loop["point"]
    return case_report(
        actor=loop["users"]["supervisor"],
        source="supervisor",
        lon=lon,
        lat=lat,
        description=description,
        category_code="E0102",
    ).case


@pytest.fixture
def desk(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_queues_count_exactly_the_cases_waiting_for_each_role(loop, desk):
    first, second = _report(loop), _report(loop, "第二起")
    case_act(case_id=second.pk, actor=None, action="open")
    receiver = desk(loop["users"]["receiver"])
    page = receiver.get("/work/reported/")
    assert page.status_code == 200
    counts = {c.queue.key: c.count for c in page.context["counts"]}
    assert counts["reported"] == 1 and counts["verified"] == 0
    assert "to_dispatch" not in counts  # a receiver has no dispatcher queues
    assert [c.number for c in page.context["page"].object_list] == [first.number]

    dispatcher = desk(loop["users"]["dispatcher"])
    counts = {c.queue.key: c.count for c in dispatcher.get("/work/to_dispatch/").context["counts"]}
    assert counts == {"to_dispatch": 1, "returned": 0}


def test_workbench_redirects_to_the_first_queue_and_refuses_foreign_queues(loop, desk):
    client = desk(loop["users"]["handler"])
    response = client.get("/work/")
    assert response.status_code == 302 and response["Location"] == "/work/to_accept/"
    assert client.get("/work/to_dispatch/").status_code == 404
    assert desk(loop["users"]["citizen"]).get("/work/").status_code == 403


def test_filters_and_bad_filter_values(loop, desk):
    case = _report(loop)
    _report(loop, "另一个", point=loop["point"])
    client = desk(loop["users"]["receiver"])
    page = client.get("/cases/", {"number": case.number})
    assert [c.number for c in page.context["page"].object_list] == [case.number]
    page = client.get("/cases/", {"from": "2026-13-45", "area": "abc"})
    assert page.status_code == 200
    assert len(page.context["problems"]) == 2
    assert page.context["page"].paginator.count == 2
    page = client.get("/cases/", {"overdue": "1"})
    assert page.context["page"].paginator.count == 0
    # htmx asks for the table only
    partial = client.get("/cases/", {"number": case.number}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and case.number.encode() in partial.content


def test_out_of_scope_case_is_not_found(loop, desk):
    case = _report(loop)
    outsider = desk(loop["users"]["outsider_dispatcher"])
    assert outsider.get(f"/cases/{case.number}/").status_code == 404
    response = outsider.post(f"/cases/{case.number}/act/", {"action": "cancel", "reason": "x"})
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).status == "reported"


def test_case_page_shows_only_the_actions_allowed_now(loop, desk):
    case = _report(loop)
    receiver = desk(loop["users"]["receiver"])
    actions = [a for a, _ in receiver.get(f"/cases/{case.number}/").context["actions"]]
    assert set(actions) == {"send_verification", "open", "cancel", "merge"}
    handler = desk(loop["users"]["handler"])
    assert handler.get(f"/cases/{case.number}/").status_code == 200
    assert handler.get(f"/cases/{case.number}/").context["actions"] == []


def test_actions_through_the_page_and_their_refusals(loop, desk):
    case = _report(loop)
    receiver = desk(loop["users"]["receiver"])
    refused = receiver.post(f"/cases/{case.number}/act/", {"action": "cancel", "reason": "  "})
    assert refused.status_code == 400 and refused.context["error"].code == "required"
    assert Case.objects.get(pk=case.pk).status == "reported"
    wrong = receiver.post(f"/cases/{case.number}/act/", {"action": "close"})
    assert wrong.status_code == 409
    stale = receiver.post(f"/cases/{case.number}/act/", {"action": "open", "version": "99"})
    assert stale.status_code == 409 and stale.context["error"].code == "stale_version"
    done = receiver.post(f"/cases/{case.number}/act/", {"action": "open", "category_code": "E0102"})
    assert done.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "opened"

    dispatcher = desk(loop["users"]["dispatcher"])
    page = dispatcher.get(f"/cases/{case.number}/")
    assert page.context["departments"][0] == loop["unit"]
    assert "150105" in page.context["suggestion"]
    dispatcher.post(f"/cases/{case.number}/act/", {"action": "dispatch", "department_id": loop["unit"].pk})
    handler = desk(loop["users"]["handler"])
    handler.post(f"/cases/{case.number}/act/", {"action": "accept"})
    no_photo = handler.post(f"/cases/{case.number}/act/", {"action": "feedback"})
    assert no_photo.status_code == 400 and no_photo.context["error"].code == "photos_required"
    manager = desk(loop["users"]["unit_manager"])
    extension = manager.post(
        f"/cases/{case.number}/act/",
        {"action": "request_extension", "amount": "2", "unit": "working_days", "reason": "需要采购井盖"},
    )
    assert extension.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "extension_requested"
    assert [c.number for c in manager.get("/work/applications/").context["page"].object_list] == [case.number]


def test_staff_photo_needs_scope(loop, desk):
    case = _report(loop)
    case_act(case_id=case.pk, actor=None, action="open")
    case_act(case_id=case.pk, actor=None, action="dispatch", data={"department_id": loop["unit"].pk})
    case_act(case_id=case.pk, actor=None, action="accept")
    case_act(
        case_id=case.pk,
        actor=None,
        action="feedback",
        photos=[PhotoUpload(data=jpeg_bytes(), kind="after", name="a.jpg")],
    )
    photo = case.photos.get()
    ok = desk(loop["users"]["receiver"]).get(f"/cases/{case.number}/photos/{photo.pk}/")
    assert ok.status_code == 200 and b"".join(ok.streaming_content)[:2] == b"\xff\xd8"
    assert (
        desk(loop["users"]["outsider_dispatcher"]).get(f"/cases/{case.number}/photos/{photo.pk}/").status_code
        == 404
    )


def test_field_app_shell_manifest_and_service_worker(loop, desk):
    supervisor = desk(loop["users"]["supervisor"])
    page = supervisor.get("/m/")
    assert page.status_code == 200
    assert page.context["beat_grids"] == ["150105001001001"]
    assert desk(loop["users"]["handler"]).get("/m/").status_code == 403
    manifest = supervisor.get("/m/manifest.webmanifest").json()
    assert manifest["scope"] == "/m/" and {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    sw = supervisor.get("/m/sw.js")
    assert sw["Service-Worker-Allowed"] == "/m/"
    # The shell list is a JS string literal (escapejs) holding JSON: no |safe in the template.
    import json
    import re

    literal = re.search(r'const SHELL = JSON\.parse\("((?:[^"\\]|\\.)*)"\);', sw.content.decode())
    shell = json.loads(json.loads(f'"{literal.group(1)}"'))
    assert "/m/" in shell and "/static/js/field-app.js" in shell and "/static/js/qingcheng.js" in shell


def test_public_report_form_validates_and_keeps_input(loop, client):
    before = Case.objects.count()
    response = client.post("/public/report/", {"description": "没有位置", "key": "k-1"})
    assert response.status_code == 400 and response.context["error"].code == "required"
    assert "没有位置".encode() in response.content
    assert Case.objects.count() == before
    lon, lat = loop["point"]
    data = {
        "lon": lon,
        "lat": lat,
        "description": "路灯不亮",
        "key": "k-2",
        "name": "李四",
        "phone": "13800001111",
    }
    assert "qc_reporter" in client.get("/public/report/").cookies  # the form page gives the browser its token
    first = client.post("/public/report/", data)
    again = client.post("/public/report/", data)  # a double submit is the same report
    assert first.status_code == again.status_code == 200
    assert first.context["number"] == again.context["number"]
    assert Case.objects.count() == before + 1
    assert first.context["secret"] == again.context["secret"]


def test_public_report_form_key_replayed_from_another_browser(loop, client):
    """The form's key (a hidden field) sent again by another browser: refused, the secret not shown."""
    from django.test import Client

    lon, lat = loop["point"]
    client.get("/public/report/")
    data = {"lon": lon, "lat": lat, "description": "路灯不亮", "key": "k-form-9"}
    first = client.post("/public/report/", data)
    secret = first.context["secret"]
    assert secret and secret.encode() in first.content
    other = Client()
    other.get("/public/report/")
    replay = other.post("/public/report/", data)
    assert replay.status_code == 409 and replay.context["error"].code == "idempotency_key_other_client"
    assert secret.encode() not in replay.content and first.context["number"].encode() not in replay.content
    # A browser that never had the form page (no cookie) gets no secret either.
    bare = Client().post("/public/report/", data)
    assert bare.status_code == 409 and secret.encode() not in bare.content


def test_public_map_has_no_personal_data(loop, client):
    case = _report(loop, "张三 13800001111 家门口")
    case_act(case_id=case.pk, actor=None, action="open")
    data = client.get("/public/map.json").json()["cases"]
    assert len(data) == 1 and set(data[0]) == {"lon", "lat", "subclass", "state", "day"}
    assert "13800001111" not in str(data) and case.number not in str(data)
