"""The supervisors' channel (城管通): reports from the field and the results of field tasks."""

from __future__ import annotations

from django.db import transaction

from qingcheng.cases.models import Case, CaseTask
from qingcheng.cases.services import PhotoUpload, ReportResult, case_act, case_report
from qingcheng.core import idempotency
from qingcheng.core.access import Actor, require_permission
from qingcheng.core.errors import Conflict

from .. import selectors


@transaction.atomic
def supervisor_report(
    *,
    actor: Actor,
    lon: float,
    lat: float,
    description: str,
    category_code: str | None,
    crs: str = "wgs84",
    address: str = "",
    urgency: str = Case.Urgency.NORMAL,
    handling_type: str = "",
    photos: list[PhotoUpload] | None = None,
    self_handled: bool = False,
    idempotency_key: str | None = None,
) -> ReportResult:
    """A supervisor's report from the field with photos, GPS and subclass; `self_handled` (自行处置)
    needs a before and an after photo. A retried upload with the same key returns the first case.

    The channel is the supervisors' own (source 监督员上报, self-handling): reporting alone is not enough,
    the actor must be one who walks a beat (`field_task_case`); citizens report through the public site."""
    require_permission(actor, "cases.report_case")
    require_permission(actor, "cases.field_task_case")
    return case_report(
        actor=actor,
        source=Case.Source.SUPERVISOR,
        lon=lon,
        lat=lat,
        crs=crs,
        description=description,
        category_code=category_code,
        address=address,
        urgency=urgency,
        handling_type=handling_type,
        # The supervisor's name as staff know it; their login name is not a name to show on a case.
        reporter_name=(actor.get_full_name() or getattr(actor, "display_name", ""))[:60],
        reporter_phone=getattr(actor, "phone", "") or "",
        photos=list(photos or []),
        self_handled=self_handled,
        idempotency_key=idempotency.check_key(idempotency_key),
        idempotency_scope=f"supervisor:{actor.pk}",
    )


@transaction.atomic
def supervisor_task_result(
    *,
    actor: Actor,
    task_id: int,
    result: bool,
    note: str = "",
    photos: list[PhotoUpload] | None = None,
) -> tuple[CaseTask, bool]:
    """The outcome of a verification (属实?) or check (已处理?) task. Sending the same outcome again is
    answered with the task as it is (a retried upload); a different outcome for a done task is a 409."""
    require_permission(actor, "cases.field_task_case")
    task = selectors.supervisor_task_get(actor=actor, task_id=task_id, for_update=True)
    if task.done_at is not None:
        if task.result == result and task.assignee_id == actor.pk:
            return task, False
        raise Conflict("task_done", "该任务已完成", "this task is already done")
    if task.kind == CaseTask.Kind.VERIFY:
        action, data, kind = "verify", {"genuine": result}, "before"
    else:
        action, data, kind = "check", {"passed": result}, "check"
    data["note"] = note[:2000]
    case_act(
        case_id=task.case_id,
        actor=actor,
        action=action,
        data=data,
        note=note[:2000],
        photos=[PhotoUpload(data=p.data, kind=kind, name=p.name) for p in photos or []],
    )
    task.refresh_from_db()
    return task, True
