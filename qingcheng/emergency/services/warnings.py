"""Warnings (预警): issued with the fields of 突发事件应对法 Art. 64, for an incident or an area, and lifted."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from qingcheng.core import clock, inputs
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import Conflict, ValidationFailed
from qingcheng.core.inputs import text as _text

from .. import grading
from ..models import EmergencyWarning, Incident
from ..workflow import INCIDENT_OPEN_STATES
from ._common import emergency_level, note_on_incident


@transaction.atomic
def warning_issue(
    *,
    actor: Actor,
    category: str,
    level: int,
    affected_area: str,
    advice: str,
    measures: str,
    issuer: str,
    area_code: str | None = None,
    incident: Incident | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
) -> EmergencyWarning:
    """Issue a warning with the fields of 突发事件应对法 Art. 64; the colour follows the level."""
    require_permission(actor, "emergency.issue_warning")
    if incident is not None:
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        require_in_scope(actor, incident.area_code, what_zh="事件", what_en="incident")
        if incident.status not in INCIDENT_OPEN_STATES:
            raise Conflict("incident_closed", "事件已关闭", "the incident is closed")
        area_code = area_code or incident.area_code
    require_in_scope(actor, inputs.area_code(area_code), refusal=outside_area())
    lvl = emergency_level(level)
    now = clock.now()
    start = starts_at or now
    if ends_at is not None and ends_at <= start:
        raise ValidationFailed("结束时间必须晚于起始时间", "ends_at must be after starts_at", field="ends_at")
    warning = EmergencyWarning.objects.create(
        incident=incident,
        area_code=area_code,
        category=_text(category, "category", "预警类别", "category", max_length=60),
        level=lvl,
        colour=grading.WARNING_COLOUR[lvl],
        starts_at=start,
        ends_at=ends_at,
        affected_area=_text(affected_area, "affected_area", "影响范围", "affected area", max_length=200),
        advice=_text(advice, "advice", "警示事项", "matters to heed"),
        measures=_text(measures, "measures", "应采取的措施", "measures"),
        issuer=_text(issuer, "issuer", "发布单位", "issuer", max_length=120),
        issued_at=now,
        issued_by=actor,
    )
    if incident is not None:
        note_on_incident(incident, actor=actor, action="warning", note=f"{warning.category} L{lvl}")
    audit_record(actor=actor, action="emergency.warning.issue", obj=warning, after=model_snapshot(warning))
    return warning


@transaction.atomic
def warning_lift(*, actor: Actor, warning: EmergencyWarning) -> EmergencyWarning:
    require_permission(actor, "emergency.issue_warning")
    warning = EmergencyWarning.objects.select_for_update().get(pk=warning.pk)
    require_in_scope(actor, warning.area_code, what_zh="预警", what_en="warning")
    if warning.status != EmergencyWarning.Status.ACTIVE:
        raise Conflict("already_lifted", "预警已解除", "the warning is already lifted")
    warning.status = EmergencyWarning.Status.LIFTED
    warning.lifted_at = clock.now()
    warning.lifted_by = actor
    warning.save()
    if warning.incident_id:
        note_on_incident(warning.incident, actor=actor, action="lift_warning", note=warning.category)
    audit_record(actor=actor, action="emergency.warning.lift", obj=warning, after={"status": warning.status})
    return warning
