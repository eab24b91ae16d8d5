"""Uploads: type by content, not name; pixel bombs refused; file names never reach the disk."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from qingcheng.cases.models import Case, CasePhoto
from qingcheng.cases.services import PhotoUpload, case_report
from qingcheng.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def _report(loop, photos):
    return case_report(
        actor=loop["users"]["supervisor"],
        source="supervisor",
        lon=loop["point"][0],
        lat=loop["point"][1],
        description="上传测试",
        category_code="E0102",
        photos=photos,
    )


def _png(size, mode="1") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def test_a_pixel_bomb_is_refused_before_decoding(loop, settings):
    bomb = _png((12_000, 12_000))  # 144 megapixels in a file of a few tens of kilobytes
    assert len(bomb) < 200_000
    with pytest.raises(ValidationFailed) as refused:
        _report(loop, [PhotoUpload(data=bomb, kind="before", name="small.png")])
    assert refused.value.code == "photo_too_many_pixels"
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0


@pytest.mark.parametrize(
    "payload,name",
    [
        (b"<html><script>alert(1)</script></html>", "photo.jpg"),
        (b"GIF89a" + b"\x00" * 64, "photo.jpg"),
        (b"%PDF-1.7\n", "scan.png"),
    ],
)
def test_type_is_judged_by_content_not_name(loop, payload, name):
    with pytest.raises(ValidationFailed) as refused:
        _report(loop, [PhotoUpload(data=payload, kind="before", name=name)])
    assert refused.value.code in {"photo_invalid", "photo_type"}
    assert Case.objects.count() == 0


def test_a_hostile_file_name_never_reaches_the_disk(loop, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    from qingcheng.testing import jpeg_bytes

    result = _report(loop, [PhotoUpload(data=jpeg_bytes(), kind="before", name="../../etc/passwd.php")])
    photo = result.case.photos.get()
    assert ".." not in photo.storage_path and "passwd" not in photo.storage_path
    assert photo.storage_path.endswith(f"{photo.sha256}.jpg")
    stored = tmp_path / photo.storage_path
    assert stored.is_file() and stored.resolve().is_relative_to(tmp_path.resolve())
    assert not str(stored).startswith(str(settings.STATIC_ROOT or "/nonexistent"))


# ---------------------------------------------------------------------- refused by size before it is read

CHUNK = 64 * 1024  # Django's upload chunk: what may be read past a limit before the part is refused
LIMIT = 2**20


@pytest.fixture
def upload_limits(settings, tmp_path):
    """Photos of at most 1 MB; uploads spool to a directory of the test's own, so leftovers show."""
    settings.CASE_PHOTO_MAX_BYTES = LIMIT
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    (tmp_path / "spool").mkdir()
    return tmp_path


def _nothing_written(tmp_path, cases_before: int) -> None:
    assert Case.objects.count() == cases_before and CasePhoto.objects.count() == 0
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert not list((tmp_path / "spool").iterdir()), "a refused upload left a temporary file"


def _report_fields(loop) -> dict[str, str]:
    lon, lat = loop["point"]
    return {
        "lon": str(lon),
        "lat": str(lat),
        "long": str(lon),
        "description": "人行道破损",
        "service_code": "E0102",
    }


def _targets(loop):
    """Every kind of upload endpoint: (name, path, logged-in client or None, extra fields, how to read the
    error code from the answer)."""
    from django.test import Client

    from qingcheng.open311.services import client_create, seed

    seed()
    _, key = client_create(actor=None, name="上传测试", contact="ops@example.org")
    supervisor = Client()
    supervisor.force_login(loop["users"]["supervisor"])
    handler = Client()
    handler.force_login(loop["users"]["handler"])
    case = _report(loop, [])
    return [
        ("public page", "/public/report/", None, {}, "page"),
        ("public API", "/api/public/reports", None, {}, "json"),
        ("Open311", "/open311/v2/requests.json", None, {"api_key": key}, "open311"),
        ("field app API", "/api/intake/supervisor/reports", supervisor, {"category_code": "E0102"}, "json"),
        ("case action form", f"/cases/{case.case.number}/act/", handler, {"action": "handle"}, "page"),
    ]


def _code(response, how: str) -> str:
    import json
    import re

    if how == "json":
        return json.loads(response.content)["error"]["code"]
    if how == "open311":  # the wire code is the status; the description says which limit
        description = json.loads(response.content)[0]["description"]
        for code, words in (("photo_too_large", "is larger than"), ("request_too_large", "body too large")):
            if words in description:
                return code
        return description
    found = re.search(r'data-code="([a-z_]+)"', response.content.decode())
    return found.group(1) if found else ""


def test_an_oversized_photo_is_refused_while_it_streams(loop, upload_limits):
    """A 5 MB part against a 1 MB limit (the whole body within the request cap, so only streaming can
    catch it): every upload path stops reading one chunk past the limit, answers 413 with its error
    model and writes nothing, not even a temporary file."""
    from qingcheng.testing.uploads import StreamedMultipart, post_streamed

    for name, path, client, extra, how in _targets(loop):
        before = Case.objects.count()
        body = StreamedMultipart({**_report_fields(loop), **extra}, [("photos", "big.jpg", 5 * LIMIT)])
        response = post_streamed(path, body, client=client)
        assert response.status_code == 413, (name, response.content[:300])
        assert _code(response, how) == "photo_too_large", name
        head = body.length - 5 * LIMIT
        assert body.bytes_read <= head + LIMIT + CHUNK, (name, body.bytes_read)
        _nothing_written(upload_limits, before)


def test_a_body_declared_over_the_cap_is_not_read_at_all(loop, upload_limits):
    """Four 300 MB photos, as in the finding: refused by the declared length, not one byte read."""
    from qingcheng.testing.uploads import StreamedMultipart, post_streamed

    for name, path, client, extra, how in _targets(loop):
        before = Case.objects.count()
        body = StreamedMultipart(
            {**_report_fields(loop), **extra}, [("photos", f"{n}.jpg", 300 * 2**20) for n in range(4)]
        )
        response = post_streamed(path, body, client=client)
        assert response.status_code == 413, (name, response.content[:300])
        assert _code(response, how) == "request_too_large", name
        assert body.bytes_read == 0, name
        _nothing_written(upload_limits, before)


def test_one_file_too_many_is_refused_before_it_is_read(loop, upload_limits):
    from qingcheng.testing.uploads import StreamedMultipart, post_streamed

    body = StreamedMultipart(
        _report_fields(loop),
        [("photos", f"{n}.jpg", 1000) for n in range(4)] + [("photos", "5.jpg", 600_000)],
    )
    response = post_streamed("/public/report/", body)
    assert response.status_code == 400 and _code(response, "page") == "too_many_photos"
    assert body.bytes_read < body.length - 500_000
    _nothing_written(upload_limits, 0)


def test_a_form_without_uploads_takes_no_file(loop, upload_limits):
    """Pages that take no files refuse a file part as it begins, and a multipart body past the form-data
    limit by its length."""
    from qingcheng.testing.uploads import StreamedMultipart, post_streamed

    body = StreamedMultipart({"number": "1", "secret": "x"}, [("photos", "x.jpg", 2 * LIMIT)])
    response = post_streamed("/public/track/", body)
    assert response.status_code == 400 and _code(response, "page") == "files_not_accepted"
    assert body.bytes_read < LIMIT
    big = StreamedMultipart({"username": "x", "password": "y"}, [("f", "x.jpg", 50 * LIMIT)])
    response = post_streamed("/login/", big)
    assert response.status_code == 413 and big.bytes_read == 0
    _nothing_written(upload_limits, 0)
