"""JSON API of emergency management: thin wrappers over selectors (reads, in scope) and services (writes).

Mounted in `qingcheng/api.py` as `api.add_router("/emergency/", emergency_router)`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from qingcheng.accounts.models import Department
from qingcheng.core.errors import NotFound
from qingcheng.core.inputs import SaneDate, SaneDatetime

from . import selectors, services
from .models import SupplyItem

router = Router(tags=["emergency"])


def _department(pk: int) -> Department:
    # Any active unit by id, in the actor's area or above it (a city bureau may take a task): the service
    # refuses one that does not cover the record's area.
    dept = Department.objects.filter(pk=pk, is_active=True).first()
    if dept is None:
        raise NotFound("单位", "unit")
    return dept


# ---------------------------------------------------------------------------------------- schemas


class SubstanceIn(Schema):
    name: str
    category: str
    gas_key: str = ""
    quantity_t: Decimal
    critical_t: Decimal


class SubstanceOut(SubstanceIn):
    beta: Decimal


class HazardSourceIn(Schema):
    code: str
    name: str
    owner_name: str
    area_code: str
    lon: float
    lat: float
    people_exposed: int = Field(ge=0)
    substances: list[SubstanceIn]
    address: str = ""
    inspection_interval_days: int = 30
    sensor_codes: list[str] = []


class HazardSourceOut(Schema):
    id: int
    code: str
    name: str
    owner_name: str
    area_code: str
    lon: float
    lat: float
    people_exposed: int
    s_value: Decimal
    r_value: Decimal
    is_major: bool
    grade: int | None
    risk_colour: str
    last_inspected_on: dt.date | None
    sensor_codes: list[str]
    substances: list[SubstanceOut]

    @staticmethod
    def resolve_substances(obj: Any) -> list[Any]:
        return list(obj.substances.all())


class DangerIn(Schema):
    title: str
    level: str
    origin: str
    area_code: str
    responsible_department_id: int
    rectify_days: int
    description: str = ""
    measures: str = ""
    funds_fen: int = 0
    responsible_person: str = ""
    hazard_source_id: int | None = None
    sensor_code: str = ""
    lon: float | None = None
    lat: float | None = None


class DangerOut(Schema):
    id: int
    number: str
    title: str
    level: str
    origin: str
    status: str
    area_code: str
    responsible_department_id: int
    due_at: dt.datetime
    overdue: bool
    supervised: bool
    escalation_level: int
    rectified_by_id: int | None
    accepted_by_id: int | None
    version: int


class DangerActionIn(Schema):
    note: str = ""
    extra_days: int | None = None
    expected_version: int | None = None


class ShelterOut(Schema):
    id: int
    code: str
    name: str
    level: str
    duration: str
    function: str
    area_code: str
    lon: float
    lat: float
    capacity: int
    occupancy: int
    service_radius_m: int
    status: str


class ShelterHitOut(Schema):
    shelter: ShelterOut
    distance_m: float
    free: int
    within_service_radius: bool


class StockOut(Schema):
    warehouse: str
    warehouse_id: int
    item: str
    item_id: int
    unit: str
    usable: int
    expired: int
    minimum: int
    low: bool
    next_expiry: dt.date | None


class SupplyWarningOut(Schema):
    kind: str
    warehouse: str
    item: str
    quantity: int
    minimum: int | None
    date: dt.date | None


class PlanOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    owner_type: str
    version: str
    published_on: dt.date
    drill_interval_months: int
    last_drill_on: dt.date | None
    drill_due: dt.date
    revision_needed: bool

    @staticmethod
    def resolve_drill_due(obj: Any) -> dt.date:
        return selectors.drill_due(obj)


class DrillIn(Schema):
    held_on: SaneDate
    form: str
    participants: int
    evaluation: str = ""
    problems: str = ""
    triggers_revision: bool = False


class DrillWarningOut(Schema):
    kind: str
    plan_id: int
    plan: str
    due: dt.date | None
    days: int


class IncidentIn(Schema):
    title: str
    category: str
    grade: str
    area_code: str
    lon: float
    lat: float
    occurred_at: SaneDatetime | None = None
    description: str = ""
    address: str = ""


class IncidentOut(Schema):
    id: int
    number: str
    title: str
    category: str
    grade: str
    status: str
    response_level: int | None
    area_code: str
    lon: float
    lat: float
    occurred_at: dt.datetime
    closed_at: dt.datetime | None
    version: int


class IncidentActionIn(Schema):
    level: int | None = None
    matters: str = ""
    measures: str = ""
    expected_hours: int | None = None
    reason: str = ""
    expected_version: int | None = None


class WarningIn(Schema):
    category: str
    level: int
    affected_area: str
    advice: str
    measures: str
    issuer: str
    starts_at: SaneDatetime | None = None
    ends_at: SaneDatetime | None = None


class WarningOut(Schema):
    id: int
    incident_id: int | None
    area_code: str
    category: str
    level: int
    colour: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    affected_area: str
    advice: str
    measures: str
    issuer: str
    issued_at: dt.datetime
    status: str


class DispatchIn(Schema):
    warehouse_id: int
    item_id: int
    quantity: int
    note: str = ""


class MovementOut(Schema):
    id: int
    lot_id: int | None
    delta: int
    at: dt.datetime


class TaskIn(Schema):
    department_id: int
    description: str
    due_hours: int | None = None


class IncidentTaskOut(Schema):
    id: int
    department_id: int
    description: str
    status: str
    due_at: dt.datetime | None


class LifelineIn(Schema):
    area_code: str
    kind: str
    state: str
    note: str = ""


class LifelineOut(Schema):
    kind: str
    label: str
    state: str
    reported: bool
    areas: list[str]
    note: str
    updated_at: dt.datetime | None
    source: str


# ---------------------------------------------------------------------------------------- hazard sources


@router.get("/hazard-sources", response=list[HazardSourceOut])
def hazard_sources(request: HttpRequest, grade: int | None = None):
    actor = request.user
    return list(selectors.hazard_source_list(actor=actor, grade=grade))


@router.post("/hazard-sources", response={201: HazardSourceOut})
def hazard_source_register(request: HttpRequest, payload: HazardSourceIn):
    data = payload.dict()
    return Status(201, services.hazard_source_register(actor=request.user, **data))


@router.get("/hazard-sources/{pk}", response=HazardSourceOut)
def hazard_source(request: HttpRequest, pk: int):
    return selectors.hazard_source_get(actor=request.user, pk=pk)


# ---------------------------------------------------------------------------------------- hidden dangers


@router.get("/hidden-dangers", response=list[DangerOut])
def hidden_dangers(
    request: HttpRequest, status: str | None = None, level: str | None = None, overdue: bool | None = None
):
    actor = request.user
    return list(selectors.hidden_danger_list(actor=actor, status=status, level=level, overdue=overdue)[:500])


@router.post("/hidden-dangers", response={201: DangerOut})
def hidden_danger_report(request: HttpRequest, payload: DangerIn):
    actor = request.user
    data = payload.dict()
    dept = _department(data.pop("responsible_department_id"))
    source_id = data.pop("hazard_source_id")
    source = selectors.hazard_source_get(actor=actor, pk=source_id) if source_id else None
    return Status(
        201,
        services.hidden_danger_report(actor=actor, responsible_department=dept, hazard_source=source, **data),
    )


@router.post("/hidden-dangers/{pk}/actions/{action}", response=DangerOut)
def hidden_danger_act(request: HttpRequest, pk: int, action: str, payload: DangerActionIn):
    actor = request.user
    danger = selectors.hidden_danger_get(actor=actor, pk=pk)
    return services.hidden_danger_act(actor=actor, danger=danger, action=action, **payload.dict())


# ---------------------------------------------------------------------------------------- shelters


class NearestQuery(Schema):
    lon: float
    lat: float
    people: int = Field(1, ge=1)
    limit: int = Field(5, ge=1, le=50)
    max_distance_m: float | None = Field(None, gt=0)


@router.get("/shelters", response=list[ShelterOut])
def shelters(request: HttpRequest):
    actor = request.user
    return list(selectors.shelter_list(actor=actor))


@router.get("/shelters/nearest", response=list[ShelterHitOut])
def shelters_nearest(request: HttpRequest, query: Query[NearestQuery]):
    actor = request.user
    return selectors.shelters_nearest(actor=actor, **query.dict())


# ---------------------------------------------------------------------------------------- supplies


@router.get("/supplies/stock", response=list[StockOut])
def stock(request: HttpRequest):
    actor = request.user
    return [
        {
            "warehouse": r["warehouse"].name,
            "warehouse_id": r["warehouse"].pk,
            "item": r["item"].name,
            "item_id": r["item"].pk,
            "unit": r["item"].unit,
            **{k: r[k] for k in ("usable", "expired", "minimum", "low", "next_expiry")},
        }
        for r in selectors.stock_levels(actor=actor)
    ]


@router.get("/supplies/warnings", response=list[SupplyWarningOut])
def supply_warnings(request: HttpRequest, expiry_days: int = Query(30, ge=0, le=3650)):
    actor = request.user
    return [
        {**w, "warehouse": w["warehouse"].name, "item": w["item"].name}
        for w in selectors.supply_warnings(actor=actor, expiry_days=expiry_days)
    ]


# ---------------------------------------------------------------------------------------- plans


@router.get("/plans", response=list[PlanOut])
def plans(request: HttpRequest):
    actor = request.user
    return list(selectors.plan_list(actor=actor))


@router.get("/plans/warnings", response=list[DrillWarningOut])
def plan_warnings(request: HttpRequest):
    actor = request.user
    return [
        {
            "kind": w["kind"],
            "plan_id": w["plan"].pk,
            "plan": w["plan"].name,
            "due": w["due"],
            "days": w["days"],
        }
        for w in selectors.drill_warnings(actor=actor)
    ]


@router.post("/plans/{pk}/drills", response={201: dict})
def drill_record(request: HttpRequest, pk: int, payload: DrillIn):
    actor = request.user
    plan = selectors.plan_get(actor=actor, pk=pk)
    drill = services.drill_record(actor=actor, plan=plan, **payload.dict())
    return Status(201, {"id": drill.pk, "plan_id": plan.pk})


# ---------------------------------------------------------------------------------------- incidents


@router.get("/incidents", response=list[IncidentOut])
def incidents(request: HttpRequest, open_only: bool = False):
    return list(selectors.incident_list(actor=request.user, open_only=open_only)[:500])


@router.post("/incidents", response={201: IncidentOut})
def incident_report(request: HttpRequest, payload: IncidentIn):
    return Status(201, services.incident_report(actor=request.user, **payload.dict()))


@router.get("/incidents/{pk}", response=IncidentOut)
def incident(request: HttpRequest, pk: int):
    return selectors.incident_get(actor=request.user, pk=pk)


@router.post("/incidents/{pk}/actions/{action}", response=IncidentOut)
def incident_act(request: HttpRequest, pk: int, action: str, payload: IncidentActionIn):
    actor = request.user
    obj = selectors.incident_get(actor=actor, pk=pk)
    return services.incident_act(actor=actor, incident=obj, action=action, **payload.dict())


@router.post("/incidents/{pk}/warnings", response={201: WarningOut})
def warning_issue(request: HttpRequest, pk: int, payload: WarningIn):
    actor = request.user
    obj = selectors.incident_get(actor=actor, pk=pk)
    return Status(201, services.warning_issue(actor=actor, incident=obj, **payload.dict()))


@router.get("/warnings", response=list[WarningOut])
def warnings(request: HttpRequest, active_only: bool = True):
    actor = request.user
    return list(selectors.warning_list(actor=actor, active_only=active_only)[:500])


@router.post("/warnings/{pk}/lift", response=WarningOut)
def warning_lift(request: HttpRequest, pk: int):
    actor = request.user
    warning = selectors.warning_get(actor=actor, pk=pk)
    return services.warning_lift(actor=actor, warning=warning)


@router.post("/incidents/{pk}/dispatch", response={201: list[MovementOut]})
def dispatch(request: HttpRequest, pk: int, payload: DispatchIn):
    actor = request.user
    obj = selectors.incident_get(actor=actor, pk=pk)
    warehouse = selectors.warehouse_list(actor=actor).filter(pk=payload.warehouse_id).first()
    item = SupplyItem.objects.filter(pk=payload.item_id).first()
    if warehouse is None:
        raise NotFound("仓库", "warehouse")
    if item is None:
        raise NotFound("物资", "supply item")
    return Status(
        201,
        services.supplies_dispatch(
            actor=actor,
            incident=obj,
            warehouse=warehouse,
            item=item,
            quantity=payload.quantity,
            note=payload.note,
        ),
    )


@router.post("/incidents/{pk}/tasks", response={201: IncidentTaskOut})
def task_assign(request: HttpRequest, pk: int, payload: TaskIn):
    actor = request.user
    obj = selectors.incident_get(actor=actor, pk=pk)
    dept = _department(payload.department_id)
    return Status(
        201,
        services.incident_task_assign(
            actor=actor,
            incident=obj,
            department=dept,
            description=payload.description,
            due_hours=payload.due_hours,
        ),
    )


@router.get("/incidents/{pk}/shelters", response=list[ShelterHitOut])
def incident_shelters(request: HttpRequest, pk: int, people: int = 1):
    obj = selectors.incident_get(actor=request.user, pk=pk)
    return selectors.incident_shelters(actor=request.user, incident=obj, people=people)


# ---------------------------------------------------------------------------------------- lifelines


@router.get("/lifelines", response=list[LifelineOut])
def lifelines(request: HttpRequest, area_code: str | None = None):
    actor = request.user
    return selectors.lifeline_board(actor=actor, area_code=area_code)


@router.post("/lifelines", response=LifelineOut)
def lifeline_set(request: HttpRequest, payload: LifelineIn):
    actor = request.user
    services.lifeline_set(actor=actor, **payload.dict())
    return selectors.lifeline_state(actor=actor, area_code=payload.area_code, kind=payload.kind)
