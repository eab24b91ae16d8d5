"""Fixtures for intake tests: the case-loop fixtures (test city, catalogue, one user per role) plus
logged-in clients, an API key, photo files and a snapshot of everything an intake may write."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from qingcheng.testing import jpeg_bytes


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    """Photos go to a fresh directory; throttle counters start at zero."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def users(loop):
    return loop["users"]


@pytest.fixture
def client_for(api_client_for):
    return api_client_for


@pytest.fixture
def api_key(make_user):
    """A camera/sensor platform's API key (role api_client, area 赛罕区)."""
    from qingcheng.accounts.services import api_key_create

    user = make_user(["api_client"], area_code="150105")
    _, raw = api_key_create(actor=None, user=user, name="视频平台")
    return raw


def jpeg_file(name: str = "photo.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")


def gif_file(name: str = "photo.gif") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(buffer, format="GIF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/gif")


def text_as_jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"this is not an image, only text renamed .jpg\n" * 20, content_type="image/jpeg"
    )


def write_snapshot(media_root: Path) -> dict:
    """Counts of every table an intake may write, and the files under MEDIA_ROOT."""
    from qingcheng.cases.models import Case, CaseEvent, CasePhoto, CaseReporter, IdempotencyRecord
    from qingcheng.core.models import AuditEntry, Deadline
    from qingcheng.intake.models import HotlineOrder, MachineEvent, PublicRating

    models = [
        Case,
        CaseEvent,
        CasePhoto,
        CaseReporter,
        IdempotencyRecord,
        AuditEntry,
        Deadline,
        HotlineOrder,
        MachineEvent,
        PublicRating,
    ]
    counts = {m.__name__: m.objects.count() for m in models}
    root = Path(media_root)
    counts["files"] = sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return counts


@pytest.fixture
def nothing_written(settings):
    """Use as `with nothing_written(): ...` around a request that must leave no trace."""
    import contextlib

    @contextlib.contextmanager
    def check():
        before = write_snapshot(settings.MEDIA_ROOT)
        yield
        assert write_snapshot(settings.MEDIA_ROOT) == before

    return check


def error_code(response) -> str:
    return response.json()["error"]["code"]
