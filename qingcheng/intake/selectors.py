"""Reads of the intake channels: a supervisor's field tasks, hotline orders (in the actor's area), the
public view of a case (by number and tracking secret) and the dedupe lookup of machine events."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Max, Q, QuerySet

from qingcheng.cases.models import Case, CaseCategory, CaseEvent, CasePhoto, CaseTask
from qingcheng.cases.selectors import sees_personal_data
from qingcheng.cases.workflow import ACTIONS, OPEN_STATES
from qingcheng.core.access import Actor, get_visible_or_404, has_permission, require_permission
from qingcheng.core.errors import NotFound
from qingcheng.core.grants import proof_matches
from qingcheng.core.masking import mask_name, mask_personal_text, mask_phone
from qingcheng.core.scope import actor_scope, digit_prefix_q, scope_queryset
from qingcheng.geo.geometry import METRES_PER_DEGREE_LAT, distance_m, metres_per_degree_lon

from .models import HotlineOrder, PublicRating

# ---------------------------------------------------------------------- supervisors


def _task_pool(actor: Actor) -> Q:
    """Tasks assigned to the actor, and unassigned open tasks of cases in the actor's area."""
    scope = actor_scope(actor)
    if scope is None:
        return Q(pk__in=[])
    in_area = Q() if scope == "" else digit_prefix_q("case__grid_code", scope)
    return Q(assignee=actor) | (Q(assignee__isnull=True, done_at__isnull=True) & in_area)


def supervisor_tasks(*, actor: Actor, kind: str | None = None) -> QuerySet[CaseTask]:
    """My open verification (核实) and check (核查) tasks, the most urgent first."""
    require_permission(actor, "cases.field_task_case")
    qs = (
        CaseTask.objects.filter(_task_pool(actor), done_at__isnull=True)
        .select_related("case", "case__category")
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def supervisor_task_get(*, actor: Actor, task_id: int, for_update: bool = False) -> CaseTask:
    qs = CaseTask.objects.filter(_task_pool(actor), pk=task_id)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    task = qs.first()
    if task is None:
        raise NotFound("任务", "task")
    return task


# ---------------------------------------------------------------------- hotline


def hotline_orders(
    *,
    actor: Actor,
    status: str | None = None,
    channel: str | None = None,
    kind: str | None = None,
    number: str | None = None,
) -> QuerySet[HotlineOrder]:
    require_permission(actor, "intake.view_hotlineorder")
    qs = scope_queryset(HotlineOrder.objects.select_related("case"), actor)
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if kind:
        qs = qs.filter(kind=kind)
    if number:
        qs = qs.filter(Q(number__startswith=number) | Q(external_number=number))
    return qs


def hotline_order_get(*, actor: Actor, order_id: int, for_update: bool = False) -> HotlineOrder:
    require_permission(actor, "intake.view_hotlineorder")
    qs = HotlineOrder.objects.select_for_update() if for_update else HotlineOrder.objects.all()
    return get_visible_or_404(qs, actor, what_zh="工单", what_en="work order", pk=order_id)


def takes_hotline_orders(actor: Actor) -> bool:
    """Whether the actor registers calls and work orders at the hotline desk (热线受理), not only reads them."""
    return has_permission(actor, "intake.take_hotline_order")


def hotline_caller(*, actor: Actor, order: HotlineOrder) -> dict[str, str]:
    """The caller's name and phone, masked unless the actor may see reporters' personal data."""
    if sees_personal_data(actor):
        return {"caller_name": order.caller_name, "caller_phone": order.caller_phone}
    return {"caller_name": mask_name(order.caller_name), "caller_phone": mask_phone(order.caller_phone)}


# ---------------------------------------------------------------------- the public


def public_case(*, number: str, secret: str = "", proof: str = "", for_update: bool = False) -> Case:
    """The case behind a tracking number and its secret, or the proof of a grant made when the secret
    was shown (core.grants: the public site's photos load without the secret in their URLs). A wrong or
    missing secret is answered exactly like an unknown number, so numbers cannot be probed."""
    qs = Case.objects.filter(number=(number or "")[:20]).select_related("category", "merged_into")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    case = qs.first() if number and (secret or proof) else None
    stored = case.public_tracking_hash if case is not None else ""
    if secret:
        ok = bool(stored) and hmac.compare_digest(stored, hashlib.sha256(secret.encode()).hexdigest())
    else:
        ok = proof_matches(proof, stored)
    if case is None or not ok:
        raise NotFound("案卷", "case")
    return case


ACTION_LABELS_ZH = {"report": "上报", **{a: t.label_zh for a, t in ACTIONS.items()}}


def public_view(*, case: Case) -> dict[str, Any]:
    """What the reporter may see: status, public timeline entries and public photo copies; nobody's
    personal data. A merged report shows the case it was merged into."""
    effective = case.merged_into if case.merged_into_id else case
    events = CaseEvent.objects.filter(case=case, public=True)
    if effective.pk != case.pk:
        events = events | CaseEvent.objects.filter(case=effective, public=True)
    timeline = [
        {
            "at": e.at,
            "action": e.action,
            "action_label": ACTION_LABELS_ZH.get(e.action, e.action),
            "status": e.to_status,
            "status_label": str(Case.Status(e.to_status).label) if e.to_status in Case.Status.values else "",
            "note": mask_personal_text(e.note or str((e.data or {}).get("reason", ""))),
        }
        for e in events.order_by("at", "pk")
    ]
    photos = [
        {"id": p.pk, "kind": p.kind, "width": p.width, "height": p.height}
        for p in CasePhoto.objects.filter(case__in={case.pk, effective.pk})
        .exclude(public_path="")
        .order_by("pk")
    ]
    rating = PublicRating.objects.filter(case=effective).first()
    category: CaseCategory | None = effective.category
    return {
        "number": case.number,
        "status": effective.status,
        "status_label": str(Case.Status(effective.status).label),
        "merged": effective.pk != case.pk,
        "category_code": category.code if category else None,
        "category_name": category.name if category else None,
        "address": mask_personal_text(case.address),
        "reported_at": case.reported_at,
        "closed_at": effective.closed_at,
        "timeline": timeline,
        "photos": photos,
        "can_rate": rating is None and effective.status == Case.Status.CLOSED,
        "rating": rating.score if rating else None,
    }


def public_photo(*, case: Case, photo_id: int) -> CasePhoto:
    effective_ids = {case.pk, case.merged_into_id} - {None}
    photo = CasePhoto.objects.filter(pk=photo_id, case_id__in=effective_ids).exclude(public_path="").first()
    if photo is None:
        raise NotFound("照片", "photo")
    return photo


# ---------------------------------------------------------------------- machines


def machine_dedupe_target(*, category: CaseCategory, lon: float, lat: float, at: datetime) -> Case | None:
    """The nearest open case of `category` within CASE_DUPLICATE_RADIUS_M whose report or latest machine
    event lies within MACHINE_DEDUPE_WINDOW_MINUTES of `at` (a sliding window: a problem the camera keeps
    seeing stays one case while it is open)."""
    radius = settings.CASE_DUPLICATE_RADIUS_M
    window = timedelta(minutes=getattr(settings, "MACHINE_DEDUPE_WINDOW_MINUTES", 60))
    dlon = radius / metres_per_degree_lon(lat)
    dlat = radius / METRES_PER_DEGREE_LAT
    candidates = (
        Case.objects.filter(
            category=category,
            status__in=OPEN_STATES,
            lon__gte=lon - dlon,
            lon__lte=lon + dlon,
            lat__gte=lat - dlat,
            lat__lte=lat + dlat,
        )
        .annotate(last_event=Max("machine_events__occurred_at"))
        .filter(
            Q(reported_at__gte=at - window, reported_at__lte=at + window)
            | Q(last_event__gte=at - window, last_event__lte=at + window)
        )
        .only("id", "number", "lon", "lat", "status", "reported_at")
    )
    near = sorted(((distance_m(lon, lat, c.lon, c.lat), c.pk, c) for c in candidates), key=lambda t: t[:2])
    return next((c for d, _, c in near if d <= radius), None)


# ---------------------------------------------------------------------- the public map


def public_recent_cases(*, days: int = 30, limit: int = 1000) -> list[dict[str, Any]]:
    """Recent cases for the public map: subclass, a coarse status and a rounded position (about 10 m);
    no description, address, reporter or number, so nothing personal can leak."""
    from django.utils import timezone

    from qingcheng.core import clock

    since = clock.now() - timedelta(days=days)
    rows = (
        Case.objects.filter(reported_at__gte=since)
        .exclude(status__in=[Case.Status.CANCELLED, Case.Status.MERGED])
        .exclude(opened_at__isnull=True)
        .select_related("category")
        .order_by("-reported_at")
        .only("lon", "lat", "status", "reported_at", "category__name", "category__code")[:limit]
    )
    return [
        {
            "lon": round(c.lon, 4),
            "lat": round(c.lat, 4),
            "subclass": c.category.name if c.category_id else "",
            "state": "closed" if c.status == Case.Status.CLOSED else "open",
            "day": timezone.localtime(c.reported_at).date().isoformat(),
        }
        for c in rows
    ]
