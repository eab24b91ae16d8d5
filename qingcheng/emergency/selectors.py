"""Reads of emergency management, always inside the actor's area scope: lists, warnings (overdue
dangers, drills, stock), nearest open shelters with free capacity, the lifeline board, the overview.

The read permission is checked here (`core.access`): each register's list asks for its own `view_…`
permission. The two summaries, the home page's `overview` and the incident page's `incident_situation`,
show parts of every register to whoever may view incidents; they read through the unchecked `_…` helpers.
Lookups a write starts from (`hidden_danger_get`, `plan_get`, `warning_get`, `warehouse_list`) only
scope the record: the service checks the write's own permission."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Max, QuerySet, Sum

from qingcheng.core import clock
from qingcheng.core.access import Actor, get_visible_or_404, require_permission
from qingcheng.core.scope import scope_queryset
from qingcheng.core.worktime import shift_months
from qingcheng.geo.geometry import METRES_PER_DEGREE_LAT, distance_m, metres_per_degree_lon
from qingcheng.geo.selectors import validate_lonlat

from .models import (
    EmergencyPlan,
    EmergencyWarning,
    HazardSource,
    HiddenDanger,
    Incident,
    LifelineStatus,
    Shelter,
    StockLot,
    StockMinimum,
    StockMovement,
    Warehouse,
)
from .workflow import DANGER_OPEN_STATES, INCIDENT_OPEN_STATES

VIEW_INCIDENT = "emergency.view_incident"
VIEW_HAZARD_SOURCE = "emergency.view_hazardsource"
VIEW_HIDDEN_DANGER = "emergency.view_hiddendanger"
VIEW_SHELTER = "emergency.view_shelter"
VIEW_STOCK = "emergency.view_stocklot"
VIEW_PLAN = "emergency.view_emergencyplan"
VIEW_WARNING = "emergency.view_emergencywarning"
VIEW_LIFELINE = "emergency.view_lifelinestatus"

EXPIRY_WARNING_DAYS = 30


# ---------------------------------------------------------------------------------------- hazard sources


def hazard_source_list(*, actor: Actor, grade: int | None = None) -> QuerySet[HazardSource]:
    require_permission(actor, VIEW_HAZARD_SOURCE)
    return _hazard_sources(actor, grade)


def _hazard_sources(actor: Actor, grade: int | None = None) -> QuerySet[HazardSource]:
    qs = scope_queryset(HazardSource.objects.filter(is_active=True), actor).prefetch_related("substances")
    if grade is not None:
        qs = qs.filter(grade=grade)
    return qs.order_by(F("grade").asc(nulls_last=True), "code")


def hazard_source_get(*, actor: Actor, pk: int) -> HazardSource:
    require_permission(actor, VIEW_HAZARD_SOURCE)
    return get_visible_or_404(
        HazardSource.objects.prefetch_related("substances", "inspections"),
        actor,
        what_zh="危险源",
        what_en="hazard source",
        pk=pk,
    )


def inspection_due(source: HazardSource, today: dt.date | None = None) -> dt.date | None:
    """The day the next periodic inspection is due (None: never inspected, due now)."""
    if source.last_inspected_on is None:
        return None
    return source.last_inspected_on + dt.timedelta(days=source.inspection_interval_days)


def inspections_overdue(*, actor: Actor, today: dt.date | None = None) -> list[HazardSource]:
    require_permission(actor, VIEW_HAZARD_SOURCE)
    return _inspections_overdue(actor, today)


def _inspections_overdue(actor: Actor, today: dt.date | None = None) -> list[HazardSource]:
    today = today or clock.today()
    rows = []
    for source in _hazard_sources(actor):
        due = inspection_due(source)
        if due is None or due < today:
            rows.append(source)
    return rows


# ---------------------------------------------------------------------------------------- hidden dangers


def hidden_danger_list(
    *,
    actor: Actor,
    status: str | None = None,
    level: str | None = None,
    overdue: bool | None = None,
    open_only: bool = False,
) -> QuerySet[HiddenDanger]:
    require_permission(actor, VIEW_HIDDEN_DANGER)
    qs = _hidden_dangers(actor)
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if overdue is not None:
        qs = qs.filter(overdue=overdue)
    if open_only:
        qs = qs.filter(status__in=DANGER_OPEN_STATES)
    return qs


def _hidden_dangers(actor: Actor) -> QuerySet[HiddenDanger]:
    return scope_queryset(
        HiddenDanger.objects.select_related("responsible_department", "hazard_source"), actor
    )


def hidden_danger_get(*, actor: Actor, pk: int) -> HiddenDanger:
    return get_visible_or_404(
        HiddenDanger.objects.select_related(
            "responsible_department", "hazard_source", "rectified_by", "accepted_by"
        ),
        actor,
        what_zh="隐患",
        what_en="hidden danger",
        pk=pk,
    )


# ---------------------------------------------------------------------------------------- shelters


@dataclass(frozen=True)
class ShelterHit:
    shelter: Shelter
    distance_m: float
    free: int
    within_service_radius: bool


def shelter_list(*, actor: Actor) -> QuerySet[Shelter]:
    require_permission(actor, VIEW_SHELTER)
    return scope_queryset(Shelter.objects.all(), actor)


def shelter_get(*, actor: Actor, pk: int) -> Shelter:
    return get_visible_or_404(Shelter.objects.all(), actor, what_zh="避难场所", what_en="shelter", pk=pk)


def shelters_nearest(
    *,
    actor: Actor,
    lon: float,
    lat: float,
    people: int = 1,
    limit: int = 5,
    max_distance_m: float | None = None,
) -> list[ShelterHit]:
    """Open shelters with room for `people` more, nearest first. A bounding box on the indexed-free
    lon/lat columns narrows the candidates when a maximum distance is given."""
    require_permission(actor, VIEW_SHELTER)
    return _nearest_shelters(actor, lon, lat, people, limit, max_distance_m)


def _nearest_shelters(
    actor: Actor, lon: float, lat: float, people: int, limit: int, max_distance_m: float | None
) -> list[ShelterHit]:
    validate_lonlat(lon, lat)
    people = max(1, int(people))
    qs = scope_queryset(Shelter.objects.all(), actor).filter(
        status=Shelter.Status.OPEN, capacity__gte=F("occupancy") + people
    )
    if max_distance_m is not None:
        dlat = max_distance_m / METRES_PER_DEGREE_LAT
        dlon = max_distance_m / metres_per_degree_lon(lat)
        qs = qs.filter(lat__range=(lat - dlat, lat + dlat), lon__range=(lon - dlon, lon + dlon))
    hits = []
    for shelter in qs:
        distance = distance_m(lon, lat, shelter.lon, shelter.lat)
        if max_distance_m is not None and distance > max_distance_m:
            continue
        hits.append(
            ShelterHit(
                shelter=shelter,
                distance_m=round(distance, 1),
                free=shelter.capacity - shelter.occupancy,
                within_service_radius=distance <= shelter.service_radius_m,
            )
        )
    hits.sort(key=lambda hit: (hit.distance_m, hit.shelter.code))
    return hits[: max(1, int(limit))]


# ---------------------------------------------------------------------------------------- supplies


def warehouse_list(*, actor: Actor) -> QuerySet[Warehouse]:
    return scope_queryset(Warehouse.objects.all(), actor)


def stock_levels(*, actor: Actor, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Per warehouse and item: usable quantity (unexpired), expired quantity, minimum."""
    require_permission(actor, VIEW_STOCK)
    return _stock_levels(actor, today)


def _level_row(levels: dict[tuple[int, int], dict[str, Any]], row: StockLot | StockMinimum) -> dict[str, Any]:
    """The entry of `row`'s warehouse and item, started empty the first time either is seen."""
    return levels.setdefault(
        (row.warehouse_id, row.item_id),
        {
            "warehouse": row.warehouse,
            "item": row.item,
            "usable": 0,
            "expired": 0,
            "minimum": 0,
            "next_expiry": None,
        },
    )


def _stock_levels(actor: Actor, today: dt.date | None = None) -> list[dict[str, Any]]:
    today = today or clock.today()
    warehouses = warehouse_list(actor=actor)
    lots = StockLot.objects.filter(warehouse__in=warehouses, quantity__gt=0).select_related(
        "warehouse", "item"
    )
    levels: dict[tuple[int, int], dict[str, Any]] = {}
    for lot in lots:
        row = _level_row(levels, lot)
        if lot.expiry_date is not None and lot.expiry_date <= today:
            row["expired"] += lot.quantity
        else:
            row["usable"] += lot.quantity
            if lot.expiry_date and (row["next_expiry"] is None or lot.expiry_date < row["next_expiry"]):
                row["next_expiry"] = lot.expiry_date
    for minimum in StockMinimum.objects.filter(warehouse__in=warehouses).select_related("warehouse", "item"):
        row = _level_row(levels, minimum)
        row["minimum"] = minimum.minimum
    for row in levels.values():
        row["low"] = row["usable"] < row["minimum"]
    return sorted(levels.values(), key=lambda r: (r["warehouse"].code, r["item"].code))


def supply_warnings(
    *, actor: Actor, today: dt.date | None = None, expiry_days: int = EXPIRY_WARNING_DAYS
) -> list[dict[str, Any]]:
    """Low stock (usable below minimum), expired lots still on the shelf, lots expiring soon."""
    require_permission(actor, VIEW_STOCK)
    return _supply_warnings(actor, today, expiry_days)


def _supply_warnings(
    actor: Actor, today: dt.date | None = None, expiry_days: int = EXPIRY_WARNING_DAYS
) -> list[dict[str, Any]]:
    today = today or clock.today()
    warnings: list[dict[str, Any]] = []
    for row in _stock_levels(actor, today):
        if row["low"]:
            warnings.append(
                {
                    "kind": "low_stock",
                    "warehouse": row["warehouse"],
                    "item": row["item"],
                    "quantity": row["usable"],
                    "minimum": row["minimum"],
                    "date": None,
                }
            )
    lots = StockLot.objects.filter(
        warehouse__in=warehouse_list(actor=actor),
        quantity__gt=0,
        expiry_date__isnull=False,
        expiry_date__lte=today + dt.timedelta(days=expiry_days),
    ).select_related("warehouse", "item")
    for lot in lots.order_by("expiry_date", "id"):
        warnings.append(
            {
                "kind": "expired" if lot.expiry_date <= today else "expiring",
                "warehouse": lot.warehouse,
                "item": lot.item,
                "quantity": lot.quantity,
                "minimum": None,
                "date": lot.expiry_date,
            }
        )
    return warnings


def movements_for_incident(*, actor: Actor, incident: Incident) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(incident=incident).select_related("warehouse", "item")


# ---------------------------------------------------------------------------------------- plans and drills


def plan_list(*, actor: Actor) -> QuerySet[EmergencyPlan]:
    require_permission(actor, VIEW_PLAN)
    return _plans(actor)


def _plans(actor: Actor) -> QuerySet[EmergencyPlan]:
    return scope_queryset(EmergencyPlan.objects.all(), actor).annotate(last_drill_on=Max("drills__held_on"))


def plan_get(*, actor: Actor, pk: int) -> EmergencyPlan:
    return get_visible_or_404(_plans(actor), actor, what_zh="预案", what_en="plan", pk=pk)


def drill_due(plan: EmergencyPlan) -> dt.date:
    """The day by which the next drill is due: the interval counted from the last drill, or from
    publication when the plan was never drilled."""
    last = getattr(plan, "last_drill_on", None)
    if last is None and not hasattr(plan, "last_drill_on"):
        last = plan.drills.aggregate(m=Max("held_on"))["m"]
    return shift_months(last or plan.published_on, plan.drill_interval_months)


def drill_warnings(
    *, actor: Actor, today: dt.date | None = None, soon_days: int = 30
) -> list[dict[str, Any]]:
    """Plans whose drill interval is exceeded (overdue) or ends within `soon_days` (due soon), and plans
    whose drill found problems that wait for a revision."""
    require_permission(actor, VIEW_PLAN)
    return _drill_warnings(actor, today, soon_days)


def _drill_warnings(actor: Actor, today: dt.date | None = None, soon_days: int = 30) -> list[dict[str, Any]]:
    today = today or clock.today()
    rows = []
    for plan in _plans(actor):
        due = drill_due(plan)
        if due < today:
            rows.append({"kind": "drill_overdue", "plan": plan, "due": due, "days": (today - due).days})
        elif due <= today + dt.timedelta(days=soon_days):
            rows.append({"kind": "drill_due_soon", "plan": plan, "due": due, "days": (due - today).days})
        if plan.revision_needed:
            rows.append({"kind": "revision_needed", "plan": plan, "due": None, "days": 0})
    return rows


# ---------------------------------------------------------------------------------------- incidents


def incident_list(*, actor: Actor, open_only: bool = False) -> QuerySet[Incident]:
    require_permission(actor, VIEW_INCIDENT)
    qs = scope_queryset(Incident.objects.all(), actor)
    if open_only:
        qs = qs.filter(status__in=INCIDENT_OPEN_STATES)
    return qs


def incident_get(*, actor: Actor, pk: int) -> Incident:
    require_permission(actor, VIEW_INCIDENT)
    return get_visible_or_404(
        Incident.objects.select_related("plan"), actor, what_zh="事件", what_en="incident", pk=pk
    )


def warning_list(*, actor: Actor, active_only: bool = True) -> QuerySet[EmergencyWarning]:
    require_permission(actor, VIEW_WARNING)
    return _warnings(actor, active_only)


def _warnings(actor: Actor, active_only: bool = True) -> QuerySet[EmergencyWarning]:
    qs = scope_queryset(EmergencyWarning.objects.select_related("incident"), actor)
    if active_only:
        qs = qs.filter(status=EmergencyWarning.Status.ACTIVE)
    return qs.order_by("level", "-issued_at")


def warning_get(*, actor: Actor, pk: int) -> EmergencyWarning:
    """A warning in the actor's scope, lifted or not (to lift it: the service checks `issue_warning`)."""
    return get_visible_or_404(
        EmergencyWarning.objects.select_related("incident"), actor, what_zh="预警", what_en="warning", pk=pk
    )


def dispatched_totals(*, incident: Incident) -> list[dict[str, Any]]:
    return list(
        StockMovement.objects.filter(incident=incident, kind=StockMovement.Kind.DISPATCH)
        .values("item__name", "item__unit", "warehouse__name")
        .annotate(quantity=-Sum("delta"))
        .order_by("item__name")
    )


STATE_RANK = {
    LifelineStatus.State.NORMAL: 0,
    LifelineStatus.State.DEGRADED: 1,
    LifelineStatus.State.OUTAGE: 2,
}


def lifeline_board(*, actor: Actor, area_code: str | None = None) -> list[dict[str, Any]]:
    """One entry per lifeline: the worst state reported in the scope (or under `area_code`) and where."""
    require_permission(actor, VIEW_LIFELINE)
    return _lifeline_board(actor, area_code)


def lifeline_state(*, actor: Actor, area_code: str, kind: str) -> dict[str, Any]:
    """The board's entry for one lifeline under `area_code`: what its writer sees once it is set (the
    service checked `change_lifelinestatus`)."""
    return next(row for row in _lifeline_board(actor, area_code) if row["kind"] == kind)


def _lifeline_board(actor: Actor, area_code: str | None = None) -> list[dict[str, Any]]:
    qs = scope_queryset(LifelineStatus.objects.all(), actor)
    if area_code:
        qs = qs.filter(area_code__startswith=area_code)
    rows = list(qs)
    board = []
    for kind, label in LifelineStatus.Kind.choices:
        mine = [r for r in rows if r.kind == kind]
        worst = max(mine, key=lambda r: (STATE_RANK[r.state], r.updated_at), default=None)
        board.append(
            {
                "kind": kind,
                "label": str(label),
                "state": worst.state if worst else LifelineStatus.State.NORMAL,
                "reported": worst is not None,
                "areas": sorted(r.area_code for r in mine if r.state != LifelineStatus.State.NORMAL),
                "note": worst.note if worst else "",
                "updated_at": worst.updated_at if worst else None,
                "source": worst.source if worst else "",
            }
        )
    return board


def overview(*, actor: Actor, today: dt.date | None = None) -> dict[str, Any]:
    """The home page: open incidents and the summaries of every register, for whoever may view incidents."""
    today = today or clock.today()
    open_dangers = _hidden_dangers(actor).filter(status__in=DANGER_OPEN_STATES)
    return {
        "incidents": list(incident_list(actor=actor, open_only=True)[:50]),
        "warnings": list(_warnings(actor)[:50]),
        "overdue_dangers": list(open_dangers.filter(overdue=True)[:50]),
        "major_dangers": open_dangers.filter(level=HiddenDanger.Level.MAJOR).count(),
        "open_dangers": open_dangers.count(),
        "drill_warnings": _drill_warnings(actor, today),
        "supply_warnings": _supply_warnings(actor, today),
        "inspections_overdue": _inspections_overdue(actor, today),
        "lifelines": _lifeline_board(actor),
    }


def incident_shelters(
    *, actor: Actor, incident: Incident, people: int = 1, limit: int = 5
) -> list[ShelterHit]:
    """Open shelters nearest to an incident the actor may view (`incident_get`), with room for `people`."""
    return _nearest_shelters(actor, incident.lon, incident.lat, max(1, people), limit, None)


def incident_situation(*, actor: Actor, incident: Incident) -> dict[str, Any]:
    """What the incident page shows around an incident the actor may view (`incident_get`): the nearest
    open shelters, the warehouses and their usable stock, hazard sources nearby (about ±11 km), and the
    lifelines of its district."""
    return {
        "shelters": incident_shelters(actor=actor, incident=incident),
        "warehouses": list(warehouse_list(actor=actor)),
        "hazard_sources": [
            source
            for source in _hazard_sources(actor)
            if abs(source.lat - incident.lat) < 0.1 and abs(source.lon - incident.lon) < 0.13
        ],
        "stock": [row for row in _stock_levels(actor) if row["usable"] > 0],
        "lifelines": _lifeline_board(actor, incident.area_code[:6]),
    }
