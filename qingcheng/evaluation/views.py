"""Pages of the evaluation app: the command centre (指挥大屏) with its live JSON, and the evaluation reports
with downloads. Thin: reads come from selectors, files from exports."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qingcheng.core import clock
from qingcheng.core.access import page_permission
from qingcheng.core.errors import DomainError

from . import exports, selectors
from .forms import ReportForm
from .periods import month_of

# Where the map opens before the district layer arrives and fits the view (Hohhot old town).
DEFAULT_CENTER = (40.83, 111.68)
POLL_SECONDS = 30
GROUP_LABELS = {
    "intake": _("Reported, not yet opened"),
    "dispatch": _("Waiting for dispatch"),
    "handling": _("With the handling unit"),
    "on_hold": _("Parked or deferred"),
    "checking": _("Handled, being checked"),
    "closed": _("Closed today"),
}


@page_permission("evaluation.view_command_centre")
@require_GET
def command_centre(request: HttpRequest) -> HttpResponse:
    try:
        poll = min(300, max(5, int(request.GET.get("poll", POLL_SECONDS))))
    except ValueError:
        poll = POLL_SECONDS
    return render(
        request,
        "evaluation/command_centre.html",
        {
            "center": DEFAULT_CENTER,
            "poll_seconds": poll,
            "time_zone": settings.TIME_ZONE,
            "group_labels": {k: str(v) for k, v in GROUP_LABELS.items()},
        },
    )


@page_permission()
@require_GET
@never_cache
def command_centre_data(request: HttpRequest) -> HttpResponse:
    try:
        data = selectors.command_centre_data(actor=request.user)
    except DomainError as error:  # without the command centre's permission: 403 permission_denied
        return JsonResponse(error.as_dict(), status=error.status)
    return JsonResponse(data)


@page_permission("evaluation.view_evaluation")
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    if not params.get("period"):
        params["period"] = month_of(clock.now()).label
    if not params.get("level"):
        params["level"] = "district"
    form = ReportForm(params)
    report = None
    if form.is_valid():
        data = form.cleaned_data
        report = selectors.evaluation_report(
            actor=request.user, period=data["period"], level=data["level"], as_of=data["as_of"]
        )
    query = params.urlencode()
    return render(
        request,
        "evaluation/reports.html",
        {"form": form, "report": report, "query": query, "formats": exports.FORMATS},
        # Refused input is a 4xx for machines too; the page still shows the form with its errors.
        status=200 if report is not None else 400,
    )


@page_permission("evaluation.view_evaluation")
@require_GET
def report_download(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "json")
    form = ReportForm(request.GET)
    if fmt not in exports.FORMATS or not form.is_valid():
        return render(request, "evaluation/reports.html", {"form": form, "report": None}, status=400)
    data = form.cleaned_data
    report = selectors.evaluation_report(
        actor=request.user, period=data["period"], level=data["level"], as_of=data["as_of"]
    )
    response = HttpResponse(exports.render(report, fmt), content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name(report, fmt)}"'
    return response
