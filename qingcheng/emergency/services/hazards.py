"""Hazard sources (危险源): registration graded from the substances held, regrading, periodic inspections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from qingcheng.accounts.models import Department
from qingcheng.core import clock, inputs
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import ValidationFailed
from qingcheng.core.inputs import choice as _choice
from qingcheng.core.inputs import text as _text
from qingcheng.core.scope import require_unit_covers
from qingcheng.geo.selectors import validate_lonlat

from .. import grading
from ..models import HazardInspection, HazardSource, HazardSubstance
from ._common import decimal_number

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
        quantity = decimal_number(raw.get("quantity_t"), field, "实际存在量", "quantity")
        critical = decimal_number(raw.get("critical_t"), field, "临界量", "critical quantity")
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
    day = inspected_on or clock.today()
    if day > clock.today():
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
