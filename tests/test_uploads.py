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
    from qingcheng.cases.tests.conftest import jpeg_bytes

    result = _report(loop, [PhotoUpload(data=jpeg_bytes(), kind="before", name="../../etc/passwd.php")])
    photo = result.case.photos.get()
    assert ".." not in photo.storage_path and "passwd" not in photo.storage_path
    assert photo.storage_path.endswith(f"{photo.sha256}.jpg")
    stored = tmp_path / photo.storage_path
    assert stored.is_file() and stored.resolve().is_relative_to(tmp_path.resolve())
    assert not str(stored).startswith(str(settings.STATIC_ROOT or "/nonexistent"))
