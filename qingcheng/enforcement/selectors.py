"""Reads of administrative enforcement (行政执法) for the staff pages and the JSON API: the queue of penalty
cases, one case with everything its page shows, the steps this user may take now, the party with personal
data masked unless the user may see it, and the statistics of cases, fines, periods and transfers.

Every read is limited to the actor's area (`core.scope`) and needs `enforcement.view_penaltycase`; a case
outside the area is reported exactly like a missing one. Statistics are aggregate queries, never a loop over
the cases in Python.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from qingcheng.core import clock
from qingcheng.core.access import Actor, has_permission, require_permission
from qingcheng.core.errors import NotFound, ValidationFailed
from qingcheng.core.masking import mask_address, mask_id_number, mask_name, mask_phone
from qingcheng.core.money import format_yuan
from qingcheng.core.scope import in_scope, scope_queryset

from .common import party_redactor
from .models import (
    CollectingBank,
    CreditRecord,
    CrimeTransfer,
    Disclosure,
    Evidence,
    Hearing,
    LegalBasis,
    Party,
    PaymentNotice,
    PenaltyCase,
    PenaltyDeadline,
    PenaltyEvent,
    TransferEvent,
    Violation,
)
from .payments import services as payments
from .penalty import deadlines
from .penalty.workflow import FINAL_STATES, Transition, actions_from

S = PenaltyCase.Status
P = PenaltyDeadline.Purpose
VIEW = "enforcement.view_penaltycase"
TRANSFER_VIEW = "enforcement.view_crimetransfer"
PARTY_DATA = "enforcement.view_party_data"
OFFICER = "enforcement.investigate_penaltycase"

# How far ahead a running period counts as "due soon" in the queue.
DUE_SOON = dt.timedelta(days=3)
# Periods the party keeps (statements, hearing request, payment): the agency is not late on them, so they
# never make a case "overdue" in the queue (services.PARTY_PERIODS says the same for the sweep).
PARTY_PERIODS = frozenset({P.STATEMENT, P.HEARING_REQUEST, P.PAYMENT})
# While suspended or with the police the case's own periods do not press.
PAUSED = frozenset({S.SUSPENDED, S.TRANSFERRED})
OPEN_EXCLUDED = FINAL_STATES
ON_TIME_PURPOSES = (
    P.FILING,
    P.DECISION,
    P.SERVICE,
    P.DISCLOSURE,
    P.CLOSING,
    P.SIMPLIFIED_FILING,
    P.LEGAL_REVIEW,
)
# Statistics are asked for whole local dates within these bounds (beyond them dates overflow).
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
MAX_SPAN_DAYS = 3660
# Guards that need the step's own parameters (or are checked with the amounts): not hinted in advance.
PARAM_GUARDS = frozenset({"hearing_notice_period", "may_extend", "not_heavier_than_notice"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID = 2**31 - 1


def clean_query(value: Any, max_length: int = 60) -> str:
    """A search string without control characters (PostgreSQL refuses NUL in text)."""
    return _CONTROL.sub("", str(value or "")).strip()[:max_length]


def rate(numerator: int, denominator: int) -> float | None:
    """A share rounded to 4 places; None when there is nothing to divide by."""
    return round(numerator / denominator, 4) if denominator else None


# ------------------------------------------------------------------------------------------- the queue


def _open_agency_periods() -> QuerySet[PenaltyDeadline]:
    return PenaltyDeadline.objects.filter(case=OuterRef("pk"), met_at__isnull=True, cancelled=False).exclude(
        purpose__in=PARTY_PERIODS
    )


def _overdue(at: dt.datetime) -> Q:
    """An agency period of the case is past due (and the case is not paused)."""
    return Q(Exists(_open_agency_periods().filter(due_at__lt=at))) & ~Q(status__in=PAUSED)


def _due_soon(at: dt.datetime) -> Q:
    """An agency period of the case falls due within `DUE_SOON` (and the case is not paused)."""
    running = _open_agency_periods().filter(due_at__gte=at, due_at__lt=at + DUE_SOON)
    return Q(Exists(running)) & ~Q(status__in=PAUSED)


def _with_due(queryset: QuerySet[PenaltyCase], at: dt.datetime) -> QuerySet[PenaltyCase]:
    """Annotate the next agency period (`next_due_at`, `next_due_purpose`) and whether one is past due or
    falls due within `DUE_SOON` (`is_overdue`, `is_due_soon`); paused cases are neither."""
    running = _open_agency_periods()
    return queryset.annotate(
        next_due_at=Subquery(running.order_by("due_at").values("due_at")[:1]),
        next_due_purpose=Subquery(running.order_by("due_at").values("purpose")[:1]),
        is_overdue=ExpressionWrapper(_overdue(at), output_field=BooleanField()),
        is_due_soon=ExpressionWrapper(_due_soon(at), output_field=BooleanField()),
    )


def _mine(actor: Actor) -> Exists:
    through = PenaltyCase.officers.through
    return Exists(through.objects.filter(penaltycase_id=OuterRef("pk"), user_id=getattr(actor, "pk", None)))


def penalty_case_list(
    *,
    actor: Actor,
    status: str | None = None,
    q: str | None = None,
    mine: bool = False,
    due_soon: bool = False,
    overdue: bool = False,
    procedure: str | None = None,
) -> QuerySet[PenaltyCase]:
    """Penalty cases in the actor's area, the most pressing first: cases with a period overdue or falling
    due first (earliest due first), then the newest. `status` may also be "open" (not closed or refused);
    `q` matches the case or decision number, the place and the violation, and the party's name only for
    users who may see it (otherwise a search would reveal the masked name)."""
    require_permission(actor, VIEW)
    at = clock.now()
    rows = scope_queryset(PenaltyCase.objects.all(), actor).select_related("violation")
    rows = _with_due(rows, at)
    if status == "open":
        rows = rows.exclude(status__in=OPEN_EXCLUDED)
    elif status:
        if status not in S.values:
            raise ValidationFailed(
                "案件状态无效", "unknown status", field="status", details={"allowed": [*S.values, "open"]}
            )
        rows = rows.filter(status=status)
    if procedure:
        if procedure not in PenaltyCase.Procedure.values:
            raise ValidationFailed("程序类型无效", "unknown procedure", field="procedure")
        rows = rows.filter(procedure=procedure)
    query = clean_query(q)
    if query:
        match = (
            Q(number__icontains=query)
            | Q(decision_number__icontains=query)
            | Q(address__icontains=query)
            | Q(violation__name__icontains=query)
            | Q(violation__code__iexact=query)
        )
        if has_permission(actor, PARTY_DATA):
            match |= Q(party_name__icontains=query)
        rows = rows.filter(match)
    if mine:
        rows = rows.filter(_mine(actor))
    if due_soon:
        rows = rows.filter(_due_soon(at))
    if overdue:
        rows = rows.filter(_overdue(at))
    return rows.order_by(F("next_due_at").asc(nulls_last=True), "-created_at", "-pk")


def queue_counts(*, actor: Actor) -> dict[str, Any]:
    """What the queue's side list shows: open cases, mine, due soon, overdue and a count per status, in
    two aggregate queries."""
    require_permission(actor, VIEW)
    at = clock.now()
    # Conditions go into the aggregates' filters directly: Django 5.2 drops annotations that only an
    # aggregate's filter uses from the inner query, so a filter on an annotation counts nothing.
    rows = scope_queryset(PenaltyCase.objects.all(), actor)
    is_open = ~Q(status__in=OPEN_EXCLUDED)
    totals = rows.aggregate(
        all=Count("pk"),
        open=Count("pk", filter=is_open),
        mine=Count("pk", filter=is_open & Q(_mine(actor))),
        due_soon=Count("pk", filter=_due_soon(at)),
        overdue=Count("pk", filter=_overdue(at)),
    )
    per_status = dict(
        scope_queryset(PenaltyCase.objects.all(), actor)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    totals["by_status"] = [
        {"status": value, "label": label, "count": per_status.get(value, 0)} for value, label in S.choices
    ]
    return totals


def penalty_case_get(*, actor: Actor, case_id: Any) -> PenaltyCase:
    """One penalty case in the actor's area; outside it, or missing, is NotFound."""
    require_permission(actor, VIEW)
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound("案件", "case") from None
    if not 0 < pk <= MAX_ID:
        raise NotFound("案件", "case")
    found = (
        scope_queryset(PenaltyCase.objects.all(), actor)
        .select_related("violation", "discretion_level", "bank", "decided_by", "filing_approved_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("案件", "case")
    return found


# ---------------------------------------------------------------------------------------- what may be done


def allowed_actions(*, actor: Actor, case: PenaltyCase) -> list[Transition]:
    """The steps of the transition table this actor may take on this case now, by state, permission,
    procedure and area. Guards (the legal preconditions of the moment) are not evaluated here: the service
    does that when the step is taken, and `guard_hints` says in advance which ones do not hold yet."""
    if not in_scope(actor, case.area_code):  # no area for a missing, anonymous or inactive actor
        return []
    return [
        t
        for t in actions_from(case.status)
        if may_take(actor, t) and (not t.procedure or t.procedure == case.procedure)
    ]


def may_take(actor: Actor, step: Transition) -> bool:
    """The actor holds the permission of this step of the procedure; a step the system takes (no
    permission) is no one's, even a superuser's."""
    return bool(step.permission) and has_permission(actor, step.permission)


def guard_hints(*, actor: Actor, case: PenaltyCase, steps: list[Transition]) -> dict[str, list[str]]:
    """For each offered step, the messages of its legal preconditions that do not hold now (in the current
    language), so the page can say why a step would be refused before the user fills its form. Guards that
    need the step's own input are skipped; a guard that cannot be judged without input says nothing."""
    from django.utils.translation import get_language

    from .penalty import services

    english = (get_language() or "zh-hans").lower().startswith("en")
    guards = services.GUARDS
    at = clock.now()
    hints: dict[str, list[str]] = {}
    for step in steps:
        for name in step.guards:
            if name in PARAM_GUARDS or name not in guards:
                continue
            test, zh, en = guards[name]
            try:
                holds = bool(test(case, actor, {}, at))
            except Exception:  # a hint must never break the page
                continue
            if not holds and (zh or en):
                hints.setdefault(step.action, []).append(en if english else zh)
    return hints


def officers_for(*, area_code: str, limit: int = 300) -> list[Any]:
    """Certified officers who may act in `area_code` (for the "officers present" choice): active users who
    hold the officer permission and whose scope covers the area. Auxiliaries never hold it."""
    User = get_user_model()
    permission = Permission.objects.filter(
        codename="investigate_penaltycase", content_type__app_label="enforcement"
    ).first()
    if permission is None:
        return []
    candidates = (
        User.objects.filter(is_active=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .exclude(staff_category=User.StaffCategory.AUXILIARY)
        .distinct()
        .order_by("display_name", "username")[:limit]
    )
    return [u for u in candidates if in_scope(u, area_code) and has_permission(u, OFFICER)]


def banks_for(*, area_code: str) -> QuerySet[CollectingBank]:
    """Active collecting banks; those of the case's own area first."""
    return CollectingBank.objects.filter(active=True).order_by("code")


# --------------------------------------------------------------------------------------------- the party


def party_view(*, actor: Actor, case: PenaltyCase) -> dict[str, Any]:
    """The party (当事人) as this actor may see them: in full with `enforcement.view_party_data`, otherwise
    an individual's name keeps the surname, ID and phone numbers keep their ends and the address its
    district. An organisation's name is not personal data and stays whole; its credit code is masked."""
    unmasked = has_permission(actor, PARTY_DATA)
    individual = case.party_kind == Party.INDIVIDUAL
    if unmasked:
        name, id_number, phone = case.party_name, case.party_id_number, case.party_phone
        address, representative = case.party_address, case.party_representative
    else:
        name = mask_name(case.party_name) if individual else case.party_name
        id_number = mask_id_number(case.party_id_number)
        phone = mask_phone(case.party_phone)
        address = mask_address(case.party_address)
        representative = mask_name(case.party_representative)
    return {
        "kind": case.party_kind,
        "kind_label": str(case.get_party_kind_display()),
        "name": name,
        "id_number": id_number,
        "phone": phone,
        "address": address,
        "representative": representative,
        "masked": not unmasked,
    }


def redactor(*, actor: Actor, case: PenaltyCase) -> Callable[[str], str]:
    """The party's personal data masked in free text unless the actor may see it (`party_redactor`)."""
    return party_redactor(case, unmasked=has_permission(actor, PARTY_DATA))


# ------------------------------------------------------------------------------------- the case's parts


def case_bases(*, case: PenaltyCase) -> dict[str, list[LegalBasis]]:
    """The provisions the violation breaks (违则) and those that punish it (罚则), each with `verified`."""
    violation = case.violation
    return {"violated": list(violation.violated.all()), "penalised_by": list(violation.penalised_by.all())}


def case_timeline(*, actor: Actor, case: PenaltyCase) -> list[dict[str, Any]]:
    """The case's steps, oldest first: when, what, who acted, which officers were present, the state it
    moved to and the note (party data masked for users who may not see it)."""
    from .forms import event_label

    redact = redactor(actor=actor, case=case)
    events = list(case.events.select_related("actor").order_by("at", "pk"))
    ids = {i for e in events for i in (e.officer_ids or [])}
    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=ids)} if ids else {}
    labels = dict(S.choices)
    rows = []
    for e in events:
        data = e.data if isinstance(e.data, dict) else {}
        amounts = {
            key: format_yuan(data[key])
            for key in ("fine_fen", "amount_fen", "surcharge_fen", "collected_fen")
            if isinstance(data.get(key), int) and data.get(key)
        }
        rows.append(
            {
                "id": e.pk,
                "at": e.at,
                "action": e.action,
                "label": str(event_label(e.action)),
                "actor": str(e.actor) if e.actor else "",
                "officers": [names.get(i, f"#{i}") for i in (e.officer_ids or [])],
                "from_status": e.from_status,
                "to_status": e.to_status,
                "to_status_label": str(labels.get(e.to_status, e.to_status)),
                "changed": bool(e.to_status and e.to_status != e.from_status),
                "note": redact(e.note),
                "late": bool(data.get("late")),
                "amounts": amounts,
            }
        )
    return rows


def case_periods(*, case: PenaltyCase) -> list[dict[str, Any]]:
    """The statutory periods of the case (superseded ones left out), each with its due time, when it was
    met and its state: met, met_late, overdue, due_soon or running."""
    at = clock.now()
    rows = []
    for row in PenaltyDeadline.objects.filter(case=case, cancelled=False).order_by("due_at", "pk"):
        if row.met_at is not None:
            state = "met" if row.met_at <= row.due_at else "met_late"
        elif row.due_at < at:
            state = "overdue"
        elif row.due_at < at + DUE_SOON:
            state = "due_soon"
        else:
            state = "running"
        period = deadlines.PERIODS.get(row.purpose)
        rows.append(
            {
                "id": row.pk,
                "purpose": row.purpose,
                "label": str(row.get_purpose_display()),
                "basis": period.basis if period else "",
                "due_at": row.due_at,
                "met_at": row.met_at,
                "state": state,
                "overdue": state == "overdue",
                "party": row.purpose in PARTY_PERIODS,
            }
        )
    return rows


def case_documents(*, case: PenaltyCase) -> QuerySet:
    return case.documents.select_related("issued_by").order_by("issued_at", "pk")


def case_evidence(*, actor: Actor, case: PenaltyCase) -> list[dict[str, Any]]:
    redact = redactor(actor=actor, case=case)
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "kind_label": str(e.get_kind_display()),
            "title": redact(e.title),
            "description": redact(e.description),
            "content_type": e.content_type,
            "size": e.size,
            "sha256": e.sha256,
            "collected_at": e.collected_at,
            "collected_by": str(e.collected_by),
            "place": redact(e.place),
            "image": e.content_type.startswith("image/"),
        }
        for e in Evidence.objects.filter(case=case)
        .select_related("collected_by")
        .order_by("collected_at", "pk")
    ]


def case_payments(*, case: PenaltyCase) -> list[dict[str, Any]]:
    """Payment notices with what settles each today: the amount plus the late-payment surcharge (加处罚款)
    as `payments` computes it (3% a day of the fine, capped at the fine, paused during review)."""
    today = payments.local_date(clock.now())
    rows = []
    for notice in case.payment_notices.select_related("bank", "case").order_by("created_at", "pk"):
        surcharge = payments.surcharge_fen(notice=notice, as_of=today)
        unpaid = notice.status == PaymentNotice.Status.UNPAID
        due_today = payments.amount_due_fen(notice=notice, as_of=today)
        rows.append(
            {
                "id": notice.pk,
                "number": notice.number,
                "bank": notice.bank.name,
                "bank_code": notice.bank.code,
                "status": notice.status,
                "status_label": str(notice.get_status_display()),
                "amount_fen": notice.amount_fen,
                "amount_yuan": format_yuan(notice.amount_fen),
                "due_at": notice.due_at,
                "overdue": unpaid and notice.due_at < clock.now(),
                "surcharge_applies": notice.surcharge_applies,
                "surcharge_fen": surcharge if unpaid else notice.surcharge_paid_fen,
                "surcharge_yuan": format_yuan(surcharge if unpaid else notice.surcharge_paid_fen),
                "due_today_fen": due_today,
                "due_today_yuan": format_yuan(due_today),
                "paid_at": notice.paid_at,
                "paid_fen": notice.paid_fen,
                "paid_yuan": format_yuan(notice.paid_fen),
                "receipt": notice.bank_receipt_number,
            }
        )
    return rows


def case_disclosure(*, case: PenaltyCase) -> dict[str, Any]:
    """Publication (双公示) and the credit record of the decision, and the publication period."""
    disclosure = Disclosure.objects.filter(case=case).first()
    credit = CreditRecord.objects.filter(case=case).first()
    period = deadlines.period_latest(case, P.DISCLOSURE)
    return {
        "disclosure": disclosure,
        "credit": credit,
        "due_at": period.due_at if period else None,
        "met_at": period.met_at if period else None,
        "late": bool(period and period.met_at and period.met_at > period.due_at),
        "pending": bool(case.decided_at and disclosure is None),
    }


def case_transfers(*, actor: Actor, case: PenaltyCase) -> QuerySet[CrimeTransfer]:
    if not has_permission(actor, TRANSFER_VIEW):
        return CrimeTransfer.objects.none()
    return scope_queryset(CrimeTransfer.objects.filter(penalty_case=case), actor).order_by("-reported_at")


def violation_list(*, actor: Actor, q: str | None = None, domain: str | None = None) -> QuerySet[Violation]:
    """The catalogue (违法行为目录) with its provisions and discretion benchmarks, for anyone who may read
    it (`enforcement.view_violation`)."""
    require_permission(actor, "enforcement.view_violation")
    rows = Violation.objects.filter(active=True).prefetch_related(
        "violated", "penalised_by", "discretion_levels"
    )
    if domain:
        if domain not in Violation.Domain.values:
            raise ValidationFailed("领域无效", "unknown domain", field="domain")
        rows = rows.filter(domain=domain)
    query = clean_query(q)
    if query:
        rows = rows.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return rows.order_by("code")


# -------------------------------------------------------------------------------------------- statistics


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Whole local dates [date_from, date_to] as aware instants [start, end)."""
    if not isinstance(date_from, dt.date) or not isinstance(date_to, dt.date):
        raise ValidationFailed("日期无效", "dates must be dates", field="date_from")
    if isinstance(date_from, dt.datetime) or isinstance(date_to, dt.datetime):
        raise ValidationFailed("日期无效", "dates must be dates, not times", field="date_from")
    if not FIRST_DAY <= date_from <= LAST_DAY or not FIRST_DAY <= date_to <= LAST_DAY:
        raise ValidationFailed(
            "日期须在2000年至2100年之间", "dates must lie between 2000 and 2100", field="date_from"
        )
    if date_to < date_from:
        raise ValidationFailed("结束日期早于开始日期", "date_to is before date_from", field="date_to")
    if (date_to - date_from).days > MAX_SPAN_DAYS:
        raise ValidationFailed("统计区间最长十年", "the range may span at most ten years", field="date_to")
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """This year up to today (local)."""
    today = today or timezone.localdate(clock.now())
    return dt.date(today.year, 1, 1), today


def enforcement_statistics(*, actor: Actor, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """The leaders' figures for the actor's area and the local dates [date_from, date_to]:

    - `cases`: where the cases stand now, by status and by procedure (a snapshot, not limited to the dates);
    - `flow`: cases proposed (or decided on the spot), filed (立案), decided, closed, no-penalty and
      terminated within the dates, and decisions by procedure;
    - `money` (integer fen): fines and confiscations decided within the dates; of those decisions what has
      been collected (principal, without surcharge) and the collection rate (collected ÷ decided); and,
      as cash flow, what the bank or the officers received within the dates (`received_fen`, of which
      surcharge `surcharge_received_fen`);
    - `on_time`: per statutory period (decision, service, publication, closing, on-the-spot filing, legal
      review), the periods settled within the dates: met on time or met late within them, or due within
      them and still not met (overdue; `running` when not yet due). The rate is on time ÷ (on time + late
      + overdue); a period still running does not count;
    - `transfers` (行刑衔接): reported within the dates by their current status, and late steps;
    - `hearings`: requested and held within the dates; `legal_reviews` answered;
    - `top_violations`: the ten violations decided most often within the dates.
    """
    require_permission(actor, VIEW)
    start, end = _bounds(date_from, date_to)
    at = clock.now()
    cases = scope_queryset(PenaltyCase.objects.all(), actor)

    def within(field: str) -> Q:
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})

    status_counts = dict(cases.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    procedure_counts = dict(
        cases.values_list("procedure").annotate(n=Count("pk")).values_list("procedure", "n")
    )
    opened = Exists(
        PenaltyEvent.objects.filter(
            case=OuterRef("pk"), action__in=("open", "simplified"), at__gte=start, at__lt=end
        )
    )
    decided = within("decided_at")
    ended = PenaltyEvent.objects.filter(case=OuterRef("pk"), at__gte=start, at__lt=end)
    flow = cases.aggregate(
        opened=Count("pk", filter=Q(opened)),
        filed=Count("pk", filter=within("filed_at")),
        decided=Count("pk", filter=decided),
        decided_general=Count("pk", filter=decided & Q(procedure=PenaltyCase.Procedure.GENERAL)),
        decided_simplified=Count("pk", filter=decided & Q(procedure=PenaltyCase.Procedure.SIMPLIFIED)),
        warnings=Count("pk", filter=decided & Q(warning=True)),
        no_penalty=Count("pk", filter=Q(Exists(ended.filter(action="decide_no_penalty")))),
        terminated=Count("pk", filter=Q(Exists(ended.filter(action="terminate")))),
        closed=Count("pk", filter=within("closed_at")),
        fines_decided_fen=Sum("fine_fen", filter=decided),
        confiscation_decided_fen=Sum("confiscation_fen", filter=decided),
    )
    for key in ("fines_decided_fen", "confiscation_decided_fen"):
        flow[key] = flow[key] or 0

    notices = scope_queryset(PaymentNotice.objects.all(), actor, field="case__area_code")
    paid = Q(status=PaymentNotice.Status.PAID)
    principal = ExpressionWrapper(F("paid_fen") - F("surcharge_paid_fen"), output_field=IntegerField())
    collected = notices.filter(paid, case__decided_at__gte=start, case__decided_at__lt=end).aggregate(
        collected_fen=Sum(principal), notices_paid=Count("pk")
    )
    received = notices.filter(paid, paid_at__gte=start, paid_at__lt=end).aggregate(
        received_fen=Sum("paid_fen"), surcharge_received_fen=Sum("surcharge_paid_fen"), payments=Count("pk")
    )
    unpaid = notices.filter(status=PaymentNotice.Status.UNPAID).aggregate(
        unpaid_notices=Count("pk"),
        unpaid_fen=Sum("amount_fen"),
        overdue_notices=Count("pk", filter=Q(due_at__lt=at)),
    )
    decided_fen = flow["fines_decided_fen"] + flow["confiscation_decided_fen"]
    collected_fen = collected["collected_fen"] or 0
    money = {
        "fines_decided_fen": flow.pop("fines_decided_fen"),
        "confiscation_decided_fen": flow.pop("confiscation_decided_fen"),
        "decided_fen": decided_fen,
        "collected_fen": collected_fen,
        "collection_rate": rate(collected_fen, decided_fen),
        "received_fen": received["received_fen"] or 0,
        "surcharge_received_fen": received["surcharge_received_fen"] or 0,
        "payments": received["payments"],
        "unpaid_notices": unpaid["unpaid_notices"],
        "unpaid_fen": unpaid["unpaid_fen"] or 0,
        "overdue_notices": unpaid["overdue_notices"],
    }

    met_within = Q(met_at__gte=start, met_at__lt=end)
    due_within = Q(due_at__gte=start, due_at__lt=end)
    periods = (
        scope_queryset(PenaltyDeadline.objects.all(), actor, field="case__area_code")
        .filter(cancelled=False, purpose__in=ON_TIME_PURPOSES)
        .filter(met_within | (Q(met_at__isnull=True) & due_within))
        .values("purpose")
        .annotate(
            on_time=Count("pk", filter=met_within & Q(met_at__lte=F("due_at"))),
            late=Count("pk", filter=met_within & Q(met_at__gt=F("due_at"))),
            overdue=Count("pk", filter=Q(met_at__isnull=True, due_at__lt=at)),
            running=Count("pk", filter=Q(met_at__isnull=True, due_at__gte=at)),
        )
    )
    by_purpose = {row["purpose"]: row for row in periods}
    labels = dict(P.choices)
    on_time = []
    for purpose in ON_TIME_PURPOSES:
        row = by_purpose.get(purpose, {})
        counts = {k: row.get(k, 0) for k in ("on_time", "late", "overdue", "running")}
        judged = counts["on_time"] + counts["late"] + counts["overdue"]
        on_time.append(
            {
                "purpose": purpose,
                "label": str(labels[purpose]),
                **counts,
                "judged": judged,
                "rate": rate(counts["on_time"], judged),
            }
        )

    transfers: dict[str, Any] | None = None
    if has_permission(actor, TRANSFER_VIEW):
        scoped = scope_queryset(CrimeTransfer.objects.all(), actor)
        reported = scoped.filter(reported_at__gte=start, reported_at__lt=end)
        per_status = dict(reported.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
        transfers = {
            "reported": sum(per_status.values()),
            "transferred": scoped.filter(transferred_at__gte=start, transferred_at__lt=end).count(),
            "by_status": [
                {"status": value, "label": str(label), "count": per_status.get(value, 0)}
                for value, label in CrimeTransfer.Status.choices
            ],
            "late_steps": scope_queryset(
                TransferEvent.objects.filter(late=True, at__gte=start, at__lt=end),
                actor,
                field="transfer__area_code",
            ).count(),
        }

    hearings = scope_queryset(Hearing.objects.all(), actor, field="case__area_code").aggregate(
        requested=Count("pk", filter=Q(requested_at__gte=start, requested_at__lt=end)),
        held=Count("pk", filter=Q(outcome=Hearing.Outcome.HELD, held_at__gte=start, held_at__lt=end)),
    )
    from .models import LegalReview

    legal_reviews = (
        scope_queryset(LegalReview.objects.all(), actor, field="case__area_code")
        .filter(answered_at__gte=start, answered_at__lt=end)
        .count()
    )
    top = list(
        cases.filter(decided)
        .values("violation__code", "violation__name")
        .annotate(n=Count("pk"), fines_fen=Sum("fine_fen"))
        .order_by("-n", "violation__code")[:10]
    )
    return {
        "date_from": date_from,
        "date_to": date_to,
        "cases": {
            "total": sum(status_counts.values()),
            "by_status": [
                {"status": value, "label": str(label), "count": status_counts.get(value, 0)}
                for value, label in S.choices
            ],
            "by_procedure": [
                {"procedure": value, "label": str(label), "count": procedure_counts.get(value, 0)}
                for value, label in PenaltyCase.Procedure.choices
            ],
        },
        "flow": flow,
        "money": money,
        "on_time": on_time,
        "transfers": transfers,
        "hearings": hearings,
        "legal_reviews": legal_reviews,
        "top_violations": [
            {
                "code": row["violation__code"],
                "name": row["violation__name"],
                "decided": row["n"],
                "fines_fen": row["fines_fen"] or 0,
            }
            for row in top
        ],
    }
