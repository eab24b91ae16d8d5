"""Reads of the sensing app, always inside the actor's area scope."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum

from qingcheng.core import clock
from qingcheng.core.access import Actor, get_visible_or_404, require_permission
from qingcheng.core.scope import scope_queryset

from .defaults import STALE_SECONDS
from .models import Alarm, Device, IngestCounter, Reading

# Alarms still needing someone (raised or acknowledged, not yet recovered or closed).
OPEN_ALARM_STATUSES = ("raised", "acknowledged")

VIEW = "sensing.view_device"


def device_list(actor: Actor, *, device_type: str | None = None, area: str | None = None) -> QuerySet[Device]:
    require_permission(actor, VIEW)
    qs = scope_queryset(Device.objects.all(), actor)
    if device_type:
        qs = qs.filter(device_type=device_type)
    if area:
        qs = qs.filter(area_code__startswith=area)
    return qs.order_by("device_id")


def device_get(actor: Actor, device_id: str) -> Device:
    require_permission(actor, VIEW)
    return get_visible_or_404(Device, actor, what_zh="设备", what_en="device", device_id=device_id)


def health(device: Device, now: datetime | None = None) -> str:
    """online, stale (no reading within the type's stale window), never (no reading yet) or the status."""
    if device.status != Device.Status.ACTIVE:
        return device.status
    if device.last_observed_at is None:
        return "never"
    now = now or clock.now()
    limit = timedelta(seconds=STALE_SECONDS.get(device.device_type, 900))
    return "online" if now - device.last_observed_at <= limit else "stale"


def readings_series(
    actor: Actor,
    device_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    attrs: list[str] | None = None,
    limit: int = 1000,
) -> tuple[Device, list[dict[str, Any]]]:
    """The device's readings between `since` and `until` (newest last), optionally only some attributes."""
    device = device_get(actor, device_id)
    qs = Reading.objects.filter(device=device)
    if since is not None:
        qs = qs.filter(observed_at__gte=since)
    if until is not None:
        qs = qs.filter(observed_at__lte=until)
    rows = list(qs.order_by("-observed_at").values("observed_at", "values")[: max(1, min(limit, 10_000))])
    rows.reverse()
    if attrs:
        wanted = set(attrs)
        rows = [
            {"observed_at": r["observed_at"], "values": {k: v for k, v in r["values"].items() if k in wanted}}
            for r in rows
        ]
        rows = [r for r in rows if r["values"]]
    return device, rows


def alarm_list(actor: Actor, *, open_only: bool = False, status: str | None = None) -> QuerySet[Alarm]:
    require_permission(actor, VIEW)
    qs = scope_queryset(Alarm.objects.select_related("device", "rule", "case"), actor)
    if open_only:
        qs = qs.filter(status__in=OPEN_ALARM_STATUSES)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-raised_at")


def ingest_counters(actor: Actor) -> dict[str, int]:
    """Totals per reason across ingesters (operational data, no area: shown to holders of the view right)."""
    require_permission(actor, VIEW)
    return dict(IngestCounter.objects.values("reason").annotate(n=Sum("count")).values_list("reason", "n"))


def health_summary(actor: Actor) -> dict[str, Any]:
    now = clock.now()
    counts: dict[str, int] = {"online": 0, "stale": 0, "never": 0, "maintenance": 0, "retired": 0}
    for device in device_list(actor).only("device_type", "status", "last_observed_at"):
        key = health(device, now)
        counts[key] = counts.get(key, 0) + 1
    alarms = dict(
        alarm_list(actor, open_only=True)
        .order_by()
        .values("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    return {"devices": sum(counts.values()), "health": counts, "open_alarms": alarms}
