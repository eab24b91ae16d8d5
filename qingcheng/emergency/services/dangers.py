"""Hidden dangers (隐患排查治理): reporting, the rectification table's actions with their effect handlers
(`DANGER_EFFECTS`), and the overdue sweep that escalates them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from qingcheng.accounts.models import Department
from qingcheng.accounts.selectors import is_unit_member
from qingcheng.core import clock, inputs
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import Conflict, DomainError, PermissionDeniedError, ValidationFailed
from qingcheng.core.inputs import choice as _choice
from qingcheng.core.inputs import text as _text
from qingcheng.core.models import Deadline
from qingcheng.core.numbering import create_numbered, daily_stem
from qingcheng.core.scope import require_unit_covers
from qingcheng.core.workflow import InvalidTransition, require_version
from qingcheng.core.worktime import deadline_create
from qingcheng.geo.selectors import validate_lonlat

from ..models import HazardSource, HiddenDanger, HiddenDangerEvent
from ..workflow import DANGER_CLOCK_STATES, EmergencyTransition, danger_transition
from ._common import Effect, Step, Workflow, apply_step, record_step

# ---------------------------------------------------------------------------------------- hidden dangers


def _danger_state(danger: HiddenDanger) -> dict[str, Any]:
    return model_snapshot(
        danger,
        [
            "status",
            "due_at",
            "supervised",
            "overdue",
            "escalation_level",
            "rectified_by",
            "accepted_by",
            "version",
        ],
    )


def _rectification_deadline(*, start: dt.datetime, days: int, area_code: str, actor: Actor) -> Deadline:
    return deadline_create(
        kind=Deadline.Kind.CALENDAR_DAYS,
        start=start,
        amount=days,
        area_code=area_code,
        purpose="emergency.hidden_danger.rectify",
        actor=actor,
        audit=False,
    )


@transaction.atomic
def hidden_danger_report(
    *,
    actor: Actor,
    title: str,
    level: str,
    origin: str,
    area_code: str,
    responsible_department: Department,
    rectify_days: int,
    description: str = "",
    measures: str = "",
    funds_fen: int = 0,
    responsible_person: str = "",
    hazard_source: HazardSource | None = None,
    sensor_code: str = "",
    lon: float | None = None,
    lat: float | None = None,
) -> HiddenDanger:
    """Record a hidden danger found by an inspection, a supervisor or a sensor. A major one is listed for
    supervision (挂牌督办) and reported upward at once (安全生产法 Art. 41)."""
    require_permission(actor, "emergency.report_hiddendanger")
    require_in_scope(actor, inputs.area_code(area_code), refusal=outside_area())
    level = _choice(level, HiddenDanger.Level, "level", "隐患等级", "level")
    origin = _choice(origin, HiddenDanger.Origin, "origin", "发现来源", "origin")
    days = inputs.whole_number(rectify_days, "rectify_days", "整改期限", "rectification days", minimum=1)
    if days > 365:
        raise ValidationFailed(
            "整改期限不能超过365天", "rectification period must be at most 365 days", field="rectify_days"
        )
    if responsible_department is None or not responsible_department.is_active:
        raise ValidationFailed(
            "请选择责任单位", "a responsible unit is required", field="responsible_department"
        )
    require_unit_covers(responsible_department, area_code, field="responsible_department")
    if funds_fen is None or int(funds_fen) < 0:
        raise ValidationFailed("整改资金不能为负", "funds must not be negative", field="funds_fen")
    if (lon is None) != (lat is None):
        raise ValidationFailed("经纬度须同时填写", "give both longitude and latitude", field="lon")
    if lon is not None:
        validate_lonlat(lon, lat)
    if hazard_source is not None:
        require_in_scope(actor, hazard_source.area_code, what_zh="危险源", what_en="hazard source")
    now = clock.now()
    deadline = _rectification_deadline(start=now, days=days, area_code=area_code, actor=actor)
    major = level == HiddenDanger.Level.MAJOR
    danger = create_numbered(
        HiddenDanger,
        stem=daily_stem("YH"),
        width=4,
        attempts=5,
        title=_text(title, "title", "标题", "title", max_length=120),
        description=description,
        level=level,
        origin=origin,
        area_code=area_code,
        hazard_source=hazard_source,
        sensor_code=sensor_code,
        reported_by=actor,
        found_at=now,
        lon=lon,
        lat=lat,
        responsible_department=responsible_department,
        responsible_person=responsible_person,
        measures=measures,
        funds_fen=int(funds_fen),
        deadline=deadline,
        due_at=deadline.due_at,
        supervised=major,
        reported_upward_at=now if major else None,
    )
    record_step(HiddenDangerEvent, "danger", danger, actor=actor, action="report", from_status="", note=title)
    audit_record(
        actor=actor, action="emergency.hidden_danger.report", obj=danger, after=_danger_state(danger)
    )
    return danger


def _check_danger_allowed(danger: HiddenDanger, transition: EmergencyTransition, actor: Actor) -> None:
    require_permission(actor, transition.permission)
    require_in_scope(actor, danger.area_code, what_zh="隐患", what_en="hidden danger")
    if transition.unit_bound and not is_unit_member(actor, danger.responsible_department):
        raise PermissionDeniedError(
            "只有责任单位的人员可以整改", "Only members of the responsible unit may rectify"
        )
    if transition.not_rectifier and danger.rectified_by_id is not None and danger.rectified_by_id == actor.pk:
        raise DomainError(
            "own_rectification",
            "整改人不能验收自己的整改",
            "Nobody may accept their own rectification",
            status=403,
        )


# ------------------------------------------------------------------- hidden-danger effects (隐患整改)
# Each takes the step (the danger, the transition, the actor, the step's parameters — a handler may
# normalise them, e.g. the note — and the time); the act saves the danger and records the step.


def _danger_rectified(step: Step[HiddenDanger]) -> None:
    step.record.rectified_by = step.actor
    step.record.rectified_at = step.now


def _danger_accepted(step: Step[HiddenDanger]) -> None:
    step.record.accepted_by = step.actor
    step.record.accepted_at = step.now


def _danger_rejected(step: Step[HiddenDanger]) -> None:
    danger = step.record
    step.params["note"] = _text(step.params["note"], "note", "不通过理由", "reason")
    danger.rectified_by = None
    danger.rectified_at = None
    # Back to rectifying: the clock runs again against the original due time.
    danger.overdue = danger.due_at < step.now


def _list_for_supervision(danger: HiddenDanger, now: dt.datetime) -> None:
    """挂牌督办: listed for supervision, and reported upward once (the first time counts)."""
    danger.supervised = True
    danger.reported_upward_at = danger.reported_upward_at or now


def _danger_supervised(step: Step[HiddenDanger]) -> None:
    if step.record.supervised:
        raise Conflict("already_supervised", "已挂牌督办", "already listed for supervision")
    _list_for_supervision(step.record, step.now)


def _danger_extend(step: Step[HiddenDanger]) -> None:
    danger = step.record
    days = inputs.whole_number(step.params["extra_days"], "extra_days", "延长天数", "extra days", minimum=1)
    if days > 180:
        raise ValidationFailed("延长天数过多", "extension too long", field="extra_days")
    deadline = _rectification_deadline(
        start=danger.due_at, days=days, area_code=danger.area_code, actor=step.actor
    )
    danger.deadline = deadline
    danger.due_at = deadline.due_at
    danger.overdue = deadline.due_at < step.now


def _danger_escalate(step: Step[HiddenDanger]) -> None:
    """The overdue sweep's step: overdue, listed for supervision, reported upward, at `params["level"]`."""
    danger = step.record
    danger.overdue = True
    danger.escalation_level = max(step.params["level"], danger.escalation_level)
    _list_for_supervision(danger, step.now)


# The hidden-danger table's effects by name (`workflow.DANGER_TRANSITIONS`).
DANGER_EFFECTS: dict[str, Effect[HiddenDanger]] = {
    "rectified": _danger_rectified,
    "accepted": _danger_accepted,
    "rejected": _danger_rejected,
    "supervised": _danger_supervised,
    "extend": _danger_extend,
    "escalate": _danger_escalate,
}


def _stop_clock(danger: HiddenDanger) -> None:
    # The rectification clock runs only in DANGER_CLOCK_STATES: nothing is overdue outside them.
    if danger.status not in DANGER_CLOCK_STATES:
        danger.overdue = False


DANGER_WORKFLOW = Workflow(
    effects=DANGER_EFFECTS,
    snapshot=_danger_state,
    event_model=HiddenDangerEvent,
    record_field="danger",
    audit_name="hidden_danger",
    settle=_stop_clock,
)


@transaction.atomic
def hidden_danger_act(
    *,
    actor: Actor,
    danger: HiddenDanger,
    action: str,
    note: str = "",
    extra_days: int | None = None,
    expected_version: int | None = None,
) -> HiddenDanger:
    """Apply one action of the hidden-danger table."""
    danger = HiddenDanger.objects.select_for_update().get(pk=danger.pk)
    require_version(expected_version, danger.version, what_zh="隐患", what_en="hidden danger")
    transition = danger_transition(danger.status, action)
    if transition is None or not transition.permission:
        require_in_scope(actor, danger.area_code, what_zh="隐患", what_en="hidden danger")
        raise InvalidTransition(danger.status, action, what_zh="隐患", what_en="hidden danger")
    _check_danger_allowed(danger, transition, actor)
    return apply_step(
        DANGER_WORKFLOW, danger, transition, actor=actor, params={"note": note, "extra_days": extra_days}
    )


@transaction.atomic
def hidden_danger_overdue_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Mark dangers past their rectification deadline as overdue and escalate them: an overdue one is
    listed for supervision and reported upward; every further full period overdue raises the escalation
    level by one (7 days for major, 15 for general)."""
    now = now or clock.now()
    counts = {"overdue": 0, "escalated": 0}
    rows = HiddenDanger.objects.select_for_update().filter(status__in=DANGER_CLOCK_STATES, due_at__lt=now)
    for danger in rows:
        transition = danger_transition(danger.status, "escalate")
        if transition is None:  # pragma: no cover - the table covers every clock state
            continue
        period = dt.timedelta(days=7 if danger.level == HiddenDanger.Level.MAJOR else 15)
        level = 1 + int((now - danger.due_at) / period)
        if danger.overdue and danger.escalation_level >= level:
            continue
        before = _danger_state(danger)
        if not danger.overdue:
            counts["overdue"] += 1
        DANGER_EFFECTS[transition.effect](Step(danger, transition, None, {"level": level}, now))
        danger.version += 1
        danger.save()
        counts["escalated"] += 1
        record_step(
            HiddenDangerEvent,
            "danger",
            danger,
            actor=None,
            action="escalate",
            from_status=danger.status,
            note=f"escalation level {danger.escalation_level}",
        )
        audit_record(
            actor=None,
            action="emergency.hidden_danger.escalate",
            obj=danger,
            before=before,
            after=_danger_state(danger),
        )
    return counts
