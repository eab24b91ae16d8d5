"""Pages and plain JSON views: the monitoring page and its live data, HTTP ingestion with device keys,
and the NGSI-LD-shaped read API (`/ngsi-ld/v1/...`, application/ld+json)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from qingcheng.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from qingcheng.core.uploads import JSON_ONLY, accepts_uploads

from . import ingest as ing
from . import ngsi, selectors, services
from .types import SDM_TO_CODES, TYPES, TYPES_BY_CODE

LD_JSON = "application/ld+json"
TELEMETRY_MAX_BYTES = 256 * 1024


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})


# ---------------------------------------------------------------- monitoring page


@login_required
@permission_required("sensing.view_device", raise_exception=True)
def monitor(request: HttpRequest) -> HttpResponse:
    alarms = selectors.alarm_list(request.user, open_only=True)[:50]
    return render(
        request,
        "sensing/monitor.html",
        {
            "nav_active": "sensing",
            "summary": selectors.health_summary(request.user),
            "alarms": alarms,
            "counters": sorted(selectors.ingest_counters(request.user).items()),
            "types": TYPES,
            "can_ack": request.user.has_perm("sensing.acknowledge_alarm"),
            "can_close": request.user.has_perm("sensing.close_alarm"),
            "center": (40.83, 111.68),
        },
    )


@login_required
@permission_required("sensing.view_device", raise_exception=True)
def live(request: HttpRequest) -> JsonResponse:
    """Every device in scope with health and latest values, plus open alarms (the page polls this)."""
    device_type = request.GET.get("type") or None
    qs = selectors.device_list(request.user, device_type=device_type)
    page = Paginator(qs, 2000).get_page(request.GET.get("page") or 1)
    alarmed = {}
    for alarm in selectors.alarm_list(request.user, open_only=True)[:2000]:
        alarmed.setdefault(alarm.device_id, alarm.severity)
    devices = [
        {
            "id": d.device_id,
            "type": d.device_type,
            "type_label": str(TYPES_BY_CODE[d.device_type].label),
            "name": d.name,
            "lon": d.lon,
            "lat": d.lat,
            "grid": d.area_code,
            "health": selectors.health(d),
            "values": d.last_values,
            "observed_at": d.last_observed_at.isoformat() if d.last_observed_at else None,
            "battery": d.battery,
            "alarm": alarmed.get(d.pk),
            "synthetic": d.synthetic,
        }
        for d in page.object_list
    ]
    alarms = [
        {
            "id": a.pk,
            "device": a.device.device_id,
            "rule": a.rule.name,
            "severity": a.severity,
            "severity_label": a.get_severity_display(),
            "status": a.status,
            "status_label": a.get_status_display(),
            "message": a.message,
            "raised_at": a.raised_at.isoformat(),
            "case": a.case.number if a.case_id else None,
        }
        for a in selectors.alarm_list(request.user, open_only=True)[:50]
    ]
    return JsonResponse(
        {
            "devices": devices,
            "alarms": alarms,
            "summary": selectors.health_summary(request.user),
            "pages": page.paginator.num_pages,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@login_required
@require_POST
def alarm_action(request: HttpRequest, alarm_id: int, action: str) -> HttpResponse:
    note = request.POST.get("note", "")[:500]
    try:
        if action == "acknowledge":
            services.alarm_acknowledge(actor=request.user, alarm_id=alarm_id, note=note)
            messages.success(request, _("Alarm acknowledged."))
        elif action == "close":
            services.alarm_close(actor=request.user, alarm_id=alarm_id, note=note)
            messages.success(request, _("Alarm closed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("sensing-monitor")


# ---------------------------------------------------------------- HTTP ingestion


@accepts_uploads(JSON_ONLY)
@csrf_exempt
@require_POST
def http_telemetry(request: HttpRequest) -> JsonResponse:
    """POST one payload (or a list) with header `X-Device-Key`; the key decides the device."""
    device = services.device_key_authenticate(request.headers.get("X-Device-Key"))
    if device is None:
        return _error(
            DomainError(
                "device_key_invalid", "设备密钥无效或已吊销", "invalid or revoked device key", status=401
            )
        )
    # Refused by its declared length, before the body is read.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > TELEMETRY_MAX_BYTES:
        return _error(ValidationFailed("请求过大", "request too large", code="payload_too_large", status=413))
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        data = None
    items = data if isinstance(data, list) else [data if data is not None else request.body]
    if len(items) > 1000:
        return _error(
            ValidationFailed("单次最多 1000 条", "at most 1000 payloads per request", code="too_many")
        )
    batch = [
        ing.Message(device.device_id, item if isinstance(item, dict | bytes) else json.dumps(item))
        for item in items
    ]
    outcome = services.readings_ingest(messages=batch, source="http")
    stored = outcome.counts.get(ing.STORED, 0)
    rejected = {k: v for k, v in outcome.counts.items() if k not in (ing.STORED, ing.LATE)}
    status = 202 if stored else 400
    return JsonResponse(
        {"stored": stored, "rejected": rejected, "alarms_raised": len(outcome.raised)},
        status=status,
    )


# ---------------------------------------------------------------- NGSI-LD-shaped read API


def _api_user(request: HttpRequest) -> Any:
    user = request.user if request.user.is_authenticated else None
    key = request.headers.get("X-API-Key")
    if user is None and key:
        from qingcheng.accounts.services import api_key_authenticate

        user = api_key_authenticate(key)
    if user is None:
        raise DomainError("not_authenticated", "需要登录或接口密钥", "authentication required", status=401)
    if not user.has_perm("sensing.view_device"):
        raise PermissionDeniedError()
    return user


def _ld(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str), status=status, content_type=LD_JSON
    )


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value))) if value is not None else default
    except ValueError:
        return default


@require_GET
def ngsi_entities(request: HttpRequest) -> HttpResponse:
    try:
        user = _api_user(request)
        type_ = request.GET.get("type", "")
        codes = SDM_TO_CODES.get(type_) if type_ else None
        if type_ and not codes:
            return _ld([])
        terms = ngsi.parse_q(request.GET.get("q", ""))
        attrs = [a for a in request.GET.get("attrs", "").split(",") if a]
        limit = _int(request.GET.get("limit"), 20, 1, 1000)
        offset = _int(request.GET.get("offset"), 0, 0, 10**9)
        qs = selectors.device_list(user)
        if codes:
            qs = qs.filter(device_type__in=codes)
        result: list[dict[str, Any]] = []
        skipped = 0
        for device in qs.iterator(chunk_size=500):
            if terms and not ngsi.matches(device.last_values or {}, terms):
                continue
            if skipped < offset:
                skipped += 1
                continue
            result.append(ngsi.entity(device, attrs=attrs))
            if len(result) >= limit:
                break
        return _ld(result)
    except ngsi.QueryError as exc:
        return _ld(
            {
                "type": "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
                "title": "bad q",
                "detail": str(exc),
            },
            400,
        )
    except DomainError as exc:
        return _error(exc)


@require_GET
def ngsi_entity(request: HttpRequest, entity_id: str) -> HttpResponse:
    try:
        user = _api_user(request)
        device = selectors.device_get(user, ngsi.device_id_of(entity_id))
        attrs = [a for a in request.GET.get("attrs", "").split(",") if a]
        return _ld(ngsi.entity(device, attrs=attrs))
    except DomainError as exc:
        if exc.status == 404:
            return _ld(
                {
                    "type": "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound",
                    "title": "entity not found",
                    "detail": entity_id,
                },
                404,
            )
        return _error(exc)


def _when(raw: str | None) -> datetime | None:
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None or value.tzinfo is None:
        raise ValidationFailed(
            "时间格式无效", f"invalid time {raw!r} (ISO 8601 with zone)", code="invalid_time"
        )
    return value


@require_GET
def ngsi_temporal_entity(request: HttpRequest, entity_id: str) -> HttpResponse:
    """Readings of one entity: `timerel=before|after|between`, `timeAt`, `endTimeAt`, `attrs`, `lastN`."""
    try:
        user = _api_user(request)
        timerel = request.GET.get("timerel", "")
        at, end = _when(request.GET.get("timeAt")), _when(request.GET.get("endTimeAt"))
        since = until = None
        if timerel == "after":
            since = at
        elif timerel == "before":
            until = at
        elif timerel == "between":
            if at is None or end is None:
                raise ValidationFailed(
                    "between 需要 timeAt 和 endTimeAt", "between needs timeAt and endTimeAt"
                )
            since, until = at, end
        attrs = [a for a in request.GET.get("attrs", "").split(",") if a]
        device, rows = selectors.readings_series(
            user,
            ngsi.device_id_of(entity_id),
            since=since,
            until=until,
            attrs=attrs,
            limit=_int(request.GET.get("lastN"), 1000, 1, 10_000),
        )
        return _ld(ngsi.temporal(device, rows))
    except DomainError as exc:
        return _error(exc)
