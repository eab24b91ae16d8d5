"""A request posted over Open311 enters the intake pipeline of every channel (locate, duplicates,
deadlines, timeline, audit) and its public updates come back out; nobody's personal data ever does."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qingcheng.cases.models import Case, CasePhoto, CaseReporter, IdempotencyRecord
from qingcheng.cases.services import case_act, case_public_photo_sweep
from qingcheng.core.models import AuditEntry
from qingcheng.open311.models import ServiceRequest
from qingcheng.testing import jpeg_bytes

from .conftest import (
    EMAIL,
    NAME,
    PHONE,
    get,
    parse_json,
    parse_xml,
    post,
    post_report,
    report_form,
)

pytestmark = pytest.mark.django_db


def drive(case, users, photo, *, until="close"):
    """Take the case round the loop from where it stands, up to and including `until`."""
    from qingcheng.cases.workflow import transition_for

    steps = [
        ("receiver", "open", {}, None),
        ("dispatcher", "dispatch", {}, None),
        ("handler", "accept", {}, None),
        ("handler", "feedback", {}, [photo("after")]),
        ("receiver", "send_check", {}, None),
        ("supervisor", "check", {"passed": True}, None),
        ("shift_leader", "close", {}, None),
    ]
    for role, action, data, photos in steps:
        if transition_for(case.status, action) is None:
            continue
        case = case_act(case_id=case.pk, actor=users[role], action=action, data=data, photos=photos)
        if action == until:
            break
    return case


def test_a_posted_request_becomes_a_case_through_the_intake_pipeline(client, loop, api_key):
    number = post_report(client, loop, api_key)
    case = Case.objects.get(number=number)
    assert case.source == Case.Source.OPEN311 and case.status == Case.Status.REPORTED
    assert case.grid_code == "150105001001001"  # located
    assert case.open_deadline is not None  # the deadline of the first step runs
    assert case.suggested_department == loop["unit"]  # the responsibility table was asked
    assert (
        "【附加信息】" in case.description and "一堆" in case.description and "厨余垃圾" in case.description
    )
    reporter = CaseReporter.objects.get(case=case)
    assert (reporter.name, reporter.phone, reporter.channel) == (NAME, PHONE, "open311")
    assert case.events.get().action == "report"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"case.report", "open311.request.create"} <= actions
    link = ServiceRequest.objects.get(case=case)
    assert link.attributes == {"amount": ["pile"], "kinds": ["household", "kitchen"]}
    assert link.token is None and link.area_code == case.grid_code
    assert link.client.last_used_at is not None


def test_a_second_report_nearby_is_told_about_the_first(client, loop, api_key):
    post_report(client, loop, api_key)
    response = post(client, "requests.json", report_form(loop, api_key, description="同一堆垃圾"))
    assert "附近已有1件同类问题正在办理" in parse_json(response, "request-created")[0]["service_notice"]


def test_idempotency_key_replays_the_first_answer(client, loop, api_key):
    form = report_form(loop, api_key)
    first = post(client, "requests.json", form, headers={"Idempotency-Key": "abc-1"})
    again = post(client, "requests.json", form, headers={"Idempotency-Key": "abc-1"})
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Case.objects.count() == 1 and ServiceRequest.objects.count() == 1
    assert IdempotencyRecord.objects.get().scope.startswith("open311:")


def test_idempotency_key_of_another_application_is_a_new_key(client, loop, api_key, make_client):
    """Keys are bound to the application: the same key and body from another one never returns the first
    application's request (a request of a private service would otherwise be read through it)."""
    _, other = make_client("另一个应用")
    first = post(client, "requests.json", report_form(loop, api_key), headers={"Idempotency-Key": "abc-2"})
    theirs = post(client, "requests.json", report_form(loop, other), headers={"Idempotency-Key": "abc-2"})
    assert first.status_code == theirs.status_code == 200
    assert first.json()[0]["service_request_id"] != theirs.json()[0]["service_request_id"]
    assert ServiceRequest.objects.count() == 2 and IdempotencyRecord.objects.count() == 2


def test_location_by_address_string_and_by_address_id(client, loop, api_key):
    from qingcheng.geo import gazetteer
    from qingcheng.geo.models import Place
    from qingcheng.geo.testing import cell_centre

    lon, lat = cell_centre(2, 1)
    place = Place.objects.create(
        kind="doorplate",
        name="测试路18号",
        address_text="呼和浩特市赛罕区测试路18号",
        normalized=gazetteer.normalize_address("呼和浩特市赛罕区测试路18号"),
        house_number="18",
        lon=lon,
        lat=lat,
        area_code="150105001002",
        synthetic=True,
    )
    gazetteer.clear_cache()
    number = post_report(client, loop, api_key, lat=None, long=None, address_string="赛罕区测试路18号")
    case = Case.objects.get(number=number)
    assert case.grid_code == "150105001002003" and case.address == "赛罕区测试路18号"

    number = post_report(
        client, loop, api_key, lat=None, long=None, address_id=str(place.pk), description="另一处"
    )
    row = parse_json(get(client, f"requests/{number}.json"), "requests")[0]
    assert row["address_id"] == str(place.pk) and row["address"] == "呼和浩特市赛罕区测试路18号"
    assert row["lat"] == pytest.approx(lat, abs=1e-6)


def test_media_upload_and_media_url(client, loop, api_key, nothing_written):
    form = report_form(loop, api_key, media_url="https://img.example.org/rubbish.jpg")
    form["media"] = [
        SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg"),
        SimpleUploadedFile("b.jpg", jpeg_bytes(colour=(1, 2, 3)), content_type="image/jpeg"),
    ]
    response = post(client, "requests.json", form)
    number = parse_json(response, "request-created")[0]["service_request_id"]
    assert CasePhoto.objects.filter(case__number=number, kind="before").count() == 2
    # Until the public copies (no GPS) are made, the client's own media_url is given.
    assert parse_json(get(client, f"requests/{number}.json"), "requests")[0]["media_url"] == (
        "https://img.example.org/rubbish.jpg"
    )
    case_public_photo_sweep()
    media_url = parse_json(get(client, f"requests/{number}.json"), "requests")[0]["media_url"]
    assert "/open311/v2/media/" in media_url

    import io

    from PIL import Image

    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    form = report_form(loop, api_key)
    form["media"] = SimpleUploadedFile("x.gif", gif.getvalue(), content_type="image/gif")
    with nothing_written():
        response = post(client, "requests.json", form)
    assert response.status_code == 400 and "GIF" in response.json()[0]["description"]


def test_updates_come_back_out_and_the_request_follows_the_case(client, loop, api_key, photo):
    number = post_report(client, loop, api_key)
    case = drive(Case.objects.get(number=number), loop["users"], photo, until="accept")
    row = parse_json(get(client, f"requests/{number}.json"), "requests")[0]
    assert row["agency_responsible"] == "市政处置单位"
    assert row["expected_datetime"] is not None and row["expected_datetime"].endswith("+08:00")
    assert row["status"] == "open"

    drive(case, loop["users"], photo, until="never")  # round the rest of the loop to 结案
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    row = parse_json(get(client, f"requests/{number}.json", extensions="true"), "requests")[0]
    assert row["status"] == "closed" and row["extended_attributes"]["detailed_status"] == "FIXED"
    assert [n["type"] for n in row["notes"]][-1] == "FIXED"

    updates = parse_json(get(client, "servicerequestupdates.json"), "service-request-updates")
    assert [u["service_request_id"] for u in updates] == [number] * len(updates)
    assert [u["external_status_code"] for u in updates] == ["opened", "dispatched", "feedback", "closed"]
    assert [u["status"] for u in updates] == ["ACTION_SCHEDULED", "ACTION_SCHEDULED", "IN_PROGRESS", "FIXED"]
    assert updates[1]["description"] == "派遣至市政处置单位"
    assert all(u["updated_datetime"].endswith("+08:00") for u in updates)

    xml = parse_xml(get(client, "servicerequestupdates.xml"), "service_request_updates", "request_update")
    assert [u["update_id"] for u in xml] == [u["update_id"] for u in updates]
    assert xml[-1]["status"] == "FIXED"


def test_cancelled_merged_and_police_cases(client, loop, api_key):
    users = loop["users"]
    first = Case.objects.get(number=post_report(client, loop, api_key))
    second = Case.objects.get(number=post_report(client, loop, api_key, description="同一处"))
    case_act(case_id=second.pk, actor=users["receiver"], action="merge", data={"target_id": first.pk})
    third = Case.objects.get(number=post_report(client, loop, api_key, description="又一处"))
    case_act(case_id=third.pk, actor=None, action="cancel", data={"reason": "已移交110：涉及治安"})
    rows = {
        r["service_request_id"]: r
        for r in parse_json(get(client, "requests.json", extensions="true"), "requests")
    }
    assert rows[second.number]["status"] == "closed"
    assert rows[second.number]["extended_attributes"]["detailed_status"] == "DUPLICATE"
    assert rows[third.number]["extended_attributes"]["detailed_status"] == "NOT_COUNCILS_RESPONSIBILITY"
    assert rows[first.number]["status"] == "open"


def test_no_personal_data_ever(client, loop, api_key, photo):
    number = post_report(client, loop, api_key, description=f"联系电话{PHONE}，身份证150105199001011234")
    drive(Case.objects.get(number=number), loop["users"], photo, until="never")
    bodies = []
    for fmt in ("json", "xml"):
        for path, params in [
            ("requests", {}),
            ("requests", {"extensions": "true"}),
            (f"requests/{number}", {"extensions": "true"}),
            ("servicerequestupdates", {}),
        ]:
            response = get(client, f"{path}.{fmt}", **params)
            assert response.status_code == 200
            bodies.append(response.content.decode())
    text = "\n".join(bodies)
    assert number in text
    for personal in (PHONE, EMAIL, "150105199001011234", NAME, "小明"):
        assert personal not in text
    assert "138****5678" in text  # the number the reporter typed into the description, masked
    for user in loop["users"].values():
        assert f">{user.username}<" not in text and f'"{user.username}"' not in text


def test_private_requests_are_listed_only_to_their_client_and_staff(
    client, loop, api_key, staff_key, make_client
):
    number = post_report(client, loop, api_key, service_code="E0502", description="桥下有人露宿")
    assert parse_json(get(client, "requests.json"), "requests") == []
    assert get(client, f"requests/{number}.json").status_code == 404
    _, stranger = make_client("另一个应用")
    assert get(client, f"requests/{number}.json", api_key=stranger).status_code == 404
    for key in (api_key, staff_key):
        rows = parse_json(get(client, f"requests/{number}.json", api_key=key), "requests")
        assert rows[0]["service_request_id"] == number


def test_staff_only_services_need_a_staff_application(client, loop, api_key, staff_key, nothing_written):
    with nothing_written():
        response = post(client, "requests.json", report_form(loop, api_key, service_code="E0302"))
    assert response.status_code == 403 and "staff" in response.json()[0]["description"]
    assert post_report(client, loop, staff_key, service_code="E0302", description="工地未覆盖裸土")


def test_cases_of_other_channels_are_listed_without_hotline_transcripts(client, loop):
    from qingcheng.cases.services import case_report

    lon, lat = loop["point"]
    users = loop["users"]
    hotline = case_report(
        actor=users["hotline_agent"],
        source=Case.Source.HOTLINE_12345,
        lon=lon,
        lat=lat,
        description="市民张先生来电反映小区门口有垃圾",
        category_code="E0102",
        reporter_name="张三",
        reporter_phone=PHONE,
        external_number="12345-0001",
    ).case
    supervisor = case_report(
        actor=users["supervisor"],
        source=Case.Source.SUPERVISOR,
        lon=lon,
        lat=lat,
        description="井盖缺失",
        category_code="C0101",
    ).case
    police = case_report(
        actor=users["hotline_agent"],
        source=Case.Source.POLICE_110,
        lon=lon,
        lat=lat,
        description="110 转来",
        category_code="E0502",
    ).case
    unclassified = case_report(
        actor=None, source=Case.Source.PUBLIC, lon=lon, lat=lat, description="不知道算哪类"
    ).case
    rows = {r["service_request_id"]: r for r in parse_json(get(client, "requests.json"), "requests")}
    assert set(rows) == {hotline.number, supervisor.number}
    assert rows[hotline.number]["description"] is None and rows[hotline.number]["service_code"] == "E0102"
    assert rows[supervisor.number]["description"] == "井盖缺失"
    assert police.number not in rows and unclassified.number not in rows
    assert "张" not in get(client, "requests.xml").content.decode()
