"""Pages of the staff workbenches: home, queues and search, the case page and its actions. Thin: reads
come from web.selectors, writes go through cases.services."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingcheng.cases import selectors as case_selectors
from qingcheng.cases.models import Case
from qingcheng.cases.services import case_act
from qingcheng.core.access import NO_ACCESS_TEMPLATE, page_permission
from qingcheng.core.errors import DomainError, NotFound, ValidationFailed
from qingcheng.core.inputs import year_in_range
from qingcheng.core.uploads import accepts_uploads, photo_policy
from qingcheng.intake.services.hotline import hotline_callback

from . import selectors
from .case_actions import ACTION_FORMS, MAX_PHOTOS, parse_action
from .queues import queues_for


@page_permission()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", selectors.home_context(request.user, request.LANGUAGE_CODE))


def _date(value: str, end: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if not year_in_range(day.year):  # like a malformed date: ignored with the same message
        return None
    moment = timezone.make_aware(datetime.combine(day, time.min))
    return moment + timedelta(days=1) if end else moment


def _filters(request: HttpRequest) -> tuple[selectors.CaseFilters, list[str]]:
    get = request.GET
    problems = []
    filters = selectors.CaseFilters(
        number=get.get("number", "").strip()[:20],
        category=get.get("category", "").strip()[:12],
        area=get.get("area", "").strip()[:15],
        status=get.get("status", "") if get.get("status", "") in Case.Status.values else "",
        overdue={"1": True, "0": False}.get(get.get("overdue", "")),
    )
    for key, end in (("from", False), ("to", True)):
        raw = get.get(key, "").strip()
        if raw:
            value = _date(raw, end=end)
            if value is None:
                problems.append(
                    _("“%(value)s” is not a date (YYYY-MM-DD); that filter is ignored.") % {"value": raw}
                )
            setattr(filters, "reported_from" if key == "from" else "reported_to", value)
    if filters.area and not filters.area.isdigit():
        problems.append(_("An area is a numeric division or grid code; that filter is ignored."))
        filters.area = ""
    return filters, problems


@page_permission("cases.view_case")
def workbench(request: HttpRequest, queue: str | None = None) -> HttpResponse:
    """The role workbench: the user's queues with counts, one queue's cases, filters; the search page when
    no queue is chosen (`/cases/`)."""
    available = queues_for(request.user)
    chosen = selectors.queue_get(request.user, queue)
    if queue is not None and chosen is None:
        return render(request, NO_ACCESS_TEMPLATE, status=404)
    if queue is None and request.resolver_match.url_name == "workbench" and available:
        return redirect("workbench-queue", queue=available[0].key)
    filters, problems = _filters(request)
    page = selectors.case_page(request.user, filters, chosen.key if chosen else None, request.GET.get("page"))
    context = {
        "queue": chosen,
        "counts": selectors.queue_counts(request.user),
        "page": page,
        "see_personal": case_selectors.sees_personal_data(request.user),
        "filters": filters,
        "problems": problems,
        "statuses": Case.Status.choices,
        "subclasses": selectors.subclasses(),
        "columns": chosen.columns
        if chosen
        else ("number", "category", "address", "unit", "status", "reported_at"),
        "query": request.GET.copy().urlencode() if "page" not in request.GET else _without_page(request),
    }
    template = "web/_case_table.html" if request.headers.get("HX-Request") else "web/workbench.html"
    return render(request, template, context)


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@page_permission()
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        context = selectors.case_detail(request.user, number)
    except NotFound:
        return render(request, NO_ACCESS_TEMPLATE, status=404)
    template = "web/_case_panel.html" if request.headers.get("HX-Request") else "web/case_detail.html"
    return render(request, template, context)


def _case_action_refused(request: HttpRequest, error: DomainError, view_kwargs: dict) -> HttpResponse | None:
    """A body refused before it was read: the case page with the reason, for a user who may see the case
    (anyone else gets the plain refusal page)."""
    if not request.user.is_authenticated:
        return None
    try:
        context = selectors.case_detail(request.user, view_kwargs.get("number", ""))
    except NotFound:
        return None
    context.update(error=error, failed_action="")
    return render(request, "web/case_detail.html", context, status=error.status)


@accepts_uploads(photo_policy(files=MAX_PHOTOS, refused=_case_action_refused))
@page_permission()
@require_POST
def case_action(request: HttpRequest, number: str) -> HttpResponse:
    """One workflow action from the case page. A refused action re-shows the page with the reason and the
    user's input kept; nothing is written."""
    action = request.POST.get("action", "")
    try:
        case = case_selectors.case_get(actor=request.user, number=number)
    except NotFound:
        return render(request, NO_ACCESS_TEMPLATE, status=404)
    try:
        data, photos, note = parse_action(action, request.POST, request.FILES)
        version = request.POST.get("version")
        if action == "callback":
            # The hotline's call-back also updates the work orders made from the case.
            if "satisfied" not in data:
                raise ValidationFailed(
                    "请选择是否满意",
                    "say whether the reporter is satisfied",
                    field="satisfied",
                    code="required",
                )
            hotline_callback(
                actor=request.user,
                case_number=case.number,
                satisfied=data["satisfied"],
                score=data.get("score"),
                note=note,
            )
        else:
            case_act(
                case_id=case.pk,
                actor=request.user,
                action=action,
                data=data,
                note=note,
                photos=photos,
                expected_version=int(version) if version and version.isdigit() else None,
            )
    except DomainError as error:
        context = selectors.case_detail(request.user, number)
        context.update(error=error, failed_action=action, posted=request.POST)
        return render(request, "web/case_detail.html", context, status=error.status)
    messages.success(request, _("Done: %(action)s") % {"action": _action_label(action)})
    return redirect("case-detail", number=number)


def _action_label(action: str) -> str:
    form = ACTION_FORMS.get(action)
    return str(form.label) if form else action


@page_permission()
def case_photo(request: HttpRequest, number: str, photo_id: int) -> HttpResponse:
    """A photo of a case the user may see (the original; staff need the evidence as taken)."""
    try:
        photo = selectors.case_photo(request.user, number, photo_id)
    except NotFound:
        return render(request, NO_ACCESS_TEMPLATE, status=404)
    path = Path(settings.MEDIA_ROOT) / photo.storage_path
    response = FileResponse(path.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response
