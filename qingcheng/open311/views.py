"""The GeoReport v2 endpoints (plus FixMyStreet's servicerequestupdates), thin: read the parameters,
check key, rate and jurisdiction, call a selector or service, render XML or JSON by the path suffix."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from qingcheng.cases.catalogue import current_version
from qingcheng.cases.models import Case, CasePhoto
from qingcheng.cases.services import PhotoUpload
from qingcheng.core import clock
from qingcheng.core.errors import DomainError
from qingcheng.core.http import client_address
from qingcheng.core.uploads import accepts_uploads, photo_policy

from . import access, params, selectors, services
from .errors import Open311Error, bad_request
from .models import Client, ServiceAttribute, ServiceOption
from .render import error_response, respond

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


@dataclass
class Call:
    request: HttpRequest
    fmt: str
    data: QueryDict
    client: Client | None
    served: access.Served


def _data(request: HttpRequest) -> QueryDict:
    if request.method == "POST":
        merged = request.GET.copy()
        for key in request.POST:
            merged.setlist(key, request.POST.getlist(key))
        return merged
    return request.GET


def _body_refused(request: HttpRequest, error: DomainError, view_kwargs: dict[str, Any]) -> HttpResponse:
    """A body or query refused before it was read (core.middleware), as an Open311 `errors` list."""
    fmt = view_kwargs.get("fmt") or ("json" if str(view_kwargs.get("rest", "")).endswith(".json") else "xml")
    return error_response(
        fmt if fmt in ("json", "xml") else "xml",
        Open311Error(error.code, error.message_zh, error.message_en, status=error.status),
    )


# Media are photos: the case photo limits, at most INTAKE_MAX_PHOTOS per request.
UPLOADS = photo_policy(refused=_body_refused)


def open311(methods: tuple[str, ...], *, key_on: tuple[str, ...] = ("POST",), per_jurisdiction: bool = True):
    """Wrap an endpoint: method check, API key (required for `key_on` methods), rate limit,
    jurisdiction (not for discovery, which describes the endpoint itself), and every Open311Error
    rendered as an `errors` list in the requested format."""

    def decorate(view: Callable[..., HttpResponse]):
        @accepts_uploads(UPLOADS)
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
                if request.method not in allowed:
                    raise Open311Error(
                        "method_not_allowed",
                        "不支持该请求方法",
                        f"method {request.method} is not allowed here",
                        status=405,
                    )
                data = _data(request)
                raw_key = params.get(data, "api_key") or request.headers.get("X-API-Key")
                ip = client_address(request)
                try:
                    client = access.authenticate(raw_key, required=request.method in key_on)
                except Open311Error:
                    access.rate_limit(client=None, client_ip=ip)
                    raise
                access.rate_limit(client=client, client_ip=ip)
                if per_jurisdiction:
                    served = access.resolve_jurisdiction(params.get(data, "jurisdiction_id"))
                else:
                    served = access.served_jurisdictions()[0]
                access.check_client_jurisdiction(client, served)
                return view(Call(request, fmt, data, client, served), **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc)

        return wrapper

    return decorate


def _photo_url(request: HttpRequest) -> Callable[[CasePhoto], str]:
    def url(photo: CasePhoto) -> str:
        return request.build_absolute_uri(reverse("open311:media", args=[photo.sha256]))

    return url


# ---------------------------------------------------------------------- discovery and services


def _changeset() -> str | None:
    version = current_version()
    stamps = [
        version.published_at if version is not None else None,
        ServiceOption.objects.aggregate(m=Max("updated_at"))["m"],
        ServiceAttribute.objects.aggregate(m=Max("updated_at"))["m"],
    ]
    known = [s for s in stamps if s is not None]
    return params.w3c(max(known) if known else clock.now())


@open311(("GET",), per_jurisdiction=False)
def discovery(call: Call) -> HttpResponse:
    base = call.request.build_absolute_uri(reverse("open311:discovery", args=[call.fmt]))
    base = base[: -len(f"/discovery.{call.fmt}")]
    changeset = _changeset()
    data = {
        "changeset": changeset,
        "contact": getattr(
            settings, "OPEN311_CONTACT", "青城数字城管平台管理员 / Qingcheng platform operator"
        ),
        "key_service": getattr(
            settings,
            "OPEN311_KEY_SERVICE",
            "向城市管理指挥中心申请接入密钥 / Ask the city's urban management command centre for an api_key",
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": changeset,
                "type": getattr(settings, "OPEN311_ENDPOINT_TYPE", "production"),
                "formats": FORMATS,
            }
        ],
    }
    return respond(call.fmt, "discovery", data)


@open311(("GET",))
def services_list(call: Call) -> HttpResponse:
    rows = [info.row() for info in selectors.service_infos()]
    return respond(call.fmt, "services", rows, item="service")


@open311(("GET",))
def service_definition(call: Call, code: str) -> HttpResponse:
    return respond(call.fmt, "service_definition", selectors.service_definition(code))


# ---------------------------------------------------------------------- requests


def _request_query(data: QueryDict) -> selectors.RequestQuery:
    ids = params.get_list(data, "service_request_id")
    if ids:
        # service_request_id overrides every other argument.
        return selectors.RequestQuery(ids, [], set(), None, 1, params.MAX_RESULTS)
    problems: list[Open311Error] = []
    statuses = {s.lower() for s in params.get_list(data, "status")}
    if statuses - {"open", "closed"}:
        problems.append(
            bad_request("invalid_status", "status 只能是 open 或 closed", "status must be open or closed")
        )
    dates = page = page_size = None
    try:
        dates = params.date_range(data, clock.now())
    except Open311Error as exc:
        problems.append(exc)
    try:
        page = params.parse_positive_int(params.get(data, "page"), "page", default=1, maximum=1_000_000)
        page_size = params.parse_positive_int(
            params.get(data, "page_size"), "page_size", default=params.MAX_RESULTS, maximum=params.MAX_RESULTS
        )
    except Open311Error as exc:
        problems.append(exc)
    if problems:
        raise Open311Error.combine(problems)
    return selectors.RequestQuery([], params.get_list(data, "service_code"), statuses, dates, page, page_size)


def _extensions(data: QueryDict) -> bool:
    return (params.get(data, "extensions") or "").lower() in {"true", "1", "yes"}


def _reporter_name(data: QueryDict) -> str:
    first, last = params.get(data, "first_name") or "", params.get(data, "last_name") or ""
    if any(ord(ch) > 127 for ch in first + last):
        return f"{last}{first}"  # Chinese order: family name first
    return f"{first} {last}".strip()


# Multipart file fields taken as photos: the v2.1 draft's `media`, and FixMyStreet's and open311-adapter's
# `photo1` … `photoN`. A file under any other name is refused rather than dropped.
PHOTO_FIELD = re.compile(r"^(media|media\[\]|photo[1-9][0-9]?)$")


def _uploads(request: HttpRequest) -> list[PhotoUpload]:
    """The uploaded photos, in field order (media first, then photo1, photo2, ...). Each goes through
    the intake's photo checks later; here only what must be refused before reading it."""
    max_bytes = settings.CASE_PHOTO_MAX_BYTES
    unknown = sorted(name for name in request.FILES if not PHOTO_FIELD.match(name))
    if unknown:
        raise bad_request(
            "unsupported_upload",
            f"不接受文件字段 {unknown[0][:40]}：照片请用 media 或 photo1…photoN",
            f"file field {unknown[0][:40]!r} is not accepted: send photos as media or photo1…photoN",
        )

    def order(name: str) -> tuple[int, int]:
        return (0, 0) if name.startswith("media") else (1, int(name[5:]))

    photos = []
    for name in sorted(request.FILES, key=order):
        for upload in request.FILES.getlist(name):
            if upload.size is not None and upload.size > max_bytes:
                raise bad_request(
                    "photo_too_large",
                    f"{name} 超过 {max_bytes // 2**20} MB",
                    f"{name} is larger than {max_bytes // 2**20} MB",
                )
            photos.append(PhotoUpload(data=upload.read(), kind="before", name=(upload.name or name)[:60]))
    return photos


def _post_request(call: Call) -> HttpResponse:
    data = call.data
    assert call.client is not None
    if call.request.content_type not in FORM_TYPES:
        raise bad_request(
            "unsupported_media_type",
            "请以表单（application/x-www-form-urlencoded 或 multipart/form-data）提交",
            "send the request form-encoded (application/x-www-form-urlencoded or multipart/form-data)",
        )
    result = services.request_create(
        client=call.client,
        served=call.served,
        service_code=params.get(data, "service_code"),
        location=services.LocationInput(
            lat=params.get(data, "lat"),
            long=params.get(data, "long"),
            address_string=params.get(data, "address_string"),
            address_id=params.get(data, "address_id"),
        ),
        description=data.get("description"),
        answers=params.attributes(data),
        media_url=[u for key in ("media_url", "media_url[]") for u in data.getlist(key)],
        photos=_uploads(call.request),
        reporter_name=_reporter_name(data),
        reporter_phone=params.get(data, "phone") or "",
        idempotency_key=call.request.headers.get("Idempotency-Key") or None,
    )
    row: dict[str, Any]
    if result.link.token:
        row = {"token": result.link.token}
    else:
        row = {"service_request_id": result.link.case.number}
    row.update(service_notice=result.service_notice, account_id=None)
    return respond(call.fmt, "service_requests", [row], item="request")


def _closures_shown(call: Call, cases: list) -> None:
    """A keyed read that lists a request as closed tells its application so (see
    services.reopen_requested)."""
    if call.client is not None:
        closed = {c.pk: c.closed_at for c in cases if c.status == Case.Status.CLOSED and c.closed_at}
        services.closures_seen(client=call.client, closures=closed)


@open311(("GET", "POST"))
def requests_collection(call: Call) -> HttpResponse:
    if call.request.method == "POST":
        return _post_request(call)
    query = _request_query(call.data)
    cases = selectors.request_search(served=call.served, client=call.client, query=query)
    rows = selectors.request_rows(
        cases, extensions=_extensions(call.data), media_url=_photo_url(call.request)
    )
    _closures_shown(call, cases)
    return respond(call.fmt, "service_requests", rows, item="request")


@open311(("GET",))
def request_detail(call: Call, number: str) -> HttpResponse:
    case = selectors.request_get(served=call.served, client=call.client, number=number)
    rows = selectors.request_rows(
        [case], extensions=_extensions(call.data), media_url=_photo_url(call.request)
    )
    _closures_shown(call, [case])
    return respond(call.fmt, "service_requests", rows, item="request")


@open311(("GET",))
def token_detail(call: Call, token: str) -> HttpResponse:
    link = selectors.token_get(served=call.served, client=call.client, token=token)
    row = {"service_request_id": link.case.number, "token": link.token}
    return respond(call.fmt, "service_requests", [row], item="request")


# ---------------------------------------------------------------------- FixMyStreet updates


@open311(("GET", "POST"))
def updates_collection(call: Call) -> HttpResponse:
    data = call.data
    if call.request.method == "POST":
        assert call.client is not None
        problems: list[Open311Error] = []
        status = when = None
        try:
            status = services.normalise_status(params.get(data, "status"))
        except Open311Error as exc:
            problems.append(exc)
        stamp = params.get(data, "updated_datetime")
        try:
            when = (
                params.parse_datetime(stamp, "updated_datetime", local_zone=call.served.zone)
                if stamp
                else clock.now()
            )
        except Open311Error as exc:
            problems.append(exc)
        if problems:
            raise Open311Error.combine(problems)
        media = [u.strip() for key in ("media_url", "media_url[]") for u in data.getlist(key) if u.strip()]
        update, _ = services.update_create(
            client=call.client,
            served=call.served,
            service_request_id=params.get(data, "service_request_id"),
            update_id=params.get(data, "update_id"),
            updated_datetime=when,
            status=status,
            description=data.get("description") or "",
            media_urls=media,
            photos=_uploads(call.request),
        )
        row = {"update_id": f"u{update.pk}"}
        return respond(call.fmt, "service_request_updates", [row], item="request_update")
    dates = params.date_range(data, clock.now())
    page = params.parse_positive_int(params.get(data, "page"), "page", default=1, maximum=1_000_000)
    page_size = params.parse_positive_int(
        params.get(data, "page_size"), "page_size", default=params.MAX_RESULTS, maximum=params.MAX_RESULTS
    )
    found = selectors.update_search(
        served=call.served,
        client=call.client,
        dates=dates,
        ids=params.get_list(data, "service_request_id"),
        page=page,
        page_size=page_size,
        media_url=_photo_url(call.request),
    )
    if call.client is not None:
        services.closures_seen(client=call.client, closures=found.closures)
    return respond(call.fmt, "service_request_updates", found.rows, item="request_update")


# ---------------------------------------------------------------------- media and unknown paths


def media(request: HttpRequest, sha256: str) -> HttpResponse:
    """The public copy of a request's photo: orientation applied, no GPS or other metadata."""
    try:
        photo = selectors.public_photo(sha256=sha256)
    except Open311Error as exc:
        return error_response("xml", exc)
    response = FileResponse(
        (Path(settings.MEDIA_ROOT) / photo.public_path).open("rb"), content_type="image/jpeg"
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


@accepts_uploads(UPLOADS)
@csrf_exempt
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    fmt = "json" if rest.endswith(".json") else "xml"
    error = Open311Error("unknown_resource", "没有这个接口", f"no such resource: /{rest[:100]}", status=404)
    return error_response(fmt, error)
