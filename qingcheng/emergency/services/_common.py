"""What the emergency services share: a number read from input, and the step recorded on a
record's timeline (隐患/事件的处理记录)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from django.db.models import Model

from qingcheng.core import clock
from qingcheng.core.access import Actor
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import ValidationFailed

from ..models import Incident, IncidentEvent
from ..workflow import EmergencyTransition

R = TypeVar("R")


def decimal_number(value: Any, field: str, zh: str, en: str) -> Decimal:
    """A finite decimal from the input, or a `ValidationFailed` naming the field."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed(f"{zh}必须是数字", f"{en} must be a number", field=field) from None
    if not number.is_finite():
        raise ValidationFailed(f"{zh}必须是数字", f"{en} must be a number", field=field)
    return number


def record_step(
    event_model: type[Model],
    record_field: str,
    record: Any,
    *,
    actor: Actor,
    action: str,
    from_status: str,
    note: str = "",
) -> None:
    """One row of the record's timeline (`HiddenDangerEvent` or `IncidentEvent`): who took which step from
    which state to the record's current one. The system (no saved user) is stored as no actor."""
    event_model.objects.create(
        **{record_field: record},
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=record.status,
        note=note[:2000],
    )


@dataclass
class Step(Generic[R]):
    """One step of a workflow table being applied to `record` (a hidden danger or an incident): what an
    effect handler takes. A handler may normalise `params` (the note the act records, for one)."""

    record: R
    transition: EmergencyTransition
    actor: Actor
    params: dict[str, Any]
    now: dt.datetime


# A table's effect: changes the record (not saved yet) or refuses the step.
Effect = Callable[[Step[R]], None]


@dataclass(frozen=True)
class Workflow(Generic[R]):
    """How the steps of one table are applied to its records and recorded: the effect handlers, the state
    snapshot the audit keeps, the timeline model (and its field naming the record), the audit name, and
    what the record settles once its new state is set."""

    effects: Mapping[str, Effect[R]]
    snapshot: Callable[[R], dict[str, Any]]
    event_model: type[Model]
    record_field: str
    audit_name: str
    settle: Callable[[R], None] = lambda record: None


def apply_step(
    workflow: Workflow[R], record: R, transition: EmergencyTransition, *, actor: Actor, params: dict[str, Any]
) -> R:
    """Apply an allowed `transition` to the locked `record`: its effect, its target state, a new version,
    the timeline row and the audit entry (the note is `params["note"]` as the effect left it)."""
    before = workflow.snapshot(record)
    from_status = record.status
    if transition.effect:
        workflow.effects[transition.effect](Step(record, transition, actor, params, clock.now()))
    note = params["note"]
    if transition.target is not None:
        record.status = transition.target
    workflow.settle(record)
    record.version += 1
    record.save()
    action = transition.action
    record_step(
        workflow.event_model,
        workflow.record_field,
        record,
        actor=actor,
        action=action,
        from_status=from_status,
        note=note,
    )
    audit_record(
        actor=actor,
        action=f"emergency.{workflow.audit_name}.{action}",
        obj=record,
        before=before,
        after=workflow.snapshot(record),
        note=note,
    )
    return record


def note_on_incident(incident: Incident, *, actor: Actor, action: str, note: str) -> None:
    """A step taken beside the incident table (a warning, a task, a dispatch): a timeline row of the
    incident, whose state does not change."""
    record_step(
        IncidentEvent,
        "incident",
        incident,
        actor=actor,
        action=action,
        from_status=incident.status,
        note=note,
    )


def emergency_level(value: Any) -> int:
    """A response or warning level: 1 (the highest, 特别重大/红色) to 4."""
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in (1, 2, 3, 4):
        raise ValidationFailed("级别必须是一至四级", "level must be 1, 2, 3 or 4", field="level")
    return level
