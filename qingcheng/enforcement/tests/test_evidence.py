"""Evidence: stored by content address, typed by content, collected by two officers, chained into the audit
log; tampering with a stored file, an evidence row or an audit row is detected."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import path

from qingcheng.core import clock
from qingcheng.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.enforcement import views_party
from qingcheng.urls import urlpatterns as project_urls

urlpatterns = [
    path(
        "enforcement/evidence/<int:evidence_id>/file",
        views_party.evidence_file,
        name="enforcement-evidence-file",
    ),
    *project_urls,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def case(make_penalty_case):
    return make_penalty_case()


def _add(enf, case, data, *, filename="photo.png", kind="audiovisual", title="现场照片", actor=None, **extra):
    from qingcheng.enforcement.evidence.services import evidence_add

    values = {
        "actor": actor or enf["officer"],
        "case": case,
        "data": data,
        "filename": filename,
        "kind": kind,
        "title": title,
        "collected_at": clock.now() - dt.timedelta(minutes=10),
        "officer_ids": [enf["officer2"].pk],
        "lon": 111.7012,
        "lat": 40.8034,
        "place": "大学东街与昭乌达路交叉口（测试）",
    }
    values.update(extra)
    return evidence_add(**values)


def test_evidence_is_stored_under_its_sha256_and_chained_into_the_audit_log(
    enf, case, evidence_media, sample_files
):
    from qingcheng.core.models import AuditEntry
    from qingcheng.enforcement.evidence.services import evidence_verify, record_digest
    from qingcheng.enforcement.models import PenaltyEvent

    data = sample_files["png"]
    evidence = _add(enf, case, data)
    sha = hashlib.sha256(data).hexdigest()
    assert evidence.sha256 == sha
    assert evidence.size == len(data)
    assert evidence.content_type == "image/png"
    assert evidence.storage_path == f"evidence/{sha[:2]}/{sha}.png"
    stored = Path(evidence_media) / evidence.storage_path
    assert stored.read_bytes() == data
    assert evidence.officer_ids == sorted([enf["officer"].pk, enf["officer2"].pk])
    assert evidence.collected_by == enf["officer"]
    evidence.refresh_from_db()
    assert evidence.record_digest == record_digest(evidence)
    entry = AuditEntry.objects.get(pk=evidence.audit_entry_id)
    assert entry.action == "enforcement.evidence_add"
    assert (entry.object_type, entry.object_id, entry.area_code) == (
        "enforcement.evidence",
        str(evidence.pk),
        "150105",
    )
    after = json.loads(entry.changes)["after"]
    assert after["sha256"] == sha
    assert after["record_digest"] == evidence.record_digest
    assert after["place"] == "大学东街与昭乌达路交叉口（测试）"
    event = PenaltyEvent.objects.get(case=case, action="collect_evidence")
    assert event.data["sha256"] == sha
    assert event.officer_ids == sorted([enf["officer"].pk, enf["officer2"].pk])
    assert evidence_verify() == []


@pytest.mark.parametrize(
    "key, filename, content_type, extension",
    [
        ("png", "photo.pdf", "image/png", "png"),  # the name lies; the content decides
        ("jpeg", "photo.png", "image/jpeg", "jpg"),
        ("webp", "x", "image/webp", "webp"),
        ("mp4", "clip.jpg", "video/mp4", "mp4"),
        ("mov", "clip", "video/quicktime", "mov"),
        ("m4a", "a.mp4", "audio/mp4", "m4a"),
        ("mp3", "a", "audio/mpeg", "mp3"),
        ("mp3_frame", "a", "audio/mpeg", "mp3"),
        ("wav", "a", "audio/wav", "wav"),
        ("amr", "a", "audio/amr", "amr"),
        ("pdf", "notice.txt", "application/pdf", "pdf"),
        ("text", "record.exe", "text/plain", "txt"),
    ],
)
def test_the_type_comes_from_the_content_never_from_the_name(
    enf, case, evidence_media, sample_files, key, filename, content_type, extension
):
    evidence = _add(enf, case, sample_files[key], filename=filename)
    assert evidence.content_type == content_type
    assert evidence.storage_path.endswith(f".{extension}")


@pytest.mark.parametrize(
    "data",
    [
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40,  # a program
        b"PK\x03\x04" + b"\x00\xff" * 40,  # a zip archive
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # a HEIF image in an MP4-like box
        b"\xff\xd8\xff\xe0 not really a jpeg",
        b"caf\xe9 latin-1 text",
    ],
)
def test_other_content_is_refused_with_a_4xx(enf, case, evidence_media, data):
    with pytest.raises(ValidationFailed) as error:
        _add(enf, case, data, filename="photo.jpg")
    assert error.value.status == 400
    assert error.value.code in {"evidence_type", "photo_invalid"}
    assert not any(Path(evidence_media).rglob("*.*")) if Path(evidence_media).exists() else True


def test_the_size_limit_comes_from_the_setting(enf, case, evidence_media, sample_files, settings):
    settings.ENFORCEMENT_EVIDENCE_MAX_BYTES = 50
    with pytest.raises(ValidationFailed) as error:
        _add(enf, case, sample_files["png"])
    assert (error.value.status, error.value.code) == (413, "evidence_too_large")
    with pytest.raises(ValidationFailed):
        _add(enf, case, b"", filename="empty.txt")


def test_the_file_name_is_only_a_sanitised_label(enf, case, evidence_media, sample_files):
    from qingcheng.core.models import AuditEntry
    from qingcheng.enforcement.evidence.services import display_name

    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("C:\\Users\\a\\..\\照片 1.jpg") == "照片 1.jpg"
    assert display_name("\x00\x1b[31m.hidden<script>") == "_[31m.hidden_script_"
    evidence = _add(enf, case, sample_files["text"], filename="../../../etc/cron.d/x<>.txt", title="")
    assert evidence.title == "x_.txt"
    assert ".." not in evidence.storage_path
    after = json.loads(AuditEntry.objects.get(pk=evidence.audit_entry_id).changes)["after"]
    assert after["filename"] == "x_.txt"


def test_two_officers_of_the_area_must_collect_it(enf, case, evidence_media, sample_files):
    with pytest.raises(ValidationFailed) as alone:
        _add(enf, case, sample_files["png"], officer_ids=[])
    assert alone.value.code == "two_officers_required"
    with pytest.raises(ValidationFailed) as auxiliary:
        _add(enf, case, sample_files["png"], officer_ids=[enf["auxiliary"].pk])
    assert auxiliary.value.code == "not_an_officer"
    with pytest.raises(ValidationFailed) as outsider:
        _add(enf, case, sample_files["png"], officer_ids=[enf["outside_officer"].pk])
    assert outsider.value.code == "not_an_officer"


def test_who_may_add_evidence_and_to_which_cases(enf, case, evidence_media, sample_files, make_penalty_case):
    from qingcheng.enforcement.models import Evidence, PenaltyCase

    with pytest.raises(PermissionDeniedError):
        _add(enf, case, sample_files["png"], actor=enf["leader"])
    with pytest.raises(PermissionDeniedError):
        _add(enf, case, sample_files["png"], actor=enf["auxiliary"])
    with pytest.raises(NotFound):
        _add(enf, case, sample_files["png"], actor=enf["outside_officer"])
    for status in (PenaltyCase.Status.CLOSED, PenaltyCase.Status.NOT_FILED):
        with pytest.raises(Conflict) as closed:
            _add(enf, make_penalty_case(status=status), sample_files["png"])
        assert closed.value.code == "case_not_active"
    with pytest.raises(ValidationFailed) as future:
        _add(enf, case, sample_files["png"], collected_at=clock.now() + dt.timedelta(hours=1))
    assert future.value.details["field"] == "collected_at"
    with pytest.raises(ValidationFailed):
        _add(enf, case, sample_files["png"], collected_at=dt.datetime(2026, 1, 1, 8, 0))  # naive
    with pytest.raises(ValidationFailed):
        _add(enf, case, sample_files["png"], kind="rumour")
    assert Evidence.objects.count() == 0


def test_the_same_bytes_are_stored_once_and_never_overwritten(enf, case, evidence_media, sample_files):
    first = _add(enf, case, sample_files["png"], title="照片一")
    second = _add(enf, case, sample_files["png"], title="照片二")
    assert first.storage_path == second.storage_path
    assert len([p for p in Path(evidence_media).rglob("*") if p.is_file()]) == 1
    # Someone put other bytes at the address of a new file: the store refuses rather than overwrite them.
    data = sample_files["png2"]
    sha = hashlib.sha256(data).hexdigest()
    squatter = Path(evidence_media) / "evidence" / sha[:2] / f"{sha}.png"
    squatter.parent.mkdir(parents=True, exist_ok=True)
    squatter.write_bytes(b"other bytes")
    with pytest.raises(Conflict) as error:
        _add(enf, case, data)
    assert error.value.code == "evidence_store_conflict"
    assert squatter.read_bytes() == b"other bytes"


# ------------------------------------------------------------------------------------- tampering


def _codes(problems):
    return sorted({(p.evidence_id, p.code) for p in problems})


def test_a_changed_file_is_detected(enf, case, evidence_media, sample_files):
    from qingcheng.enforcement.evidence.services import evidence_verify

    kept = _add(enf, case, sample_files["jpeg"], title="另一张照片")
    evidence = _add(enf, case, sample_files["png"])
    stored = Path(evidence_media) / evidence.storage_path
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0x01  # one bit
    stored.write_bytes(bytes(data))
    assert _codes(evidence_verify()) == [(evidence.pk, "file_changed")]
    assert _codes(evidence_verify(case=case)) == [(evidence.pk, "file_changed")]
    assert kept.pk not in {p.evidence_id for p in evidence_verify()}
    with pytest.raises(CommandError, match="1 integrity problem"):
        call_command("verify_evidence", verbosity=0)


def test_a_deleted_file_is_detected(enf, case, evidence_media, sample_files):
    from qingcheng.enforcement.evidence.services import evidence_verify

    evidence = _add(enf, case, sample_files["pdf"], kind="documentary", filename="x.pdf")
    (Path(evidence_media) / evidence.storage_path).unlink()
    assert _codes(evidence_verify()) == [(evidence.pk, "file_missing")]


@pytest.mark.parametrize(
    "change",
    [
        {"title": "另一份证据"},
        {"collected_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        {"place": "别处"},
        {"officer_ids": [999_999]},
        {"lon": 111.0},
    ],
)
def test_an_edited_evidence_row_is_detected(enf, case, evidence_media, sample_files, change):
    from qingcheng.enforcement.evidence.services import evidence_verify
    from qingcheng.enforcement.models import Evidence

    evidence = _add(enf, case, sample_files["png"])
    Evidence.objects.filter(pk=evidence.pk).update(**change)
    assert _codes(evidence_verify()) == [(evidence.pk, "row_changed")]


def test_swapping_file_and_digest_together_is_still_detected(enf, case, evidence_media, sample_files):
    """A forger who replaces the file, its hash and the row digest is caught by the audit log."""
    from qingcheng.enforcement.evidence.services import evidence_verify, record_digest
    from qingcheng.enforcement.models import Evidence

    evidence = _add(enf, case, sample_files["png"])
    other = sample_files["png2"]
    sha = hashlib.sha256(other).hexdigest()
    stored = Path(evidence_media) / evidence.storage_path
    stored.write_bytes(other)
    evidence.sha256 = sha
    evidence.size = len(other)
    Evidence.objects.filter(pk=evidence.pk).update(
        sha256=sha, size=len(other), record_digest=record_digest(evidence)
    )
    assert _codes(evidence_verify()) == [(evidence.pk, "audit_mismatch")]


def test_an_edited_audit_row_is_detected(enf, case, evidence_media, sample_files):
    from qingcheng.core.audit import audit_verify
    from qingcheng.core.models import AuditEntry
    from qingcheng.enforcement.evidence.services import evidence_verify

    evidence = _add(enf, case, sample_files["png"])
    assert audit_verify().ok  # sealed into the chain
    entry = AuditEntry.objects.get(pk=evidence.audit_entry_id)
    changes = json.loads(entry.changes)
    changes["after"]["place"] = "别处"
    AuditEntry.objects.filter(pk=entry.pk).update(changes=json.dumps(changes, ensure_ascii=False))
    result = audit_verify()
    assert not result.ok
    assert result.broken.seq == entry.seq
    assert result.broken.reason == "content does not match its hash"
    assert _codes(evidence_verify()) == [(None, "audit_chain_broken")]
    with pytest.raises(CommandError):
        call_command("verify_evidence", verbosity=0)


def test_an_audit_row_recording_another_hash_is_detected(enf, case, evidence_media, sample_files):
    from qingcheng.core.models import AuditEntry
    from qingcheng.enforcement.evidence.services import evidence_verify

    evidence = _add(enf, case, sample_files["png"])
    entry = AuditEntry.objects.get(pk=evidence.audit_entry_id)
    changes = json.loads(entry.changes)
    changes["after"]["sha256"] = "0" * 64
    AuditEntry.objects.filter(pk=entry.pk).update(changes=json.dumps(changes))
    assert _codes(evidence_verify(chain=False)) == [(evidence.pk, "audit_mismatch")]
    AuditEntry.objects.filter(pk=entry.pk).delete()
    assert (evidence.pk, "audit_missing") in _codes(evidence_verify())


def test_a_deleted_evidence_row_is_detected(enf, case, evidence_media, sample_files):
    from qingcheng.enforcement.evidence.services import evidence_verify
    from qingcheng.enforcement.models import Evidence

    evidence = _add(enf, case, sample_files["png"])
    Evidence.objects.filter(pk=evidence.pk).delete()
    assert _codes(evidence_verify()) == [(evidence.pk, "row_missing")]


def test_verify_command_passes_on_intact_evidence(enf, case, evidence_media, sample_files, capsys):
    _add(enf, case, sample_files["png"])
    _add(enf, case, sample_files["mp4"], filename="clip.mp4")
    call_command("verify_evidence")
    assert "evidence intact" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ serving


def test_staff_download_with_permission_and_scope(enf, case, evidence_media, sample_files, client):
    evidence = _add(enf, case, sample_files["png"], title="现场 照片")
    url = f"/enforcement/evidence/{evidence.pk}/file"
    client.force_login(enf["officer"])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == sample_files["png"]
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert case.number in response["Content-Disposition"]
    inline = client.get(url + "?inline=1")
    assert inline["Content-Disposition"].startswith("inline;")
    client.force_login(enf["leader"])  # reads, same area
    assert client.get(url).status_code == 200
    client.force_login(enf["outside_officer"])
    assert client.get(url).status_code == 404
    client.force_login(enf["citizen"])
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(enf["officer"])
    assert client.get("/enforcement/evidence/999999/file").status_code == 404


def test_a_text_record_is_never_served_inline(enf, case, evidence_media, client):
    evidence = _add(
        enf, case, b"<html><script>alert(1)</script></html>", filename="x.html", kind="on_site_record"
    )
    assert evidence.content_type == "text/plain"
    client.force_login(enf["officer"])
    response = client.get(f"/enforcement/evidence/{evidence.pk}/file?inline=1")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "text/plain"
    assert "sandbox" in response["Content-Security-Policy"]


def test_evidence_open_reports_out_of_scope_like_missing(enf, case, evidence_media, sample_files):
    from qingcheng.enforcement.evidence.services import evidence_open

    evidence = _add(enf, case, sample_files["png"])
    handle, content_type, name = evidence_open(actor=enf["head"], evidence_id=evidence.pk)
    with handle:
        assert handle.read() == sample_files["png"]
    assert content_type == "image/png"
    assert name.endswith(".png") and "/" not in name
    with pytest.raises(NotFound):
        evidence_open(actor=enf["outside_officer"], evidence_id=evidence.pk)
    with pytest.raises(NotFound):
        evidence_open(actor=enf["officer"], evidence_id="1 or 1=1")
