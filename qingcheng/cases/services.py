"""Writes of the case loop: reporting a problem and every action of the workflow table.

Every action: lock the case, check the table, the actor's permission and scope (or unit), apply the
deadline effect, write the timeline entry and the audit entry, all in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qingcheng.accounts.models import Department
from qingcheng.accounts.selectors import is_unit_member
from qingcheng.core import clock, idempotency
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import DomainError, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.core.masking import mask_personal_text
from qingcheng.core.models import Deadline
from qingcheng.core.scope import in_scope, require_person_covers, require_unit_covers
from qingcheng.core.workflow import InvalidTransition, require_version
from qingcheng.core.worktime import WorkCalendar, deadline_create
from qingcheng.geo.crs import to_wgs84
from qingcheng.geo.selectors import locate, responsible_parties

from . import photos as photo_store
from .catalogue import category_by_code, step_limit
from .models import (
    Case,
    CaseCategory,
    CaseEvent,
    CasePhoto,
    CaseReporter,
    CaseTask,
    IdempotencyRecord,
    Notification,
)
from .selectors import CALLBACK_SOURCES, MACHINE_SOURCES, PUBLIC_SOURCES, find_duplicates
from .workflow import OPEN_STATES, TABLE, CaseTransition, required_permission

S = Case.Status


# ---------------------------------------------------------------------- helpers


def _now() -> datetime:
    return clock.now()


def _actor_label(actor: Any | None) -> str:
    # A snapshot for the record (and the admin) if the user is deleted later: never the login name.
    if actor is None:
        return "system"
    return getattr(actor, "display_name", "") or f"#{actor.pk}"


def _record(
    case: Case,
    *,
    action: str,
    actor: Any | None,
    from_status: str,
    note: str = "",
    data: dict | None = None,
    public: bool = False,
) -> CaseEvent:
    last = (
        0 if action == "report" else case.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    )
    return CaseEvent.objects.create(
        case=case,
        seq=last + 1,
        at=_now(),
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor),
        from_status=from_status,
        to_status=case.status,
        note=note[:2000],
        data=data or {},
        public=public,
    )


def _audit(case: Case, *, actor: Any | None, action: str, before: dict, note: str = "") -> None:
    audit_record(
        actor=actor,
        action=f"case.{action}",
        obj=case,
        area_code=case.grid_code,
        before=before,
        after=_audit_state(case),
        note=mask_personal_text(note)[:500],
    )


def _audit_state(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "owner_department": case.owner_department_id,
        "handle_due_at": case.handle_due_at.isoformat() if case.handle_due_at else None,
        "rework_count": case.rework_count,
        "extension_count": case.extension_count,
        "supervised": case.supervised,
        "version": case.version,
    }


def _deadline(
    case: Case, step: str, *, start: datetime | None = None, calendar: WorkCalendar | None = None
) -> Deadline:
    unit, amount = step_limit(case.category, step, handling_type=case.handling_type, urgency=case.urgency)
    return deadline_create(
        kind=unit,
        start=start or _now(),
        amount=amount,
        area_code=case.grid_code,
        purpose=f"case.{step}",
        calendar=calendar or WorkCalendar.shared(),
        audit=False,  # the case action's own audit entry records the due times
    )


def _start_handle_clock(case: Case, *, start: datetime | None = None) -> None:
    deadline = _deadline(case, "handle", start=start)
    case.handle_deadline = deadline
    case.handle_due_at = deadline.due_at
    case.overdue = deadline.due_at < _now()


def _notify(
    *, case: Case, kind: str, message: str, department: Department | None = None, user: Any = None
) -> None:
    Notification.objects.create(case=case, kind=kind, message=message[:300], department=department, user=user)


def _save_photos(case: Case, checked: list[tuple[photo_store.CheckedPhoto, str]], actor: Any | None) -> None:
    for photo, kind in checked:
        CasePhoto.objects.create(
            case=case,
            kind=kind,
            sha256=photo.sha256,
            content_type=photo.content_type,
            size=len(photo.data),
            width=photo.width,
            height=photo.height,
            storage_path=photo_store.store_original(photo),
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )


def _check_allowed(case: Case, transition: CaseTransition, actor: Any | None, data: dict[str, Any]) -> None:
    if actor is None:
        return  # the system itself (jobs, simulation set-up)
    if not actor.has_perm(required_permission(transition, case)):
        if transition.action == "approve_extension" and case.extension_count >= 1:
            raise PermissionDeniedError(
                "第二次延期须由领导批准", "a second extension needs a leader's approval"
            )
        raise PermissionDeniedError()
    if transition.unit_bound:
        if not is_unit_member(actor, case.owner_department):
            raise PermissionDeniedError("只有承办单位可以执行此操作", "only the handling unit can do this")
        return
    if not in_scope(actor, case.grid_code):
        raise NotFound("案卷", "case")
    if transition.action in {"verify", "check"}:
        task = case.tasks.filter(
            kind="verify" if transition.action == "verify" else "check", done_at__isnull=True
        ).first()
        if task is not None and task.assignee_id not in (None, actor.pk):
            raise PermissionDeniedError(
                "该任务已派给其他监督员", "this task is assigned to another supervisor"
            )


def _require_text(data: dict[str, Any], key: str, zh: str, en: str) -> str:
    value = str(data.get(key) or "").strip()
    if not value:
        raise ValidationFailed(f"请填写{zh}", f"{en} is required", field=key, code="required")
    return value


def _parse_bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if isinstance(value, bool):
        return value
    raise ValidationFailed(
        f"{key} 须为 true 或 false", f"{key} must be true or false", field=key, code="required"
    )


# ---------------------------------------------------------------------- reporting


@dataclass
class PhotoUpload:
    data: bytes
    kind: str = "before"
    name: str = ""


@dataclass
class ReportResult:
    case: Case
    created: bool
    duplicates: list[Case] = field(default_factory=list)
    tracking_secret: str | None = None


def case_report(
    *,
    actor: Any | None,
    source: str,
    lon: float,
    lat: float,
    description: str,
    category_code: str | None = None,
    crs: str = "wgs84",
    address: str = "",
    urgency: str = Case.Urgency.NORMAL,
    handling_type: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    external_number: str = "",
    photos: list[PhotoUpload] | None = None,
    self_handled: bool = False,
    reported_at: datetime | None = None,
    idempotency_key: str | None = None,
    idempotency_scope: str = "",
    idempotency_client: str = "",
    tracking_secret: str | None = None,
) -> ReportResult:
    """Take in a report from any channel. With an Idempotency-Key a retried request returns the first
    result; bad input raises before anything is written. `idempotency_client` (a hash of who is asking,
    for scopes shared by many clients such as anonymous public reports) binds the key to its client:
    the same key from another client is a conflict (409), never the first answer."""
    photos = photos or []
    payload = {
        "source": source,
        "lon": lon,
        "lat": lat,
        "crs": crs,
        "description": description,
        "category_code": category_code,
        "address": address,
        "urgency": urgency,
        "external_number": external_number,
        "self_handled": self_handled,
        "handling_type": handling_type,
        "reported_at": reported_at,
    }
    # Everything the client sent is part of the idempotency fingerprint; the payload passed on is not.
    fingerprint = {**payload, "reporter": [reporter_name, reporter_phone, anonymous]}
    idempotency_key = idempotency.check_key(idempotency_key)
    if idempotency_key:
        scope = idempotency_scope or f"report:{getattr(actor, 'pk', 'anon')}"
        request_hash = idempotency.request_hash(fingerprint, (p.data for p in photos))

        def create() -> ReportResult:
            result = _case_report(
                actor=actor,
                photos=photos,
                reporter=(reporter_name, reporter_phone, anonymous),
                tracking_secret=tracking_secret,
                **payload,
            )
            IdempotencyRecord.objects.create(
                scope=scope,
                key=idempotency_key,
                request_hash=request_hash,
                client_hash=idempotency_client,
                case=result.case,
            )
            return result

        return idempotency.once(
            replay=lambda: _replay(scope, idempotency_key, request_hash, idempotency_client), create=create
        )
    with transaction.atomic():
        return _case_report(
            actor=actor,
            photos=photos,
            reporter=(reporter_name, reporter_phone, anonymous),
            tracking_secret=tracking_secret,
            **payload,
        )


def _replay(scope: str, key: str, request_hash: str, client: str = "") -> ReportResult | None:
    record = IdempotencyRecord.objects.filter(scope=scope, key=key).select_related("case").first()
    if record is None:
        return None
    idempotency.check_replay(
        stored_hash=record.request_hash,
        request_hash=request_hash,
        stored_client=record.client_hash,
        client=client,
    )
    return ReportResult(case=record.case, created=False)


def _case_report(
    *,
    actor: Any | None,
    source: str,
    lon: float,
    lat: float,
    crs: str,
    description: str,
    category_code: str | None,
    address: str,
    urgency: str,
    handling_type: str,
    external_number: str,
    self_handled: bool,
    photos: list[PhotoUpload],
    reported_at: datetime | None,
    reporter: tuple[str, str, bool],
    tracking_secret: str | None,
) -> ReportResult:
    if source not in Case.Source.values:
        raise ValidationFailed(
            "未知的案件来源", f"unknown source {source!r}", field="source", code="invalid_source"
        )
    if actor is not None and not actor.has_perm("cases.report_case"):
        raise PermissionDeniedError()
    if actor is None and source not in PUBLIC_SOURCES | MACHINE_SOURCES:
        raise PermissionDeniedError()
    description = (description or "").strip()
    if not description:
        raise ValidationFailed("请描述问题", "description is required", field="description", code="required")
    if len(description) > 4000:
        raise ValidationFailed(
            "问题描述不能超过4000字",
            "description is longer than 4,000 characters",
            field="description",
            code="too_long",
        )
    if urgency not in Case.Urgency.values:
        raise ValidationFailed("紧急程度无效", "unknown urgency", field="urgency", code="invalid_urgency")
    category: CaseCategory | None = None
    if category_code:
        category = category_by_code(category_code)
        if category is None or not category.is_subclass:
            raise ValidationFailed(
                f"未知的问题小类 {category_code}",
                f"unknown subclass {category_code!r}",
                field="category_code",
                code="unknown_category",
            )
    elif source in MACHINE_SOURCES or source == Case.Source.SUPERVISOR:
        raise ValidationFailed(
            "请选择问题小类",
            "a subclass is required for this channel",
            field="category_code",
            code="required",
        )
    if self_handled:
        if source != Case.Source.SUPERVISOR:
            raise ValidationFailed(
                "只有监督员可以自行处置", "only supervisors self-handle", field="self_handled", code="invalid"
            )
        kinds = {p.kind for p in photos}
        if not {"before", "after"} <= kinds:
            raise ValidationFailed(
                "自行处置须同时上传处置前后照片",
                "self-handling needs a before and an after photo",
                field="photos",
                code="photos_required",
            )
    checked = [(photo_store.check_photo(p.data, name=p.name), p.kind) for p in photos]
    for _, kind in checked:
        if kind not in CasePhoto.Kind.values:
            raise ValidationFailed(
                "照片类型无效", f"unknown photo kind {kind!r}", field="photos", code="invalid"
            )
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    location = locate(wgs_lon, wgs_lat)
    citizen = actor is not None and actor.staff_category == "public"
    if actor is not None and not citizen and not in_scope(actor, location.grid_code):
        raise PermissionDeniedError("该位置不在您的管辖区域内", "the location is outside your area")
    now = _now()
    reporter_name, reporter_phone, anonymous = reporter
    case = Case(
        number=f"TMP{secrets.token_hex(8)}",
        source=source,
        external_number=external_number[:40],
        category=category,
        handling_type=handling_type[:30],
        urgency=urgency,
        status=S.SELF_HANDLED if self_handled else S.REPORTED,
        lon=wgs_lon,
        lat=wgs_lat,
        grid_id=location.grid_id,
        grid_code=location.grid_code,
        address=address[:200],
        description=description,
        reported_by=actor if getattr(actor, "pk", None) else None,
        reported_at=reported_at or now,
    )
    if source in PUBLIC_SOURCES:
        # A caller that derives the secret from its Idempotency-Key can hand it out again on a retry.
        tracking_secret = tracking_secret or secrets.token_urlsafe(9)
        case.public_tracking_hash = hashlib.sha256(tracking_secret.encode()).hexdigest()
    if category is not None:
        parties = responsible_parties(location.grid_code, category.code)
        departments = [p for p in parties if p.department_id]
        if departments:
            case.suggested_department_id = departments[0].department_id
    case.save()
    # The number is the report day plus the row id: unique without a counter row that every intake would lock.
    case.number = f"{timezone.localtime(case.reported_at):%Y%m%d}{case.pk:06d}"
    if not self_handled:
        case.open_deadline = _deadline(case, "open", start=case.reported_at)
    Case.objects.filter(pk=case.pk).update(number=case.number, open_deadline=case.open_deadline)
    CaseReporter.objects.create(
        case=case,
        channel=source,
        name="" if anonymous else reporter_name[:60],
        phone="" if anonymous else reporter_phone[:32],
        user=actor if getattr(actor, "pk", None) else None,
        anonymous=anonymous,
        external_number=external_number[:40],
        original_case_number=case.number,
    )
    _save_photos(case, checked, actor)
    _record(case, action="report", actor=actor, from_status="", data={"source": source}, public=True)
    duplicates = find_duplicates(case) if category is not None and not self_handled else []
    _audit(case, actor=actor, action="report", before={})
    return ReportResult(case=case, created=True, duplicates=duplicates, tracking_secret=tracking_secret)


# ---------------------------------------------------------------------- workflow actions


def _handle_send_verification(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    deadline = _deadline(case, "verify")
    case.verify_deadline = deadline
    assignee = _field_assignee(case, data)
    CaseTask.objects.create(
        case=case, kind="verify", assignee=assignee, beat_code=_beat_code(case), due_at=deadline.due_at
    )
    if assignee is not None:
        _notify(case=case, kind="task", user=assignee, message=f"核实任务：{case.number}")
    return {"assignee": getattr(assignee, "pk", None), "due_at": deadline.due_at.isoformat()}


def _field_assignee(case: Case, data: dict[str, Any]) -> Any:
    """The named supervisor, else the first supervisor of the case's beat (None: any supervisor in scope)."""
    from qingcheng.accounts.models import User
    from qingcheng.geo.models import SupervisionBeat

    if data.get("assignee_id"):
        user = User.objects.filter(pk=data["assignee_id"], is_active=True).first()
        if user is None or not user.has_perm("cases.field_task_case"):
            raise ValidationFailed(
                "指定的人员不是监督员",
                "the assignee is not a supervisor",
                field="assignee_id",
                code="invalid_assignee",
            )
        # A supervisor of another district would get a task they cannot even open.
        require_person_covers(user, case.grid_code, field="assignee_id")
        return user
    beat_code = _beat_code(case)
    beat = SupervisionBeat.objects.filter(code=beat_code).first() if beat_code else None
    return beat.supervisors.filter(is_active=True).order_by("pk").first() if beat is not None else None


def _beat_code(case: Case) -> str:
    from qingcheng.geo import spatial

    return spatial.get_index().beat_of_grid.get(case.grid_code, "")


def _close_task(case: Case, kind: str, actor: Any, result: bool, note: str) -> None:
    task = case.tasks.filter(kind=kind, done_at__isnull=True).order_by("-created_at").first()
    if task is not None:
        task.done_at = _now()
        task.result = result
        task.note = note[:2000]
        if task.assignee_id is None and getattr(actor, "pk", None):
            task.assignee = actor
        task.save()


def _handle_verify(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    genuine = _parse_bool(data, "genuine")
    case.verified_at = _now()
    _close_task(case, "verify", actor, genuine, str(data.get("note", "")))
    return {"genuine": genuine}


def _handle_open(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("category_code"):
        category = category_by_code(str(data["category_code"]))
        if category is None or not category.is_subclass:
            raise ValidationFailed(
                "未知的问题小类", "unknown subclass", field="category_code", code="unknown_category"
            )
        case.category = category
    if case.category is None:
        raise ValidationFailed(
            "立案前须确定问题小类", "set a subclass before opening", field="category_code", code="required"
        )
    if data.get("urgency") in Case.Urgency.values:
        case.urgency = data["urgency"]
    if data.get("handling_type"):
        case.handling_type = str(data["handling_type"])[:30]
    case.opened_at = _now()
    case.dispatch_deadline = _deadline(case, "dispatch")
    parties = responsible_parties(case.grid_code, case.category.code)
    departments = [p for p in parties if p.department_id]
    case.suggested_department_id = departments[0].department_id if departments else None
    return {"suggested_department": case.suggested_department_id}


def _handle_cancel(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    reason = _require_text(data, "reason", "不予立案的理由", "a reason")
    case.cancelled_at = _now()
    case.tasks.filter(done_at__isnull=True).update(done_at=_now(), note="案卷作废")
    return {"reason": reason}


def _handle_merge(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    target_id = data.get("target_id")
    target = Case.objects.select_for_update().filter(pk=target_id).first() if target_id else None
    if target is None and data.get("target_number"):
        target = Case.objects.select_for_update().filter(number=data["target_number"]).first()
    if target is None or target.pk == case.pk:
        raise ValidationFailed(
            "请指定要合并到的案卷", "name the case to merge into", field="target_id", code="invalid_target"
        )
    if target.status not in OPEN_STATES or target.merged_into_id:
        raise ValidationFailed(
            "只能合并到未结案的案卷", "the target case must be open", field="target_id", code="invalid_target"
        )
    if actor is not None and not in_scope(actor, target.grid_code):
        raise NotFound("案卷", "case")
    moved = case.reporters.update(case=target)
    case.merged_into = target
    case.tasks.filter(done_at__isnull=True).update(done_at=_now(), note="已合并")
    _record(
        target,
        action="merge_in",
        actor=actor,
        from_status=target.status,
        data={"from": case.number, "reporters": moved},
    )
    return {"target": target.number, "reporters_moved": moved}


def _handle_dispatch(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    department_id = data.get("department_id") or case.suggested_department_id
    department = (
        Department.objects.filter(pk=department_id, is_active=True).first() if department_id else None
    )
    if department is None:
        raise ValidationFailed(
            "请选择处置单位", "choose a handling unit", field="department_id", code="required"
        )
    require_unit_covers(department, case.grid_code, field="department_id")
    case.owner_department = department
    case.dispatched_at = _now()
    case.accept_deadline = _deadline(case, "accept")
    _start_handle_clock(case)
    _notify(case=case, kind="dispatched", department=department, message=f"新派遣案卷 {case.number}")
    return {
        "department": department.pk,
        "suggested": case.suggested_department_id,
        "handle_due_at": case.handle_due_at.isoformat(),
    }


def _handle_accept(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    case.accepted_at = _now()
    return {}


def _handle_request(kind: str):
    def handler(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
        reason = _require_text(data, "reason", "申请理由", "a reason")
        request: dict[str, Any] = {
            "kind": kind,
            "reason": reason,
            "by": getattr(actor, "pk", None),
            "at": _now().isoformat(),
        }
        if kind == "extension":
            unit = data.get("unit", "working_days")
            if unit not in {"working_hours", "working_days"}:
                raise ValidationFailed(
                    "延期单位须为工作时或工作日",
                    "extension unit must be working_hours or working_days",
                    field="unit",
                    code="invalid",
                )
            try:
                amount = Decimal(str(data.get("amount")))
            except (InvalidOperation, TypeError):
                amount = Decimal(0)
            if not (Decimal(0) < amount <= Decimal(60)):
                raise ValidationFailed(
                    "延期时长须在0到60之间",
                    "extension amount must be above 0 and at most 60",
                    field="amount",
                    code="invalid",
                )
            request.update(unit=unit, amount=str(amount))
        case.pending_request = request
        return request

    return handler


def _handle_decision(kind: str, approved: bool):
    def handler(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
        request = dict(case.pending_request or {})
        if request.get("kind") != kind:
            raise ValidationFailed(
                "没有待审批的申请", "there is no pending request of this kind", code="no_request"
            )
        case.pending_request = {}
        result = {"request": request, "approved": approved, "note": str(data.get("note", ""))[:500]}
        if approved and kind == "return":
            case.owner_department = None
            case.handle_deadline = None
            case.handle_due_at = None
            case.overdue = False
            case.return_count += 1
            case.dispatch_deadline = _deadline(case, "dispatch")
        elif approved and kind == "extension":
            base = case.handle_due_at or _now()
            extension = deadline_create(
                kind=request["unit"],
                start=base,
                amount=Decimal(request["amount"]),
                area_code=case.grid_code,
                purpose="case.handle",
                audit=False,
            )
            case.handle_deadline = extension
            case.handle_due_at = extension.due_at
            case.overdue = extension.due_at < _now()
            case.extension_count += 1
        elif approved and kind == "park":
            case.was_parked = True
        if not approved and case.accepted_at is None:
            case.accepted_at = _now()
        if case.owner_department is not None:
            _notify(
                case=case,
                kind=f"{kind}_decided",
                department=case.owner_department,
                message=f"{case.number} 申请{'已批准' if approved else '被驳回'}",
            )
        return result

    return handler


def _handle_defer(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    reason = _require_text(data, "reason", "缓办理由", "a reason")
    case.was_deferred = True
    return {"reason": reason}


def _handle_resume(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    if case.owner_department_id:
        case.status = S.HANDLING
        _start_handle_clock(case)
    else:
        case.status = S.OPENED
        case.dispatch_deadline = _deadline(case, "dispatch")
    return {"to": case.status}


def _handle_feedback(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    after_photos = int(data.get("_after_photos", 0))
    if not after_photos and not case.photos.filter(kind="after").exists():
        raise ValidationFailed(
            "处理反馈须上传处置后照片",
            "feedback needs an after photo",
            field="photos",
            code="photos_required",
        )
    case.feedback_at = _now()
    return {"note": str(data.get("note", ""))[:500]}


def _handle_send_check(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    deadline = _deadline(case, "check")
    case.check_deadline = deadline
    assignee = _field_assignee(case, data)
    CaseTask.objects.create(
        case=case, kind="check", assignee=assignee, beat_code=_beat_code(case), due_at=deadline.due_at
    )
    if assignee is not None:
        _notify(case=case, kind="task", user=assignee, message=f"核查任务：{case.number}")
    return {"assignee": getattr(assignee, "pk", None)}


def _handle_check(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    passed = _parse_bool(data, "passed")
    case.checked_at = _now()
    _close_task(case, "check", actor, passed, str(data.get("note", "")))
    if passed:
        case.status = S.CHECK_PASSED
    else:
        case.status = S.HANDLING
        case.rework_count += 1
        case.feedback_at = None
        _start_handle_clock(case)
        _notify(
            case=case,
            kind="rework",
            department=case.owner_department,
            message=f"{case.number} 核查未通过，请返工",
        )
    return {"passed": passed}


def _handle_close(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    case.closed_at = _now()
    return {}


def _handle_callback(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    if case.source not in CALLBACK_SOURCES:
        raise ValidationFailed(
            "只有热线和公众案件需要回访", "only hotline and public cases are called back", code="no_callback"
        )
    satisfied = _parse_bool(data, "satisfied")
    score = data.get("score")
    if score is not None:
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationFailed("满意度须为1到5", "score must be 1 to 5", field="score", code="invalid")
        case.satisfaction = score
    if satisfied:
        case.status = S.CLOSED
    else:
        # An unsatisfied reporter reopens the case: back to the unit, counted as rework.
        case.status = S.HANDLING if case.owner_department_id else S.OPENED
        case.closed_at = None
        case.feedback_at = None
        case.rework_count += 1
        if case.owner_department_id:
            _start_handle_clock(case)
            _notify(
                case=case,
                kind="reopened",
                department=case.owner_department,
                message=f"{case.number} 回访不满意，案卷重新处置",
            )
    return {"satisfied": satisfied, "score": score}


def _handle_supervise(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    if case.supervised:
        raise ValidationFailed(
            "该案卷已在督办中", "the case is already under supervision", code="already_supervised"
        )
    case.supervised = True
    if case.owner_department is not None:
        _notify(
            case=case, kind="supervised", department=case.owner_department, message=f"{case.number} 已被督办"
        )
    return {"note": str(data.get("note", ""))[:500]}


# The effects of the case table (`workflow.TABLE`), one per action and named by it.
HANDLERS: dict[str, Callable[[Case, Any, dict[str, Any]], dict[str, Any]]] = {
    "send_verification": _handle_send_verification,
    "verify": _handle_verify,
    "open": _handle_open,
    "cancel": _handle_cancel,
    "merge": _handle_merge,
    "dispatch": _handle_dispatch,
    "accept": _handle_accept,
    "request_return": _handle_request("return"),
    "approve_return": _handle_decision("return", True),
    "reject_return": _handle_decision("return", False),
    "request_extension": _handle_request("extension"),
    "approve_extension": _handle_decision("extension", True),
    "reject_extension": _handle_decision("extension", False),
    "request_park": _handle_request("park"),
    "approve_park": _handle_decision("park", True),
    "reject_park": _handle_decision("park", False),
    "defer": _handle_defer,
    "resume": _handle_resume,
    "feedback": _handle_feedback,
    "send_check": _handle_send_check,
    "check": _handle_check,
    "close": _handle_close,
    "callback": _handle_callback,
    "supervise": _handle_supervise,
}
PUBLIC_ACTIONS = {"open", "cancel", "dispatch", "feedback", "close", "callback", "merge"}


@transaction.atomic
def case_act(
    *,
    case_id: int,
    actor: Any | None,
    action: str,
    data: dict[str, Any] | None = None,
    note: str = "",
    expected_version: int | None = None,
    photos: list[PhotoUpload] | None = None,
) -> Case:
    """Perform one workflow action. Raises InvalidTransition (409) for an action the table does not allow
    in the current state, and StaleVersion (409) when `expected_version` is stale (optimistic locking)."""
    data = dict(data or {})
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "owner_department")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("案卷", "case")
    if actor is not None and not (
        in_scope(actor, case.grid_code) or is_unit_member(actor, case.owner_department)
    ):
        raise NotFound("案卷", "case")
    require_version(expected_version, case.version, what_zh="案卷", what_en="case")
    transition = TABLE.lookup(case.status, action)
    if transition is None:
        raise InvalidTransition(
            case.status, action, what_zh="案卷", what_en="case", status_label=Case.Status(case.status).label
        )
    _check_allowed(case, transition, actor, data)
    checked = [(photo_store.check_photo(p.data, name=p.name), p.kind) for p in photos or []]
    data["_after_photos"] = sum(1 for _, kind in checked if kind == "after")
    before = _audit_state(case)
    from_status = case.status
    if transition.target is not None:
        case.status = transition.target
    result = HANDLERS[transition.effect](case, actor, data)
    if case.status not in transition.possible_targets() and transition.target is None:
        raise DomainError(
            "workflow_error",
            "流程表与处理不一致",
            "the workflow handler chose a state the table does not allow",
            status=500,
        )
    _save_photos(case, checked, actor)
    due = case.handle_due_at.isoformat() if case.handle_due_at else None
    if due != before["handle_due_at"]:
        # The timeline alone can then rebuild the case as of any past instant (export_cases --as-of).
        result = {**result, "handle_due_at": due}
    case.version += 1
    case.save()
    _record(
        case,
        action=action,
        actor=actor,
        from_status=from_status,
        note=note or str(data.get("note", "")),
        data=result,
        public=action in PUBLIC_ACTIONS,
    )
    _audit(case, actor=actor, action=action, before=before, note=note)
    return case


@transaction.atomic
def case_comment(
    *,
    case_id: int,
    actor: Any | None,
    note: str,
    channel: str,
    photos: list[PhotoUpload] | None = None,
) -> CaseEvent:
    """A remark on a case from outside the workflow (a reporter's comment through Open311): a timeline
    entry for the staff (not public) that changes no state, starts no clock and counts no rework,
    whatever state the case is in. Its photos are checked by content and kept with the case."""
    case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None or (actor is not None and not in_scope(actor, case.grid_code)):
        raise NotFound("案卷", "case")
    note = (note or "").strip()
    checked = [(photo_store.check_photo(p.data, name=p.name), p.kind) for p in photos or []]
    if not note and not checked:
        raise ValidationFailed("请填写内容", "a comment needs text or a photo", field="note", code="required")
    _save_photos(case, checked, actor)
    event = _record(
        case,
        action="comment",
        actor=actor,
        from_status=case.status,
        note=note,
        data={"channel": channel, "photos": len(checked)},
    )
    audit_record(
        actor=actor,
        action="case.comment",
        obj=case,
        area_code=case.grid_code,
        after={"event": event.seq, "channel": channel, "photos": len(checked)},
    )
    return event


# ---------------------------------------------------------------------- sweeps


def case_overdue_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Mark cases past their handling deadline as overdue and notify their unit; escalate to 督办 those
    late by more than CASE_ESCALATE_AFTER_HOURS."""
    from .workflow import HANDLING_STATES

    now = now or _now()
    counts = {"overdue": 0, "escalated": 0}
    late = Case.objects.filter(status__in=HANDLING_STATES, handle_due_at__lt=now, overdue=False).values_list(
        "pk", flat=True
    )
    for pk in list(late[:5000]):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            if (
                case.overdue
                or case.status not in HANDLING_STATES
                or case.handle_due_at is None
                or case.handle_due_at >= now
            ):
                continue
            before = _audit_state(case)
            case.overdue = True
            case.version += 1
            case.save(update_fields=["overdue", "version", "updated_at"])
            _notify(
                case=case, kind="overdue", department=case.owner_department, message=f"{case.number} 已超期"
            )
            _record(
                case,
                action="overdue",
                actor=None,
                from_status=case.status,
                data={"due_at": case.handle_due_at.isoformat()},
            )
            _audit(case, actor=None, action="overdue", before=before)
            counts["overdue"] += 1
    threshold = now - timedelta(hours=settings.CASE_ESCALATE_AFTER_HOURS)
    late = Case.objects.filter(
        status__in=HANDLING_STATES, overdue=True, supervised=False, handle_due_at__lt=threshold
    ).values_list("pk", flat=True)
    for pk in list(late[:5000]):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            if case.supervised or case.status not in HANDLING_STATES:
                continue
            before = _audit_state(case)
            case.supervised = True
            case.version += 1
            case.save(update_fields=["supervised", "version", "updated_at"])
            _notify(
                case=case,
                kind="escalated",
                department=case.owner_department,
                message=f"{case.number} 超期未处置，已自动督办",
            )
            _record(
                case,
                action="supervise",
                actor=None,
                from_status=case.status,
                note="超期自动督办",
                data={"automatic": True},
            )
            _audit(case, actor=None, action="escalate", before=before)
            counts["escalated"] += 1
    return counts


def case_public_photo_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Create the GPS-free public copies of photos uploaded since the last run (`now` is unused: every
    sweep takes it)."""
    done = 0
    for photo in CasePhoto.objects.filter(public_path="").order_by("pk")[:limit]:
        photo.public_path = photo_store.make_public_copy(photo.storage_path)
        photo.save(update_fields=["public_path", "updated_at"])
        done += 1
    return done
