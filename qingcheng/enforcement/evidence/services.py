"""Evidence and the whole-process record (证据与全过程记录).

Every evidence file is checked by its content (never by its name), stored once under its SHA-256 content
address outside the web root, and described by a row whose fields are digested (`record_digest`) and
written into the hash-chained audit log together with the file's SHA-256. `evidence_verify` recomputes
all of it, so a changed or missing file, an edited row or an edited audit entry shows.

Evidence types are those of 行政处罚法 第四十六条 (`Evidence.Kind`); the two-officer rule of 第四十二条 applies
to collecting evidence for a case (`common.officers_present`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from qingcheng.cases.photos import check_photo
from qingcheng.core import clock, inputs
from qingcheng.core.access import (
    Actor,
    get_visible_or_404,
    require_in_scope,
    require_permission,
)
from qingcheng.core.audit import audit_record, audit_verify, canonical_json
from qingcheng.core.errors import Conflict, NotFound, ValidationFailed
from qingcheng.core.masking import mask_personal_text
from qingcheng.core.models import AuditEntry

from ..common import officers_present, record_event
from ..models import Evidence, NonSiteRecord, PenaltyCase
from ..penalty.workflow import FINAL_STATES

ADD_PERMISSION = "enforcement.add_evidence"
VIEW_PERMISSION = "enforcement.view_evidence"
DEFAULT_MAX_BYTES = 200 * 2**20
STORAGE_DIR = "evidence"
AUDIT_OBJECT_TYPE = Evidence._meta.label_lower  # "enforcement.evidence"
# A device clock a little ahead of the server is normal; evidence from further in the future is not.
CLOCK_SKEW = dt.timedelta(minutes=5)
_CHUNK = 2**20


# ------------------------------------------------------------------------------------ content types


@dataclass(frozen=True)
class SniffedFile:
    content_type: str
    extension: str
    media: str  # image, video, audio, pdf, text


IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
# ISO base media file brands (bytes 8..12 after the 'ftyp' box type): what phones, body cameras and
# monitoring platforms write. HEIF images (heic, mif1) share the container and are refused.
MP4_BRANDS = {
    b"isom": ("video/mp4", "mp4"),
    b"iso2": ("video/mp4", "mp4"),
    b"iso4": ("video/mp4", "mp4"),
    b"iso5": ("video/mp4", "mp4"),
    b"iso6": ("video/mp4", "mp4"),
    b"mp41": ("video/mp4", "mp4"),
    b"mp42": ("video/mp4", "mp4"),
    b"avc1": ("video/mp4", "mp4"),
    b"mmp4": ("video/mp4", "mp4"),
    b"M4V ": ("video/mp4", "mp4"),
    b"MSNV": ("video/mp4", "mp4"),
    b"qt  ": ("video/quicktime", "mov"),
    b"3gp4": ("video/3gpp", "3gp"),
    b"3gp5": ("video/3gpp", "3gp"),
    b"3gp6": ("video/3gpp", "3gp"),
    b"M4A ": ("audio/mp4", "m4a"),
    b"M4B ": ("audio/mp4", "m4a"),
}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/3gpp": "3gp",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/amr": "amr",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


def _unsupported(label: str) -> ValidationFailed:
    return ValidationFailed(
        f"证据文件 {label} 的格式不被接受（照片 JPEG/PNG/WebP，视频 MP4/MOV/3GP，音频 MP3/M4A/WAV/AMR，"
        "PDF 文书，UTF-8 文本笔录）",
        f"evidence file {label} is not an accepted format (photos JPEG/PNG/WebP, video MP4/MOV/3GP, "
        "audio MP3/M4A/WAV/AMR, PDF documents, UTF-8 text records)",
        field="data",
        code="evidence_type",
    )


def _mpeg_audio_frame(header: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a version and a layer that exist, a bitrate index that is
    neither free nor 'bad' and a sampling rate index that is not reserved."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    version, layer = (header[1] >> 3) & 0b11, (header[1] >> 1) & 0b11
    bitrate, rate = header[2] >> 4, (header[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate not in (0, 0xF) and rate != 0b11


def sniff(data: bytes, label: str = "") -> SniffedFile:
    """The type of an evidence file from its first bytes. Images go through `check_photo`, which also
    refuses decompression bombs; text must be valid UTF-8 without NUL bytes."""
    label = label or "file"
    if data.startswith(IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        photo = check_photo(data, name=label)
        return SniffedFile(photo.content_type, photo.extension, "image")
    if data.startswith(b"%PDF-"):
        return SniffedFile("application/pdf", "pdf", "pdf")
    if data[4:8] == b"ftyp" and int.from_bytes(data[:4], "big") >= 12:
        found = MP4_BRANDS.get(data[8:12])
        if found is None:
            raise _unsupported(label)
        content_type, extension = found
        return SniffedFile(content_type, extension, content_type.split("/")[0])
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return SniffedFile("audio/wav", "wav", "audio")
    if data.startswith(b"#!AMR\n") or data.startswith(b"#!AMR-WB\n"):
        return SniffedFile("audio/amr", "amr", "audio")
    if data.startswith(b"ID3") or _mpeg_audio_frame(data[:4]):
        return SniffedFile("audio/mpeg", "mp3", "audio")
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return SniffedFile("text/plain", "txt", "text")
    raise _unsupported(label)


def max_bytes() -> int:
    return int(getattr(settings, "ENFORCEMENT_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")


def display_name(filename: str | None) -> str:
    """A file name as a label only: no directories, no control or reserved characters, no leading dots,
    at most 100 characters. It never decides a type or a path."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip().lstrip(".").strip()
    return name[:100]


# ------------------------------------------------------------------------------------------ storage


def evidence_root() -> Path:
    return Path(settings.MEDIA_ROOT) / STORAGE_DIR


def file_path(evidence: Evidence) -> Path:
    return Path(settings.MEDIA_ROOT) / evidence.storage_path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _store(data: bytes, sha256: str, extension: str) -> str:
    """Write the bytes under their hash and return the path relative to MEDIA_ROOT. The same bytes are
    written once; a file already there with other bytes is never overwritten (it is a sign of tampering
    and stays for whoever investigates)."""
    relative = f"{STORAGE_DIR}/{sha256[:2]}/{sha256}.{extension}"
    target = Path(settings.MEDIA_ROOT) / relative
    if target.exists():
        if file_sha256(target) != sha256:
            raise Conflict(
                "evidence_store_conflict",
                "证据存储中已有同名但内容不同的文件，请联系管理员核查",
                "the evidence store holds a different file under this content address; ask an "
                "administrator to check it",
            )
        return relative
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written through this writer's own temporary name and renamed: readers never see half a file and a
    # concurrent upload of the same bytes renames an identical file onto the same name.
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return relative


# ----------------------------------------------------------------------------------- record digest


def _utc(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_fields(evidence: Evidence) -> dict[str, Any]:
    """The fields the digest covers: what, where it is stored, who collected it, when and where."""
    return {
        "case_id": evidence.case_id,
        "nonsite_record_id": evidence.nonsite_record_id,
        "kind": evidence.kind,
        "title": evidence.title,
        "description": evidence.description,
        "sha256": evidence.sha256,
        "size": evidence.size,
        "content_type": evidence.content_type,
        "storage_path": evidence.storage_path,
        "collected_at": _utc(evidence.collected_at),
        "collected_by": evidence.collected_by_id,
        "officer_ids": sorted(int(i) for i in evidence.officer_ids or []),
        "lon": evidence.lon,
        "lat": evidence.lat,
        "place": evidence.place,
    }


def record_digest(evidence: Evidence) -> str:
    return hashlib.sha256(canonical_json(record_fields(evidence)).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------ writing


def parse_collected_at(value: Any) -> dt.datetime:
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, dt.datetime) or timezone.is_naive(moment):
        raise ValidationFailed(
            "取证时间无效（需带时区的日期时间）",
            "collected_at must be a date and time with a time zone",
            field="collected_at",
        )
    inputs.date_in_range(moment, "collected_at", "取证时间", "collected_at")
    if moment > clock.now() + CLOCK_SKEW:
        raise ValidationFailed(
            "取证时间不能晚于当前时间", "collected_at cannot be in the future", field="collected_at"
        )
    return moment


def _coordinates(lon: Any, lat: Any) -> tuple[float | None, float | None]:
    if lon is None and lat is None:
        return None, None
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "取证地点坐标无效（需同时提供经度和纬度）",
            "give both longitude and latitude as numbers",
            field="lon",
        ) from None
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise ValidationFailed("取证地点坐标超出范围", "coordinates out of range", field="lon")
    return x, y


def store_evidence(
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    kind: str,
    title: str,
    collected_at: Any,
    officer_ids: Iterable[int],
    area_code: str,
    case: PenaltyCase | None = None,
    nonsite_record: NonSiteRecord | None = None,
    description: str = "",
    lon: Any = None,
    lat: Any = None,
    place: str = "",
) -> Evidence:
    """Check, store and record one evidence file; shared by `evidence_add` and the non-site capture. The
    caller has checked permission and scope and holds a transaction."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValidationFailed(
            "证据文件为空", "the evidence file is empty", field="data", code="evidence_empty"
        )
    data = bytes(data)
    label = display_name(filename)
    limit = max_bytes()
    if len(data) > limit:
        raise ValidationFailed(
            f"证据文件 {label} 超过 {limit // 2**20} MB",
            f"evidence file {label} is larger than {limit // 2**20} MB",
            field="data",
            code="evidence_too_large",
            status=413,
        )
    kind = inputs.choice(kind, Evidence.Kind, "kind", "证据种类", "kind of evidence")
    title = inputs.text(title or label, "title", "证据名称", "title", max_length=120)
    description = inputs.text(
        description, "description", "说明", "description", required=False, max_length=2000
    )
    place = inputs.text(place, "place", "取证地点", "place", required=False, max_length=200)
    moment = parse_collected_at(collected_at)
    x, y = _coordinates(lon, lat)
    sniffed = sniff(data, label)
    sha256 = hashlib.sha256(data).hexdigest()
    storage_path = _store(data, sha256, sniffed.extension)
    evidence = Evidence(
        case=case,
        nonsite_record=nonsite_record,
        kind=kind,
        title=title,
        description=description,
        sha256=sha256,
        size=len(data),
        content_type=sniffed.content_type,
        storage_path=storage_path,
        collected_at=moment,
        collected_by=actor,
        officer_ids=sorted(int(i) for i in officer_ids),
        lon=x,
        lat=y,
        place=place,
    )
    # Digest what the database will hand back: the row is reread so a value the database normalises
    # (a time's precision) is digested as stored, and verification recomputes the same digest.
    evidence.record_digest = ""
    evidence.save()
    evidence.refresh_from_db()
    evidence.record_digest = record_digest(evidence)
    entry = audit_record(
        actor=actor,
        action="enforcement.evidence_add",
        obj=evidence,
        area_code=area_code,
        after={**record_fields(evidence), "record_digest": evidence.record_digest, "filename": label},
    )
    evidence.audit_entry_id = entry.pk
    Evidence.objects.filter(pk=evidence.pk).update(
        record_digest=evidence.record_digest, audit_entry_id=entry.pk
    )
    return evidence


@transaction.atomic
def evidence_add(
    *,
    actor: Actor,
    case: PenaltyCase,
    data: bytes,
    filename: str,
    kind: str,
    title: str,
    collected_at: Any,
    officer_ids: Iterable[Any],
    description: str = "",
    lon: Any = None,
    lat: Any = None,
    place: str = "",
) -> Evidence:
    """Collect one piece of evidence for a case (调查取证): at least two officers of the area act together,
    the case is not closed or refused, and the file is stored by its SHA-256 and chained into the audit
    log; the case timeline records it."""
    require_permission(actor, ADD_PERMISSION)
    locked = get_visible_or_404(
        PenaltyCase.objects.select_for_update(),
        actor,
        what_zh="案件",
        what_en="case",
        pk=getattr(case, "pk", None),
    )
    if locked.status in FINAL_STATES:
        raise Conflict(
            "case_not_active",
            "案件已结案或不予立案，不能再添加证据",
            "the case is closed or was not filed; evidence can no longer be added",
            details={"status": locked.status},
        )
    officers = officers_present(actor, officer_ids, locked.area_code)
    evidence = store_evidence(
        actor=actor,
        data=data,
        filename=filename,
        kind=kind,
        title=title,
        collected_at=collected_at,
        officer_ids=[o.pk for o in officers],
        area_code=locked.area_code,
        case=locked,
        description=description,
        lon=lon,
        lat=lat,
        place=place,
    )
    record_event(
        case=locked,
        action="collect_evidence",
        actor=actor,
        from_status=locked.status,
        officers=officers,
        note=evidence.title,
        data={"evidence_id": evidence.pk, "kind": evidence.kind, "sha256": evidence.sha256},
    )
    return evidence


def evidence_attach(*, actor: Actor, evidence: Evidence, case: PenaltyCase, note: str = "") -> Evidence:
    """Put evidence gathered outside a case (a non-site record) into a case's file. The row's digest
    changes with its case, so the new digest is chained into the audit log and becomes the one checked.
    Runs inside the caller's transaction; the caller has checked permission and scope."""
    row = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if row.case_id is not None and row.case_id != case.pk:
        raise Conflict(
            "evidence_in_other_case",
            "该证据已归入其他案件",
            "this evidence already belongs to another case",
        )
    before = {"case_id": row.case_id, "record_digest": row.record_digest}
    row.case = case
    row.record_digest = record_digest(row)
    entry = audit_record(
        actor=actor,
        action="enforcement.evidence_attach",
        obj=row,
        area_code=case.area_code,
        before=before,
        after={**record_fields(row), "record_digest": row.record_digest},
        note=mask_personal_text(note)[:500],
    )
    row.audit_entry_id = entry.pk
    Evidence.objects.filter(pk=row.pk).update(
        case=case, record_digest=row.record_digest, audit_entry_id=entry.pk
    )
    return row


# ------------------------------------------------------------------------------------------ reading


def _area_of(evidence: Evidence) -> str:
    if evidence.case_id is not None:
        return evidence.case.area_code
    if evidence.nonsite_record_id is not None:
        return evidence.nonsite_record.area_code
    return ""


def evidence_get(*, actor: Actor, evidence_id: Any) -> Evidence:
    """One evidence row the actor may see; out of scope is reported exactly like missing."""
    require_permission(actor, VIEW_PERMISSION)
    try:
        pk = int(evidence_id)
    except (TypeError, ValueError):
        raise NotFound("证据", "evidence") from None
    evidence = Evidence.objects.select_related("case", "nonsite_record").filter(pk=pk).first()
    if evidence is None or not _area_of(evidence):
        raise NotFound("证据", "evidence")
    require_in_scope(actor, _area_of(evidence), what_zh="证据", what_en="evidence")
    return evidence


def download_name(evidence: Evidence) -> str:
    stem = evidence.case.number if evidence.case_id else f"NS-{str(evidence.nonsite_record.public_id)[:8]}"
    extension = Path(evidence.storage_path).suffix or ".bin"
    title = display_name(evidence.title).replace(" ", "_")[:60]
    return f"{stem}-{evidence.pk}-{title}{extension}"


def open_file(evidence: Evidence) -> BinaryIO:
    try:
        return file_path(evidence).open("rb")
    except FileNotFoundError:
        raise Conflict(
            "evidence_file_missing",
            "证据文件缺失，请联系管理员核查",
            "the evidence file is missing; ask an administrator to check the store",
        ) from None


def evidence_open(*, actor: Actor, evidence_id: Any) -> tuple[BinaryIO, str, str]:
    """The stored file of one evidence row (read handle, content type, download name)."""
    evidence = evidence_get(actor=actor, evidence_id=evidence_id)
    return open_file(evidence), evidence.content_type, download_name(evidence)


# ------------------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class EvidenceProblem:
    """One integrity problem: `code` is file_missing, file_changed, row_changed, row_missing,
    audit_missing, audit_mismatch or audit_chain_broken."""

    evidence_id: int | None
    code: str
    detail: str


def _audit_after(entry: AuditEntry) -> dict[str, Any]:
    try:
        after = json.loads(entry.changes or "{}").get("after") or {}
    except (ValueError, AttributeError):
        return {}
    return after if isinstance(after, dict) else {}


def verify_row(evidence: Evidence) -> list[EvidenceProblem]:
    problems: list[EvidenceProblem] = []
    pk = evidence.pk
    path = file_path(evidence)
    if not path.is_file():
        problems.append(EvidenceProblem(pk, "file_missing", f"{evidence.storage_path} is missing"))
    else:
        actual = file_sha256(path)
        if actual != evidence.sha256:
            problems.append(
                EvidenceProblem(pk, "file_changed", f"file SHA-256 {actual} ≠ recorded {evidence.sha256}")
            )
    if record_digest(evidence) != evidence.record_digest:
        problems.append(EvidenceProblem(pk, "row_changed", "the row's fields do not match its record digest"))
    entry = AuditEntry.objects.filter(pk=evidence.audit_entry_id).first() if evidence.audit_entry_id else None
    if entry is None:
        problems.append(EvidenceProblem(pk, "audit_missing", "the audit entry of this evidence is missing"))
        return problems
    after = _audit_after(entry)
    if (
        entry.object_type != AUDIT_OBJECT_TYPE
        or entry.object_id != str(pk)
        or after.get("sha256") != evidence.sha256
        or after.get("record_digest") != evidence.record_digest
    ):
        problems.append(
            EvidenceProblem(pk, "audit_mismatch", "the audit log records another file or digest for this row")
        )
    return problems


def evidence_verify(*, case: PenaltyCase | None = None, chain: bool = True) -> list[EvidenceProblem]:
    """Recompute everything that makes the evidence trustworthy: each file's SHA-256, each row's digest,
    the audit entry that recorded both, rows whose audit entries remain but which are gone (whole store
    only), and the audit log's hash chain (`audit_verify`). An empty list means nothing was changed."""
    rows = Evidence.objects.order_by("pk")
    if case is not None:
        rows = rows.filter(case=case)
    problems: list[EvidenceProblem] = []
    seen: set[str] = set()
    for evidence in rows.iterator(chunk_size=500):
        seen.add(str(evidence.pk))
        problems.extend(verify_row(evidence))
    if case is None:
        recorded = AuditEntry.objects.filter(
            object_type=AUDIT_OBJECT_TYPE, action="enforcement.evidence_add"
        ).values_list("object_id", flat=True)
        for object_id in sorted(set(recorded) - seen, key=lambda v: int(v) if v.isdigit() else 0):
            problems.append(
                EvidenceProblem(
                    int(object_id) if object_id.isdigit() else None,
                    "row_missing",
                    "the audit log records evidence whose row is gone",
                )
            )
    if chain:
        result = audit_verify()
        if result.broken is not None:
            problems.append(
                EvidenceProblem(
                    None, "audit_chain_broken", f"audit entry #{result.broken.seq}: {result.broken.reason}"
                )
            )
    return problems
