"""Reads of the case loop, always inside the actor's scope (or the actor's unit's cases)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from qingcheng.core import clock
from qingcheng.core.access import Actor, has_permission, require_permission
from qingcheng.core.errors import NotFound, ValidationFailed
from qingcheng.core.masking import mask_name, mask_personal_data, mask_phone, person_label, personal_text
from qingcheng.core.scope import actor_scope, digit_prefix_q
from qingcheng.geo.geometry import METRES_PER_DEGREE_LAT, distance_m, metres_per_degree_lon
from qingcheng.geo.selectors import responsible_parties

from .models import Case, CaseEvent, CaseTask, Notification
from .workflow import HANDLING_STATES, OPEN_STATES, actions_from

if TYPE_CHECKING:
    from qingcheng.accounts.models import User

# Channels (来源) grouped by what the case loop does with them: machines report without a person, the
# public may report anonymously, and these sources are called back (回访) before a case is closed.
MACHINE_SOURCES = {Case.Source.SENSOR, Case.Source.VIDEO}
PUBLIC_SOURCES = {Case.Source.PUBLIC, Case.Source.OPEN311}
CALLBACK_SOURCES = {
    Case.Source.HOTLINE_12319,
    Case.Source.HOTLINE_12345,
    Case.Source.POLICE_110,
    *PUBLIC_SOURCES,
}

# "Due soon" is the last day before the handling deadline, measured in clock time for a stable queue.
DUE_SOON = timedelta(hours=24)


# ------------------------------------------------------------------ what the counters count
#
# One definition for every screen (workbenches, case list and API, command centre, demo summary):
# - overdue now (超期): in a handling state (HANDLING_STATES: the unit's clock runs) and past the handling
#   deadline. It is computed from the deadline, so it is right between two runs of the sweep, and a case
#   stops being overdue when it leaves the handling states (feedback, parked, closed).
# - in progress (在办): in an open state of the workflow (OPEN_STATES), from report to closure.
# - due soon: in a handling state, the deadline within DUE_SOON and not yet passed.
# The `Case.overdue` flag is something else: the mark that this handling round went late. The sweep sets it
# when it notifies the unit (the escalation to 督办 waits for it), and so does a handling clock started
# already past; approving a return clears it and an approved extension recomputes it; it stays set after
# the unit hands back feedback. It drives the sweep and records history; screens that count or show overdue
# cases use `overdue_now_q` / `is_overdue_now` ("Overdue now", 当前超期). The GB/T 30428.4 indicator
# 超期案卷数 (evaluation.indicators) is a third measure, of the cases of an evaluation period.


def overdue_now_q(now: datetime) -> Q:
    """Cases overdue now (超期): in a handling state and past their handling deadline."""
    return Q(status__in=HANDLING_STATES, handle_due_at__lt=now)


def in_progress_q() -> Q:
    """Cases in progress (在办): in an open state, reported and not yet closed, cancelled or merged."""
    return Q(status__in=OPEN_STATES)


def due_soon_q(now: datetime) -> Q:
    """Cases in a handling state whose deadline falls within DUE_SOON and has not passed."""
    return Q(status__in=HANDLING_STATES, handle_due_at__gte=now, handle_due_at__lt=now + DUE_SOON)


def is_overdue_now(case: Case, now: datetime | None = None) -> bool:
    """`overdue_now_q` for one case already loaded (a row of a list, a badge)."""
    now = now or clock.now()
    return case.status in HANDLING_STATES and case.handle_due_at is not None and case.handle_due_at < now


def find_duplicates(
    case: Case, *, radius_m: float | None = None, window: timedelta | None = None
) -> list[Case]:
    """Open cases of the same subclass within `radius_m` and the time window, nearest first."""
    radius_m = settings.CASE_DUPLICATE_RADIUS_M if radius_m is None else radius_m
    window = window or timedelta(hours=settings.CASE_DUPLICATE_WINDOW_HOURS)
    dlon = radius_m / metres_per_degree_lon(case.lat)
    dlat = radius_m / METRES_PER_DEGREE_LAT
    candidates = (
        Case.objects.filter(
            category=case.category,
            status__in=OPEN_STATES,
            lon__gte=case.lon - dlon,
            lon__lte=case.lon + dlon,
            lat__gte=case.lat - dlat,
            lat__lte=case.lat + dlat,
            reported_at__gte=case.reported_at - window,
            reported_at__lte=case.reported_at + window,
        )
        .exclude(pk=case.pk)
        .order_by()
        .only("id", "number", "lon", "lat", "status", "reported_at")
    )
    near = [(distance_m(case.lon, case.lat, c.lon, c.lat), c) for c in candidates]
    return [c for d, c in sorted(near, key=lambda item: (item[0], item[1].pk)) if d <= radius_m]


def suggested_unit_id(grid_code: str, category_code: str) -> int | None:
    """The handling unit the responsibility table names first for this subclass in this grid (the
    dispatcher's suggestion, 建议处置单位); None where it names no unit."""
    departments = [p for p in responsible_parties(grid_code, category_code) if p.department_id]
    return departments[0].department_id if departments else None


def field_beat_code(case: Case) -> str:
    """The supervision beat (监督责任区) whose supervisors take the case's field tasks; "" outside every beat."""
    from qingcheng.geo import spatial

    return spatial.get_index().beat_of_grid.get(case.grid_code, "")


def beat_supervisor(beat_code: str) -> User | None:
    """The first active supervisor of a beat, who gets a field task when its sender names nobody (None: no
    beat or nobody on it; any supervisor in the area may take the task)."""
    from qingcheng.geo.models import SupervisionBeat

    beat = SupervisionBeat.objects.filter(code=beat_code).first() if beat_code else None
    return beat.supervisors.filter(is_active=True).order_by("pk").first() if beat is not None else None


def _visible(actor: Actor) -> Q:
    """Cases located in the actor's area, plus cases dispatched to the actor's unit (a city department's
    handler may sit outside the district of the case)."""
    scope = actor_scope(actor)
    if scope is None:
        return Q(pk__in=[])
    condition = Q() if scope == "" else digit_prefix_q("grid_code", scope)
    if getattr(actor, "department_id", None):
        condition |= Q(owner_department_id=actor.department_id)
    return condition


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment


def case_list(
    *,
    actor: Actor,
    status: list[str] | None = None,
    source: str | None = None,
    category: str | None = None,
    area: str | None = None,
    number: str | None = None,
    overdue: bool | None = None,
    supervised: bool | None = None,
    mine: bool = False,
    reported_from: datetime | None = None,
    reported_to: datetime | None = None,
) -> QuerySet[Case]:
    require_permission(actor, "cases.view_case")
    qs = Case.objects.filter(_visible(actor)).select_related("category", "owner_department")
    if status:
        qs = qs.filter(status__in=status)
    if source:
        qs = qs.filter(source=source)
    if category:
        qs = qs.filter(category__code__startswith=category)
    if area:
        if not area.isdigit():
            raise ValidationFailed(
                "区域须为数字区划或网格编码", "area must be a numeric division or grid code", field="area"
            )
        qs = qs.filter(digit_prefix_q("grid_code", area))
    if number:
        qs = qs.filter(number__startswith=number)
    if overdue is not None:  # overdue now, not the sweep's flag (see overdue_now_q)
        late = overdue_now_q(clock.now())
        qs = qs.filter(late) if overdue else qs.exclude(late)
    if supervised is not None:
        qs = qs.filter(supervised=supervised)
    if mine and getattr(actor, "department_id", None):
        qs = qs.filter(owner_department_id=actor.department_id)
    # In UTC: PostgreSQL refuses UTC offsets beyond ±15:59, which Python (and so the API) accepts.
    if reported_from:
        qs = qs.filter(reported_at__gte=_utc(reported_from))
    if reported_to:
        qs = qs.filter(reported_at__lt=_utc(reported_to))
    return qs.order_by("-reported_at", "-pk")


def case_get(*, actor: Actor, case_id: int | None = None, number: str | None = None) -> Case:
    qs = Case.objects.filter(_visible(actor)).select_related("category", "owner_department", "merged_into")
    case = qs.filter(pk=case_id).first() if case_id is not None else qs.filter(number=number).first()
    # Without the permission the case answers like a missing one, as out of scope does.
    if case is None or not has_permission(actor, "cases.view_case"):
        raise NotFound("案卷", "case")
    return case


def case_timeline(*, case: Case) -> list[CaseEvent]:
    return list(case.events.select_related("actor").order_by("seq"))


def event_actor_label(event: CaseEvent, *, viewer: Actor) -> str:
    """Who took the step, as `viewer` may see it (`core.masking.person_label`: never a login name unless the
    viewer manages accounts). A deleted user's stored label may be a login name, so it is not shown."""
    if event.actor is not None:
        return person_label(event.actor, viewer=viewer)
    return gettext("system") if event.actor_label in ("", "system") else gettext("Staff member")


def sees_personal_data(actor: Actor) -> bool:
    """Whether the actor sees reporters' personal data whole: in their fields and in the free text of
    cases, notes and work orders (where callers and reporters name phone and ID numbers)."""
    return has_permission(actor, "cases.view_personal_case")


def personal_text_for(actor: Actor) -> Callable[[str], str]:
    """Free text as the actor may read it: whole with the permission, else through mask_personal_text."""
    return personal_text(sees_personal_data(actor))


def personal_data_for(actor: Actor, value: Any) -> Any:
    """A JSON-like value (a timeline entry's data, a pending request) as the actor may read it."""
    return value if sees_personal_data(actor) else mask_personal_data(value)


def case_reporters(*, actor: Actor, case: Case) -> list[dict[str, Any]]:
    see = sees_personal_data(actor)
    return [
        {
            "channel": r.channel,
            "name": r.name if see else mask_name(r.name),
            "phone": r.phone if see else mask_phone(r.phone),
            "anonymous": r.anonymous,
            "external_number": r.external_number,
            "original_case_number": r.original_case_number,
        }
        for r in case.reporters.order_by("pk")
    ]


def allowed_actions(*, actor: Actor, case: Case) -> list[str]:
    """The actions this user may take on this case now (the buttons to show)."""
    from qingcheng.accounts.selectors import is_unit_member

    result = []
    for transition in actions_from(case.status):
        if not has_permission(actor, transition.permission):
            continue
        if transition.unit_bound and not is_unit_member(actor, case.owner_department):
            continue
        if (
            transition.action == "approve_extension"
            and case.extension_count >= 1
            and not has_permission(actor, "cases.approve_second_extension_case")
        ):
            continue
        result.append(transition.action)
    return result


def tasks_for(*, actor: Actor, open_only: bool = True) -> QuerySet[CaseTask]:
    """Field tasks of a supervisor: assigned to them, or unassigned in their area."""
    scope = actor_scope(actor)
    if scope is None:
        return CaseTask.objects.none()
    qs = CaseTask.objects.select_related("case", "case__category").filter(
        Q(assignee=actor)
        | (Q(assignee__isnull=True) & (Q() if scope == "" else digit_prefix_q("case__grid_code", scope)))
    )
    if open_only:
        qs = qs.filter(done_at__isnull=True)
    return qs.order_by("due_at", "pk")


def notifications_for(*, actor: Actor, unread_only: bool = True) -> QuerySet[Notification]:
    condition = Q(user=actor)
    if getattr(actor, "department_id", None):
        condition |= Q(department_id=actor.department_id)
    qs = Notification.objects.filter(condition)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at")
