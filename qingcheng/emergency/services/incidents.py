"""Incidents (突发事件): reporting, the response table's actions with their effect handlers
(`INCIDENT_EFFECTS`), and tasks given to units."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from qingcheng.accounts.models import Department
from qingcheng.accounts.selectors import is_unit_member
from qingcheng.core import clock, inputs
from qingcheng.core.access import Actor, has_permission, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from qingcheng.core.inputs import choice as _choice
from qingcheng.core.inputs import text as _text
from qingcheng.core.models import Deadline
from qingcheng.core.numbering import create_numbered, daily_stem
from qingcheng.core.scope import require_unit_covers
from qingcheng.core.workflow import InvalidTransition, require_version
from qingcheng.core.worktime import deadline_create
from qingcheng.geo.selectors import validate_lonlat

from ..models import (
    EmergencyPlan,
    EmergencyWarning,
    Incident,
    IncidentEvent,
    IncidentTask,
    ResponseActivation,
)
from ..workflow import INCIDENT_OPEN_STATES, incident_transition
from ._common import (
    Effect,
    Step,
    Workflow,
    apply_step,
    emergency_level,
    note_on_incident,
    record_step,
)

# ---------------------------------------------------------------------------------------- incidents


def _incident_state(incident: Incident) -> dict[str, Any]:
    return model_snapshot(incident, ["status", "response_level", "grade", "closed_at", "version"])


@transaction.atomic
def incident_report(
    *,
    actor: Actor,
    title: str,
    category: str,
    grade: str,
    area_code: str,
    lon: float,
    lat: float,
    occurred_at: dt.datetime | None = None,
    description: str = "",
    address: str = "",
    plan: EmergencyPlan | None = None,
) -> Incident:
    require_permission(actor, "emergency.add_incident")
    require_in_scope(actor, inputs.area_code(area_code), refusal=outside_area())
    validate_lonlat(lon, lat)
    when = occurred_at or clock.now()
    if when > clock.now() + dt.timedelta(minutes=5):
        raise ValidationFailed("发生时间不能晚于现在", "occurred_at is in the future", field="occurred_at")
    if plan is not None:
        require_in_scope(actor, plan.area_code, what_zh="预案", what_en="plan")
    incident = create_numbered(
        Incident,
        stem=daily_stem("SJ"),
        width=4,
        attempts=5,
        title=_text(title, "title", "标题", "title", max_length=160),
        category=_choice(category, Incident.Category, "category", "事件类别", "category"),
        grade=_choice(grade, Incident.Grade, "grade", "事件分级", "grade"),
        area_code=area_code,
        lon=lon,
        lat=lat,
        occurred_at=when,
        description=description,
        address=address,
        plan=plan,
        reported_by=actor,
    )
    record_step(
        IncidentEvent, "incident", incident, actor=actor, action="report", from_status="", note=incident.title
    )
    audit_record(
        actor=actor, action="emergency.incident.report", obj=incident, after=_incident_state(incident)
    )
    return incident


# ---------------------------------------------------------------------------- incident effects (应急响应)
# Each takes the step (the incident, the transition, the actor, the step's parameters — a handler may set
# the note — and the time); the act saves the incident and records the step.


def _end_activation(current: ResponseActivation, step: Step[Incident], reason: str) -> None:
    current.ended_at = step.now
    current.ended_by = step.actor
    current.end_reason = reason[:200]
    current.save()


def _incident_response(step: Step[Incident]) -> None:
    """Start a response at a level, or adjust it (ending the current activation)."""
    incident, params = step.record, step.params
    new_level = emergency_level(params["level"])
    adjusting = step.transition.effect == "adjust_response"
    if adjusting and new_level == incident.response_level:
        raise ValidationFailed(
            "调整后的级别与当前相同", "the new level equals the current one", field="level"
        )
    matters = _text(params["matters"], "matters", "响应事项", "response matters")
    measures = _text(params["measures"], "measures", "处置措施", "measures")
    expected_until = None
    if params["expected_hours"] is not None:
        hours = inputs.whole_number(
            params["expected_hours"], "expected_hours", "预计期限", "expected hours", minimum=1
        )
        if hours > 24 * 90:
            raise ValidationFailed("预计期限过长", "expected duration too long", field="expected_hours")
        expected_until = step.now + dt.timedelta(hours=hours)
    if adjusting:
        current = incident.responses.filter(ended_at__isnull=True).select_for_update().first()
        if current is not None:
            _end_activation(current, step, params["reason"] or f"adjusted to level {new_level}")
    ResponseActivation.objects.create(
        incident=incident,
        level=new_level,
        matters=matters,
        measures=measures,
        expected_until=expected_until,
        started_at=step.now,
        started_by=step.actor,
    )
    incident.response_level = new_level
    params["note"] = f"{step.transition.label_zh} L{new_level}: {matters}"


def _incident_end_response(step: Step[Incident]) -> None:
    reason = _text(step.params["reason"], "reason", "结束理由", "reason")
    for current in step.record.responses.filter(ended_at__isnull=True).select_for_update():
        _end_activation(current, step, reason)
    step.record.response_level = None


def _incident_closed(step: Step[Incident]) -> None:
    incident = step.record
    if incident.warnings.filter(status=EmergencyWarning.Status.ACTIVE).exists():
        raise Conflict("warnings_active", "仍有生效的预警，请先解除", "lift the warnings in force first")
    if incident.tasks.filter(status=IncidentTask.Status.ASSIGNED).exists():
        raise Conflict("tasks_open", "仍有未完成的任务", "some tasks are not done yet")
    incident.closed_at = step.now


# The incident table's effects by name (`workflow.INCIDENT_TRANSITIONS`).
INCIDENT_EFFECTS: dict[str, Effect[Incident]] = {
    "start_response": _incident_response,
    "adjust_response": _incident_response,
    "end_response": _incident_end_response,
    "closed": _incident_closed,
}

INCIDENT_WORKFLOW = Workflow(
    effects=INCIDENT_EFFECTS,
    snapshot=_incident_state,
    event_model=IncidentEvent,
    record_field="incident",
    audit_name="incident",
)


@transaction.atomic
def incident_act(
    *,
    actor: Actor,
    incident: Incident,
    action: str,
    level: int | None = None,
    matters: str = "",
    measures: str = "",
    expected_hours: int | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Incident:
    """Start, adjust or end the response, or close the incident, through the incident table."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    require_in_scope(actor, incident.area_code, what_zh="事件", what_en="incident")
    require_version(expected_version, incident.version, what_zh="事件", what_en="incident")
    transition = incident_transition(incident.status, action)
    if transition is None:
        raise InvalidTransition(incident.status, action, what_zh="事件", what_en="incident")
    require_permission(actor, transition.permission)
    params: dict[str, Any] = {
        "level": level,
        "matters": matters,
        "measures": measures,
        "expected_hours": expected_hours,
        "reason": reason,
        "note": reason,
    }
    return apply_step(INCIDENT_WORKFLOW, incident, transition, actor=actor, params=params)


@transaction.atomic
def incident_task_assign(
    *,
    actor: Actor,
    incident: Incident,
    department: Department,
    description: str,
    due_hours: int | None = None,
) -> IncidentTask:
    """Give a unit a task for the incident; a due time is a clock-hour deadline (emergencies never rest)."""
    require_permission(actor, "emergency.dispatch_supplies")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    require_in_scope(actor, incident.area_code, what_zh="事件", what_en="incident")
    if incident.status not in INCIDENT_OPEN_STATES:
        raise Conflict("incident_closed", "事件已关闭", "the incident is closed")
    if department is None or not department.is_active:
        raise ValidationFailed("请选择单位", "choose a unit", field="department")
    require_unit_covers(department, incident.area_code, field="department")
    now = clock.now()
    due_at = None
    if due_hours is not None:
        hours = inputs.whole_number(due_hours, "due_hours", "完成时限", "due hours", minimum=1)
        due_at = deadline_create(
            kind=Deadline.Kind.CLOCK_HOURS,
            start=now,
            amount=hours,
            area_code=incident.area_code,
            purpose="emergency.incident.task",
            actor=actor,
            audit=False,
        ).due_at
    task = IncidentTask.objects.create(
        incident=incident,
        department=department,
        description=_text(description, "description", "任务内容", "task"),
        due_at=due_at,
        assigned_at=now,
        assigned_by=actor,
    )
    note_on_incident(incident, actor=actor, action="task", note=f"{department.name}: {task.description}")
    audit_record(
        actor=actor,
        action="emergency.incident.task",
        obj=incident,
        after={"department": department.code, "task": task.description},
    )
    return task


@transaction.atomic
def incident_task_done(*, actor: Actor, task: IncidentTask) -> IncidentTask:
    task = IncidentTask.objects.select_for_update().select_related("incident", "department").get(pk=task.pk)
    require_in_scope(actor, task.incident.area_code, what_zh="事件", what_en="incident")
    if not (is_unit_member(actor, task.department) or has_permission(actor, "emergency.dispatch_supplies")):
        raise PermissionDeniedError()
    if task.status == IncidentTask.Status.DONE:
        raise Conflict("already_done", "任务已完成", "the task is already done")
    task.status = IncidentTask.Status.DONE
    task.done_at = clock.now()
    task.save()
    note_on_incident(task.incident, actor=actor, action="task_done", note=task.department.name)
    audit_record(
        actor=actor, action="emergency.incident.task_done", obj=task.incident, after={"task": task.pk}
    )
    return task
