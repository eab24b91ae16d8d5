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
from qingcheng.core import grants
from qingcheng.core.errors import DomainError, ValidationFailed
from qingcheng.core.throttle import throttle
from qingcheng.core.uploads import accepts_uploads, photo_policy
from qingcheng.intake import reporter
from qingcheng.intake import selectors as intake_selectors
from qingcheng.intake import services as intake_services

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
    """The report form. Its Idempotency-Key (a hidden field) is bound to the reporter cookie the form
    page gives the browser, so only this browser gets the tracking secret again when it sends the form
    twice. (Only the form page sets it: a report made without one must not be replayed under one.)"""
    context = {"subclasses": selectors.subclasses(), "key": uuid.uuid4().hex}
    if request.method != "POST":
        return reporter.ensure_reporter_cookie(request, render(request, "web/public/report.html", context))
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
            reporter_token=reporter.reporter_token(request),
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


TRACK_GRANT = "track"


def _tracked(request: HttpRequest, number: str, secret: str, **extra) -> HttpResponse:
    """The case behind a number and secret that came in a POST body. The photos on the page load by
    plain URLs: a grant in the session (core.grants) stands in for the secret."""
    throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
    case = intake_selectors.public_case(number=number.strip(), secret=secret.strip())
    grants.grant_add(request, kind=TRACK_GRANT, ident=case.number, secret_hash=case.public_tracking_hash)
    view = intake_selectors.public_view(case=case)
    return render(request, "web/public/track.html", {"view": view, "secret": secret.strip(), **extra})


def track(request: HttpRequest) -> HttpResponse:
    """Follow a report. The number and secret come only in a POST body: a secret in the query string
    would reach access logs, history and Referer headers, so a `secret` there is not read (an old
    link opens the form with its number filled in)."""
    if request.method != "POST":
        number = (request.GET.get("number") or "")[:20]
        return render(request, "web/public/track.html", {"number": number})
    number, secret = request.POST.get("number", ""), request.POST.get("secret", "")
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
    """A public photo copy for the visitor who opened the report with its secret (the session's grant);
    for anyone else the same 404 as an unknown number."""
    try:
        throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
        proof = grants.grant_proof(request, kind=TRACK_GRANT, ident=number[:20])
        case = intake_selectors.public_case(number=number, proof=proof)
        found = intake_selectors.public_photo(case=case, photo_id=photo_id)
    except DomainError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    response = FileResponse(
        (Path(settings.MEDIA_ROOT) / found.public_path).open("rb"), content_type="image/jpeg"
    )
    response["Cache-Control"] = "private, max-age=600"
    return response


@cache_control(public=True, max_age=3600)
def districts(request: HttpRequest) -> JsonResponse:
    """District boundaries for the public maps (public administrative geography, simplified)."""
    return JsonResponse(selectors.public_districts())
