"""Staff pages of administrative enforcement (行政执法) in the shared shell: the officers' queue, the case
page with every step of the penalty procedure this user may take now, opening a case and the on-the-spot
decision, evidence upload, transfers of suspected crimes (read-only for the procuratorate and leaders),
the statistics for leaders and the catalogue. Thin: selectors to read, services to write; a refused step
re-shows the page with the reason in the user's language and nothing written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingcheng.core import clock
from qingcheng.core.access import NO_ACCESS_TEMPLATE, has_permission, page_permission, require_permission
from qingcheng.core.errors import DomainError, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.core.inputs import year_in_range
from qingcheng.core.money import format_yuan
from qingcheng.core.uploads import UploadPolicy, accepts_uploads
from qingcheng.core.workflow import InvalidTransition

from . import forms, selectors
from .disclosure import services as disclosure_services
from .evidence import services as evidence_services
from .evidence.services import max_bytes as evidence_max_bytes
from .models import CrimeTransfer, DiscretionLevel, Evidence, Hearing, Party, PenaltyCase, Violation
from .penalty import services
from .penalty.workflow import transition
from .transfers import services as transfer_services
from .transfers.workflow import transition as transfer_transition

VIEW = "enforcement.view_penaltycase"
TRANSFER_VIEW = "enforcement.view_crimetransfer"
TRANSFER_REPORT = "enforcement.add_crimetransfer"
PAGE_SIZE = 50

STATUS_COLOURS = {
    "proposed": "info",
    "not_filed": "light",
    "investigating": "primary",
    "reviewing": "primary",
    "notified": "warning",
    "hearing": "warning",
    "deciding": "primary",
    "legal_review": "warning",
    "decided": "success",
    "executing": "success",
    "executed": "dark",
    "no_penalty": "secondary",
    "transferred": "danger",
    "suspended": "secondary",
    "terminated": "secondary",
    "closed": "dark",
}


def _ctx(tab: str, **extra: Any) -> dict[str, Any]:
    return {"nav_active": "enforcement", "tab": tab, "status_colours": STATUS_COLOURS, **extra}


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "enforcement/staff/not_found.html", _ctx(""), status=404)


def _missing_is_not_found(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The case or transfer a page names is missing or outside the user's area (the selectors answer both
    with `NotFound`): this app's not-found page, 404."""

    @wraps(view)
    def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return _not_found(request)

    return inner


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name) in ("1", "on", "true")


# ------------------------------------------------------------------------------------------- the queue


@require_GET
@page_permission(VIEW)
def home(request: HttpRequest) -> HttpResponse:
    """The officers' queue: filters (status, mine, due soon, overdue, search) and the counts beside it."""
    user = request.user
    status = request.GET.get("status", "open")
    filters = {
        "status": status if status in (*PenaltyCase.Status.values, "open", "") else "open",
        "q": selectors.clean_query(request.GET.get("q")),
        "mine": _flag(request, "mine"),
        "due_soon": _flag(request, "due_soon"),
        "overdue": _flag(request, "overdue"),
    }
    rows = selectors.penalty_case_list(actor=user, **{**filters, "status": filters["status"] or None})
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row.fine_yuan = format_yuan(row.fine_fen) if row.fine_fen else ""
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "enforcement/staff/queue.html",
        _ctx(
            "queue",
            page=page,
            filters=filters,
            counts=selectors.queue_counts(actor=user),
            statuses=PenaltyCase.Status.choices,
            query=query.urlencode(),
            now=clock.now(),
            can_open=has_permission(user, "enforcement.add_penaltycase"),
        ),
    )


# -------------------------------------------------------------------------------------------- the case


def _initial(case: PenaltyCase, banks: list[Any]) -> dict[str, Any]:
    """What the penalty fields show before anything is typed: the case's intended penalty."""
    return {
        "warning": case.warning,
        "fine_yuan": format_yuan(case.fine_fen, grouping=False) if case.fine_fen else "",
        "confiscation_yuan": (
            format_yuan(case.confiscation_fen, grouping=False) if case.confiscation_fen else ""
        ),
        "other_penalty": case.other_penalty,
        "discretion_level_id": str(case.discretion_level_id or ""),
        "bank_id": str(case.bank_id or (banks[0].pk if banks else "")),
        "public": True,
        "service_method": "direct",
    }


def level_choices(levels: Any) -> list[tuple[str, str]]:
    """Discretion benchmarks as options: level, fine range in yuan and what the amount is per."""
    choices = []
    for level in levels:
        label = str(level.get_level_display())
        if level.fine_max_fen:
            label += f" · {format_yuan(level.fine_min_fen)}–{format_yuan(level.fine_max_fen)}"
            label += f" {_('yuan')}{(' ' + level.fine_unit) if level.fine_unit else ''}"
        choices.append((str(level.pk), label))
    return choices


def _selected_officers(request: HttpRequest) -> list[int]:
    """The officers chosen in a refused form, else the user alone (the actor is always among them)."""
    if request.method == "POST" and request.POST.getlist("officer_ids"):
        return [int(v) for v in request.POST.getlist("officer_ids") if v.isdigit() and len(v) < 10]
    return [request.user.pk]


def _rows(form: forms.ActionForm, initial: dict[str, Any], posted: Any) -> list[dict[str, Any]]:
    """Each field of a step form with the value to show: what was posted when the step was refused,
    otherwise the initial value."""
    rows = []
    for field in form.fields:
        if posted is not None:
            value: Any = (
                posted.get(field.name) in ("on", "1", "true", "yes")
                if field.kind == "check"
                else posted.get(field.name, "")
            )
        else:
            value = initial.get(field.name, False if field.kind == "check" else "")
        rows.append({"field": field, "value": value})
    return rows


def _case_context(
    request: HttpRequest,
    case: PenaltyCase,
    *,
    error: DomainError | None = None,
    failed: str = "",
    posted: Any = None,
) -> dict[str, Any]:
    user = request.user
    steps = selectors.allowed_actions(actor=user, case=case)
    hints = selectors.guard_hints(actor=user, case=case, steps=steps)
    banks = list(selectors.banks_for(area_code=case.area_code))
    initial = _initial(case, banks)
    action_forms = [
        {
            "action": step.action,
            "step": step,
            "form": forms.ACTION_FORMS[step.action],
            "rows": _rows(
                forms.ACTION_FORMS[step.action], initial, posted if failed == step.action else None
            ),
            "hints": hints.get(step.action, []),
        }
        for step in steps
        if step.action in forms.ACTION_FORMS
    ]
    can_upload = has_permission(user, "enforcement.add_evidence") and case.status not in (
        PenaltyCase.Status.CLOSED,
        PenaltyCase.Status.NOT_FILED,
    )
    can_publish = (
        has_permission(user, "enforcement.manage_disclosure")
        and case.decided_at is not None
        and case.status in disclosure_services.DECIDED_STATES
    )
    can_report = has_permission(user, TRANSFER_REPORT) and transition(case.status, "transfer")
    needs_officers = can_upload or can_report or any(f["step"].two_officers for f in action_forms)
    redact = selectors.redactor(actor=user, case=case)
    disclosure = selectors.case_disclosure(case=case)
    return _ctx(
        "queue",
        case=case,
        facts=redact(case.facts),
        party=selectors.party_view(actor=user, case=case),
        bases=selectors.case_bases(case=case),
        levels=DiscretionLevel.objects.filter(violation=case.violation).order_by("order"),
        level_choices=level_choices(
            DiscretionLevel.objects.filter(violation=case.violation).order_by("order")
        ),
        bank_choices=[(str(b.pk), b.name) for b in banks],
        selected_officers=_selected_officers(request),
        money={
            "fine": format_yuan(case.fine_fen),
            "confiscation": format_yuan(case.confiscation_fen),
        },
        periods=selectors.case_periods(case=case),
        timeline=selectors.case_timeline(actor=user, case=case),
        documents=selectors.case_documents(case=case),
        evidence=selectors.case_evidence(actor=user, case=case),
        notices=selectors.case_payments(case=case),
        disclosure=disclosure,
        can_publish=can_publish and (disclosure["disclosure"] is None),
        transfers=selectors.case_transfers(actor=user, case=case),
        can_report=bool(can_report),
        action_forms=action_forms,
        can_upload=can_upload,
        evidence_kinds=Evidence.Kind.choices,
        officers=selectors.officers_for(area_code=case.area_code) if needs_officers else [],
        banks=banks,
        hearing=Hearing.objects.filter(case=case).select_related("presiding_officer").first(),
        reviews=case.legal_reviews.select_related("reviewer").order_by("requested_at"),
        error=error,
        failed=failed,
        posted=posted,
        now_local=timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M"),
        can_archive=has_permission(user, "enforcement.view_evidence"),
    )


@require_GET
@page_permission(VIEW)
@_missing_is_not_found
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.penalty_case_get(actor=request.user, case_id=case_id)
    return render(request, "enforcement/staff/case.html", _case_context(request, case))


def _refused(request: HttpRequest, case: PenaltyCase, error: DomainError, failed: str) -> HttpResponse:
    context = _case_context(request, case, error=error, failed=failed, posted=request.POST)
    return render(request, "enforcement/staff/case.html", context, status=error.status)


def _version(raw: Any) -> int | None:
    raw = str(raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@require_POST
@page_permission(VIEW)
@_missing_is_not_found
def case_act(request: HttpRequest, case_id: int) -> HttpResponse:
    """One step of the procedure from its form. The step must exist from this state and be this user's
    to take before its fields are even read, so a user without the right gets 403, never a field error."""
    user = request.user
    case = selectors.penalty_case_get(actor=user, case_id=case_id)
    action = request.POST.get("action", "")[:40]
    try:
        if action == "disclosure_publish":
            reason = request.POST.get("reason", "").strip()
            disclosure_services.disclosure_publish(actor=user, case=case, reason=reason or None)
            messages.success(request, _("The decision is published."))
            return redirect("enforcement-case", case_id=case.pk)
        step = transition(case.status, action)
        if step is None or (step.procedure and step.procedure != case.procedure):
            raise InvalidTransition(case.status, action)
        if not selectors.may_take(user, step):
            raise PermissionDeniedError()
        params, note = forms.parse_action(action, request.POST)
        officer_ids = forms.officer_ids(request.POST.getlist("officer_ids")) if step.two_officers else []
        services.penalty_case_act(
            actor=user,
            case=case,
            action=action,
            officer_ids=officer_ids,
            note=note,
            expected_version=_version(request.POST.get("version")),
            **params,
        )
    except DomainError as error:
        case.refresh_from_db()
        return _refused(request, case, error, action)
    messages.success(request, _("Done: %(action)s") % {"action": forms.event_label(action)})
    return redirect("enforcement-case", case_id=case.pk)


def _evidence_refused(request: HttpRequest, error: DomainError, view_kwargs: dict) -> HttpResponse | None:
    """An evidence upload refused before it was read: the case page with the reason, for a user who may
    see the case (anyone else gets the plain refusal page)."""
    try:
        case = selectors.penalty_case_get(actor=request.user, case_id=view_kwargs.get("case_id"))
    except (NotFound, PermissionDeniedError):
        return None
    context = _case_context(request, case, error=error, failed="evidence", posted=None)
    return render(request, "enforcement/staff/case.html", context, status=error.status)


@accepts_uploads(
    UploadPolicy(files=1, file_bytes=evidence_max_bytes, noun="evidence", refused=_evidence_refused)
)
@require_POST
@page_permission(VIEW)
@_missing_is_not_found
def case_evidence(request: HttpRequest, case_id: int) -> HttpResponse:
    """Upload one evidence file (调查取证) with the officers present."""
    user = request.user
    case = selectors.penalty_case_get(actor=user, case_id=case_id)
    post = request.POST
    upload = request.FILES.get("file")
    try:
        require_permission(user, "enforcement.add_evidence")
        if upload is None:
            raise ValidationFailed(
                "请选择证据文件", "choose the evidence file", field="file", code="required"
            )
        lon, lat = (post.get("lon") or "").strip(), (post.get("lat") or "").strip()
        evidence_services.evidence_add(
            actor=user,
            case=case,
            data=upload.read(),
            filename=upload.name or "",
            kind=post.get("kind", ""),
            title=post.get("title", ""),
            collected_at=forms.local_moment(post.get("collected_at") or "", "collected_at"),
            officer_ids=forms.officer_ids(post.getlist("officer_ids")),
            description=post.get("description", ""),
            lon=lon or None,
            lat=lat or None,
            place=post.get("place", ""),
        )
    except DomainError as error:
        return _refused(request, case, error, "evidence")
    messages.success(request, _("Evidence stored."))
    return redirect("enforcement-case", case_id=case.pk)


# -------------------------------------------------------------------------------------- opening a case


def _open_context(request: HttpRequest, tab: str, **extra: Any) -> dict[str, Any]:
    user = request.user
    return _ctx(
        tab,
        violations=Violation.objects.filter(active=True).order_by("code"),
        levels=DiscretionLevel.objects.filter(violation__active=True)
        .select_related("violation")
        .order_by("violation__code", "order"),
        selected_officers=_selected_officers(request),
        sources=PenaltyCase.Source.choices,
        party_kinds=Party.choices,
        officers=selectors.officers_for(area_code=user.area_code),
        banks=selectors.banks_for(area_code=user.area_code),
        now_local=timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M"),
        default_area=user.area_code,
        posted=request.POST if request.method == "POST" else None,
        **extra,
    )


@require_http_methods(["GET", "POST"])
@page_permission("enforcement.add_penaltycase")
def case_new(request: HttpRequest) -> HttpResponse:
    """Propose a case for filing (立案审批表) under the general procedure."""
    if request.method == "POST":
        try:
            case = services.penalty_case_open(actor=request.user, **forms.parse_case_open(request.POST))
        except DomainError as error:
            context = _open_context(request, "new", error=error)
            return render(request, "enforcement/staff/case_new.html", context, status=error.status)
        messages.success(request, _("Case %(number)s proposed for filing.") % {"number": case.number})
        return redirect("enforcement-case", case_id=case.pk)
    return render(request, "enforcement/staff/case_new.html", _open_context(request, "new"))


@require_http_methods(["GET", "POST"])
@page_permission("enforcement.investigate_penaltycase")
def case_simplified(request: HttpRequest) -> HttpResponse:
    """An on-the-spot decision (当场处罚决定书) on a pre-numbered form."""
    if request.method == "POST":
        try:
            case = services.penalty_case_simplified(
                actor=request.user, **forms.parse_simplified(request.POST)
            )
        except DomainError as error:
            context = _open_context(request, "simplified", error=error)
            return render(request, "enforcement/staff/simplified.html", context, status=error.status)
        messages.success(request, _("On-the-spot decision %(number)s recorded.") % {"number": case.number})
        return redirect("enforcement-case", case_id=case.pk)
    return render(request, "enforcement/staff/simplified.html", _open_context(request, "simplified"))


# ------------------------------------------------------------------------------------------ statistics


def _date(raw: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    # A year outside the window is treated like a malformed date: the default applies.
    return day if year_in_range(day.year) else None


@require_GET
@page_permission(VIEW)
def statistics(request: HttpRequest) -> HttpResponse:
    """Cases, fines decided and paid, on-time rates and transfers for a date range (this year by default)."""
    default_from, default_to = selectors.default_period()
    date_from = _date(request.GET.get("from")) or default_from
    date_to = _date(request.GET.get("to")) or default_to
    try:
        data = selectors.enforcement_statistics(actor=request.user, date_from=date_from, date_to=date_to)
    except ValidationFailed as error:
        messages.error(request, error.message)
        date_from, date_to = default_from, default_to
        data = selectors.enforcement_statistics(actor=request.user, date_from=date_from, date_to=date_to)
    money = data["money"]
    charts = {
        "status": [
            {"name": r["label"], "value": r["count"]} for r in data["cases"]["by_status"] if r["count"]
        ],
        "on_time": {
            "labels": [r["label"] for r in data["on_time"]],
            "rates": [round(r["rate"] * 100, 1) if r["rate"] is not None else None for r in data["on_time"]],
        },
        "money": {
            "labels": [_("Decided"), _("Collected"), _("Received in the period")],
            "values": [money["decided_fen"] / 100, money["collected_fen"] / 100, money["received_fen"] / 100],
        },
        "title_status": _("Cases by status"),
        "title_on_time": _("On time (%)"),
        "title_money": _("Fines (yuan)"),
    }
    yuan = {key: format_yuan(value) for key, value in money.items() if key.endswith("_fen")}
    return render(
        request,
        "enforcement/staff/statistics.html",
        _ctx("statistics", data=data, yuan=yuan, charts=charts, date_from=date_from, date_to=date_to),
    )


# -------------------------------------------------------------------------------------------- transfers


@require_http_methods(["GET", "POST"])
@page_permission(TRANSFER_VIEW)
def transfer_list(request: HttpRequest) -> HttpResponse:
    """Transfers of suspected crimes (行刑衔接) in the area; the task team reports one here (POST)."""
    user = request.user
    if request.method == "POST":
        return _transfer_report(request)
    can_report = has_permission(user, TRANSFER_REPORT)
    status = request.GET.get("status", "")
    status = status if status in CrimeTransfer.Status.values else ""
    overdue = _flag(request, "overdue")
    rows = transfer_services.transfer_list(
        actor=user, status=status or None, overdue=True if overdue else None, query=request.GET.get("q", "")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "enforcement/staff/transfers.html",
        _ctx(
            "transfers",
            page=page,
            statuses=CrimeTransfer.Status.choices,
            status=status,
            overdue=overdue,
            q=selectors.clean_query(request.GET.get("q")),
            now=clock.now(),
            can_report=can_report,
            selected_officers=[user.pk],
            officers=selectors.officers_for(area_code=user.area_code) if can_report else [],
        ),
    )


def _transfer_report(request: HttpRequest) -> HttpResponse:
    user = request.user
    post = request.POST
    if not has_permission(user, TRANSFER_REPORT):
        return render(request, NO_ACCESS_TEMPLATE, status=403)
    case = None
    if (post.get("penalty_case") or "").strip():
        try:
            case = selectors.penalty_case_get(actor=user, case_id=post.get("penalty_case"))
        except (NotFound, PermissionDeniedError):
            return _not_found(request)
    try:
        transfer = transfer_services.transfer_report(
            actor=user,
            suspected_offence=post.get("suspected_offence", ""),
            summary=post.get("summary", ""),
            officer_ids=forms.officer_ids(post.getlist("officer_ids")),
            penalty_case=case,
            goods_list=forms.parse_goods(post.get("goods_list", "")),
            note=post.get("note", ""),
        )
    except DomainError as error:
        if case is not None:
            return _refused(request, case, error, "transfer_report")
        messages.error(request, error.message)
        return redirect("enforcement-transfers")
    messages.success(request, _("Transfer %(number)s reported.") % {"number": transfer.number})
    return redirect("enforcement-transfer", transfer_id=transfer.pk)


def _transfer_context(request: HttpRequest, transfer: CrimeTransfer, **extra: Any) -> dict[str, Any]:
    user = request.user
    view = transfer_services.transfer_view(actor=user, transfer=transfer)
    steps = transfer_services.transfer_actions_for(actor=user, transfer=transfer)
    for event in view["events"]:
        event["label"] = forms.transfer_label(event["action"])
    needs_officers = any(s.two_officers for s in steps)
    return _ctx(
        "transfers",
        transfer=transfer,
        view=view,
        steps=[{"step": s, "label": forms.transfer_label(s.action)} for s in steps],
        package=forms.PACKAGE_CHOICES,
        officers=selectors.officers_for(area_code=transfer.area_code) if needs_officers else [],
        selected_officers=_selected_officers(request),
        now_local=timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M"),
        **extra,
    )


@require_GET
@page_permission(TRANSFER_VIEW)
@_missing_is_not_found
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer = transfer_services.transfer_get(actor=request.user, transfer_id=transfer_id)
    return render(request, "enforcement/staff/transfer.html", _transfer_context(request, transfer))


@require_POST
@page_permission(TRANSFER_VIEW)
@_missing_is_not_found
def transfer_act(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """One step of a transfer. The procuratorate and leaders hold no step's permission: refused (403)."""
    user = request.user
    transfer = transfer_services.transfer_get(actor=user, transfer_id=transfer_id)
    action = request.POST.get("action", "")[:40]
    try:
        step = transfer_transition(transfer.status, action)
        if step is None:
            raise InvalidTransition(transfer.status, action)
        require_permission(user, step.permission)
        transfer_services.transfer_act(
            actor=user, transfer=transfer, action=action, **forms.parse_transfer(step, request.POST)
        )
    except DomainError as error:
        transfer.refresh_from_db()
        context = _transfer_context(request, transfer, error=error, failed=action, posted=request.POST)
        return render(request, "enforcement/staff/transfer.html", context, status=error.status)
    messages.success(request, _("Done: %(action)s") % {"action": forms.transfer_label(action)})
    return redirect("enforcement-transfer", transfer_id=transfer.pk)


# -------------------------------------------------------------------------------------------- catalogue


@require_GET
@page_permission("enforcement.view_violation")
def catalogue(request: HttpRequest) -> HttpResponse:
    """The catalogue of violations with their provisions: verified ones quote the text, unverified ones
    are marked as such and never presented as law."""
    domain = request.GET.get("domain", "")
    domain = domain if domain in Violation.Domain.values else ""
    rows = selectors.violation_list(actor=request.user, q=request.GET.get("q"), domain=domain or None)
    return render(
        request,
        "enforcement/staff/catalogue.html",
        _ctx(
            "catalogue",
            violations=rows,
            domains=Violation.Domain.choices,
            domain=domain,
            q=selectors.clean_query(request.GET.get("q")),
        ),
    )
