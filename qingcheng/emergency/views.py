"""Pages of emergency management in the shared shell; thin: selectors to read, services to write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingcheng.accounts.models import Department
from qingcheng.accounts.selectors import units_covering
from qingcheng.core.access import has_permission, page_permission
from qingcheng.core.errors import DomainError, NotFound

from . import selectors, services
from .models import (
    EmergencyPlan,
    EmergencyWarning,
    HiddenDanger,
    Incident,
    IncidentTask,
    LifelineStatus,
    Shelter,
    SupplyItem,
)
from .workflow import danger_actions_from, incident_actions_from

VIEW = "emergency.view_incident"


def _ctx(**extra: Any) -> dict[str, Any]:
    return {"nav_active": "emergency", **extra}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def _map_point(kind: str, obj: Any, label: str, extra: str = "") -> dict[str, Any]:
    return {"kind": kind, "lon": obj.lon, "lat": obj.lat, "label": label, "extra": extra}


@page_permission(VIEW)
def home(request: HttpRequest) -> HttpResponse:
    data = selectors.overview(actor=request.user)
    return render(request, "emergency/home.html", _ctx(tab="home", **data))


# ---------------------------------------------------------------------------------------- incidents


@page_permission(VIEW)
def incident_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _incident_create(request)
    return render(
        request,
        "emergency/incident_list.html",
        _ctx(
            tab="incidents",
            incidents=selectors.incident_list(actor=request.user)[:200],
            categories=Incident.Category.choices,
            grades=Incident.Grade.choices,
            can_report=has_permission(request.user, "emergency.add_incident"),
            default_area=request.user.area_code,
        ),
    )


def _incident_create(request: HttpRequest) -> HttpResponse:
    post = request.POST
    created: list[Incident] = []

    def act() -> None:
        try:
            lon, lat = float(post.get("lon", "")), float(post.get("lat", ""))
        except ValueError:
            raise DomainError("invalid_coordinates", "经纬度无效", "invalid coordinates") from None
        created.append(
            services.incident_report(
                actor=request.user,
                title=post.get("title", ""),
                category=post.get("category", ""),
                grade=post.get("grade", ""),
                area_code=post.get("area_code", "") or request.user.area_code,
                lon=lon,
                lat=lat,
                description=post.get("description", ""),
                address=post.get("address", ""),
            )
        )

    if _run(request, act, _("Incident recorded.")):
        return redirect("emergency-incident", pk=created[0].pk)
    return redirect("emergency-incidents")


@page_permission(VIEW)
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        incident = selectors.incident_get(actor=request.user, pk=pk)
    except NotFound:
        return render(request, "emergency/not_found.html", _ctx(), status=404)
    user = request.user
    around = selectors.incident_situation(actor=user, incident=incident)
    points = [_map_point("incident", incident, incident.title, incident.get_grade_display())]
    points += [_map_point("shelter", h.shelter, h.shelter.name, f"{h.free}") for h in around["shelters"]]
    points += [_map_point("warehouse", w, w.name) for w in around["warehouses"]]
    points += [_map_point("hazard", s, s.name, s.risk_colour) for s in around["hazard_sources"]]
    return render(
        request,
        "emergency/incident_detail.html",
        _ctx(
            tab="incidents",
            incident=incident,
            actions=[t.action for t in incident_actions_from(incident.status)],
            can_command=has_permission(user, "emergency.command_incident"),
            can_warn=has_permission(user, "emergency.issue_warning"),
            can_dispatch=has_permission(user, "emergency.dispatch_supplies"),
            warnings=incident.warnings.order_by("-issued_at"),
            responses=incident.responses.order_by("started_at"),
            tasks=incident.tasks.select_related("department"),
            events=incident.events.select_related("actor").order_by("-at", "-id")[:50],
            dispatched=selectors.dispatched_totals(incident=incident),
            shelters=around["shelters"],
            stock=around["stock"],
            departments=units_covering(incident.area_code).order_by("area_code", "code")[:200],
            lifelines=around["lifelines"],
            lifeline_kinds=LifelineStatus.Kind.choices,
            lifeline_states=LifelineStatus.State.choices,
            can_lifeline=has_permission(user, "emergency.change_lifelinestatus"),
            levels=EmergencyWarning.Level.choices,
            map_points=points,
        ),
    )


@require_POST
@page_permission(VIEW)
def incident_action(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        incident = selectors.incident_get(actor=user, pk=pk)
    except NotFound:
        return render(request, "emergency/not_found.html", _ctx(), status=404)
    post = request.POST
    op = post.get("op", "")
    if op == "warning":
        _run(
            request,
            lambda: services.warning_issue(
                actor=user,
                incident=incident,
                category=post.get("category", ""),
                level=_int(post.get("level")),
                affected_area=post.get("affected_area", ""),
                advice=post.get("advice", ""),
                measures=post.get("measures", ""),
                issuer=post.get("issuer", ""),
            ),
            _("Warning issued."),
        )
    elif op == "lift_warning":
        warning = incident.warnings.filter(pk=_int(post.get("warning"))).first()
        if warning is not None:
            _run(request, lambda: services.warning_lift(actor=user, warning=warning), _("Warning lifted."))
    elif op in {"start_response", "adjust_response", "end_response", "close"}:
        _run(
            request,
            lambda: services.incident_act(
                actor=user,
                incident=incident,
                action=op,
                level=_int(post.get("level")),
                matters=post.get("matters", ""),
                measures=post.get("measures", ""),
                expected_hours=_int(post.get("expected_hours")) if post.get("expected_hours") else None,
                reason=post.get("reason", ""),
            ),
            _("Saved."),
        )
    elif op == "dispatch":
        warehouse = selectors.warehouse_list(actor=user).filter(pk=_int(post.get("warehouse"))).first()
        item = SupplyItem.objects.filter(pk=_int(post.get("item"))).first()
        if warehouse is None or item is None:
            messages.error(request, _("Choose a warehouse and an item."))
        else:
            _run(
                request,
                lambda: services.supplies_dispatch(
                    actor=user,
                    incident=incident,
                    warehouse=warehouse,
                    item=item,
                    quantity=_int(post.get("quantity")),
                    note=post.get("note", ""),
                ),
                _("Supplies dispatched."),
            )
    elif op == "task":
        # Any active unit by id: the service refuses (400 outside_area) one that does not cover the incident.
        department = Department.objects.filter(is_active=True, pk=_int(post.get("department")))
        _run(
            request,
            lambda: services.incident_task_assign(
                actor=user,
                incident=incident,
                department=department.first(),
                description=post.get("description", ""),
                due_hours=_int(post.get("due_hours")) if post.get("due_hours") else None,
            ),
            _("Task assigned."),
        )
    elif op == "task_done":
        task = IncidentTask.objects.filter(incident=incident, pk=_int(post.get("task"))).first()
        if task is not None:
            _run(request, lambda: services.incident_task_done(actor=user, task=task), _("Task done."))
    elif op == "lifeline":
        _run(
            request,
            lambda: services.lifeline_set(
                actor=user,
                area_code=incident.area_code,
                kind=post.get("kind", ""),
                state=post.get("state", ""),
                note=post.get("note", ""),
            ),
            _("Lifeline status saved."),
        )
    else:
        messages.error(request, _("Unknown action."))
    return redirect("emergency-incident", pk=incident.pk)


# ---------------------------------------------------------------------------------------- registers


@page_permission("emergency.view_hazardsource")
def hazard_sources(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.hazard_source_list(actor=request.user))
    for row in rows:
        row.inspection_due = selectors.inspection_due(row)
    overdue = {s.pk for s in selectors.inspections_overdue(actor=request.user)}
    return render(
        request, "emergency/hazard_sources.html", _ctx(tab="hazards", sources=rows, overdue=overdue)
    )


@page_permission("emergency.view_hiddendanger")
def hidden_dangers(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    overdue = True if request.GET.get("overdue") == "1" else None
    rows = selectors.hidden_danger_list(actor=request.user, status=status, overdue=overdue)[:300]
    return render(
        request,
        "emergency/hidden_dangers.html",
        _ctx(
            tab="dangers",
            dangers=rows,
            statuses=HiddenDanger.Status.choices,
            status=status or "",
            overdue=overdue,
        ),
    )


@page_permission("emergency.view_hiddendanger")
def hidden_danger_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        danger = selectors.hidden_danger_get(actor=user, pk=pk)
    except NotFound:
        return render(request, "emergency/not_found.html", _ctx(), status=404)
    if request.method == "POST":
        action = request.POST.get("action", "")
        _run(
            request,
            lambda: services.hidden_danger_act(
                actor=user,
                danger=danger,
                action=action,
                note=request.POST.get("note", ""),
                extra_days=_int(request.POST.get("extra_days")),
                expected_version=_int(request.POST.get("version")),
            ),
            _("Saved."),
        )
        return redirect("emergency-hidden-danger", pk=danger.pk)
    actions = [t for t in danger_actions_from(danger.status) if has_permission(user, t.permission)]
    return render(
        request,
        "emergency/hidden_danger_detail.html",
        _ctx(tab="dangers", danger=danger, actions=actions, events=danger.events.select_related("actor")),
    )


@page_permission("emergency.view_emergencyplan")
def plans(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.plan_list(actor=request.user).prefetch_related("drills", "revisions"))
    for row in rows:
        row.drill_due = selectors.drill_due(row)
    return render(
        request,
        "emergency/plans.html",
        _ctx(
            tab="plans",
            plans=rows,
            warnings=selectors.drill_warnings(actor=request.user),
            today=dt.date.today(),
            kinds=EmergencyPlan.Kind.choices,
        ),
    )


@page_permission("emergency.view_shelter")
def shelters(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = list(selectors.shelter_list(actor=user))
    hits = None
    lon, lat = request.GET.get("lon"), request.GET.get("lat")
    if lon and lat:
        try:
            hits = selectors.shelters_nearest(
                actor=user, lon=float(lon), lat=float(lat), people=_int(request.GET.get("people")) or 1
            )
        except (ValueError, DomainError):
            messages.error(request, _("Invalid coordinates."))
    points = [_map_point("shelter", s, s.name, f"{s.capacity - s.occupancy}") for s in rows]
    return render(
        request,
        "emergency/shelters.html",
        _ctx(tab="shelters", shelters=rows, hits=hits, map_points=points, statuses=Shelter.Status.choices),
    )


@page_permission("emergency.view_stocklot")
def supplies(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "emergency/supplies.html",
        _ctx(
            tab="supplies",
            levels=selectors.stock_levels(actor=request.user),
            warnings=selectors.supply_warnings(actor=request.user),
            warehouses=selectors.warehouse_list(actor=request.user),
        ),
    )
