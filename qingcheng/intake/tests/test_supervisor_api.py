"""The supervisor channel (城管通) through the API: reports with photos, idempotent retries, bad inputs,
and the verification and check task lists."""

from __future__ import annotations

import pytest

from qingcheng.cases.models import Case, CasePhoto, CaseTask, IdempotencyRecord
from qingcheng.cases.services import case_act, case_report

from .conftest import error_code, gif_file, jpeg_file, text_as_jpeg

URL = "/api/intake/supervisor/reports"
pytestmark = pytest.mark.django_db


def form(loop, **overrides):
    lon, lat = loop["point"]
    data = {
        "lon": lon,
        "lat": lat,
        "category_code": "E0102",
        "description": "路边暴露垃圾一堆",
        "address": "测试街道一号",
    }
    data.update(overrides)
    return data


def test_report_with_photos_creates_a_case(loop, users, client_for):
    client = client_for(users["supervisor"])
    response = client.post(
        URL, {**form(loop), "photos": [jpeg_file("a.jpg"), jpeg_file("b.jpg", colour=(1, 2, 3))]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "reported" and body["source"] == "supervisor" and body["created"] is True
    assert body["category_code"] == "E0102" and body["grid_code"] == "150105001001001"
    case = Case.objects.get(number=body["number"])
    assert case.reported_by == users["supervisor"]
    assert case.photos.filter(kind="before").count() == 2


def test_gcj02_pin_is_converted(loop, users, client_for):
    from qingcheng.geo.crs import from_wgs84

    lon, lat = from_wgs84(*loop["point"], "gcj02")
    response = client_for(users["supervisor"]).post(URL, form(loop, lon=lon, lat=lat, crs="gcj02"))
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert abs(case.lon - loop["point"][0]) < 1e-5 and abs(case.lat - loop["point"][1]) < 1e-5


def test_retry_with_the_same_key_returns_the_first_case(loop, users, client_for):
    client = client_for(users["supervisor"])
    headers = {"Idempotency-Key": "field-phone-0001"}
    first = client.post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=headers)
    second = client.post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["number"] == second.json()["number"]
    assert second.json()["created"] is False
    assert Case.objects.count() == 1 and CasePhoto.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_same_key_with_a_different_body_is_409(loop, users, client_for, nothing_written):
    client = client_for(users["supervisor"])
    headers = {"Idempotency-Key": "field-phone-0002"}
    assert client.post(URL, form(loop), headers=headers).status_code == 201
    with nothing_written():
        response = client.post(URL, form(loop, description="另一处问题"), headers=headers)
    assert response.status_code == 409
    assert error_code(response) == "idempotency_key_reused"


def test_keys_are_per_supervisor(loop, users, client_for, make_user):
    other = make_user(["supervisor"], area_code="150105")
    headers = {"Idempotency-Key": "same-key"}
    a = client_for(users["supervisor"]).post(URL, form(loop), headers=headers)
    b = client_for(other).post(URL, form(loop), headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.json()["number"] != b.json()["number"]


def test_self_handled_needs_before_and_after(loop, users, client_for, nothing_written):
    client = client_for(users["supervisor"])
    with nothing_written():
        missing = client.post(URL, {**form(loop), "self_handled": "true", "photos": [jpeg_file()]})
    assert missing.status_code == 400 and error_code(missing) == "photos_required"
    done = client.post(
        URL,
        {
            **form(loop),
            "self_handled": "true",
            "photos": [jpeg_file()],
            "after_photos": [jpeg_file("after.jpg", colour=(9, 9, 9))],
        },
    )
    assert done.status_code == 201, done.content
    case = Case.objects.get(number=done.json()["number"])
    assert case.status == "self_handled"
    assert sorted(case.photos.values_list("kind", flat=True)) == ["after", "before"]


@pytest.mark.parametrize(
    ("make_files", "overrides", "status", "code"),
    [
        (lambda: [text_as_jpeg()], {}, 400, "photo_invalid"),
        (lambda: [gif_file()], {}, 400, "photo_type"),
        (lambda: [jpeg_file(size=(400, 400))], {}, 413, "photo_too_large"),
        (lambda: [jpeg_file()], {"lon": 116.39, "lat": 39.9}, 400, "outside_coverage"),
        (lambda: [jpeg_file()], {"category_code": "E9999"}, 400, "unknown_category"),
        (lambda: [jpeg_file()], {"category_code": "E01"}, 400, "unknown_category"),
        (lambda: [jpeg_file()], {"crs": "mars"}, 400, "unsupported_crs"),
        (lambda: [jpeg_file(colour=(i, 0, 0)) for i in range(10)], {}, 400, "too_many_photos"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    loop, users, client_for, settings, nothing_written, make_files, overrides, status, code
):
    settings.CASE_PHOTO_MAX_BYTES = 2000
    client = client_for(users["supervisor"])
    # A good photo first, so the MEDIA_ROOT check also sees an existing tree.
    assert client.post(URL, {**form(loop), "photos": [jpeg_file(size=(8, 8))]}).status_code == 201
    with nothing_written():
        response = client.post(
            URL,
            {**form(loop, **overrides), "photos": make_files()},
            headers={"Idempotency-Key": f"bad-{code}"},
        )
    assert response.status_code == status, response.content
    assert error_code(response) == code
    body = response.json()["error"]
    assert body["message_zh"] and body["message_en"]


def test_missing_fields_and_outsiders(loop, users, client_for, nothing_written):
    with nothing_written():
        no_category = client_for(users["supervisor"]).post(URL, form(loop, category_code=""))
        handler = client_for(users["handler"]).post(URL, form(loop))
    assert no_category.status_code == 400
    assert handler.status_code == 403


def test_anonymous_is_401(loop, client):
    response = client.post(URL, form(loop))
    assert response.status_code == 401


# ---------------------------------------------------------------------- field tasks


def _public_case(loop, description="井盖丢失"):
    lon, lat = loop["point"]
    return case_report(actor=None, source="public", lon=lon, lat=lat, description=description).case


def test_verification_task_list_and_result(loop, users, client_for, photo):
    case = _public_case(loop)
    case_act(case_id=case.pk, actor=users["receiver"], action="send_verification")
    client = client_for(users["supervisor"])
    tasks = client.get("/api/intake/supervisor/tasks").json()
    assert [(t["kind"], t["case"]["number"], t["assigned_to_me"]) for t in tasks] == [
        ("verify", case.number, True)
    ]
    assert tasks[0]["due_at"] and tasks[0]["case"]["status"] == "verifying"
    task_id = tasks[0]["id"]

    url = f"/api/intake/supervisor/tasks/{task_id}/result"
    response = client.post(url, {"result": "true", "note": "现场属实", "photos": [jpeg_file()]})
    assert response.status_code == 200, response.content
    assert response.json()["case_status"] == "verified" and response.json()["replayed"] is False
    assert case.photos.filter(kind="before").count() == 1
    # A retried upload of the same result is answered again without a second action.
    retry = client.post(url, {"result": "true", "note": "现场属实"})
    assert retry.status_code == 200 and retry.json()["replayed"] is True
    assert case.events.filter(action="verify").count() == 1
    conflict = client.post(url, {"result": "false"})
    assert conflict.status_code == 409 and error_code(conflict) == "task_done"
    assert client.get("/api/intake/supervisor/tasks").json() == []


def test_task_of_another_supervisor_is_hidden(loop, users, client_for, make_user):
    case = _public_case(loop)
    case_act(case_id=case.pk, actor=users["receiver"], action="send_verification")
    task = CaseTask.objects.get(case=case)
    other = make_user(["supervisor"], area_code="150105")
    client = client_for(other)
    assert client.get("/api/intake/supervisor/tasks").json() == []
    response = client.post(f"/api/intake/supervisor/tasks/{task.pk}/result", {"result": "true"})
    assert response.status_code == 404
    assert client_for(users["handler"]).get("/api/intake/supervisor/tasks").status_code == 403


def test_unassigned_check_task_in_my_area_and_its_result(loop, users, client_for, photo, make_user):
    lon, lat = loop["point"]
    case = case_report(
        actor=users["supervisor"],
        source="supervisor",
        lon=lon,
        lat=lat,
        description="暴露垃圾",
        category_code="E0102",
    ).case
    for role, action, data, photos in [
        ("receiver", "open", {}, None),
        ("dispatcher", "dispatch", {}, None),
        ("handler", "accept", {}, None),
        ("handler", "feedback", {}, [photo("after")]),
    ]:
        case_act(case_id=case.pk, actor=users[role], action=action, data=data, photos=photos)
    colleague = make_user(["supervisor"], area_code="150105001")
    case_act(
        case_id=case.pk, actor=users["receiver"], action="send_check", data={"assignee_id": colleague.pk}
    )
    assert client_for(users["supervisor"]).get("/api/intake/supervisor/tasks").json() == []
    client = client_for(colleague)
    tasks = client.get("/api/intake/supervisor/tasks?kind=check").json()
    assert [t["kind"] for t in tasks] == ["check"]
    response = client.post(
        f"/api/intake/supervisor/tasks/{tasks[0]['id']}/result", {"result": "false", "photos": [jpeg_file()]}
    )
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.status == "handling" and case.rework_count == 1
    assert case.photos.filter(kind="check").count() == 1


def test_bad_photo_on_a_task_result_writes_nothing(loop, users, client_for, nothing_written):
    case = _public_case(loop)
    case_act(case_id=case.pk, actor=users["receiver"], action="send_verification")
    task = CaseTask.objects.get(case=case)
    with nothing_written():
        response = client_for(users["supervisor"]).post(
            f"/api/intake/supervisor/tasks/{task.pk}/result", {"result": "true", "photos": [gif_file()]}
        )
    assert response.status_code == 400 and error_code(response) == "photo_type"
    task.refresh_from_db()
    assert task.done_at is None
