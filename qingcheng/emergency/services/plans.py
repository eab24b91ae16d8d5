"""Emergency plans and drills (应急预案与演练): plans, drills that may call for a revision, revisions."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from qingcheng.accounts.models import Department
from qingcheng.core import clock, inputs
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import ValidationFailed
from qingcheng.core.inputs import choice as _choice
from qingcheng.core.inputs import text as _text
from qingcheng.core.scope import require_unit_covers

from .. import grading
from ..models import Drill, EmergencyPlan, HazardSource, PlanRevision, Shelter, Warehouse

# ---------------------------------------------------------------------------------------- plans and drills


@transaction.atomic
def plan_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    owner_type: str,
    area_code: str,
    published_on: dt.date,
    version: str = "1.0",
    event_category: str = "",
    compiled_by: Department | None = None,
    filed_on: dt.date | None = None,
    filed_with: str = "",
    response_levels: str = "",
    drill_interval_months: int | None = None,
    hazard_sources: list[HazardSource] | tuple = (),
    shelters: list[Shelter] | tuple = (),
    warehouses: list[Warehouse] | tuple = (),
) -> EmergencyPlan:
    require_permission(actor, "emergency.add_emergencyplan")
    require_in_scope(actor, inputs.area_code(area_code), refusal=outside_area())
    if compiled_by is not None:
        require_unit_covers(compiled_by, area_code, field="compiled_by")
    code = _text(code, "code", "编号", "code", max_length=32)
    if EmergencyPlan.objects.filter(code=code).exists():
        raise ValidationFailed("编号已存在", "code already exists", field="code", code="duplicate")
    owner_type = _choice(owner_type, EmergencyPlan.Owner, "owner_type", "编制主体类型", "owner type")
    legal = grading.DRILL_INTERVAL_MONTHS[owner_type]
    interval = (
        legal
        if drill_interval_months is None
        else inputs.whole_number(
            drill_interval_months, "drill_interval_months", "演练周期", "drill interval", minimum=1
        )
    )
    if interval > legal:
        raise ValidationFailed(
            f"演练周期不能长于法定的 {legal} 个月",
            f"drill interval may not exceed the legal {legal} months",
            field="drill_interval_months",
        )
    plan = EmergencyPlan.objects.create(
        code=code,
        name=_text(name, "name", "名称", "name", max_length=160),
        kind=_choice(kind, EmergencyPlan.Kind, "kind", "预案类型", "plan kind"),
        owner_type=owner_type,
        area_code=area_code,
        published_on=published_on,
        version=version,
        event_category=event_category,
        compiled_by=compiled_by,
        filed_on=filed_on,
        filed_with=filed_with,
        response_levels=response_levels,
        drill_interval_months=interval,
    )
    for related, what in ((hazard_sources, "危险源"), (shelters, "避难场所"), (warehouses, "仓库")):
        for obj in related:
            require_in_scope(actor, obj.area_code, what_zh=what, what_en="linked record")
    plan.hazard_sources.set(hazard_sources)
    plan.shelters.set(shelters)
    plan.warehouses.set(warehouses)
    audit_record(actor=actor, action="emergency.plan.create", obj=plan, after=model_snapshot(plan))
    return plan


@transaction.atomic
def drill_record(
    *,
    actor: Actor,
    plan: EmergencyPlan,
    held_on: dt.date,
    form: str,
    participants: int,
    evaluation: str = "",
    problems: str = "",
    triggers_revision: bool = False,
) -> Drill:
    """Record a drill; problems found may trigger a revision of the plan (条例 Art. 6)."""
    require_permission(actor, "emergency.add_drill")
    plan = EmergencyPlan.objects.select_for_update().get(pk=plan.pk)
    require_in_scope(actor, plan.area_code, what_zh="预案", what_en="plan")
    if held_on > clock.today():
        raise ValidationFailed("演练日期不能晚于今天", "the drill date is in the future", field="held_on")
    if triggers_revision and not problems.strip():
        raise ValidationFailed(
            "触发修订时须写明发现的问题", "name the problems that trigger a revision", field="problems"
        )
    drill = Drill.objects.create(
        plan=plan,
        held_on=held_on,
        form=_choice(form, Drill.Form, "form", "演练形式", "drill form"),
        participants=inputs.whole_number(participants, "participants", "参与人数", "participants", minimum=1),
        evaluation=evaluation,
        problems=problems,
        recorded_by=actor,
    )
    if triggers_revision:
        PlanRevision.objects.create(
            plan=plan,
            trigger=PlanRevision.Trigger.DRILL,
            reason=problems,
            drill=drill,
            recorded_at=clock.now(),
            actor=actor,
        )
        plan.revision_needed = True
        plan.save(update_fields=["revision_needed", "updated_at"])
    audit_record(
        actor=actor,
        action="emergency.plan.drill",
        obj=plan,
        after={
            "held_on": held_on.isoformat(),
            "form": form,
            "participants": participants,
            "triggers_revision": triggers_revision,
        },
    )
    return drill


@transaction.atomic
def plan_revise(
    *,
    actor: Actor,
    plan: EmergencyPlan,
    trigger: str,
    reason: str,
    new_version: str,
    revised_on: dt.date | None = None,
) -> PlanRevision:
    """Issue a new version of a plan, recording why (revision triggers of 条例 Art. 6)."""
    require_permission(actor, "emergency.change_emergencyplan")
    plan = EmergencyPlan.objects.select_for_update().get(pk=plan.pk)
    require_in_scope(actor, plan.area_code, what_zh="预案", what_en="plan")
    new_version = _text(new_version, "new_version", "新版本号", "new version", max_length=20)
    if new_version == plan.version:
        raise ValidationFailed(
            "新版本号与当前相同", "the new version equals the current one", field="new_version"
        )
    before = model_snapshot(plan, ["version", "revision_needed"])
    revision = PlanRevision.objects.create(
        plan=plan,
        trigger=_choice(trigger, PlanRevision.Trigger, "trigger", "修订原因类别", "trigger"),
        reason=_text(reason, "reason", "修订原因", "reason"),
        recorded_at=clock.now(),
        new_version=new_version,
        revised_on=revised_on or clock.today(),
        actor=actor,
    )
    plan.version = new_version
    plan.revision_needed = False
    plan.save(update_fields=["version", "revision_needed", "updated_at"])
    audit_record(
        actor=actor,
        action="emergency.plan.revise",
        obj=plan,
        before=before,
        after=model_snapshot(plan, ["version", "revision_needed"]),
    )
    return revision
