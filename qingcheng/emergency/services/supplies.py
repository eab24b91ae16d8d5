"""Emergency supplies (应急物资): warehouses, the shared item list, receiving stock, minimums, dispatch to an
incident first-expiring-first-out."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from qingcheng.accounts.models import Department
from qingcheng.core import clock, inputs
from qingcheng.core.access import Actor, outside_area, require_city_wide, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import Conflict, ValidationFailed
from qingcheng.core.inputs import choice as _choice
from qingcheng.core.inputs import text as _text
from qingcheng.core.scope import require_unit_covers
from qingcheng.geo.selectors import validate_lonlat

from ..models import Incident, StockLot, StockMinimum, StockMovement, SupplyItem, Warehouse
from ..workflow import INCIDENT_OPEN_STATES
from ._common import note_on_incident

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
    day = received_on or clock.today()
    if expiry_date is not None and expiry_date <= day:
        raise ValidationFailed(
            "入库物资已过期", "the lot is already expired", field="expiry_date", code="expired"
        )
    lot = StockLot.objects.create(
        warehouse=warehouse, item=item, quantity=qty, received_on=day, expiry_date=expiry_date
    )
    StockMovement.objects.create(
        at=clock.now(),
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
    today = clock.today()
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
    now = clock.now()
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
    note_on_incident(incident, actor=actor, action="dispatch", note=f"{item.name} × {qty} ← {warehouse.name}")
    audit_record(
        actor=actor,
        action="emergency.supplies.dispatch",
        obj=incident,
        after={"warehouse": warehouse.code, "item": item.code, "quantity": qty},
    )
    return movements
