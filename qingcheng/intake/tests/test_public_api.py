"""The public channel through the API: report (anonymous or registered), tracking with number and
secret, public photos without GPS, the satisfaction rating, throttling."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from qingcheng.cases.models import Case, CaseReporter
from qingcheng.cases.services import case_act, case_public_photo_sweep
from qingcheng.intake.models import PublicRating
from qingcheng.testing import drive_to_closed

from .conftest import error_code, gif_file, jpeg_file, text_as_jpeg

URL = "/api/public/reports"
pytestmark = pytest.mark.django_db

NAME, PHONE = "李四海", "13912345678"


def form(loop, **overrides):
    lon, lat = loop["point"]
    data = {"lon": lon, "lat": lat, "description": "人行道上有一个井盖不见了", "name": NAME, "phone": PHONE}
    data.update(overrides)
    return data


def report(client, loop, **kwargs):
    headers = kwargs.pop("headers", {})
    response = client.post(URL, {**form(loop, **kwargs), "photos": [jpeg_file()]}, headers=headers)
    assert response.status_code in (200, 201), response.content
    return response.json()


def track(client, number, secret):
    return client.post(
        "/api/public/track", {"number": number, "secret": secret}, content_type="application/json"
    )


def test_anonymous_report_and_tracking_without_personal_data(loop, client):
    body = report(client, loop)
    assert body["status"] == "reported" and body["created"] is True and len(body["tracking_secret"]) >= 12
    case = Case.objects.get(number=body["number"])
    assert case.source == "public" and case.reported_by is None and case.category is None
    assert CaseReporter.objects.get(case=case).phone == PHONE

    response = track(client, body["number"], body["tracking_secret"])
    assert response.status_code == 200, response.content
    view = response.json()
    assert view["status"] == "reported" and view["status_label"]
    assert [e["action"] for e in view["timeline"]] == ["report"]
    text = response.content.decode()
    for personal in (NAME, PHONE, "139", "李"):
        assert personal not in text
    assert "tracking_secret" not in text and body["tracking_secret"] not in text


def test_wrong_or_missing_secret_looks_like_an_unknown_number(loop, client):
    body = report(client, loop)
    wrong = track(client, body["number"], "not-the-secret")
    missing = track(client, body["number"], "")
    unknown = track(client, "209901010000001", body["tracking_secret"])
    assert wrong.status_code == missing.status_code == unknown.status_code == 404
    assert wrong.json() == missing.json() == unknown.json()
    photo = client.get(f"/api/public/cases/{body['number']}/photos/1", headers={"X-Tracking-Secret": "wrong"})
    assert photo.status_code == 404


def test_anonymous_flag_keeps_no_name_or_phone(loop, client):
    body = report(client, loop, anonymous="true")
    reporter = CaseReporter.objects.get(case__number=body["number"])
    assert reporter.anonymous and reporter.name == "" and reporter.phone == ""


def test_registered_citizen_reports_as_themselves(loop, users, client_for):
    body = report(client_for(users["citizen"]), loop, category_code="C0101")
    case = Case.objects.get(number=body["number"])
    assert case.reported_by == users["citizen"] and case.category.code == "C0101"
    assert body["tracking_secret"]


def test_idempotent_retry_returns_the_same_number_and_secret(loop, client, nothing_written):
    headers = {"Idempotency-Key": "web-7d3f0a", "X-Reporter-Token": "app-install-5f2c9e1d7a"}
    first = client.post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=headers)
    second = client.post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["number"] == second.json()["number"]
    assert first.json()["tracking_secret"] == second.json()["tracking_secret"]
    assert Case.objects.count() == 1
    assert track(client, first.json()["number"], first.json()["tracking_secret"]).status_code == 200
    with nothing_written():
        reused = client.post(URL, form(loop, description="别的问题"), headers=headers)
    assert reused.status_code == 409 and error_code(reused) == "idempotency_key_reused"


def test_a_key_replayed_by_another_client_never_gets_the_secret(loop, client, nothing_written):
    """The same Idempotency-Key and the same body from another app or browser: 409, no secret."""
    from django.test import Client

    key = {"Idempotency-Key": "k-replayed-1"}
    mine = {**key, "X-Reporter-Token": "my-phone-token-0001"}
    first = client.post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=mine)
    assert first.status_code == 201
    secret = first.json()["tracking_secret"]
    for other in (
        {**key, "X-Reporter-Token": "someone-else-token-02"},  # another app
        key,  # no token at all
    ):
        with nothing_written():
            replay = Client().post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=other)
        assert replay.status_code == 409 and error_code(replay) == "idempotency_key_other_client"
        assert secret not in replay.content.decode() and first.json()["number"] not in replay.content.decode()
    # A browser of the public site holding another reporter cookie: the same.
    browser = Client()
    browser.cookies["qc_reporter"] = "a-browser-cookie-token-3"
    with nothing_written():
        replay = browser.post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=key)
    assert replay.status_code == 409 and secret not in replay.content.decode()
    # The first app again: its secret.
    again = client.post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=mine)
    assert again.status_code == 200 and again.json()["tracking_secret"] == secret


def test_a_retry_without_any_reporter_token_gets_the_number_but_no_secret(loop, client):
    """Nobody can tell such a retry from a replay by someone else: no secret, no second case."""
    from django.test import Client

    key = {"Idempotency-Key": "k-anonymous-2"}
    first = client.post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=key)
    assert first.status_code == 201 and first.json()["tracking_secret"]
    replay = Client().post(URL, {**form(loop), "photos": [jpeg_file()]}, headers=key)
    assert replay.status_code == 200 and replay.json()["number"] == first.json()["number"]
    assert replay.json()["tracking_secret"] is None and replay.json()["created"] is False
    assert first.json()["tracking_secret"] not in replay.content.decode()
    assert Case.objects.count() == 1


def test_a_malformed_reporter_token_is_refused(loop, client, nothing_written):
    with nothing_written():
        response = client.post(
            URL, form(loop), headers={"Idempotency-Key": "k-3", "X-Reporter-Token": "short"}
        )
    assert response.status_code == 400 and error_code(response) == "reporter_token_invalid"


@pytest.mark.parametrize(
    ("files", "overrides", "status", "code"),
    [
        (lambda: [text_as_jpeg()], {}, 400, "photo_invalid"),
        (lambda: [gif_file()], {}, 400, "photo_type"),
        (lambda: [jpeg_file(size=(400, 400))], {}, 413, "photo_too_large"),
        (lambda: [jpeg_file()], {"lon": 121.47, "lat": 31.23}, 400, "outside_coverage"),
        (lambda: [jpeg_file()], {"category_code": "X0000"}, 400, "unknown_category"),
        (lambda: [jpeg_file()], {"description": " "}, 400, "required"),
    ],
)
def test_bad_public_reports_write_nothing(
    loop, client, settings, nothing_written, files, overrides, status, code
):
    settings.CASE_PHOTO_MAX_BYTES = 2000
    with nothing_written():
        response = client.post(
            URL, {**form(loop, **overrides), "photos": files()}, headers={"Idempotency-Key": f"k-{code}"}
        )
    assert response.status_code == status, response.content
    assert error_code(response) == code


def test_rating_only_after_closure_and_once(loop, users, client, photo):
    body = report(client, loop, category_code="E0102")
    number, secret = body["number"], body["tracking_secret"]
    rate = {"number": number, "secret": secret, "score": 5, "comment": "处理及时"}
    early = client.post("/api/public/rate", rate, content_type="application/json")
    assert early.status_code == 409 and error_code(early) == "not_closed"

    drive_to_closed(Case.objects.get(number=number), users, photo)
    view = track(client, number, secret).json()
    assert view["status"] == "closed" and view["can_rate"] is True
    assert [e["action"] for e in view["timeline"]] == ["report", "open", "dispatch", "feedback", "close"]

    wrong = client.post("/api/public/rate", {**rate, "secret": "guess"}, content_type="application/json")
    assert wrong.status_code == 404
    bad = client.post("/api/public/rate", {**rate, "score": 6}, content_type="application/json")
    assert bad.status_code == 400 and error_code(bad) == "invalid_score"
    done = client.post("/api/public/rate", rate, content_type="application/json")
    assert done.status_code == 200, done.content
    assert (
        done.json()["rating"] == 5 and done.json()["can_rate"] is False and done.json()["status"] == "closed"
    )
    case = Case.objects.get(number=number)
    assert case.satisfaction == 5 and PublicRating.objects.get(case=case).comment == "处理及时"
    twice = client.post("/api/public/rate", rate, content_type="application/json")
    assert twice.status_code == 409 and error_code(twice) == "already_rated"


def test_low_rating_reopens_the_case(loop, users, client, photo):
    body = report(client, loop, category_code="E0102")
    drive_to_closed(Case.objects.get(number=body["number"]), users, photo)
    response = client.post(
        "/api/public/rate",
        {"number": body["number"], "secret": body["tracking_secret"], "score": 1},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "handling"
    assert Case.objects.get(number=body["number"]).rework_count == 1


def test_public_updates_include_public_entries_only(loop, users, client):
    body = report(client, loop, category_code="E0102")
    case = Case.objects.get(number=body["number"])
    case_act(case_id=case.pk, actor=users["receiver"], action="send_verification")
    case_act(
        case_id=case.pk,
        actor=users["supervisor"],
        action="verify",
        data={"genuine": True, "note": "联系人 13912345678"},
    )
    case_act(
        case_id=case.pk,
        actor=users["receiver"],
        action="cancel",
        data={"reason": "已由物业处理，联系 13912345678"},
    )
    view = track(client, body["number"], body["tracking_secret"]).json()
    assert [e["action"] for e in view["timeline"]] == ["report", "cancel"]
    assert view["status"] == "cancelled"
    assert "13912345678" not in str(view) and "139****5678" in str(view)


def test_throttled_per_address(loop, client, settings):
    settings.PUBLIC_REPORTS_PER_HOUR = 2
    report(client, loop)
    report(client, loop)
    response = client.post(URL, form(loop))
    assert response.status_code == 429 and error_code(response) == "rate_limited"
    other = client.post(URL, form(loop), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 201


def test_throttled_per_client_behind_a_trusted_proxy(loop, client, settings):
    """Behind the reverse proxy every request has the proxy's REMOTE_ADDR: the budget is the client's
    (from the proxy's header), and a header sent by anyone else buys no fresh budget."""
    settings.PUBLIC_REPORTS_PER_HOUR = 1
    settings.QINGCHENG_TRUSTED_PROXIES = ["10.0.0.1"]
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = client.post(URL, form(loop), headers={"X-Forwarded-For": "198.51.100.1"}, **proxy)
    second = client.post(URL, form(loop), headers={"X-Forwarded-For": "198.51.100.2"}, **proxy)
    assert first.status_code == second.status_code == 201
    again = client.post(URL, form(loop), headers={"X-Forwarded-For": "198.51.100.1"}, **proxy)
    assert again.status_code == 429
    direct = {"REMOTE_ADDR": "203.0.113.9"}
    assert (
        client.post(URL, form(loop), headers={"X-Forwarded-For": "198.51.100.3"}, **direct).status_code == 201
    )
    spoofed = client.post(URL, form(loop), headers={"X-Forwarded-For": "198.51.100.4"}, **direct)
    assert spoofed.status_code == 429


def _jpeg_with_gps_and_orientation() -> bytes:
    image = Image.new("RGB", (80, 40), (255, 0, 0))
    image.paste((0, 0, 255), (0, 0, 40, 40))  # left half blue, right half red
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "TestCam"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (40.0, 48.0, 0.0)
    gps[3] = "E"
    gps[4] = (111.0, 42.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_public_copy_has_no_gps_and_is_upright(loop, client, settings):
    data = _jpeg_with_gps_and_orientation()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # the upload really carries GPS
    upload = SimpleUploadedFile("gps.jpg", data, content_type="image/jpeg")
    response = client.post(URL, {**form(loop), "photos": [upload]})
    assert response.status_code == 201
    body = response.json()
    assert track(client, body["number"], body["tracking_secret"]).json()["photos"] == []  # no copy yet

    assert case_public_photo_sweep() == 1
    photos = track(client, body["number"], body["tracking_secret"]).json()["photos"]
    assert len(photos) == 1
    url = f"/api/public/cases/{body['number']}/photos/{photos[0]['id']}"
    # The secret goes in a header: in the query string (which reaches access logs) it is not read.
    assert client.get(url, {"secret": body["tracking_secret"]}).status_code == 404
    served = client.get(url, headers={"X-Tracking-Secret": body["tracking_secret"]})
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    copy = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert copy.size == (40, 80)  # rotated upright
    exif = copy.getexif()
    assert not exif.get_ifd(0x8825) and 0x8825 not in exif and len(exif) == 0
    assert "exif" not in copy.info
    # Orientation 6 turns the left (blue) half to the top.
    top, bottom = copy.getpixel((20, 10)), copy.getpixel((20, 70))
    assert top[2] > 200 and top[0] < 60 and bottom[0] > 200 and bottom[2] < 60
