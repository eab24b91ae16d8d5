"""Lifelines (生命线): the state of water, power, gas, heat, traffic and telecom in each area."""

from __future__ import annotations

from django.db import transaction

from qingcheng.core import clock, inputs
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.inputs import choice as _choice

from ..models import LifelineStatus


@transaction.atomic
def lifeline_set(
    *,
    actor: Actor,
    area_code: str,
    kind: str,
    state: str,
    note: str = "",
    source: str = LifelineStatus.Source.MANUAL,
) -> LifelineStatus:
    """Record the state of one lifeline (water, power, gas, heat, traffic, telecom) in one area."""
    require_permission(actor, "emergency.change_lifelinestatus")
    require_in_scope(actor, inputs.area_code(area_code), refusal=outside_area())
    kind = _choice(kind, LifelineStatus.Kind, "kind", "生命线类别", "lifeline")
    row, _created = LifelineStatus.objects.select_for_update().get_or_create(
        area_code=area_code, kind=kind, defaults={"updated_at": clock.now()}
    )
    before = model_snapshot(row, ["state", "note"])
    row.state = _choice(state, LifelineStatus.State, "state", "状态", "state")
    row.note = note[:200]
    row.source = _choice(source, LifelineStatus.Source, "source", "来源", "source")
    row.updated_at = clock.now()
    row.updated_by = actor
    row.save()
    audit_record(
        actor=actor,
        action="emergency.lifeline.set",
        obj=row,
        before=before,
        after=model_snapshot(row, ["state", "note"]),
    )
    return row
