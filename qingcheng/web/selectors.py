"""Reads behind the pages: the home page, the workbench queues and the case page. Every case read goes
through cases.selectors, which applies the user's area scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from qingcheng.accounts.models import Department, User
from qingcheng.accounts.roles import ROLES_BY_KEY
from qingcheng.accounts.selectors import units_covering
from qingcheng.cases import selectors as case_selectors
from qingcheng.cases.catalogue import current_version
from qingcheng.cases.models import Case, CaseCategory, CaseEvent, CasePhoto
from qingcheng.cases.selectors import find_duplicates
from qingcheng.cases.workflow import ACTIONS, OPEN_STATES
from qingcheng.core.access import Actor, has_permission, is_in_scope
from qingcheng.core.errors import NotFound
from qingcheng.core.masking import person_label
from qingcheng.geo.models import Responsibility

from .case_actions import ACTION_FORMS
from .queues import QUEUES_BY_KEY, Queue, apply_queue, queues_for

PAGE_SIZE = 25


def home_context(user: Actor, language: str) -> dict[str, Any]:
    english = language.startswith("en")
    roles = []
    for name in user.groups.values_list("name", flat=True):
        role = ROLES_BY_KEY.get(name)
        if role is not None:
            roles.append(
                {
                    "key": role.key,
                    "label": role.name_en if english else role.name_zh,
                    "description": role.description_en,
                }
            )
    return {
        "roles": roles,
        "warnings": admin_warnings(user),
        "queues": queue_counts(user) if has_permission(user, "cases.view_case") else [],
    }


def admin_warnings(user: Actor) -> list[str]:
    from qingcheng.core.templatetags.qingcheng_core import calendar_warnings_for

    return calendar_warnings_for(user)


# ---------------------------------------------------------------------- workbench


@dataclass
class QueueCount:
    queue: Queue
    count: int


def queue_counts(user: Actor) -> list[QueueCount]:
    visible = case_selectors.case_list(actor=user)
    return [QueueCount(q, apply_queue(visible, q, user).count()) for q in queues_for(user)]


@dataclass
class CaseFilters:
    """Search and filters of a case list (number, subclass, area, status, report date, overdue)."""

    number: str = ""
    category: str = ""
    area: str = ""
    status: str = ""
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    overdue: bool | None = None

    @property
    def active(self) -> bool:
        return any(
            [
                self.number,
                self.category,
                self.area,
                self.status,
                self.reported_from,
                self.reported_to,
                self.overdue is not None,
            ]
        )


def filtered_cases(user: Actor, filters: CaseFilters, queue: Queue | None = None) -> QuerySet[Case]:
    qs = case_selectors.case_list(
        actor=user,
        status=[filters.status] if filters.status else None,
        category=filters.category or None,
        area=filters.area or None,
        number=filters.number or None,
        overdue=filters.overdue,
        reported_from=filters.reported_from,
        reported_to=filters.reported_to,
    )
    if queue is not None:
        qs = apply_queue(qs, queue, user)
        qs = qs.order_by("handle_due_at", "reported_at", "pk") if "due" in queue.columns else qs
    return qs.select_related("category", "owner_department", "suggested_department")


def case_page(
    user: Actor, filters: CaseFilters, queue_key: str | None, page_number: str | int | None
) -> Page:
    queue = QUEUES_BY_KEY.get(queue_key or "")
    return Paginator(filtered_cases(user, filters, queue), PAGE_SIZE).get_page(page_number)


def queue_get(user: Actor, key: str | None) -> Queue | None:
    queue = QUEUES_BY_KEY.get(key or "")
    if queue is None or not has_permission(user, queue.permission):
        return None
    return queue


def subclasses() -> list[CaseCategory]:
    version = current_version()
    if version is None:
        return []
    return [
        c
        for c in CaseCategory.objects.filter(version=version, active=True)
        .select_related("parent")
        .order_by("code")
        if c.is_subclass
    ]


# ---------------------------------------------------------------------- the case page

ACTION_LABELS_ZH = {
    "report": "上报",
    "merge_in": "合并转入",
    "overdue": "超期",
    "comment": "报告人补充",
    **{a: t.label_zh for a, t in ACTIONS.items()},
}


def case_detail(user: Actor, number: str) -> dict[str, Any]:
    case = case_selectors.case_get(actor=user, number=number)
    allowed = case_selectors.allowed_actions(actor=user, case=case)
    events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("seq"))
    photos = list(CasePhoto.objects.filter(case=case).order_by("pk"))
    context: dict[str, Any] = {
        "case": case,
        "events": [
            (e, ACTION_LABELS_ZH.get(e.action, e.action), case_selectors.event_actor_label(e, viewer=user))
            for e in events
        ],
        "photos": photos,
        "before_photos": [p for p in photos if p.kind == "before"],
        "after_photos": [p for p in photos if p.kind in ("after", "check")],
        "reporters": case_selectors.case_reporters(actor=user, case=case),
        "see_personal": case_selectors.sees_personal_data(user),
        "actions": [(a, ACTION_FORMS[a]) for a in allowed if a in ACTION_FORMS],
        "open": case.status in OPEN_STATES,
        "tasks": [
            (t, person_label(t.assignee, viewer=user))
            for t in case.tasks.select_related("assignee").order_by("pk")
        ],
    }
    if {"open", "merge"} & set(allowed):
        context["subclasses"] = subclasses()
    if "merge" in allowed or case.status in (Case.Status.REPORTED, Case.Status.VERIFIED):
        context["duplicates"] = find_duplicates(case) if case.category_id else []
        context["duplicate_points"] = [
            {"number": d.number, "lon": d.lon, "lat": d.lat} for d in context["duplicates"]
        ]
    if "dispatch" in allowed:
        context["departments"] = dispatch_departments(user, case)
        context["suggestion"] = suggestion_reason(case)
    if {"send_verification", "send_check"} & set(allowed):
        context["supervisors"] = [(u, person_label(u, viewer=user)) for u in supervisors_for(case)]
    return context


def dispatch_departments(user: Actor, case: Case) -> list[Department]:
    """Units the dispatcher may choose: those whose area covers the case (`core.scope.area_covers`, the
    rule the dispatch service enforces), the suggested unit first."""
    units = list(units_covering(case.grid_code).order_by("area_code", "code"))
    units.sort(key=lambda d: d.pk != case.suggested_department_id)
    return units


def suggestion_reason(case: Case) -> str:
    """Why the suggested unit: the responsibility rule that named it (权责清单), or the street fallback."""
    if case.suggested_department_id is None:
        return _("No unit is responsible for this subclass here; choose one.")
    category = case.category.code if case.category else ""
    rules = [
        r
        for r in Responsibility.objects.filter(department_id=case.suggested_department_id)
        if case.grid_code.startswith(r.area_code) and category.startswith(r.matter_type)
    ]
    if not rules:
        return _("The street office answers for its own area when no department is named (属地兜底).")
    rule = max(rules, key=lambda r: (len(r.matter_type), len(r.area_code)))
    return _("Responsibility list: area %(area)s, matters %(matter)s → %(unit)s") % {
        "area": rule.area_code,
        "matter": rule.matter_type or _("all"),
        "unit": case.suggested_department.name if case.suggested_department else "",
    }


def supervisors_for(case: Case) -> list[User]:
    """Supervisors whose area contains the case, the only ones a field task may be given to."""
    return [
        u
        for u in User.objects.filter(groups__name="supervisor", is_active=True).order_by("display_name", "pk")
        if is_in_scope(u, case.grid_code)
    ]


def case_photo(user: Actor, number: str, photo_id: int) -> CasePhoto:
    case = case_selectors.case_get(actor=user, number=number)
    photo = CasePhoto.objects.filter(case=case, pk=photo_id).first()
    if photo is None:
        raise NotFound("照片", "photo")
    return photo


# ---------------------------------------------------------------------- the field app


def field_app_context(user: Actor) -> dict[str, Any]:
    """The supervisor's beats (grid codes and the box around them) and the subclass picker."""
    from django.db.models import Max, Min

    from qingcheng.geo.models import SupervisionBeat, UnitGrid

    beats = list(SupervisionBeat.objects.filter(supervisors=user).order_by("code"))
    codes = sorted({code for beat in beats for code in beat.grid_codes})
    box = UnitGrid.objects.filter(code__in=codes, valid_to__isnull=True).aggregate(
        min_lon=Min("min_lon"), min_lat=Min("min_lat"), max_lon=Max("max_lon"), max_lat=Max("max_lat")
    )
    return {
        "beats": beats,
        "beat_grids": codes,
        "beat_box": [box["min_lon"], box["min_lat"], box["max_lon"], box["max_lat"]]
        if box["min_lon"] is not None
        else None,
        "subclasses": subclasses(),
    }


def public_districts() -> dict[str, Any]:
    from qingcheng.geo.models import AdminArea
    from qingcheng.geo.selectors import areas_as_geojson

    return areas_as_geojson(AdminArea.objects.filter(level="district").exclude(geometry="").order_by("code"))
