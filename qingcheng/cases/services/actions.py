"""The workflow actions of a case (案件处置): `case_act` looks the step up in the table
(`cases.workflow.TABLE`), checks the version, the actor's permission and scope (or unit), and applies the
step's effect from `HANDLERS`, one handler per action; `case_comment` is the one remark outside the
table. Each writes the timeline entry and the audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from qingcheng.accounts.models import Department, User
from qingcheng.accounts.selectors import is_unit_member
from qingcheng.core import clock, inputs
from qingcheng.core.access import Actor, has_permission, is_in_scope, require_in_scope
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import DomainError, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.core.models import Deadline
from qingcheng.core.scope import require_person_covers, require_unit_covers
from qingcheng.core.workflow import InvalidTransition, require_version
from qingcheng.core.worktime import deadline_create

from .. import photos as photo_store
from ..catalogue import category_by_code
from ..models import Case, CaseEvent, CaseTask
from ..selectors import CALLBACK_SOURCES, beat_supervisor, field_beat_code, suggested_unit_id
from ..workflow import OPEN_STATES, TABLE, CaseTransition, required_permission
from .records import (
    PhotoUpload,
    audit_case,
    audit_state,
    notify,
    record_event,
    save_photos,
    start_handle_clock,
    step_deadline,
)

S = Case.Status


def _require_case_in_scope(actor: Actor, area_code: str) -> None:
    """A case outside the actor's area answers like a missing one (404); the system (None: jobs, loaders,
    the simulation) reaches every case."""
    require_in_scope(actor, area_code, what_zh="案卷", what_en="case", allow_system=True)


def _check_allowed(case: Case, transition: CaseTransition, actor: Actor) -> None:
    """The actor may take this step on this case: the step's permission (a leader's for a second
    extension), then the handling unit for unit-bound steps or the case's area for the others, and for a
    field verification or check, the supervisor the task went to. The system (None) may take every step."""
    if actor is None:
        return
    if not has_permission(actor, required_permission(transition, case)):
        if transition.action == "approve_extension" and case.extension_count >= 1:
            raise PermissionDeniedError(
                "第二次延期须由领导批准", "a second extension needs a leader's approval"
            )
        raise PermissionDeniedError()
    if transition.unit_bound:
        if not is_unit_member(actor, case.owner_department):
            raise PermissionDeniedError("只有承办单位可以执行此操作", "only the handling unit can do this")
        return
    _require_case_in_scope(actor, case.grid_code)
    if transition.action in {"verify", "check"}:
        task = case.tasks.filter(kind=transition.action, done_at__isnull=True).first()
        if task is not None and task.assignee_id not in (None, getattr(actor, "pk", None)):
            raise PermissionDeniedError(
                "该任务已派给其他监督员", "this task is assigned to another supervisor"
            )


def _require_text(data: dict[str, Any], key: str, zh: str, en: str) -> str:
    return inputs.text(data.get(key), key, zh, en)


def _parse_bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if isinstance(value, bool):
        return value
    raise ValidationFailed(
        f"{key} 须为 true 或 false", f"{key} must be true or false", field=key, code="required"
    )


def _send_field_task(
    case: Case, data: dict[str, Any], kind: str, label_zh: str
) -> tuple[User | None, Deadline]:
    """A field task (核实/核查) for a supervisor with its step deadline, and a notification to the
    supervisor when one is named or found on the case's beat; (assignee, deadline)."""
    deadline = step_deadline(case, kind)
    assignee = _field_assignee(case, data)
    CaseTask.objects.create(
        case=case, kind=kind, assignee=assignee, beat_code=field_beat_code(case), due_at=deadline.due_at
    )
    if assignee is not None:
        notify(case=case, kind="task", user=assignee, message=f"{label_zh}任务：{case.number}")
    return assignee, deadline


def _handle_send_verification(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    assignee, case.verify_deadline = _send_field_task(case, data, "verify", "核实")
    return {"assignee": getattr(assignee, "pk", None), "due_at": case.verify_deadline.due_at.isoformat()}


def _field_assignee(case: Case, data: dict[str, Any]) -> User | None:
    """The named supervisor, else the first supervisor of the case's beat (None: any supervisor in scope)."""
    if data.get("assignee_id"):
        user = User.objects.filter(pk=data["assignee_id"], is_active=True).first()
        if user is None or not has_permission(user, "cases.field_task_case"):
            raise ValidationFailed(
                "指定的人员不是监督员",
                "the assignee is not a supervisor",
                field="assignee_id",
                code="invalid_assignee",
            )
        # A supervisor of another district would get a task they cannot even open.
        require_person_covers(user, case.grid_code, field="assignee_id")
        return user
    return beat_supervisor(field_beat_code(case))


def _close_task(case: Case, kind: str, actor: Actor, result: bool, note: str) -> None:
    task = case.tasks.filter(kind=kind, done_at__isnull=True).order_by("-created_at").first()
    if task is not None:
        task.done_at = clock.now()
        task.result = result
        task.note = note[:2000]
        if task.assignee_id is None and getattr(actor, "pk", None):
            task.assignee = actor
        task.save()


def _handle_verify(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    genuine = _parse_bool(data, "genuine")
    case.verified_at = clock.now()
    _close_task(case, "verify", actor, genuine, str(data.get("note", "")))
    return {"genuine": genuine}


def _handle_open(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
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
    case.opened_at = clock.now()
    case.dispatch_deadline = step_deadline(case, "dispatch")
    case.suggested_department_id = suggested_unit_id(case.grid_code, case.category.code)
    return {"suggested_department": case.suggested_department_id}


def _handle_cancel(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    reason = _require_text(data, "reason", "不予立案的理由", "a reason")
    case.cancelled_at = clock.now()
    case.tasks.filter(done_at__isnull=True).update(done_at=clock.now(), note="案卷作废")
    return {"reason": reason}


def _handle_merge(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
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
    _require_case_in_scope(actor, target.grid_code)
    moved = case.reporters.update(case=target)
    case.merged_into = target
    case.tasks.filter(done_at__isnull=True).update(done_at=clock.now(), note="已合并")
    record_event(
        target,
        action="merge_in",
        actor=actor,
        from_status=target.status,
        data={"from": case.number, "reporters": moved},
    )
    return {"target": target.number, "reporters_moved": moved}


def _handle_dispatch(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
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
    case.dispatched_at = clock.now()
    case.accept_deadline = step_deadline(case, "accept")
    start_handle_clock(case)
    notify(case=case, kind="dispatched", department=department, message=f"新派遣案卷 {case.number}")
    return {
        "department": department.pk,
        "suggested": case.suggested_department_id,
        "handle_due_at": case.handle_due_at.isoformat(),
    }


def _handle_accept(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    case.accepted_at = clock.now()
    return {}


def _handle_request(kind: str):
    def handler(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        reason = _require_text(data, "reason", "申请理由", "a reason")
        request: dict[str, Any] = {
            "kind": kind,
            "reason": reason,
            "by": getattr(actor, "pk", None),
            "at": clock.now().isoformat(),
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
    def handler(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
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
            case.dispatch_deadline = step_deadline(case, "dispatch")
        elif approved and kind == "extension":
            base = case.handle_due_at or clock.now()
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
            case.overdue = extension.due_at < clock.now()
            case.extension_count += 1
        elif approved and kind == "park":
            case.was_parked = True
        if not approved and case.accepted_at is None:
            case.accepted_at = clock.now()
        if case.owner_department is not None:
            notify(
                case=case,
                kind=f"{kind}_decided",
                department=case.owner_department,
                message=f"{case.number} 申请{'已批准' if approved else '被驳回'}",
            )
        return result

    return handler


def _handle_defer(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    reason = _require_text(data, "reason", "缓办理由", "a reason")
    case.was_deferred = True
    return {"reason": reason}


def _handle_resume(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    if case.owner_department_id:
        case.status = S.HANDLING
        start_handle_clock(case)
    else:
        case.status = S.OPENED
        case.dispatch_deadline = step_deadline(case, "dispatch")
    return {"to": case.status}


def _handle_feedback(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    after_photos = int(data.get("_after_photos", 0))
    if not after_photos and not case.photos.filter(kind="after").exists():
        raise ValidationFailed(
            "处理反馈须上传处置后照片",
            "feedback needs an after photo",
            field="photos",
            code="photos_required",
        )
    case.feedback_at = clock.now()
    return {"note": str(data.get("note", ""))[:500]}


def _handle_send_check(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    assignee, case.check_deadline = _send_field_task(case, data, "check", "核查")
    return {"assignee": getattr(assignee, "pk", None)}


def _handle_check(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    passed = _parse_bool(data, "passed")
    case.checked_at = clock.now()
    _close_task(case, "check", actor, passed, str(data.get("note", "")))
    if passed:
        case.status = S.CHECK_PASSED
    else:
        _rework(case, kind="rework", message=f"{case.number} 核查未通过，请返工")
    return {"passed": passed}


def _rework(case: Case, *, kind: str, message: str) -> None:
    """Back to the handling unit as rework (返工), after a failed check or an unsatisfied call-back:
    counted, the unit's feedback cleared, a fresh handling clock and a notice to the unit."""
    case.status = S.HANDLING
    case.rework_count += 1
    case.feedback_at = None
    start_handle_clock(case)
    notify(case=case, kind=kind, department=case.owner_department, message=message)


def _handle_close(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    case.closed_at = clock.now()
    return {}


def _handle_callback(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
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
        case.closed_at = None
        if case.owner_department_id:
            _rework(case, kind="reopened", message=f"{case.number} 回访不满意，案卷重新处置")
        else:  # never dispatched: counted all the same, and back to be dispatched
            case.status = S.OPENED
            case.rework_count += 1
            case.feedback_at = None
    return {"satisfied": satisfied, "score": score}


def _handle_supervise(case: Case, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    if case.supervised:
        raise ValidationFailed(
            "该案卷已在督办中", "the case is already under supervision", code="already_supervised"
        )
    case.supervised = True
    if case.owner_department is not None:
        notify(
            case=case, kind="supervised", department=case.owner_department, message=f"{case.number} 已被督办"
        )
    return {"note": str(data.get("note", ""))[:500]}


# The effects of the case table (`workflow.TABLE`), one per action and named by it.
HANDLERS: dict[str, Callable[[Case, Actor, dict[str, Any]], dict[str, Any]]] = {
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
    actor: Actor,
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
    # The handling unit reaches the cases dispatched to it wherever they lie (asked second: it walks the
    # unit tree); the others, their area.
    if not (
        is_in_scope(actor, case.grid_code, allow_system=True) or is_unit_member(actor, case.owner_department)
    ):
        raise NotFound("案卷", "case")
    require_version(expected_version, case.version, what_zh="案卷", what_en="case")
    transition = TABLE.lookup(case.status, action)
    if transition is None:
        raise InvalidTransition(
            case.status, action, what_zh="案卷", what_en="case", status_label=Case.Status(case.status).label
        )
    _check_allowed(case, transition, actor)
    checked = [(photo_store.check_photo(p.data, name=p.name), p.kind) for p in photos or []]
    data["_after_photos"] = sum(1 for _, kind in checked if kind == "after")
    before = audit_state(case)
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
    save_photos(case, checked, actor)
    due = case.handle_due_at.isoformat() if case.handle_due_at else None
    if due != before["handle_due_at"]:
        # The timeline alone can then rebuild the case as of any past instant (export_cases --as-of).
        result = {**result, "handle_due_at": due}
    case.version += 1
    case.save()
    record_event(
        case,
        action=action,
        actor=actor,
        from_status=from_status,
        note=note or str(data.get("note", "")),
        data=result,
        public=action in PUBLIC_ACTIONS,
    )
    audit_case(case, actor=actor, action=action, before=before, note=note)
    return case


@transaction.atomic
def case_comment(
    *,
    case_id: int,
    actor: Actor,
    note: str,
    channel: str,
    photos: list[PhotoUpload] | None = None,
) -> CaseEvent:
    """A remark on a case from outside the workflow (a reporter's comment through Open311): a timeline
    entry for the staff (not public) that changes no state, starts no clock and counts no rework,
    whatever state the case is in. Its photos are checked by content and kept with the case."""
    case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None:
        raise NotFound("案卷", "case")
    _require_case_in_scope(actor, case.grid_code)
    note = (note or "").strip()
    checked = [(photo_store.check_photo(p.data, name=p.name), p.kind) for p in photos or []]
    if not note and not checked:
        raise ValidationFailed("请填写内容", "a comment needs text or a photo", field="note", code="required")
    save_photos(case, checked, actor)
    event = record_event(
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
