"""Non-site enforcement (非现场执法, 行政处罚法 第四十一条): records from electronic monitoring points become
evidence only when the point passed the legal and technical review and its location is published; each
record is reviewed before use; the party is told and can check the record and make statements online.

The flow of a record: captured (待审核) → reviewed: rejected, or accepted and the party notified (已告知)
with a link carrying a one-time secret → the party answers online (已陈述申辩) → a penalty case is opened
with the record's evidence (已立案), or the record is dropped (不予处罚).

Who captures: the account of the monitoring platform (a user, usually with an API key) holding
`enforcement.add_nonsiterecord` for the point's area; no role has it by default, an administrator grants
it to that account only. The account is recorded as the collector of the evidence.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from typing import Any, BinaryIO

from django.db import transaction
from django.utils import timezone

from qingcheng.core import clock, inputs
from qingcheng.core.access import (
    Actor,
    get_visible_or_404,
    require_permission,
)
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import Conflict, NotFound, ValidationFailed
from qingcheng.core.grants import proof_matches
from qingcheng.core.masking import mask_name, mask_phone
from qingcheng.core.workflow import InvalidTransition

from .common import record_event
from .evidence import services as evidence_module
from .models import Evidence, MonitoringPoint, NonSiteRecord, PenaltyCase, PenaltyDocument

R = NonSiteRecord.Status
CAPTURE_PERMISSION = "enforcement.add_nonsiterecord"
REVIEW_PERMISSION = "enforcement.review_nonsite"
NOTIFY_PERMISSION = "enforcement.investigate_penaltycase"
OPEN_PERMISSION = "enforcement.add_penaltycase"
MAX_FILES = 10
# The party's access secret: 24 random bytes, URL-safe; only its SHA-256 is stored.
SECRET_BYTES = 24
# Written as the actor of the party's own steps in the audit log (the party has no account).
PARTY_ACTOR = "当事人（在线）"


def _point_usable(point: MonitoringPoint | None, code: str) -> MonitoringPoint:
    if point is None:
        raise NotFound("监控点位", "monitoring point")
    if not point.active:
        raise Conflict(
            "point_inactive",
            f"监控点位 {code} 已停用，其记录不得作为证据",
            f"monitoring point {code} is inactive; its records may not be used as evidence",
        )
    if point.reviewed_on is None:
        raise Conflict(
            "point_not_reviewed",
            f"监控点位 {code} 未经法制和技术审核，其记录不得作为证据（行政处罚法第四十一条）",
            f"monitoring point {code} has not passed the legal and technical review; its records may not "
            "be used as evidence (Administrative Penalty Law Art. 41)",
        )
    if point.published_on is None:
        raise Conflict(
            "point_not_published",
            f"监控点位 {code} 的设置地点未向社会公布，其记录不得作为证据（行政处罚法第四十一条）",
            f"the location of monitoring point {code} has not been published; its records may not be "
            "used as evidence (Administrative Penalty Law Art. 41)",
        )
    return point


@transaction.atomic
def nonsite_capture(
    *,
    actor: Actor,
    point_code: str,
    captured_at: Any,
    subject: str,
    files: Iterable[tuple[bytes, str]],
    party_name: str = "",
    party_phone: str = "",
) -> NonSiteRecord:
    """Receive one record from a published monitoring point (e.g. a vehicle parked illegally, seen on
    video) with its photos or clips. It waits for review before it can be used."""
    require_permission(actor, CAPTURE_PERMISSION)
    code = inputs.text(point_code, "point_code", "监控点位编号", "monitoring point code", max_length=32)
    point = get_visible_or_404(
        MonitoringPoint.objects.select_related("violation"),
        actor,
        what_zh="监控点位",
        what_en="monitoring point",
        code=code,
    )
    point = _point_usable(point, code)
    usable_from = max(point.reviewed_on, point.published_on)
    if usable_from > clock.today():
        raise Conflict(
            "point_not_yet_published",
            f"监控点位 {code} 自 {usable_from:%Y-%m-%d} 起方可使用",
            f"monitoring point {code} may be used only from {usable_from:%Y-%m-%d}",
        )
    files = list(files)
    if not files:
        raise ValidationFailed(
            "非现场执法记录须附照片或视频", "a record needs at least one photo or clip", field="files"
        )
    if len(files) > MAX_FILES:
        raise ValidationFailed(
            f"每条记录最多 {MAX_FILES} 个文件", f"at most {MAX_FILES} files per record", field="files"
        )
    moment = evidence_module.parse_collected_at(captured_at)
    if timezone.localdate(moment) < usable_from:
        raise Conflict(
            "captured_before_publication",
            "记录时间早于点位审核通过或公布之日，不得作为证据",
            "the record was taken before the point passed its review or its location was published",
        )
    record = NonSiteRecord.objects.create(
        point=point,
        area_code=point.area_code,
        status=R.CAPTURED,
        captured_at=moment,
        subject=inputs.text(subject, "subject", "车牌号或对象", "subject", max_length=40),
        party_name=inputs.text(
            party_name, "party_name", "当事人", "party name", required=False, max_length=120
        ),
        party_phone=inputs.text(
            party_phone, "party_phone", "联系电话", "party phone", required=False, max_length=20
        ),
    )
    for index, item in enumerate(files, start=1):
        try:
            data, filename = item
        except (TypeError, ValueError):
            raise ValidationFailed("文件格式无效", "each file is (bytes, name)", field="files") from None
        evidence_module.store_evidence(
            actor=actor,
            data=data,
            filename=filename,
            kind=Evidence.Kind.AUDIOVISUAL,
            title=f"{point.name} 监控记录 {index}",
            collected_at=moment,
            officer_ids=(),
            area_code=point.area_code,
            nonsite_record=record,
            description=f"电子技术监控设备 {point.code} 自动记录",
            lon=point.lon,
            lat=point.lat,
            place=point.name,
        )
    audit_record(
        actor=actor,
        action="enforcement.nonsite_capture",
        obj=record,
        after={
            "point": point.code,
            "captured_at": moment.isoformat(),
            "subject": record.subject,
            "files": len(files),
        },
    )
    return record


def _lock(actor: Actor, record: NonSiteRecord | Any) -> NonSiteRecord:
    return get_visible_or_404(
        NonSiteRecord.objects.select_for_update().select_related("point", "point__violation"),
        actor,
        what_zh="非现场执法记录",
        what_en="non-site record",
        pk=getattr(record, "pk", record),
    )


def _state_error(record: NonSiteRecord, action: str) -> InvalidTransition:
    return InvalidTransition(
        record.status,
        action,
        what_zh="非现场执法记录",
        what_en="non-site record",
        status_label=str(record.get_status_display()),
    )


@transaction.atomic
def nonsite_review(*, actor: Actor, record: NonSiteRecord, accept: bool, note: str = "") -> NonSiteRecord:
    """Review a record before use (审核): is it true, clear, complete and accurate? Accepting also checks
    that its files are exactly the ones stored at capture."""
    require_permission(actor, REVIEW_PERMISSION)
    record = _lock(actor, record)
    if record.status != R.CAPTURED or record.reviewed_at is not None:
        raise _state_error(record, "review")
    note = inputs.text(note, "note", "审核意见", "note", required=not accept, max_length=300)
    if accept:
        rows = list(Evidence.objects.filter(nonsite_record=record))
        problems = [p for row in rows for p in evidence_module.verify_row(row)]
        if not rows or problems:
            raise Conflict(
                "evidence_integrity",
                "记录的证据文件缺失或与存储时不一致，不得采用",
                "the record's files are missing or differ from those stored at capture",
                details={"problems": [p.code for p in problems]},
            )
    record.reviewed_by, record.reviewed_at, record.review_note = actor, clock.now(), note
    if not accept:
        record.status = R.REJECTED
    record.save(update_fields=["reviewed_by", "reviewed_at", "review_note", "status", "updated_at"])
    audit_record(
        actor=actor,
        action="enforcement.nonsite_review",
        obj=record,
        before={"status": R.CAPTURED},
        after={"status": record.status, "accepted": bool(accept)},
        note=note,
    )
    return record


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def nonsite_notify(*, actor: Actor, record: NonSiteRecord) -> str:
    """Tell the party (告知): returns the access secret for the party's link (`party_link_path`:
    `/enforcement/notice/<public_id>/#k=<secret>`), shown once; only its hash is kept. Notifying again
    replaces the secret (a lost link), and the earlier link stops working."""
    require_permission(actor, NOTIFY_PERMISSION)
    record = _lock(actor, record)
    if record.status == R.CAPTURED and record.reviewed_at is None:
        raise Conflict(
            "record_not_reviewed",
            "记录未经审核，不得告知当事人或作为证据（行政处罚法第四十一条）",
            "the record has not been reviewed; it may not be used before review (Art. 41)",
        )
    if record.status not in (R.CAPTURED, R.NOTIFIED):
        raise _state_error(record, "notify")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    first = record.status == R.CAPTURED
    record.access_hash = _hash(secret)
    if first:
        record.status, record.notified_at = R.NOTIFIED, clock.now()
    record.save(update_fields=["access_hash", "status", "notified_at", "updated_at"])
    audit_record(
        actor=actor,
        action="enforcement.nonsite_notify",
        obj=record,
        after={"status": record.status, "secret_replaced": not first},
    )
    return secret


def party_link_path(public_id: Any, secret: str) -> str:
    """The path of the party's link. The secret travels in the fragment (after `#`), which browsers never
    send to the server, so it reaches no access log; the page's script posts it."""
    return f"/enforcement/notice/{public_id}/#k={secret}"


def nonsite_public(
    *, public_id: Any, secret: str = "", proof: str = "", for_update: bool = False
) -> NonSiteRecord:
    """The record behind a party's link, opened with its secret or with the proof of a grant made when
    the secret was shown (core.grants; a new link revokes it). A wrong or missing secret is answered
    exactly like an unknown record, so links cannot be probed."""
    try:
        key = uuid.UUID(str(public_id))
    except (TypeError, ValueError, AttributeError):
        raise NotFound("记录", "record") from None
    qs = NonSiteRecord.objects.select_related("point", "point__violation")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    record = qs.filter(public_id=key).first() if secret or proof else None
    stored = record.access_hash if record is not None else ""
    if secret:
        ok = bool(stored) and hmac.compare_digest(stored, _hash(secret))
    else:
        ok = proof_matches(proof, stored)
    if record is None or not ok:
        raise NotFound("记录", "record")
    return record


def nonsite_public_view(*, record: NonSiteRecord) -> dict[str, Any]:
    """What the party sees: the point, its published location, the time, the subject, the files and their
    own answer. Nothing about anyone else, and no internal notes."""
    point = record.point
    return {
        "public_id": str(record.public_id),
        "status": record.status,
        "status_label": record.get_status_display(),
        "point_code": point.code,
        "point_name": point.name,
        "lon": point.lon,
        "lat": point.lat,
        "published_on": point.published_on,
        "published_where": point.published_where,
        "violation": point.violation.name,
        "captured_at": record.captured_at,
        "subject": record.subject,
        "notified_at": record.notified_at,
        "evidence": [
            {
                "id": e.pk,
                "title": e.title,
                "content_type": e.content_type,
                "image": e.content_type.startswith("image/"),
            }
            for e in Evidence.objects.filter(nonsite_record=record).order_by("collected_at", "pk")
        ],
        "can_answer": record.status == R.NOTIFIED,
        "answer": record.answer,
        "answered_at": record.answered_at,
        "case_opened": record.status == R.CASE_OPENED,
    }


def nonsite_public_file(
    *, public_id: Any, evidence_id: Any, secret: str = "", proof: str = ""
) -> tuple[BinaryIO, str, Evidence]:
    """One file of the record, for the party holding the link (or the grant it gave)."""
    record = nonsite_public(public_id=public_id, secret=secret, proof=proof)
    try:
        pk = int(evidence_id)
    except (TypeError, ValueError):
        raise NotFound("证据", "evidence") from None
    row = Evidence.objects.filter(pk=pk, nonsite_record=record).first()
    if row is None:
        raise NotFound("证据", "evidence")
    return evidence_module.open_file(row), row.content_type, row


@transaction.atomic
def nonsite_answer(*, public_id: Any, secret: str, answer: str) -> NonSiteRecord:
    """The party's statement (陈述、申辩) on the record, made online through their link; once."""
    record = nonsite_public(public_id=public_id, secret=secret, for_update=True)
    if record.status != R.NOTIFIED:
        if record.status == R.ANSWERED:
            raise Conflict("already_answered", "您已提交过陈述申辩", "you have already answered")
        raise _state_error(record, "answer")
    text = inputs.text(answer, "answer", "陈述申辩内容", "statement", max_length=4000)
    record.answer, record.answered_at, record.status = text, clock.now(), R.ANSWERED
    record.save(update_fields=["answer", "answered_at", "status", "updated_at"])
    audit_record(
        actor=PARTY_ACTOR,
        action="enforcement.nonsite_answer",
        obj=record,
        before={"status": R.NOTIFIED},
        after={"status": R.ANSWERED, "answer_sha256": hashlib.sha256(text.encode()).hexdigest()},
    )
    return record


@transaction.atomic
def nonsite_drop(*, actor: Actor, record: NonSiteRecord, note: str) -> NonSiteRecord:
    """No penalty after the party's answer or the notice period (不予处罚): the record is closed."""
    require_permission(actor, REVIEW_PERMISSION)
    record = _lock(actor, record)
    if record.status not in (R.NOTIFIED, R.ANSWERED):
        raise _state_error(record, "drop")
    note = inputs.text(note, "note", "理由", "reason", max_length=300)
    before = record.status
    record.status, record.review_note = R.DROPPED, note
    record.save(update_fields=["status", "review_note", "updated_at"])
    audit_record(
        actor=actor,
        action="enforcement.nonsite_drop",
        obj=record,
        before={"status": before},
        after={"status": R.DROPPED},
        note=note,
    )
    return record


@transaction.atomic
def nonsite_open_case(
    *,
    actor: Actor,
    record: NonSiteRecord,
    officer_ids: Iterable[Any],
    party_kind: str,
    party_name: str = "",
    facts: str = "",
    address: str = "",
    **party: Any,
) -> PenaltyCase:
    """Open a penalty case (source 非现场执法) on a record the party was told about, and put the record's
    evidence into it; the record's history goes on the case's timeline."""
    require_permission(actor, OPEN_PERMISSION)
    record = _lock(actor, record)
    if record.status not in (R.NOTIFIED, R.ANSWERED):
        if record.status == R.CAPTURED:
            raise Conflict(
                "record_not_notified",
                "须先审核记录并告知当事人，才能立案",
                "review the record and notify the party before opening a case",
            )
        raise _state_error(record, "open_case")
    from .penalty.services import penalty_case_open

    point = record.point
    local = timezone.localtime(record.captured_at)
    case = penalty_case_open(
        actor=actor,
        source=PenaltyCase.Source.NON_SITE,
        violation_code=point.violation.code,
        facts=facts
        or f"{local:%Y年%m月%d日 %H:%M}，{record.subject} 在 {point.name} 经电子技术监控设备 {point.code} 记录，"
        f"涉嫌{point.violation.name}。",
        address=address or point.published_where or point.name,
        occurred_at=record.captured_at,
        # The monitoring platform delivered the record as it captured it: that is when the lead came in.
        discovered_at=record.captured_at,
        officer_ids=officer_ids,
        lon=point.lon,
        lat=point.lat,
        area_code=record.area_code,
        party_kind=party_kind,
        party_name=party_name or record.party_name,
        party_phone=party.pop("party_phone", "") or record.party_phone,
        **party,
    )
    rows = list(Evidence.objects.filter(nonsite_record=record).order_by("collected_at", "pk"))
    before = record.status
    for row in rows:
        evidence_module.evidence_attach(
            actor=actor, evidence=row, case=case, note=f"非现场执法记录 {record.public_id}"
        )
    record.status, record.penalty_case = R.CASE_OPENED, case
    record.save(update_fields=["status", "penalty_case", "updated_at"])
    record_event(
        case=case,
        action="attach_evidence",
        actor=actor,
        from_status=case.status,
        note=f"非现场执法记录：{point.code} {point.name}",
        data={
            "nonsite_record": str(record.public_id),
            "captured_at": record.captured_at.isoformat(),
            "reviewed_at": record.reviewed_at.isoformat() if record.reviewed_at else None,
            "notified_at": record.notified_at.isoformat() if record.notified_at else None,
            "answered_at": record.answered_at.isoformat() if record.answered_at else None,
            "evidence_ids": [r.pk for r in rows],
        },
    )
    if record.answer:
        # The party's online statement belongs in the case file with the other statements (第四十条(四)).
        PenaltyDocument.objects.create(
            case=case,
            kind=PenaltyDocument.Kind.STATEMENT,
            issued_at=record.answered_at or clock.now(),
            issued_by=None,
            fields={"statement": record.answer, "channel": "online", "nonsite_record": str(record.public_id)},
        )
    audit_record(
        actor=actor,
        action="enforcement.nonsite_open_case",
        obj=record,
        before={"status": before},
        after={"status": R.CASE_OPENED, "case": case.number},
    )
    return case


def nonsite_party_label(record: NonSiteRecord, unmasked: bool) -> dict[str, str]:
    """The party's name and phone as a staff list shows them."""
    if unmasked:
        return {"name": record.party_name, "phone": record.party_phone}
    return {"name": mask_name(record.party_name), "phone": mask_phone(record.party_phone)}
