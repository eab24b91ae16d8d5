"""Pages and plain JSON views: the monitoring page and its live data, HTTP ingestion with device keys,
and the NGSI-LD read API (`/ngsi-ld/v1/...`, application/json or application/ld+json)."""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from qingcheng.core import inputs
from qingcheng.core.access import Actor, has_permission, page_permission, require_permission
from qingcheng.core.errors import DomainError, NotFound, ValidationFailed
from qingcheng.core.uploads import JSON_ONLY, accepts_uploads

from . import ingest as ing
from . import ngsi, selectors, services
from .types import SDM_TO_CODES, TYPES, TYPES_BY_CODE

HTTP_MAX_BYTES = 256 * 1024


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})


# ---------------------------------------------------------------- monitoring page


@page_permission("sensing.view_device")
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
            "can_ack": has_permission(request.user, "sensing.acknowledge_alarm"),
            "can_close": has_permission(request.user, "sensing.close_alarm"),
            "center": (40.83, 111.68),
        },
    )


@page_permission("sensing.view_device")
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
    if length > HTTP_MAX_BYTES:
        return _error(ValidationFailed("请求过大", "request too large", code="payload_too_large", status=413))
    try:
        # One level more than a single payload: the body may be a list of them.
        data = ing.decode(request.body, max_bytes=HTTP_MAX_BYTES, max_depth=ing.MAX_DEPTH + 1)
    except ing.PayloadError:
        data = None  # the raw body goes to the ingester, which counts it as malformed
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


# ---------------------------------------------------------------- NGSI-LD read API (ETSI GS CIM 009)


def _api_user(request: HttpRequest) -> Actor:
    user = request.user if request.user.is_authenticated else None
    key = request.headers.get("X-API-Key")
    if user is None and key:
        from qingcheng.accounts.services import api_key_authenticate

        user = api_key_authenticate(key)
    if user is None:
        raise DomainError("not_authenticated", "需要登录或接口密钥", "authentication required", status=401)
    # Asked before the parameters are read, so a caller without the right learns nothing of them.
    require_permission(user, "sensing.view_device")
    return user


def _problem(exc: ngsi.NgsiError) -> HttpResponse:
    return HttpResponse(ngsi.dumps(exc.body()), status=exc.status, content_type="application/json")


def _context_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("ngsi-context"))


def _answer(
    request: HttpRequest, media: str, body: Any, headers: dict[str, str] | None = None
) -> HttpResponse:
    """Clause 6.3.4: application/ld+json carries @context in the body (added by the caller); application/json
    carries none and names the context in a Link header instead."""
    response = HttpResponse(ngsi.dumps(body), content_type=media)
    if media == ngsi.JSON:
        response["Link"] = ngsi.link_header(_context_url(request))
    for name, value in (headers or {}).items():
        response[name] = value
    response["Vary"] = "Accept"
    return response


def _ngsi_view(view):
    """Content negotiation, authentication and the error bodies shared by the NGSI-LD views: NGSI-LD
    errors as ProblemDetails; authentication and permission in the platform's error model."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            media = ngsi.negotiate(request.headers.get("Accept"))
            user = _api_user(request)
            return view(request, user, media, *args, **kwargs)
        except ngsi.NgsiError as exc:
            return _problem(exc)
        except DomainError as exc:
            if exc.status == 404:
                return _problem(
                    ngsi.NgsiError("ResourceNotFound", 404, "entity not found", str(kwargs)[:200])
                )
            if exc.status == 400:
                return _problem(ngsi.bad_request(exc.code, exc.message_en))
            return _error(exc)

    return require_GET(wrapper)


def _count(raw: str | None, name: str, default: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 10 or int(raw) > high:
        raise ngsi.bad_request(f"invalid {name}", f"{name} must be a whole number from 0 to {high}")
    return int(raw)


def _list(raw: str | None, limit: int = 100) -> list[str]:
    items = [item.strip() for item in (raw or "").split(",") if item.strip()]
    if len(items) > limit:
        raise ngsi.bad_request("too many values", f"at most {limit} values per parameter")
    return items


def _options(request: HttpRequest) -> bool:
    """True for the simplified (keyValues) representation."""
    options = _list(request.GET.get("options"))
    formats = request.GET.get("format", "")
    unknown = [o for o in options if o not in ("keyValues", "normalized", "sysAttrs")]
    if unknown or formats not in ("", "simplified", "normalized"):
        raise ngsi.bad_request(
            "invalid options", "options: keyValues or normalized; format: simplified or normalized"
        )
    return "keyValues" in options or formats == "simplified"


def _simplified(body: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (value.get("object") if value.get("type") == "Relationship" else value.get("value"))
        if isinstance(value, dict) and value.get("type") in ("Property", "GeoProperty", "Relationship")
        else value
        for key, value in body.items()
    }


def _types(raw: str | None) -> list[str] | None:
    """The device types of `type=A,B` (or `A|B`); [] when none of the names is known, None without `type`."""
    names = [n for n in re.split(r"[,|]", raw or "") if n.strip()]
    if not names:
        return None
    if len(names) > 50:
        raise ngsi.bad_request("too many types", "at most 50 entity types")
    return [code for name in names for code in SDM_TO_CODES.get(name.strip(), [])]


@_ngsi_view
def ngsi_entities(request: HttpRequest, user: Any, media: str) -> HttpResponse:
    """Query entities: `type`, `id`, `idPattern`, `attrs`, `q`, `georel`/`geometry`/`coordinates`,
    `limit`, `offset`, `count=true`, `options=keyValues`, always inside the caller's area."""
    get = request.GET
    tree = ngsi.parse_q(get.get("q", ""))
    geo = ngsi.parse_geoquery(
        get.get("georel"), get.get("geometry"), get.get("coordinates"), get.get("geoproperty")
    )
    attrs = _list(get.get("attrs"))
    ids = _list(get.get("id"), 1000)
    id_pattern = None
    if get.get("idPattern"):
        try:
            id_pattern = ngsi.compile_pattern(get["idPattern"])
        except ngsi.QueryError as exc:
            raise ngsi.bad_request("invalid idPattern", exc.detail) from None
    limit = _count(get.get("limit"), "limit", 20, 1000)
    offset = _count(get.get("offset"), "offset", 0, 10**9)
    count = get.get("count", "false")
    if count not in ("true", "false"):
        raise ngsi.bad_request("invalid count", "count must be true or false")
    if limit == 0 and count != "true":
        raise ngsi.bad_request("invalid limit", "limit=0 only asks for the count: add count=true")
    simplified = _options(request)
    codes = _types(get.get("type"))
    qs = selectors.device_list(user)
    if codes is not None:
        qs = qs.filter(device_type__in=codes)
    if ids:
        qs = qs.filter(device_id__in=[ngsi.device_id_of(i) for i in ids])
    if geo is not None and (box := geo.bbox()) is not None:
        qs = qs.filter(lon__gte=box[0], lat__gte=box[1], lon__lte=box[2], lat__lte=box[3])
    context = _context_url(request) if media == ngsi.LD_JSON else None
    result: list[dict[str, Any]] = []
    total = 0
    for device in qs.iterator(chunk_size=500):
        full = ngsi.entity(device)
        if ids and full["id"] not in ids and device.device_id not in ids:
            continue
        if id_pattern is not None and id_pattern.search(full["id"]) is None:
            continue
        if geo is not None and not geo.matches(device.lon, device.lat):
            continue
        if tree is not None and not ngsi.matches(full, tree):
            continue
        total += 1
        if total <= offset:
            continue
        if len(result) < limit:
            body = ngsi.entity(device, attrs=attrs, context=context)
            result.append(_simplified(body) if simplified else body)
        elif count != "true":
            break  # the page is full and nobody asked for the total
    headers = {"NGSILD-Results-Count": str(total)} if count == "true" else None
    return _answer(request, media, result, headers)


@_ngsi_view
def ngsi_entity(request: HttpRequest, user: Any, media: str, entity_id: str) -> HttpResponse:
    device = selectors.device_get(user, ngsi.device_id_of(entity_id))
    if ngsi.entity_id(device) != entity_id and device.device_id != entity_id:
        raise NotFound("设备", "device")  # the right device id under another entity type
    attrs = _list(request.GET.get("attrs"))
    context = _context_url(request) if media == ngsi.LD_JSON else None
    body = ngsi.entity(device, attrs=attrs, context=context)
    return _answer(request, media, _simplified(body) if _options(request) else body)


def _when(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    return inputs.parse_datetime(raw, name, "时间", name)


@_ngsi_view
def ngsi_temporal_entity(request: HttpRequest, user: Any, media: str, entity_id: str) -> HttpResponse:
    """Readings of one entity: `timerel=before|after|between`, `timeAt`, `endTimeAt`, `attrs`, `lastN`."""
    get = request.GET
    timerel = get.get("timerel", "")
    if timerel not in ("", "before", "after", "between"):
        raise ngsi.bad_request("invalid timerel", "timerel must be before, after or between")
    at, end = _when(get.get("timeAt"), "timeAt"), _when(get.get("endTimeAt"), "endTimeAt")
    if timerel and at is None:
        raise ngsi.bad_request("invalid timeAt", "timerel needs timeAt")
    since = until = None
    if timerel == "after":
        since = at
    elif timerel == "before":
        until = at
    elif timerel == "between":
        if end is None:
            raise ngsi.bad_request("invalid endTimeAt", "between needs timeAt and endTimeAt")
        since, until = at, end
    device, rows = selectors.readings_series(
        user,
        ngsi.device_id_of(entity_id),
        since=since,
        until=until,
        attrs=_list(get.get("attrs")),
        limit=max(1, _count(get.get("lastN"), "lastN", 1000, 10_000)),
    )
    context = _context_url(request) if media == ngsi.LD_JSON else None
    return _answer(request, media, ngsi.temporal(device, rows, context=context))


@require_GET
def ngsi_context(request: HttpRequest) -> HttpResponse:
    """Our JSON-LD @context document (public: it names terms, not data)."""
    response = HttpResponse(ngsi.dumps(ngsi.context_document()), content_type=ngsi.LD_JSON)
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return response
