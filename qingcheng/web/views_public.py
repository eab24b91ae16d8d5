"""The public site (公众服务): report a problem in three steps, follow it with the tracking number and
secret, rate the result, and see a map of recent cases. Nobody's personal data is shown; the public
channels' rate limits apply to these pages as to the JSON API."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from qingcheng.cases.services import PhotoUpload
from qingcheng.core.errors import DomainError, ValidationFailed
from qingcheng.core.uploads import accepts_uploads, photo_policy
from qingcheng.intake import selectors as intake_selectors
from qingcheng.intake import services as intake_services
from qingcheng.intake.throttle import throttle

from . import selectors

MAX_PHOTOS = 4


def _citizen(request: HttpRequest):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "web/public/index.html", {})


def _report_refused(request: HttpRequest, error: DomainError, view_kwargs: dict) -> HttpResponse:
    """A body refused before it was read (too large, malformed): the form again with the reason."""
    context = {"subclasses": selectors.subclasses(), "key": uuid.uuid4().hex, "error": error}
    return render(request, "web/public/report.html", context, status=error.status)


@accepts_uploads(photo_policy(files=MAX_PHOTOS, refused=_report_refused))
def report(request: HttpRequest) -> HttpResponse:
    context = {"subclasses": selectors.subclasses(), "key": uuid.uuid4().hex}
    if request.method != "POST":
        return render(request, "web/public/report.html", context)
    post = request.POST
    try:
        throttle(request, "report", settings.PUBLIC_REPORTS_PER_HOUR)
        lon, lat = _float(post.get("lon"), "lon"), _float(post.get("lat"), "lat")
        uploads = request.FILES.getlist("photos")
        if len(uploads) > MAX_PHOTOS:
            raise ValidationFailed(
                f"最多上传{MAX_PHOTOS}张照片",
                f"at most {MAX_PHOTOS} photos",
                field="photos",
                code="too_many_photos",
            )
        result = intake_services.public_report(
            actor=_citizen(request),
            lon=lon,
            lat=lat,
            crs="wgs84",
            description=post.get("description", ""),
            category_code=post.get("category_code") or None,
            address=post.get("address", "")[:200],
            reporter_name=post.get("name", "")[:60],
            reporter_phone=post.get("phone", "")[:32],
            anonymous=post.get("anonymous") == "on",
            photos=[PhotoUpload(data=f.read(), kind="before", name=f.name) for f in uploads],
            idempotency_key=(post.get("key") or "")[:100] or None,
        )
    except DomainError as error:
        context.update(error=error, posted=post, key=post.get("key") or context["key"])
        return render(request, "web/public/report.html", context, status=error.status)
    return render(
        request,
        "web/public/reported.html",
        {"number": result.case.number, "secret": result.tracking_secret, "created": result.created},
    )


def _float(value: str | None, name: str) -> float:
    try:
        return float(value or "")
    except ValueError:
        raise ValidationFailed(
            "请在地图上标出问题的位置",
            "mark the place of the problem on the map",
            field=name,
            code="required",
        ) from None


def _tracked(request: HttpRequest, number: str, secret: str, **extra) -> HttpResponse:
    throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
    case = intake_selectors.public_case(number=number.strip(), secret=secret.strip())
    view = intake_selectors.public_view(case=case)
    return render(request, "web/public/track.html", {"view": view, "secret": secret.strip(), **extra})


def track(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    number, secret = data.get("number", ""), data.get("secret", "")
    if not number:
        return render(request, "web/public/track.html", {})
    try:
        return _tracked(request, number, secret)
    except DomainError as error:
        return render(
            request, "web/public/track.html", {"error": error, "number": number}, status=error.status
        )


def rate(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "web/public/track.html", {})
    post = request.POST
    number, secret = post.get("number", ""), post.get("secret", "")
    try:
        throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
        try:
            score = int(post.get("score", ""))
        except ValueError:
            raise ValidationFailed(
                "请选择评分", "choose a score", field="score", code="invalid_score"
            ) from None
        intake_services.public_rate(
            number=number, secret=secret, score=score, comment=post.get("comment", "")
        )
    except DomainError as error:
        try:
            return _tracked(request, number, secret, error=error)
        except DomainError:
            return render(
                request, "web/public/track.html", {"error": error, "number": number}, status=error.status
            )
    return _tracked(request, number, secret, rated=True)


@cache_control(public=True, max_age=300)
def map_data(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"cases": intake_selectors.public_recent_cases()})


def photo(request: HttpRequest, number: str, photo_id: int) -> HttpResponse:
    try:
        throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
        case = intake_selectors.public_case(number=number, secret=request.GET.get("secret", ""))
        found = intake_selectors.public_photo(case=case, photo_id=photo_id)
    except DomainError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    return FileResponse((Path(settings.MEDIA_ROOT) / found.public_path).open("rb"), content_type="image/jpeg")


@cache_control(public=True, max_age=3600)
def districts(request: HttpRequest) -> JsonResponse:
    """District boundaries for the public maps (public administrative geography, simplified)."""
    return JsonResponse(selectors.public_districts())
