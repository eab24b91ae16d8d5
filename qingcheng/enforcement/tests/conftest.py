"""Fixtures of the enforcement tests: 赛罕区 (150105) with its officers, head, legal reviewer, leader,
procuratorate observer and an auxiliary; one violation with a discretion benchmark (synthetic test data,
not the catalogue); a collecting bank."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

AREA = "150105"
_numbers = itertools.count(1)


@pytest.fixture
def enf(make_user, make_department):
    from qingcheng.enforcement.models import CollectingBank, DiscretionLevel, Violation

    bureau = make_department(AREA, kind="enforcement", name="赛罕区城市管理综合执法局")
    violation = Violation.objects.create(
        code="TEST-001", name="占道经营（测试）", domain=Violation.Domain.CITY_APPEARANCE
    )
    level = DiscretionLevel.objects.create(
        violation=violation,
        level=DiscretionLevel.Level.ORDINARY,
        circumstances="首次被查处，经责令改正后改正（测试数据）",
        fine_min_fen=5_000,
        fine_max_fen=50_000,
    )
    bank = CollectingBank.objects.create(
        code="TESTBANK",
        name="测试银行呼和浩特赛罕支行",
        address="呼和浩特市赛罕区（测试）",
        agreement_number="代收协议-测试-001",
        area_code=AREA,
    )
    return {
        "bureau": bureau,
        "violation": violation,
        "level": level,
        "bank": bank,
        "officer": make_user(["enforcement_officer"], department=bureau),
        "officer2": make_user(["enforcement_officer"], department=bureau),
        "officer3": make_user(["enforcement_officer"], department=bureau),
        "head": make_user(["enforcement_head"], department=bureau),
        "reviewer": make_user(["legal_reviewer"]),
        "reviewer2": make_user(["legal_reviewer"]),
        "leader": make_user(["leader"]),
        "procuratorate": make_user(["procuratorate"]),
        "auxiliary": make_user(["auxiliary"], staff_category="auxiliary"),
        "admin": make_user(["admin"]),
        "outside_officer": make_user(["enforcement_officer"], area_code="150102"),
        "citizen": make_user(["citizen"]),
    }


@pytest.fixture
def make_penalty_case(enf):
    """A penalty case row written directly in the given state (test set-up only; the workflow itself is
    tested through the services)."""
    from qingcheng.core import clock
    from qingcheng.enforcement.models import PenaltyCase

    def make(status: str = PenaltyCase.Status.INVESTIGATING, **fields):
        n = next(_numbers)
        at = clock.now()
        values = {
            "number": f"TEST-{n:05d}",
            "procedure": PenaltyCase.Procedure.GENERAL,
            "source": PenaltyCase.Source.INSPECTION,
            "status": status,
            "violation": enf["violation"],
            "discretion_level": enf["level"],
            "facts": "当事人在人行道上摆摊经营（测试数据）",
            "address": "呼和浩特市赛罕区大学东街（测试）",
            "lon": 111.70,
            "lat": 40.80,
            "occurred_at": at - dt.timedelta(days=1),
            "area_code": AREA,
            "party_kind": "individual",
            "party_name": "张三",
            "party_id_number": "150105199001011234",
            "party_phone": "13800001234",
            "party_address": "呼和浩特市赛罕区（测试）",
            "filed_at": at - dt.timedelta(hours=20),
            "fine_fen": 20_000,
        }
        values.update(fields)
        case = PenaltyCase.objects.create(**values)
        case.officers.set([enf["officer"], enf["officer2"]])
        return case

    return make


# --- evidence, archive and non-site enforcement (evidence/, nonsite.py) ---------------------------------------


@pytest.fixture
def evidence_media(settings, tmp_path):
    """Evidence files go to a fresh MEDIA_ROOT of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _png(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (8, 6)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def sample_files():
    """Small files of every accepted kind, made here (synthetic test data)."""
    import io

    from PIL import Image

    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 10)).save(jpeg, format="JPEG")
    webp = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 10, 120)).save(webp, format="WEBP")
    return {
        "png": _png(),
        "png2": _png((30, 30, 200)),
        "jpeg": jpeg.getvalue(),
        "webp": webp.getvalue(),
        "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + b"\x00" * 64,
        "mov": b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 64,
        "m4a": b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 64,
        "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 64,
        "mp3_frame": b"\xff\xfb\x90\x64" + b"\x00" * 64,
        "wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64,
        "amr": b"#!AMR\n" + b"\x3c" * 64,
        "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "text": "现场检查笔录：当事人在人行道上摆摊（测试数据）\n".encode(),
    }


@pytest.fixture
def make_point(enf):
    """A monitoring point of 赛罕区; reviewed and published a month ago unless told otherwise."""
    from qingcheng.core import clock
    from qingcheng.enforcement.models import MonitoringPoint

    def make(**fields):
        n = next(_numbers)
        day = clock.now().date() - dt.timedelta(days=30)
        values = {
            "code": f"MP-{n:04d}",
            "name": f"大学东街{n}号监控点（测试）",
            "lon": 111.71,
            "lat": 40.81,
            "violation": enf["violation"],
            "reviewed_on": day,
            "published_on": day,
            "published_where": "赛罕区人民政府网站（测试）",
            "area_code": AREA,
        }
        values.update(fields)
        return MonitoringPoint.objects.create(**values)

    return make


@pytest.fixture
def device_account(make_user):
    """The monitoring platform's account: it may only submit records (enforcement.add_nonsiterecord)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = make_user([], username=f"video-platform-{next(_numbers)}")
    user.user_permissions.add(
        Permission.objects.get(codename="add_nonsiterecord", content_type__app_label="enforcement")
    )
    return get_user_model().objects.get(pk=user.pk)
