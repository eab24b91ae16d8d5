"""FixMyStreet's own Open311 client against this server: each test sends what one call of
perllib/Open311.pm sends (see fixmystreet.py) and is named after that call."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from qingcheng.cases.models import Case, CaseEvent, CasePhoto
from qingcheng.cases.services import case_public_photo_sweep
from qingcheng.core import clock
from qingcheng.open311.models import InboundUpdate, Jurisdiction, ServiceAttribute, ServiceRequest
from qingcheng.testing import jpeg_bytes

from .conftest import get, parse_json, write_snapshot, xml_errors
from .fixmystreet import FixMyStreet, Photo, Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def fms(client, api_key):
    return FixMyStreet(client, api_key)


def _where(loop) -> dict[str, float]:
    lon, lat = loop["point"]
    return {"lat": lat, "long": lon}


# ---------------------------------------------------------------------- datetime questions


def test_send_service_request_with_datetime_local_attribute(fms, loop):
    """E0301 (施工扰民) asks a required datetime question; FixMyStreet fills it from a datetime-local
    field, so the value has no offset. It is read in the jurisdiction's zone (Asia/Shanghai)."""
    number = fms.send_service_request(
        service_code="E0301",
        description="工地夜间施工",
        attributes={"noise_at": "2026-12-08T01:15", "site": "新华大街工地"},
        **_where(loop),
    )
    assert number, fms.last_response.content.decode()
    link = ServiceRequest.objects.get(case__number=number)
    assert link.attributes["noise_at"] == ["2026-12-08T01:15:00+08:00"]
    # With seconds (and a fraction), as some browsers send it.
    number = fms.send_service_request(
        service_code="E0301",
        description="又一次",
        attributes={"noise_at": "2026-12-08T23:05:30.250"},
        report_id=102,
        **_where(loop),
    )
    assert number, fms.last_response.content.decode()
    assert ServiceRequest.objects.get(case__number=number).attributes["noise_at"] == [
        "2026-12-08T23:05:30+08:00"
    ]
    # A full W3C time with its own offset keeps its instant.
    number = fms.send_service_request(
        service_code="E0301",
        description="第三次",
        attributes={"noise_at": "2026-12-07T17:15:00Z"},
        report_id=103,
        **_where(loop),
    )
    assert ServiceRequest.objects.get(case__number=number).attributes["noise_at"] == [
        "2026-12-08T01:15:00+08:00"
    ]


def test_send_service_request_with_datetime_local_attribute_in_another_zone(client, api_key, loop):
    Jurisdiction.objects.all().delete()
    Jurisdiction.objects.create(jurisdiction_id="west.example", name="西部", time_zone="Asia/Urumqi")
    fms = FixMyStreet(client, api_key, jurisdiction="west.example")
    number = fms.send_service_request(
        service_code="E0301",
        description="工地夜间施工",
        attributes={"noise_at": "2026-12-08T01:15"},
        **_where(loop),
    )
    assert number, fms.last_response.content.decode()
    assert ServiceRequest.objects.get(case__number=number).attributes["noise_at"] == [
        "2026-12-08T01:15:00+06:00"
    ]


@pytest.mark.parametrize(
    "value", ["tomorrow night", "2026-12-08T25:15", "2026-13-08T01:15", "08/12/2026 01:15"]
)
def test_send_service_request_with_a_garbled_datetime_attribute(fms, loop, settings, value):
    before = write_snapshot(settings.MEDIA_ROOT)
    number = fms.send_service_request(
        service_code="E0301", description="工地夜间施工", attributes={"noise_at": value}, **_where(loop)
    )
    assert number is None and fms.last_response.status_code == 400
    errors = xml_errors(fms.last_response)
    assert errors[0]["code"] == "400" and "attribute[noise_at]" in errors[0]["description"]
    assert write_snapshot(settings.MEDIA_ROOT) == before


def test_jurisdiction_time_zone_is_checked():
    row = Jurisdiction(jurisdiction_id="x", name="x", time_zone="Asia/Hohhot")
    with pytest.raises(ValidationError) as raised:
        row.full_clean()
    assert "time_zone" in raised.value.message_dict


# ---------------------------------------------------------------------- attribute codes


def test_get_service_meta_info_lists_ascii_codes_only(fms, loop):
    ServiceAttribute.objects.create(
        category_code="E0301", code="噪声分贝", order=9, datatype="number", description="大约多少分贝？"
    )
    definition = fms.get_service_meta_info("E0301")
    codes = [a["code"] for a in definition["attributes"]["attribute"]]
    assert codes == ["noise_at", "site", "details"]
    assert all(code.isascii() for code in codes)
    # A report need not (cannot) answer the hidden question.
    assert fms.send_service_request(
        service_code="E0301",
        description="夜间施工",
        attributes={"noise_at": "2026-12-08T01:15"},
        **_where(loop),
    )


@pytest.mark.parametrize("code", ["噪声分贝", "noise level", "noise[1]", "", "x" * 41, "név"])
def test_attribute_codes_are_ascii_in_the_admin(code):
    attribute = ServiceAttribute(
        category_code="E0301", code=code, order=9, datatype="string", description="?"
    )
    with pytest.raises(ValidationError) as raised:
        attribute.full_clean()
    assert "code" in raised.value.message_dict


def test_attribute_codes_that_pass():
    for code in ("noise_at", "size-m", "Q1"):
        ServiceAttribute(
            category_code="E0301", code=code, order=9, datatype="string", description="?"
        ).full_clean(validate_unique=False, validate_constraints=False)


def test_seed_data_codes_are_ascii():
    from qingcheng.open311.seed_data import ATTRIBUTES
    from qingcheng.open311.validators import ATTRIBUTE_CODE

    codes = [row[0] for rows in ATTRIBUTES.values() for row in rows]
    assert codes and all(ATTRIBUTE_CODE.match(code) for code in codes)


def test_seed_refuses_a_non_ascii_code(monkeypatch):
    from qingcheng.open311 import seed_data
    from qingcheng.open311.services import seed

    rows = dict(seed_data.ATTRIBUTES)
    rows["E0301"] = [*rows["E0301"], ("噪声分贝", 9, True, "number", False, "多少分贝？", "", [])]
    monkeypatch.setattr(seed_data, "ATTRIBUTES", rows)
    with pytest.raises(ValueError, match="噪声分贝"):
        seed()
    assert not ServiceAttribute.objects.filter(code="噪声分贝").exists()


def test_migration_renames_non_ascii_codes_and_their_answers(loop, api_key, client):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "qingcheng.open311.migrations.0003_jurisdiction_time_zone_ascii_attribute_codes"
    )
    ServiceAttribute.objects.filter(category_code="E0301").delete()
    ServiceAttribute.objects.create(
        category_code="E0301", code="q2", order=1, datatype="string", description="?"
    )
    noisy = ServiceAttribute.objects.create(
        category_code="E0301", code="噪声时间", order=2, datatype="datetime", description="什么时候？"
    )
    fine = FixMyStreet(client, api_key).send_service_request(
        service_code="E0301", description="夜间施工", **_where(loop)
    )
    link = ServiceRequest.objects.get(case__number=fine)
    link.attributes = {"噪声时间": ["2026-12-08T01:15:00+08:00"], "q2": ["x"]}
    link.save()
    migration.rename_non_ascii_codes(apps, None)
    noisy.refresh_from_db()
    link.refresh_from_db()
    assert noisy.code == "q2-2"  # q<order>, made unique in its subclass
    assert link.attributes == {"q2-2": ["2026-12-08T01:15:00+08:00"], "q2": ["x"]}
    assert not [a for a in ServiceAttribute.objects.values_list("code", flat=True) if not a.isascii()]


# ---------------------------------------------------------------------- updates and reopening


def _report(fms, loop, **kwargs) -> str:
    number = fms.send_service_request(
        service_code="E0102",
        description="小区门口堆了几袋生活垃圾",
        attributes={"amount": "pile"},
        **_where(loop),
        **kwargs,
    )
    assert number, fms.last_response.content.decode()
    return number


def _close(number, loop, photo) -> Case:
    from .test_pipeline import drive

    case = drive(Case.objects.get(number=number), loop["users"], photo, until="never")
    assert case.status == Case.Status.CLOSED
    return case


def _later(minutes: int = 1):
    return clock.now() + timedelta(minutes=minutes)


def _fetch(fms, report: Report, mine: set[str]) -> list[dict]:
    """GetServiceRequestUpdates: the last two hours; updates FixMyStreet made itself are skipped."""
    now = clock.now()
    updates = fms.get_service_request_updates(now - timedelta(hours=2), now + timedelta(seconds=5))
    for update in updates:
        if update["update_id"] not in mine:
            report.apply(update)
    return updates


def test_get_service_request_updates_after_a_reopen_reopens_fixmystreets_copy(fms, loop, photo):
    """The reporter reopens a report FixMyStreet shows as fixed; its client sends OPEN. The updates it
    then fetches must move its copy out of 'fixed' (REOPEN would not: map_state does not know it)."""
    report, mine = Report(), set()
    number = _report(fms, loop)
    _close(number, loop, photo)
    _fetch(fms, report, mine)
    assert report.state == "fixed - council"
    update_id = fms.post_service_request_update(
        service_request_id=number,
        update_id=501,
        status=report.update_status() if report.is_open else "OPEN",  # mark_open: state 'confirmed'
        description="还是没清走",
        confirmed=_later(),
    )
    mine.add(update_id)
    case = Case.objects.get(number=number)
    assert case.status == Case.Status.HANDLING and case.rework_count == 1
    updates = _fetch(fms, report, mine)
    assert report.state == "in progress" and report.is_open
    reopening = [u for u in updates if u.get("extras", {}).get("reopened") == "true"]
    assert [u["status"] for u in reopening] == ["IN_PROGRESS", "IN_PROGRESS"]
    assert all("重新处置" in u["description"] for u in reopening)
    assert all(u["status"] != "REOPEN" for u in updates)


def test_post_service_request_update_with_reopen_status(fms, loop, photo):
    """With mark_reopen the client says REOPEN: a reopening even if it never fetched the closure."""
    number = _report(fms, loop)
    _close(number, loop, photo)
    assert fms.post_service_request_update(
        service_request_id=number, update_id=502, status="REOPEN", description="又堆上了", confirmed=_later()
    )
    case = Case.objects.get(number=number)
    assert case.status == Case.Status.HANDLING and case.rework_count == 1
    assert InboundUpdate.objects.get().reopened is True


def test_post_service_request_update_open_on_a_case_closed_meanwhile_is_a_comment(fms, loop, photo):
    """We closed the case; FixMyStreet has not fetched that yet, so its copy is open and a plain comment
    carries OPEN. That is a comment: no reopening, no rework."""
    report = Report()
    number = _report(fms, loop)
    case = _close(number, loop, photo)
    assert report.is_open
    assert fms.post_service_request_update(
        service_request_id=number,
        update_id=503,
        status=report.update_status(),
        description="谢谢，味道小多了",
        confirmed=_later(),
    )
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.rework_count == 0
    comment = CaseEvent.objects.get(case=case, action="comment")
    assert comment.from_status == comment.to_status == Case.Status.CLOSED
    assert "谢谢，味道小多了" in comment.note and comment.public is False
    update = InboundUpdate.objects.get()
    assert update.reopened is False and update.case_status == Case.Status.CLOSED
    # Any other client reading the update back sees the case as it is: fixed.
    rows = parse_json(
        get(fms.client, "servicerequestupdates.json", service_request_id=number), "service-request-updates"
    )
    assert [r["status"] for r in rows if r["update_id"] == f"u{update.pk}"] == ["FIXED"]


def test_post_service_request_update_written_before_the_closure_was_fetched_is_a_comment(fms, loop, photo):
    """Its copy was still open when the reporter wrote (OPEN), the client fetched the closure before it
    sent the comment: still a comment."""
    report, mine = Report(), set()
    number = _report(fms, loop)
    _close(number, loop, photo)
    written = clock.now()
    _fetch(fms, report, mine)
    assert fms.post_service_request_update(
        service_request_id=number, update_id=504, status="OPEN", description="路过看了一眼", confirmed=written
    )
    case = Case.objects.get(number=number)
    assert case.status == Case.Status.CLOSED and case.rework_count == 0


def test_post_service_request_update_on_a_fixed_copy_is_a_comment(fms, loop, photo):
    """A comment on a report FixMyStreet shows as fixed carries CLOSED (FIXED with extended statuses)."""
    report, mine = Report(), set()
    number = _report(fms, loop)
    _close(number, loop, photo)
    _fetch(fms, report, mine)
    for update_id, status in ((505, report.update_status()), (506, "FIXED")):
        assert fms.post_service_request_update(
            service_request_id=number,
            update_id=update_id,
            status=status,
            description="好了",
            confirmed=_later(),
        )
    case = Case.objects.get(number=number)
    assert case.status == Case.Status.CLOSED and case.rework_count == 0
    assert CaseEvent.objects.filter(case=case, action="comment").count() == 2


def test_a_closure_seen_in_a_keyed_request_read_counts(client, fms, loop, photo, api_key):
    number = _report(fms, loop)
    _close(number, loop, photo)
    assert (
        parse_json(get(client, f"requests/{number}.json", api_key=api_key), "requests")[0]["status"]
        == "closed"
    )
    assert ServiceRequest.objects.get(case__number=number).closure_seen_at is not None
    assert fms.post_service_request_update(
        service_request_id=number, update_id=507, status="OPEN", description="又有了", confirmed=_later()
    )
    assert Case.objects.get(number=number).rework_count == 1


def test_a_second_closure_must_be_seen_again(fms, loop, photo):
    report, mine = Report(), set()
    number = _report(fms, loop)
    _close(number, loop, photo)
    _fetch(fms, report, mine)
    mine.add(
        fms.post_service_request_update(
            service_request_id=number, update_id=508, status="OPEN", description="还有", confirmed=_later()
        )
    )
    _close(number, loop, photo)  # handled again and closed again; not fetched yet
    assert fms.post_service_request_update(
        service_request_id=number, update_id=509, status="OPEN", description="谢谢", confirmed=_later(2)
    )
    case = Case.objects.get(number=number)
    assert case.status == Case.Status.CLOSED and case.rework_count == 1


# ---------------------------------------------------------------------- photos


def _gif() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    return buffer.getvalue()


def test_send_service_request_with_uploaded_photos(fms, loop):
    """upload_files: photo1..photoN in a multipart body, instead of media_url."""
    photos = [
        Photo(jpeg_bytes()),
        Photo(jpeg_bytes(colour=(10, 20, 30))),
        Photo(jpeg_bytes(colour=(1, 2, 3))),
    ]
    number = _report(fms, loop, photos=photos, media_url="https://fms.example.org/photo/101.full.jpeg")
    assert fms.sent[-1]["uploads"] == ["photo1", "photo2", "photo3"]
    stored = CasePhoto.objects.filter(case__number=number, kind="before").order_by("pk")
    assert [p.sha256 for p in stored] == [hashlib.sha256(p.data).hexdigest() for p in photos]


@pytest.mark.parametrize(
    ("uploads", "fragment"),
    [
        ({"photo1": Photo(jpeg_bytes()), "photo2": Photo(b"GIF89a-not-really", "image/gif", "gif")}, "photo"),
        ({"photo1": Photo(_gif(), "image/gif", "gif")}, "GIF"),
        ({"photo1": Photo(b"")}, "empty"),
    ],
)
def test_send_service_request_with_a_refused_photo(fms, loop, settings, uploads, fragment):
    before = write_snapshot(settings.MEDIA_ROOT)
    number = fms.send_service_request(
        service_code="E0102",
        description="垃圾",
        attributes={"amount": "pile"},
        photos=list(uploads.values()),
        **_where(loop),
    )
    assert number is None and fms.last_response.status_code == 400
    assert any(fragment in e["description"] for e in xml_errors(fms.last_response))
    assert write_snapshot(settings.MEDIA_ROOT) == before


def test_send_service_request_with_a_photo_over_the_size_limit(fms, loop, settings):
    settings.CASE_PHOTO_MAX_BYTES = 1000
    before = write_snapshot(settings.MEDIA_ROOT)
    number = fms.send_service_request(
        service_code="E0102",
        description="垃圾",
        attributes={"amount": "pile"},
        photos=[Photo(jpeg_bytes(size=(400, 300)))],
        **_where(loop),
    )
    # Refused while it streams, before the view reads it (core.uploads), as too large.
    assert number is None and fms.last_response.status_code == 413
    assert "photo1" in xml_errors(fms.last_response)[0]["description"]
    assert write_snapshot(settings.MEDIA_ROOT) == before


def test_send_service_request_with_an_enquiry_file_is_refused_not_dropped(client, api_key, loop, settings):
    """Files under another name (FixMyStreet's enquiry files, file_<key>) are refused, not ignored."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import BASE, report_form

    before = write_snapshot(settings.MEDIA_ROOT)
    form = report_form(loop, api_key)
    form["file_abc"] = SimpleUploadedFile("letter.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client.post(f"{BASE}/requests.xml", form)
    assert response.status_code == 400 and "file_abc" in xml_errors(response)[0]["description"]
    assert write_snapshot(settings.MEDIA_ROOT) == before


def test_post_service_request_update_with_uploaded_photos(fms, loop, photo):
    """upload_files_for_updates: the update's photos as photo1..N."""
    report = Report()
    number = _report(fms, loop)
    photos = [Photo(jpeg_bytes(colour=(90, 90, 90))), Photo(jpeg_bytes(colour=(5, 5, 5)), "image/jpeg")]
    update_id = fms.post_service_request_update(
        service_request_id=number,
        update_id=601,
        status=report.update_status(),
        description="又多了两袋",
        confirmed=_later(),
        photos=photos,
    )
    assert update_id, fms.last_response.content.decode()
    assert fms.sent[-1]["uploads"] == ["photo1", "photo2"]
    case = Case.objects.get(number=number)
    assert CasePhoto.objects.filter(case=case).count() == 2
    comment = CaseEvent.objects.get(case=case, action="comment")
    assert comment.data["photos"] == 2 and case.status == Case.Status.REPORTED
    assert len(InboundUpdate.objects.get().photos) == 2
    case_public_photo_sweep()
    rows = parse_json(get(fms.client, "servicerequestupdates.json"), "service-request-updates")
    echoed = [r for r in rows if r["update_id"] == update_id]
    assert "/open311/v2/media/" in echoed[0]["media_url"]


def test_post_service_request_update_with_photos_on_a_reopening(fms, loop, photo):
    number = _report(fms, loop)
    _close(number, loop, photo)
    assert fms.post_service_request_update(
        service_request_id=number,
        update_id=602,
        status="REOPEN",
        description="还在",
        confirmed=_later(),
        photos=[Photo(jpeg_bytes(colour=(7, 7, 7)))],
    )
    case = Case.objects.get(number=number)
    assert case.rework_count == 1 and case.photos.filter(kind="before").count() == 1


def test_post_service_request_update_with_a_refused_photo(fms, loop, settings):
    number = _report(fms, loop)
    before = write_snapshot(settings.MEDIA_ROOT)
    assert (
        fms.post_service_request_update(
            service_request_id=number,
            update_id=603,
            status="OPEN",
            description="看图",
            confirmed=_later(),
            photos=[Photo(_gif(), "image/gif", "gif")],
        )
        is None
    )
    assert fms.last_response.status_code == 400 and "GIF" in xml_errors(fms.last_response)[0]["description"]
    assert write_snapshot(settings.MEDIA_ROOT) == before


def test_post_service_request_update_with_several_media_urls(fms, loop):
    """multi_photos: media_url repeated."""
    number = _report(fms, loop)
    urls = ["https://fms.example.org/c/1.0.full.jpeg", "https://fms.example.org/c/1.1.full.jpeg"]
    assert fms.post_service_request_update(
        service_request_id=number,
        update_id=604,
        status="OPEN",
        description="图",
        confirmed=_later(),
        media_url=urls,
    )
    assert InboundUpdate.objects.get().media_urls == urls


def test_send_service_request_with_several_media_urls(fms, loop, settings):
    """multi_photos: media_url once per photo. Each is checked; the first is kept (not the last)."""
    urls = ["https://fms.example.org/p/1.0.full.jpeg", "https://fms.example.org/p/1.1.full.jpeg"]
    number = _report(fms, loop, media_url=urls)
    assert ServiceRequest.objects.get(case__number=number).media_url == urls[0]
    before = write_snapshot(settings.MEDIA_ROOT)
    refused = fms.send_service_request(
        service_code="E0102",
        description="垃圾",
        attributes={"amount": "pile"},
        media_url=[urls[0], "javascript:alert(1)"],
        **_where(loop),
    )
    assert refused is None and fms.last_response.status_code == 400
    assert "media_url" in xml_errors(fms.last_response)[0]["description"]
    assert write_snapshot(settings.MEDIA_ROOT) == before


# ---------------------------------------------------------------------- not pinpointed


def test_send_service_request_not_pinpointed(fms, loop):
    """send_notpinpointed: address_id=#NOTPINPOINTED# means no address id; the place is lat/long."""
    number = _report(fms, loop, address_id="#NOTPINPOINTED#")
    link = ServiceRequest.objects.get(case__number=number)
    assert link.address_id == ""
    row = fms.get_service_requests([number])[0]
    assert row["address_id"] == "" and row["service_request_id"] == number


def test_send_service_request_not_pinpointed_without_coordinates(fms, loop, settings):
    before = write_snapshot(settings.MEDIA_ROOT)
    number = fms.send_service_request(
        service_code="E0102", description="垃圾", attributes={"amount": "pile"}, address_id="#NOTPINPOINTED#"
    )
    assert number is None and fms.last_response.status_code == 400
    assert "location is required" in xml_errors(fms.last_response)[0]["description"]
    assert write_snapshot(settings.MEDIA_ROOT) == before
