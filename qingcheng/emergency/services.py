"""Writes of emergency management: one function per business action, keyword-only, atomic, with the
permission and scope check and the audit entry inside. Workflow actions consult `workflow.py`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q

from qingcheng.accounts.models import Department
from qingcheng.accounts.selectors import is_unit_member
from qingcheng.core import clock, inputs
from qingcheng.core.access import (
    Actor,
    has_permission,
    outside_area,
    require_city_wide,
    require_in_scope,
    require_permission,
)
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import Conflict, DomainError, PermissionDeniedError, ValidationFailed
from qingcheng.core.inputs import choice as _choice
from qingcheng.core.inputs import text as _text
from qingcheng.core.models import Deadline
from qingcheng.core.numbering import create_numbered, daily_stem
from qingcheng.core.scope import require_unit_covers
from qingcheng.core.workflow import InvalidTransition, StaleVersion, require_version
from qingcheng.core.worktime import deadline_create
from qingcheng.geo.selectors import validate_lonlat

from . import grading
from .models import (
    Drill,
    EmergencyPlan,
    EmergencyWarning,
    HazardInspection,
    HazardSource,
    HazardSubstance,
    HiddenDanger,
    HiddenDangerEvent,
    Incident,
    IncidentEvent,
    IncidentTask,
    LifelineStatus,
    PlanRevision,
    ResponseActivation,
    Shelter,
    StockLot,
    StockMinimum,
    StockMovement,
    SupplyItem,
    Warehouse,
)
from .workflow import (
    DANGER_CLOCK_STATES,
    INCIDENT_OPEN_STATES,
    EmergencyTransition,
    danger_transition,
    incident_transition,
)

D = HiddenDanger.Status
I = Incident.Status  # noqa: E741


class _StaleRecord(StaleVersion):
    # The emergency API has answered a stale version with the code "stale" since its first release, and
    # its clients (and tests) read that code; every other workflow answers "stale_version".
    CODE = "stale"


# ------------------------------------------------------------------------------------------- helpers


def _now() -> dt.datetime:
    return clock.now()


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate(_now())


def _decimal(value: Any, field: str, zh: str, en: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed(f"{zh}必须是数字", f"{en} must be a number", field=field) from None
    if not number.is_finite():
        raise ValidationFailed(f"{zh}必须是数字", f"{en} must be a number", field=field)
    return number


# ---------------------------------------------------------------------------------------- hazard sources


def _check_substances(substances: list[dict[str, Any]]) -> list[grading.Substance]:
    if not substances:
        raise ValidationFailed(
            "至少填写一种危险物质", "at least one substance is required", field="substances"
        )
    checked = []
    for n, raw in enumerate(substances):
        field = f"substances[{n}]"
        _text(raw.get("name"), field, "物质名称", "substance name", max_length=80)
        category = _choice(
            raw.get("category"), HazardSubstance.Category, field, "物质类别", "substance category"
        )
        quantity = _decimal(raw.get("quantity_t"), field, "实际存在量", "quantity")
        critical = _decimal(raw.get("critical_t"), field, "临界量", "critical quantity")
        if quantity < 0 or critical <= 0:
            raise ValidationFailed(
                "存在量不能为负，临界量必须大于零",
                "quantity must be ≥ 0 and critical quantity > 0",
                field=field,
            )
        gas_key = (raw.get("gas_key") or "").strip().lower()
        try:
            grading.beta_for(category, gas_key)
        except ValueError:
            raise ValidationFailed("未知的毒性气体", f"unknown toxic gas {gas_key!r}", field=field) from None
        checked.append(grading.Substance(category, quantity, critical, gas_key))
    return checked


def _apply_grading(source: HazardSource, substances: list[dict[str, Any]]) -> None:
    checked = _check_substances(substances)
    result = grading.grade(checked, source.people_exposed)
    source.s_value = result.s_value
    source.r_value = result.r_value
    source.is_major = result.is_major
    source.grade = result.grade
    source.risk_colour = result.risk_colour
    source.save()
    source.substances.all().delete()
    HazardSubstance.objects.bulk_create(
        HazardSubstance(
            source=source,
            name=raw["name"].strip(),
            category=sub.category,
            gas_key=sub.gas_key,
            quantity_t=sub.quantity_t,
            critical_t=sub.critical_t,
            beta=grading.beta_for(sub.category, sub.gas_key),
        )
        for raw, sub in zip(substances, checked, strict=True)
    )


@transaction.atomic
def hazard_source_register(
    *,
    actor: Actor,
    code: str,
    name: str,
    owner_name: str,
    area_code: str,
    lon: float,
    lat: float,
    people_exposed: int,
    substances: list[dict[str, Any]],
    address: str = "",
    supervising_department: Department | None = None,
    inspection_interval_days: int = 30,
    sensor_codes: list[str] | tuple[str, ...] = (),
    filed_on: dt.date | None = None,
) -> HazardSource:
    """Register (登记建档) a hazard source and grade it from its substances."""
    require_permission(actor, "emergency.add_hazardsource")
    require_in_scope(actor, inputs.area_code(area_code), refusal=outside_area())
    if supervising_department is not None:
        require_unit_covers(supervising_department, area_code, field="supervising_department")
    validate_lonlat(lon, lat)
    code = _text(code, "code", "编号", "code", max_length=32)
    if HazardSource.objects.filter(code=code).exists():
        raise ValidationFailed("编号已存在", "code already exists", field="code", code="duplicate")
    source = HazardSource(
        code=code,
        name=_text(name, "name", "名称", "name", max_length=120),
        owner_name=_text(owner_name, "owner_name", "所属单位", "owner", max_length=120),
        area_code=area_code,
        lon=lon,
        lat=lat,
        address=address,
        people_exposed=inputs.whole_number(
            people_exposed, "people_exposed", "周边人数", "people exposed", minimum=0
        ),
        supervising_department=supervising_department,
        inspection_interval_days=inputs.whole_number(
            inspection_interval_days, "inspection_interval_days", "检查周期", "inspection interval", minimum=1
        ),
        sensor_codes=[str(c) for c in sensor_codes],
        filed_on=filed_on,
    )
    _apply_grading(source, substances)
    audit_record(
        actor=actor, action="emergency.hazard_source.register", obj=source, after=model_snapshot(source)
    )
    return source


@transaction.atomic
def hazard_source_regrade(
    *,
    actor: Actor,
    source: HazardSource,
    substances: list[dict[str, Any]],
    people_exposed: int | None = None,
) -> HazardSource:
    """Replace the substances (registrations are adjusted as conditions change) and grade again."""
    require_permission(actor, "emergency.change_hazardsource")
    source = HazardSource.objects.select_for_update().get(pk=source.pk)
    require_in_scope(actor, source.area_code, what_zh="危险源", what_en="hazard source")
    before = model_snapshot(source)
    if people_exposed is not None:
        source.people_exposed = inputs.whole_number(
            people_exposed, "people_exposed", "周边人数", "people", minimum=0
        )
    _apply_grading(source, substances)
    audit_record(
        actor=actor,
        action="emergency.hazard_source.regrade",
        obj=source,
        before=before,
        after=model_snapshot(source),
    )
    return source


@transaction.atomic
def hazard_source_inspect(
    *,
    actor: Actor,
    source: HazardSource,
    inspected_on: dt.date | None = None,
    findings: str = "",
    passed: bool = True,
) -> HazardInspection:
    require_permission(actor, "emergency.add_hazardinspection")
    source = HazardSource.objects.select_for_update().get(pk=source.pk)
    require_in_scope(actor, source.area_code, what_zh="危险源", what_en="hazard source")
    day = inspected_on or _today()
    if day > _today():
        raise ValidationFailed(
            "检查日期不能晚于今天", "inspection date is in the future", field="inspected_on"
        )
    inspection = HazardInspection.objects.create(
        source=source, inspected_on=day, inspector=actor, findings=findings, passed=passed
    )
    if source.last_inspected_on is None or day > source.last_inspected_on:
        source.last_inspected_on = day
        source.save(update_fields=["last_inspected_on", "updated_at"])
    audit_record(
        actor=actor,
        action="emergency.hazard_source.inspect",
        obj=source,
        after={"inspected_on": day.isoformat(), "passed": passed},
    )
    return inspection


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


def _danger_event(
    danger: HiddenDanger, *, actor: Actor, action: str, from_status: str, note: str = ""
) -> None:
    HiddenDangerEvent.objects.create(
        danger=danger,
        at=_now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=danger.status,
        note=note[:2000],
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
    now = _now()
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
    _danger_event(danger, actor=actor, action="report", from_status="", note=title)
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
# Each takes the danger, the step, the actor, the step's parameters (a handler may normalise them, e.g. the note) and
# the time; the act saves the danger and records the step.


def _danger_rectified(
    danger: HiddenDanger,
    transition: EmergencyTransition,
    actor: Any,
    params: dict[str, Any],
    now: dt.datetime,
) -> None:
    danger.rectified_by = actor
    danger.rectified_at = now


def _danger_accepted(
    danger: HiddenDanger,
    transition: EmergencyTransition,
    actor: Any,
    params: dict[str, Any],
    now: dt.datetime,
) -> None:
    danger.accepted_by = actor
    danger.accepted_at = now


def _danger_rejected(
    danger: HiddenDanger,
    transition: EmergencyTransition,
    actor: Any,
    params: dict[str, Any],
    now: dt.datetime,
) -> None:
    params["note"] = _text(params["note"], "note", "不通过理由", "reason")
    danger.rectified_by = None
    danger.rectified_at = None
    # Back to rectifying: the clock runs again against the original due time.
    danger.overdue = danger.due_at < now


def _danger_supervised(
    danger: HiddenDanger,
    transition: EmergencyTransition,
    actor: Any,
    params: dict[str, Any],
    now: dt.datetime,
) -> None:
    if danger.supervised:
        raise Conflict("already_supervised", "已挂牌督办", "already listed for supervision")
    danger.supervised = True
    danger.reported_upward_at = danger.reported_upward_at or now


def _danger_extend(
    danger: HiddenDanger,
    transition: EmergencyTransition,
    actor: Any,
    params: dict[str, Any],
    now: dt.datetime,
) -> None:
    days = inputs.whole_number(params["extra_days"], "extra_days", "延长天数", "extra days", minimum=1)
    if days > 180:
        raise ValidationFailed("延长天数过多", "extension too long", field="extra_days")
    deadline = _rectification_deadline(
        start=danger.due_at, days=days, area_code=danger.area_code, actor=actor
    )
    danger.deadline = deadline
    danger.due_at = deadline.due_at
    danger.overdue = deadline.due_at < now


def _danger_escalate(
    danger: HiddenDanger,
    transition: EmergencyTransition,
    actor: Any,
    params: dict[str, Any],
    now: dt.datetime,
) -> None:
    """The overdue sweep's step: overdue, listed for supervision, reported upward, at `params["level"]`."""
    danger.overdue = True
    danger.escalation_level = max(params["level"], danger.escalation_level)
    danger.supervised = True
    danger.reported_upward_at = danger.reported_upward_at or now


# The hidden-danger table's effects by name (`workflow.DANGER_TRANSITIONS`).
DANGER_EFFECTS: dict[
    str, Callable[[HiddenDanger, EmergencyTransition, Any, dict[str, Any], dt.datetime], None]
] = {
    "rectified": _danger_rectified,
    "accepted": _danger_accepted,
    "rejected": _danger_rejected,
    "supervised": _danger_supervised,
    "extend": _danger_extend,
    "escalate": _danger_escalate,
}


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
    require_version(
        expected_version, danger.version, what_zh="隐患", what_en="hidden danger", error=_StaleRecord
    )
    transition = danger_transition(danger.status, action)
    if transition is None or not transition.permission:
        require_in_scope(actor, danger.area_code, what_zh="隐患", what_en="hidden danger")
        raise InvalidTransition(danger.status, action, what_zh="隐患", what_en="hidden danger")
    _check_danger_allowed(danger, transition, actor)
    before = _danger_state(danger)
    from_status = danger.status
    now = _now()
    params: dict[str, Any] = {"note": note, "extra_days": extra_days}
    if transition.effect:
        DANGER_EFFECTS[transition.effect](danger, transition, actor, params, now)
    note = params["note"]
    if transition.target is not None:
        danger.status = transition.target
    if danger.status not in DANGER_CLOCK_STATES:
        danger.overdue = False
    danger.version += 1
    danger.save()
    _danger_event(danger, actor=actor, action=action, from_status=from_status, note=note)
    audit_record(
        actor=actor,
        action=f"emergency.hidden_danger.{action}",
        obj=danger,
        before=before,
        after=_danger_state(danger),
        note=note,
    )
    return danger


@transaction.atomic
def hidden_danger_overdue_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Mark dangers past their rectification deadline as overdue and escalate them: an overdue one is
    listed for supervision and reported upward; every further full period overdue raises the escalation
    level by one (7 days for major, 15 for general)."""
    now = now or _now()
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
        DANGER_EFFECTS[transition.effect](danger, transition, None, {"level": level}, now)
        danger.version += 1
        danger.save()
        counts["escalated"] += 1
        _danger_event(
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


# ---------------------------------------------------------------------------------------- shelters


@transaction.atomic
def shelter_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    area_code: str,
    level: str,
    duration: str,
    function: str,
    lon: float,
    lat: float,
    effective_area_m2: int,
    area_per_person_m2: Decimal | float | str,
    service_radius_m: int,
    capacity: int | None = None,
    address: str = "",
    status: str = Shelter.Status.CLOSED,
    managing_department: Department | None = None,
    note: str = "",
) -> Shelter:
    """Register a shelter; capacity defaults to effective area ÷ area per person."""
    require_permission(actor, "emergency.add_shelter")
    require_in_scope(actor, inputs.area_code(area_code), refusal=outside_area())
    if managing_department is not None:
        require_unit_covers(managing_department, area_code, field="managing_department")
    validate_lonlat(lon, lat)
    code = _text(code, "code", "编号", "code", max_length=32)
    if Shelter.objects.filter(code=code).exists():
        raise ValidationFailed("编号已存在", "code already exists", field="code", code="duplicate")
    area = inputs.whole_number(
        effective_area_m2, "effective_area_m2", "有效避难面积", "effective area", minimum=1
    )
    per_person = _decimal(area_per_person_m2, "area_per_person_m2", "人均有效避难面积", "area per person")
    if per_person <= 0:
        raise ValidationFailed(
            "人均面积必须大于零", "area per person must be positive", field="area_per_person_m2"
        )
    computed = int(Decimal(area) / per_person)
    cap = (
        computed
        if capacity is None
        else inputs.whole_number(capacity, "capacity", "容纳人数", "capacity", minimum=0)
    )
    if cap > computed:
        raise ValidationFailed(
            "容纳人数超过有效面积允许的人数",
            "capacity exceeds effective area ÷ area per person",
            field="capacity",
            details={"maximum": computed},
        )
    shelter = Shelter.objects.create(
        code=code,
        name=_text(name, "name", "名称", "name", max_length=120),
        area_code=area_code,
        level=_choice(level, Shelter.Level, "level", "级别", "level"),
        duration=_choice(duration, Shelter.Duration, "duration", "避难时长", "duration"),
        function=_choice(function, Shelter.Function, "function", "功能", "function"),
        lon=lon,
        lat=lat,
        effective_area_m2=area,
        area_per_person_m2=per_person,
        capacity=cap,
        service_radius_m=inputs.whole_number(
            service_radius_m, "service_radius_m", "服务半径", "service radius", minimum=1
        ),
        address=address,
        status=_choice(status, Shelter.Status, "status", "状态", "status"),
        managing_department=managing_department,
        note=note,
    )
    audit_record(actor=actor, action="emergency.shelter.create", obj=shelter, after=model_snapshot(shelter))
    return shelter


@transaction.atomic
def shelter_update(
    *, actor: Actor, shelter: Shelter, status: str | None = None, occupancy: int | None = None
) -> Shelter:
    """Open or close a shelter and record how many people it holds now."""
    require_permission(actor, "emergency.change_shelter")
    shelter = Shelter.objects.select_for_update().get(pk=shelter.pk)
    require_in_scope(actor, shelter.area_code, what_zh="避难场所", what_en="shelter")
    before = model_snapshot(shelter, ["status", "occupancy"])
    if status is not None:
        shelter.status = _choice(status, Shelter.Status, "status", "状态", "status")
    if occupancy is not None:
        people = inputs.whole_number(occupancy, "occupancy", "安置人数", "occupancy", minimum=0)
        if people > shelter.capacity:
            raise Conflict(
                "over_capacity",
                "安置人数超过容纳能力",
                "occupancy exceeds capacity",
                details={"capacity": shelter.capacity},
            )
        shelter.occupancy = people
    if shelter.status == Shelter.Status.CLOSED and shelter.occupancy:
        raise Conflict("shelter_occupied", "场所内仍有安置人员，不能关闭", "people are still sheltered here")
    shelter.save()
    audit_record(
        actor=actor,
        action="emergency.shelter.update",
        obj=shelter,
        before=before,
        after=model_snapshot(shelter, ["status", "occupancy"]),
    )
    return shelter


# ---------------------------------------------------------------------------------------- supplies


@transaction.atomic
def warehouse_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    area_code: str,
    lon: float,
    lat: float,
    address: str = "",
    department: Department | None = None,
) -> Warehouse:
    require_permission(actor, "emergency.add_warehouse")
    require_in_scope(actor, inputs.area_code(area_code), refusal=outside_area())
    if department is not None:
        require_unit_covers(department, area_code, field="department")
    validate_lonlat(lon, lat)
    code = _text(code, "code", "编号", "code", max_length=32)
    if Warehouse.objects.filter(code=code).exists():
        raise ValidationFailed("编号已存在", "code already exists", field="code", code="duplicate")
    warehouse = Warehouse.objects.create(
        code=code,
        name=_text(name, "name", "名称", "name"),
        area_code=area_code,
        lon=lon,
        lat=lat,
        address=address,
        department=department,
    )
    audit_record(
        actor=actor, action="emergency.warehouse.create", obj=warehouse, after=model_snapshot(warehouse)
    )
    return warehouse


@transaction.atomic
def supply_item_create(*, actor: Actor, code: str, name: str, unit: str, category: str) -> SupplyItem:
    # The list of supply items is shared by every district's warehouses.
    require_city_wide(actor, "emergency.add_supplyitem")
    code = _text(code, "code", "编号", "code", max_length=32)
    if SupplyItem.objects.filter(code=code).exists():
        raise ValidationFailed("编号已存在", "code already exists", field="code", code="duplicate")
    item = SupplyItem.objects.create(
        code=code,
        name=_text(name, "name", "名称", "name", max_length=80),
        unit=_text(unit, "unit", "计量单位", "unit", max_length=12),
        category=_choice(category, SupplyItem.Category, "category", "类别", "category"),
    )
    audit_record(
        actor=actor, action="emergency.supply_item.create", obj=item, area_code="", after=model_snapshot(item)
    )
    return item


@transaction.atomic
def stock_receive(
    *,
    actor: Actor,
    warehouse: Warehouse,
    item: SupplyItem,
    quantity: int,
    expiry_date: dt.date | None = None,
    received_on: dt.date | None = None,
    note: str = "",
) -> StockLot:
    """Put a lot into a warehouse (入库)."""
    require_permission(actor, "emergency.add_stocklot")
    require_in_scope(actor, warehouse.area_code, what_zh="仓库", what_en="warehouse")
    qty = inputs.whole_number(quantity, "quantity", "数量", "quantity", minimum=1)
    day = received_on or _today()
    if expiry_date is not None and expiry_date <= day:
        raise ValidationFailed(
            "入库物资已过期", "the lot is already expired", field="expiry_date", code="expired"
        )
    lot = StockLot.objects.create(
        warehouse=warehouse, item=item, quantity=qty, received_on=day, expiry_date=expiry_date
    )
    StockMovement.objects.create(
        at=_now(),
        kind=StockMovement.Kind.RECEIVE,
        warehouse=warehouse,
        item=item,
        lot=lot,
        delta=qty,
        actor=actor,
        note=note[:200],
    )
    audit_record(
        actor=actor,
        action="emergency.stock.receive",
        obj=lot,
        area_code=warehouse.area_code,
        after={"item": item.code, "quantity": qty, "expiry_date": expiry_date},
    )
    return lot


@transaction.atomic
def stock_set_minimum(*, actor: Actor, warehouse: Warehouse, item: SupplyItem, minimum: int) -> StockMinimum:
    require_permission(actor, "emergency.change_stockminimum")
    require_in_scope(actor, warehouse.area_code, what_zh="仓库", what_en="warehouse")
    value = inputs.whole_number(minimum, "minimum", "最低库存", "minimum", minimum=0)
    row, _created = StockMinimum.objects.update_or_create(
        warehouse=warehouse, item=item, defaults={"minimum": value}
    )
    audit_record(
        actor=actor,
        action="emergency.stock.minimum",
        obj=row,
        area_code=warehouse.area_code,
        after={"item": item.code, "minimum": value},
    )
    return row


@transaction.atomic
def supplies_dispatch(
    *,
    actor: Actor,
    incident: Incident,
    warehouse: Warehouse,
    item: SupplyItem,
    quantity: int,
    note: str = "",
) -> list[StockMovement]:
    """Dispatch supplies to an open incident, taking unexpired lots first-expiring-first-out. Either the
    whole quantity goes out or nothing does."""
    require_permission(actor, "emergency.dispatch_supplies")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    require_in_scope(actor, incident.area_code, what_zh="事件", what_en="incident")
    require_in_scope(actor, warehouse.area_code, what_zh="仓库", what_en="warehouse")
    if incident.status not in INCIDENT_OPEN_STATES:
        raise Conflict("incident_closed", "事件已关闭，不能调拨物资", "the incident is closed")
    qty = inputs.whole_number(quantity, "quantity", "数量", "quantity", minimum=1)
    today = _today()
    lots = list(
        StockLot.objects.select_for_update()
        .filter(warehouse=warehouse, item=item, quantity__gt=0)
        .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gt=today))
        .order_by("expiry_date", "id")
    )
    # NULL expiry dates sort first on SQLite and last on PostgreSQL: put them last everywhere.
    lots.sort(key=lambda lot: (lot.expiry_date is None, lot.expiry_date or today, lot.pk))
    available = sum(lot.quantity for lot in lots)
    if available < qty:
        raise Conflict(
            "insufficient_stock",
            f"库存不足：可用 {available}，需要 {qty}",
            f"insufficient stock: {available} available, {qty} requested",
            details={"available": available, "requested": qty},
        )
    movements = []
    remaining = qty
    now = _now()
    for lot in lots:
        if remaining == 0:
            break
        take = min(lot.quantity, remaining)
        lot.quantity -= take
        lot.save(update_fields=["quantity"])
        remaining -= take
        movements.append(
            StockMovement.objects.create(
                at=now,
                kind=StockMovement.Kind.DISPATCH,
                warehouse=warehouse,
                item=item,
                lot=lot,
                delta=-take,
                incident=incident,
                actor=actor,
                note=note[:200],
            )
        )
    _incident_event(
        incident,
        actor=actor,
        action="dispatch",
        from_status=incident.status,
        note=f"{item.name} × {qty} ← {warehouse.name}",
    )
    audit_record(
        actor=actor,
        action="emergency.supplies.dispatch",
        obj=incident,
        after={"warehouse": warehouse.code, "item": item.code, "quantity": qty},
    )
    return movements


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
    if held_on > _today():
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
            recorded_at=_now(),
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
        recorded_at=_now(),
        new_version=new_version,
        revised_on=revised_on or _today(),
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


# ---------------------------------------------------------------------------------------- incidents


def _incident_event(
    incident: Incident, *, actor: Actor, action: str, from_status: str, note: str = ""
) -> None:
    IncidentEvent.objects.create(
        incident=incident,
        at=_now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=incident.status,
        note=note[:2000],
    )


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
    when = occurred_at or _now()
    if when > _now() + dt.timedelta(minutes=5):
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
    _incident_event(incident, actor=actor, action="report", from_status="", note=incident.title)
    audit_record(
        actor=actor, action="emergency.incident.report", obj=incident, after=_incident_state(incident)
    )
    return incident


def _level(value: Any) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in (1, 2, 3, 4):
        raise ValidationFailed("级别必须是一至四级", "level must be 1, 2, 3 or 4", field="level")
    return level


# ---------------------------------------------------------------------------- incident effects (应急响应)
# Each takes the incident, the step, the actor, the step's parameters (a handler may set the note) and the
# time; the act saves the incident and records the step.


def _incident_response(
    incident: Incident, transition: EmergencyTransition, actor: Any, params: dict[str, Any], now: dt.datetime
) -> None:
    """Start a response at a level, or adjust it (ending the current activation)."""
    new_level = _level(params["level"])
    adjusting = transition.effect == "adjust_response"
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
        expected_until = now + dt.timedelta(hours=hours)
    if adjusting:
        current = incident.responses.filter(ended_at__isnull=True).select_for_update().first()
        if current is not None:
            current.ended_at = now
            current.ended_by = actor
            current.end_reason = (params["reason"] or f"adjusted to level {new_level}")[:200]
            current.save()
    ResponseActivation.objects.create(
        incident=incident,
        level=new_level,
        matters=matters,
        measures=measures,
        expected_until=expected_until,
        started_at=now,
        started_by=actor,
    )
    incident.response_level = new_level
    params["note"] = f"{transition.label_zh} L{new_level}: {matters}"


def _incident_end_response(
    incident: Incident, transition: EmergencyTransition, actor: Any, params: dict[str, Any], now: dt.datetime
) -> None:
    reason = _text(params["reason"], "reason", "结束理由", "reason")
    for current in incident.responses.filter(ended_at__isnull=True).select_for_update():
        current.ended_at = now
        current.ended_by = actor
        current.end_reason = reason[:200]
        current.save()
    incident.response_level = None


def _incident_closed(
    incident: Incident, transition: EmergencyTransition, actor: Any, params: dict[str, Any], now: dt.datetime
) -> None:
    if incident.warnings.filter(status=EmergencyWarning.Status.ACTIVE).exists():
        raise Conflict("warnings_active", "仍有生效的预警，请先解除", "lift the warnings in force first")
    if incident.tasks.filter(status=IncidentTask.Status.ASSIGNED).exists():
        raise Conflict("tasks_open", "仍有未完成的任务", "some tasks are not done yet")
    incident.closed_at = now


# The incident table's effects by name (`workflow.INCIDENT_TRANSITIONS`).
INCIDENT_EFFECTS: dict[
    str, Callable[[Incident, EmergencyTransition, Any, dict[str, Any], dt.datetime], None]
] = {
    "start_response": _incident_response,
    "adjust_response": _incident_response,
    "end_response": _incident_end_response,
    "closed": _incident_closed,
}


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
    require_version(
        expected_version, incident.version, what_zh="事件", what_en="incident", error=_StaleRecord
    )
    transition = incident_transition(incident.status, action)
    if transition is None:
        raise InvalidTransition(incident.status, action, what_zh="事件", what_en="incident")
    require_permission(actor, transition.permission)
    before = _incident_state(incident)
    from_status = incident.status
    now = _now()
    params: dict[str, Any] = {
        "level": level,
        "matters": matters,
        "measures": measures,
        "expected_hours": expected_hours,
        "reason": reason,
        "note": reason,
    }
    if transition.effect:
        INCIDENT_EFFECTS[transition.effect](incident, transition, actor, params, now)
    note = params["note"]
    if transition.target is not None:
        incident.status = transition.target
    incident.version += 1
    incident.save()
    _incident_event(incident, actor=actor, action=action, from_status=from_status, note=note)
    audit_record(
        actor=actor,
        action=f"emergency.incident.{action}",
        obj=incident,
        before=before,
        after=_incident_state(incident),
        note=note,
    )
    return incident


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
    lvl = _level(level)
    now = _now()
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
        _incident_event(
            incident,
            actor=actor,
            action="warning",
            from_status=incident.status,
            note=f"{warning.category} L{lvl}",
        )
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
    warning.lifted_at = _now()
    warning.lifted_by = actor
    warning.save()
    if warning.incident_id:
        _incident_event(
            warning.incident,
            actor=actor,
            action="lift_warning",
            from_status=warning.incident.status,
            note=warning.category,
        )
    audit_record(actor=actor, action="emergency.warning.lift", obj=warning, after={"status": warning.status})
    return warning


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
    now = _now()
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
    _incident_event(
        incident,
        actor=actor,
        action="task",
        from_status=incident.status,
        note=f"{department.name}: {task.description}",
    )
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
    task.done_at = _now()
    task.save()
    _incident_event(
        task.incident,
        actor=actor,
        action="task_done",
        from_status=task.incident.status,
        note=task.department.name,
    )
    audit_record(
        actor=actor, action="emergency.incident.task_done", obj=task.incident, after={"task": task.pk}
    )
    return task


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
        area_code=area_code, kind=kind, defaults={"updated_at": _now()}
    )
    before = model_snapshot(row, ["state", "note"])
    row.state = _choice(state, LifelineStatus.State, "state", "状态", "state")
    row.note = note[:200]
    row.source = _choice(source, LifelineStatus.Source, "source", "来源", "source")
    row.updated_at = _now()
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
