"""Writes of the components domain (部件): create, update and change the state of a component.

Every function takes keyword-only arguments, runs in one transaction, checks permission and area scope
(`actor=None` means the system itself: loaders, imports run from the command line) and writes an audit
record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qingcheng.accounts.models import Department
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import Conflict, ValidationFailed
from qingcheng.core.scope import require_unit_covers
from qingcheng.geo.selectors import locate

from .codes import (
    component_code,
    next_serial,
    parse_accuracy,
    parse_component_code,
    parse_state,
    validate_class_code,
)
from .models import Component, ComponentClass

# Coordinates are kept to 1e-7 degree (about 1 cm), well below the best accuracy class (A, ±0.5 m).
COORD_DIGITS = 7
SERIAL_RETRIES = 5

EDITABLE_FIELDS = (
    "name",
    "competent_department",
    "owner_unit",
    "maintenance_department",
    "accuracy",
    "first_recorded",
    "changed_on",
    "data_source",
    "photo",
    "note",
    "lon",
    "lat",
)


def _county_must_match(code_county: str, grid_code: str) -> None:
    if code_county != grid_code[:6]:
        raise ValidationFailed(
            f"部件编码的区县代码 {code_county} 与所在网格 {grid_code} 的区县 {grid_code[:6]} 不一致",
            f"the code's county {code_county} differs from the county {grid_code[:6]} of grid {grid_code}",
            field="code",
            code="county_mismatch",
        )


def _full_clean(component: Component, exclude: list[str] | None = None) -> None:
    """Field checks (lengths, choices, required values) as a 400 with the first offending field."""
    try:
        component.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(
            f"字段 {field} 无效：{messages[0]}", f"invalid {field}: {messages[0]}", field=field
        ) from None


def local_today() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def component_create(
    *,
    actor: Actor,
    class_code: str,
    lon: float,
    lat: float,
    name: str = "",
    code: str | None = None,
    state: str = Component.State.INTACT,
    accuracy: str | None = None,
    competent_department: Department | None = None,
    owner_unit: str = "",
    maintenance_department: Department | None = None,
    first_recorded: dt.date | None = None,
    changed_on: dt.date | None = None,
    data_source: str = "",
    photo: str = "",
    note: str = "",
    synthetic: bool = False,
) -> Component:
    """Register a component at a point. The grid comes from `locate` (outside coverage → 400, nothing
    written); with `code=None` the next serial of (county, class) is assigned."""
    require_permission(actor, "components.add_component", allow_system=True)
    validate_class_code(class_code)
    component_class = ComponentClass.objects.get(code=class_code)
    location = locate(float(lon), float(lat))
    require_in_scope(actor, location.grid_code, refusal=outside_area(location=True), allow_system=True)
    _departments_must_cover(location.grid_code, competent_department, maintenance_department)
    county = location.grid_code[:6]
    if code is not None:
        parsed = parse_component_code(code)
        if parsed.class_code != class_code:
            raise ValidationFailed(
                f"部件编码中的小类 {parsed.class_code} 与所选小类 {class_code} 不一致",
                f"the code's class {parsed.class_code} differs from class {class_code}",
                field="code",
                code="class_mismatch",
            )
        _county_must_match(parsed.county, location.grid_code)
        if Component.objects.filter(code=code).exists():
            raise Conflict(
                "duplicate_code", f"部件编码 {code} 已存在", f"component code {code} already exists"
            )
    component = Component(
        component_class=component_class,
        name=name,
        grid_code=location.grid_code,
        lon=round(float(lon), COORD_DIGITS),
        lat=round(float(lat), COORD_DIGITS),
        competent_department=competent_department,
        owner_unit=owner_unit,
        maintenance_department=maintenance_department,
        state=parse_state(state),
        accuracy=parse_accuracy(accuracy or component_class.default_accuracy or Component.Accuracy.B),
        first_recorded=first_recorded or local_today(),
        changed_on=changed_on,
        data_source=data_source,
        photo=photo,
        note=note,
        synthetic=synthetic,
    )
    component.code = code or component_code(county, class_code, next_serial(county, class_code))
    _full_clean(component, exclude=["code"])
    for attempt in range(SERIAL_RETRIES):
        try:
            # A savepoint, so a serial taken meanwhile by a concurrent writer can be retried.
            with transaction.atomic():
                component.save(force_insert=True)
            break
        except IntegrityError:
            if code is not None or attempt == SERIAL_RETRIES - 1:
                raise Conflict(
                    "duplicate_code",
                    f"部件编码 {component.code} 已存在",
                    f"code {component.code} already exists",
                ) from None
            component.pk = None
            component.code = component_code(county, class_code, next_serial(county, class_code))
    audit_record(actor=actor, action="component.create", obj=component, after=model_snapshot(component))
    return component


def _departments_must_cover(grid_code: str, competent: Any, maintenance: Any) -> None:
    """A unit named for a component covers the place it stands (a city unit may look after a district's
    components; a neighbouring district's unit may not)."""
    if competent is not None:
        require_unit_covers(competent, grid_code, field="competent_department_id")
    if maintenance is not None:
        require_unit_covers(maintenance, grid_code, field="maintenance_department_id")


def _locked(component: Component, actor: Actor, perm: str) -> Component:
    # Out-of-scope components are reported as missing, so scope cannot be probed by trying codes.
    require_in_scope(actor, component.grid_code, what_zh="部件", what_en="component", allow_system=True)
    require_permission(actor, perm, allow_system=True)
    return Component.objects.select_for_update().get(pk=component.pk)


@transaction.atomic
def component_update(*, actor: Actor, component: Component, changes: dict[str, Any]) -> Component:
    """Change the descriptive fields or the position of a component. The code, and so the class and the
    county, never change: a component moved to another county is a new component."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            "包含不可修改的字段",
            f"fields cannot be changed: {', '.join(sorted(unknown))}",
            code="read_only_field",
        )
    component = _locked(component, actor, "components.change_component")
    changes = dict(changes)
    if "accuracy" in changes:
        changes["accuracy"] = parse_accuracy(changes["accuracy"])
    if "lon" in changes or "lat" in changes:
        lon = float(changes.get("lon", component.lon))
        lat = float(changes.get("lat", component.lat))
        location = locate(lon, lat)
        require_in_scope(actor, location.grid_code, refusal=outside_area(location=True), allow_system=True)
        _county_must_match(component.code[:6], location.grid_code)
        changes.update(
            lon=round(lon, COORD_DIGITS), lat=round(lat, COORD_DIGITS), grid_code=location.grid_code
        )
    _departments_must_cover(
        changes.get("grid_code", component.grid_code),
        changes.get("competent_department"),
        changes.get("maintenance_department"),
    )
    changes.setdefault("changed_on", local_today())
    before = model_snapshot(component, list(changes))
    for field, value in changes.items():
        setattr(component, field, value)
    _full_clean(component)
    component.save()
    audit_record(
        actor=actor,
        action="component.update",
        obj=component,
        before=before,
        after=model_snapshot(component, list(changes)),
    )
    return component


@transaction.atomic
def component_set_state(*, actor: Actor, component: Component, state: str, note: str = "") -> Component:
    """Set 完好/破损/丢失/废弃 (intact/damaged/lost/abandoned); `note` says why, in the audit log."""
    new_state = parse_state(state)
    component = _locked(component, actor, "components.change_component")
    if component.state == new_state:
        return component
    before = {"state": component.state, "changed_on": component.changed_on}
    component.state = new_state
    component.changed_on = local_today()
    component.save(update_fields=["state", "changed_on", "updated_at"])
    audit_record(
        actor=actor,
        action="component.set_state",
        obj=component,
        before=before,
        after={"state": new_state, "changed_on": component.changed_on},
        note=note,
    )
    return component
