"""Emergency shelters (应急避难场所): registration with the capacity their area allows, opening, occupancy."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from qingcheng.accounts.models import Department
from qingcheng.core import inputs
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import Conflict, ValidationFailed
from qingcheng.core.inputs import choice as _choice
from qingcheng.core.inputs import text as _text
from qingcheng.core.scope import require_unit_covers
from qingcheng.geo.selectors import validate_lonlat

from ..models import Shelter
from ._common import decimal_number

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
    per_person = decimal_number(
        area_per_person_m2, "area_per_person_m2", "人均有效避难面积", "area per person"
    )
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
