"""JSON API of administrative enforcement (行政执法): penalty cases (list, one case, opening, on-the-spot
decisions, every step of the procedure), the catalogue of violations, the statistics and the transfers of
suspected crimes (read-only here). Thin wrappers over `selectors` (reads, in scope) and the services
(writes); personal data of the party is masked unless the user may see it.

Mounted in `qingcheng/api.py` as `api.add_router("/enforcement/", enforcement_router)`. Every refusal is
the platform's error body with a 4xx status (`qingcheng.api.ERROR_STATUSES` documents them for every
operation).

No `from __future__ import annotations` here: ninja builds the query-parameter models from the
annotations at import time and cannot resolve them as strings."""

import datetime as dt
import re
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator

from qingcheng.core.access import Actor
from qingcheng.core.errors import NotFound, ValidationFailed
from qingcheng.core.inputs import SaneDate, SaneDatetime
from qingcheng.core.money import MAX_FEN
from qingcheng.core.pagination import MappedRows, PageNumberPagination

from . import selectors
from .forms import ACTION_FORMS
from .models import CrimeTransfer, PenaltyCase, Violation
from .penalty import services
from .penalty.workflow import ACTIONS, SYSTEM_ACTIONS, transition
from .transfers import services as transfer_services

router = Router(tags=["enforcement"])

MAX_ID = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain(value: str) -> str:
    # PostgreSQL cannot store NUL; other control characters have no place in these texts either.
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_plain)]
Moment = SaneDatetime
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Fen = Annotated[int, Field(ge=0, le=MAX_FEN)]


# ---------------------------------------------------------------------------------------------- schemas


class PenaltyPartyOut(Schema):
    kind: str
    kind_label: str
    name: str
    id_number: str
    phone: str
    address: str
    representative: str
    masked: bool = Field(description="True when personal data is masked for this user")


class PenaltyCaseSummaryOut(Schema):
    id: int
    number: str
    procedure: str
    source: str
    status: str
    status_label: str
    violation_code: str
    violation_name: str
    address: str
    area_code: str
    party_kind: str
    party_name: str = Field(description="Masked (张*) unless the user may see party data")
    fine_fen: int
    confiscation_fen: int
    warning: bool
    filed_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_number: str
    next_due_at: dt.datetime | None = Field(description="The earliest running period of the agency")
    next_due_purpose: str | None
    overdue: bool
    due_soon: bool
    version: int


class BasisOut(Schema):
    law_name: str
    law_version: str
    article: str
    verified: bool
    text: str = Field(description="Quoted text; empty when the provision was not checked")
    source: str


class LevelOut(Schema):
    id: int
    level: str
    label: str
    circumstances: str
    warning: bool
    fine_min_fen: int
    fine_max_fen: int
    fine_unit: str
    other_penalties: str
    verified: bool
    source: str


class PeriodOut(Schema):
    purpose: str
    label: str
    basis: str
    due_at: dt.datetime
    met_at: dt.datetime | None
    state: str = Field(description="met, met_late, overdue, due_soon or running")


class PenaltyEventOut(Schema):
    id: int
    at: dt.datetime
    action: str
    label: str
    actor: str
    officers: list[str]
    from_status: str
    to_status: str
    note: str
    late: bool


class DocumentOut(Schema):
    kind: str
    kind_label: str
    number: str
    issued_at: dt.datetime


class EvidenceOut(Schema):
    id: int
    kind: str
    title: str
    content_type: str
    size: int
    sha256: str
    collected_at: dt.datetime
    collected_by: str


class NoticeOut(Schema):
    number: str
    bank_code: str
    status: str
    amount_fen: int
    due_at: dt.datetime
    surcharge_applies: bool
    surcharge_fen: int = Field(description="Late-payment surcharge as of today (paid surcharge once paid)")
    due_today_fen: int = Field(description="What settles the notice today; 0 once paid or cancelled")
    paid_at: dt.datetime | None
    paid_fen: int


class DisclosureOut(Schema):
    status: str | None = Field(description="published, withdrawn, or null when not published")
    published_at: dt.datetime | None
    due_at: dt.datetime | None
    late: bool
    credit_status: str | None
    credit_minimum_until: dt.date | None
    credit_maximum_until: dt.date | None


class StepOut(Schema):
    action: str
    label: str
    two_officers: bool
    target: str | None
    hints: list[str] = Field(description="Legal preconditions that do not hold now")


class CaseOut(PenaltyCaseSummaryOut):
    facts: str
    occurred_at: dt.datetime
    discovered_at: dt.datetime | None
    lon: float | None
    lat: float | None
    party: PenaltyPartyOut
    other_penalty: str
    hearing_right: bool
    is_major: bool
    needs_legal_review: bool
    notified_at: dt.datetime | None
    served_at: dt.datetime | None
    executed_at: dt.datetime | None
    closed_at: dt.datetime | None
    bank_code: str | None
    discretion_level_id: int | None
    officers: list[str]
    violated: list[BasisOut]
    penalised_by: list[BasisOut]
    periods: list[PeriodOut]
    timeline: list[PenaltyEventOut]
    documents: list[DocumentOut]
    evidence: list[EvidenceOut]
    payment_notices: list[NoticeOut]
    disclosure: DisclosureOut
    allowed_actions: list[StepOut]


class PenaltyCaseFilters(Schema):
    status: str | None = Field(None, description='A status, or "open" for every case not closed or refused')
    q: Text | None = Field(None, max_length=60, description="Case or decision number, place or violation")
    mine: bool = False
    due_soon: bool = False
    overdue: bool = False
    procedure: PenaltyCase.Procedure | None = None


class PartyIn(Schema):
    party_kind: str
    party_name: Text = Field(max_length=120)
    party_id_number: Text = Field("", max_length=18)
    party_address: Text = Field("", max_length=200)
    party_phone: Text = Field("", max_length=20)
    party_representative: Text = Field("", max_length=60)


class CaseOpenIn(PartyIn):
    source: str
    violation_code: Text = Field(max_length=20)
    facts: Text = Field(max_length=8000)
    address: Text = Field(max_length=200)
    occurred_at: Moment
    discovered_at: Moment | None = Field(
        None,
        description="When the lead was found or the material received (住建部令第55号 第十五条: the filing is "
        "decided within 15 working days of it); default: the loop case's report, else now",
    )
    officer_ids: list[Id] = Field(default_factory=list, max_length=20)
    area_code: Text | None = Field(None, max_length=15)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    source_case_id: Id | None = None
    discretion_level_id: Id | None = None


class SimplifiedIn(PartyIn):
    violation_code: Text = Field(max_length=20)
    facts: Text = Field(max_length=8000)
    address: Text = Field(max_length=200)
    occurred_at: Moment
    form_number: Text = Field(max_length=40)
    officer_ids: list[Id] = Field(default_factory=list, max_length=20)
    warning: bool = False
    fine_fen: Fen = 0
    bank_id: Id | None = None
    area_code: Text | None = Field(None, max_length=15)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    discretion_level_id: Id | None = None


class ActionParams(Schema):
    """The parameters a step may carry; which ones a step needs is in its page form (forms.ACTION_FORMS)."""

    warning: bool | None = None
    fine_fen: Fen | None = None
    confiscation_fen: Fen | None = None
    other_penalty: Text | None = Field(None, max_length=30)
    discretion_level_id: Id | None = None
    is_major: bool | None = None
    needs_legal_review: bool | None = None
    record: Text | None = Field(None, max_length=20000)
    report: Text | None = Field(None, max_length=8000)
    statement: Text | None = Field(None, max_length=20000)
    scheduled_for: Moment | None = None
    place: Text | None = Field(None, max_length=200)
    public: bool | None = None
    agents: Text | None = Field(None, max_length=120)
    opinion_text: Text | None = Field(None, max_length=4000)
    participants: Text | None = Field(None, max_length=500)
    conclusion: Text | None = Field(None, max_length=4000)
    bank_id: Id | None = None
    service_method: Text | None = Field(None, max_length=20)
    electronic_consent: bool | None = None
    ground: Text | None = Field(None, max_length=40)
    days: int | None = Field(None, ge=1, le=365)


class PenaltyActionIn(Schema):
    action: str = Field(description="A step of the penalty procedure (workflow.ACTIONS, not the system's)")
    officer_ids: list[Id] = Field(default_factory=list, max_length=20)
    note: Text = Field("", max_length=4000)
    expected_version: int | None = Field(None, ge=1, le=MAX_ID)
    params: ActionParams = Field(default_factory=ActionParams)


class ViolationOut(Schema):
    code: str
    name: str
    domain: str
    description: str
    case_category_code: str
    basis_verified: bool = Field(description="Every provision of the violation was checked against a text")
    violated: list[BasisOut]
    penalised_by: list[BasisOut]
    discretion_levels: list[LevelOut]


class ViolationFilters(Schema):
    q: Text = Field("", max_length=60, description="Code or name")
    domain: Violation.Domain | None = None


class CountOut(Schema):
    key: str
    label: str
    count: int


class OnTimeOut(Schema):
    purpose: str
    label: str
    on_time: int
    late: int
    overdue: int
    running: int
    judged: int
    rate: float | None


class FlowOut(Schema):
    opened: int
    filed: int
    decided: int
    decided_general: int
    decided_simplified: int
    warnings: int
    no_penalty: int
    terminated: int
    closed: int


class MoneyOut(Schema):
    fines_decided_fen: int
    confiscation_decided_fen: int
    decided_fen: int
    collected_fen: int = Field(description="Paid principal (no surcharge) of the decisions in the period")
    collection_rate: float | None
    received_fen: int = Field(description="Everything received in the period, surcharge included")
    surcharge_received_fen: int
    payments: int
    unpaid_notices: int
    unpaid_fen: int
    overdue_notices: int


class TransferStatsOut(Schema):
    reported: int
    transferred: int
    late_steps: int
    by_status: list[CountOut]


class ViolationCountOut(Schema):
    code: str
    name: str
    decided: int
    fines_fen: int


class StatisticsOut(Schema):
    date_from: dt.date
    date_to: dt.date
    cases_total: int
    cases_by_status: list[CountOut]
    cases_by_procedure: list[CountOut]
    flow: FlowOut
    money: MoneyOut
    on_time: list[OnTimeOut]
    transfers: TransferStatsOut | None = Field(description="Null for users who may not see transfers")
    hearings_requested: int
    hearings_held: int
    legal_reviews: int
    top_violations: list[ViolationCountOut]


class StatisticsQuery(Schema):
    date_from: SaneDate | None = Field(None, description="Local date; default 1 January of this year")
    date_to: SaneDate | None = Field(None, description="Local date, included; default today")


class TransferFilters(Schema):
    status: CrimeTransfer.Status | None = None
    overdue: bool | None = None
    q: Text = Field("", max_length=60)


class TransferSummaryOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    suspected_offence: str
    penalty_case: str
    area_code: str
    reported_at: dt.datetime
    current_due_at: dt.datetime | None


class TransferEventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str
    at: dt.datetime
    note: str
    next_due_at: dt.datetime | None
    late: bool


class TransferOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    suspected_offence: str
    summary: str = Field(description="Masked unless the user may see party data")
    penalty_case: str
    police_unit: str
    team: list[str]
    reported_at: dt.datetime
    current_due_at: dt.datetime | None
    overdue: bool
    goods_list: list[dict[str, Any]]
    events: list[TransferEventOut]
    late_steps: int
    actions: list[str]


# --------------------------------------------------------------------------------------------- builders


def _summary(case: PenaltyCase, actor: Actor) -> dict[str, Any]:
    party = selectors.party_view(actor=actor, case=case)
    return {
        "id": case.pk,
        "number": case.number,
        "procedure": case.procedure,
        "source": case.source,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "violation_code": case.violation.code,
        "violation_name": case.violation.name,
        "address": case.address,
        "area_code": case.area_code,
        "party_kind": case.party_kind,
        "party_name": party["name"],
        "fine_fen": case.fine_fen,
        "confiscation_fen": case.confiscation_fen,
        "warning": case.warning,
        "filed_at": case.filed_at,
        "decided_at": case.decided_at,
        "decision_number": case.decision_number,
        "next_due_at": getattr(case, "next_due_at", None),
        "next_due_purpose": getattr(case, "next_due_purpose", None),
        "overdue": bool(getattr(case, "is_overdue", False)),
        "due_soon": bool(getattr(case, "is_due_soon", False)),
        "version": case.version,
    }


def _basis(basis: Any) -> dict[str, Any]:
    return {
        "law_name": basis.law_name,
        "law_version": basis.law_version,
        "article": basis.article,
        "verified": basis.verified,
        # An unverified provision's "text" is not the law's; it is never handed out as a quote.
        "text": basis.text if basis.verified else "",
        "source": basis.source,
    }


def _detail(actor: Actor, case: PenaltyCase) -> dict[str, Any]:
    """One case as the API shows it, read again through the selectors (in scope, masked)."""
    found = selectors.penalty_case_list(actor=actor).filter(pk=case.pk).first() or case
    redact = selectors.redactor(actor=actor, case=found)
    bases = selectors.case_bases(case=found)
    steps = selectors.allowed_actions(actor=actor, case=found)
    hints = selectors.guard_hints(actor=actor, case=found, steps=steps)
    info = selectors.case_disclosure(case=found)
    disclosure, credit = info["disclosure"], info["credit"]
    return {
        **_summary(found, actor),
        "facts": redact(found.facts),
        "occurred_at": found.occurred_at,
        "discovered_at": found.discovered_at,
        "lon": found.lon,
        "lat": found.lat,
        "party": selectors.party_view(actor=actor, case=found),
        "other_penalty": found.other_penalty,
        "hearing_right": found.hearing_right,
        "is_major": found.is_major,
        "needs_legal_review": found.needs_legal_review,
        "notified_at": found.notified_at,
        "served_at": found.served_at,
        "executed_at": found.executed_at,
        "closed_at": found.closed_at,
        "bank_code": found.bank.code if found.bank_id else None,
        "discretion_level_id": found.discretion_level_id,
        "officers": [str(u) for u in found.officers.order_by("pk")],
        "violated": [_basis(b) for b in bases["violated"]],
        "penalised_by": [_basis(b) for b in bases["penalised_by"]],
        "periods": selectors.case_periods(case=found),
        "timeline": selectors.case_timeline(actor=actor, case=found),
        "documents": [
            {
                "kind": d.kind,
                "kind_label": str(d.get_kind_display()),
                "number": d.number,
                "issued_at": d.issued_at,
            }
            for d in selectors.case_documents(case=found)
        ],
        "evidence": selectors.case_evidence(actor=actor, case=found),
        "payment_notices": selectors.case_payments(case=found),
        "disclosure": {
            "status": disclosure.status if disclosure else None,
            "published_at": disclosure.published_at if disclosure else None,
            "due_at": info["due_at"],
            "late": info["late"],
            "credit_status": credit.status if credit else None,
            "credit_minimum_until": credit.minimum_until if credit else None,
            "credit_maximum_until": credit.maximum_until if credit else None,
        },
        "allowed_actions": [
            {
                "action": s.action,
                "label": str(ACTION_FORMS[s.action].label) if s.action in ACTION_FORMS else s.label_zh,
                "two_officers": s.two_officers,
                "target": s.target,
                "hints": hints.get(s.action, []),
            }
            for s in steps
        ],
    }


# ------------------------------------------------------------------------------------------------ cases


@router.get(
    "/cases", response=list[PenaltyCaseSummaryOut], summary="Penalty cases in my area, most pressing first"
)
@paginate(PageNumberPagination)
def case_list(request: HttpRequest, filters: Query[PenaltyCaseFilters]):
    actor = request.user
    data = filters.dict()
    rows = selectors.penalty_case_list(actor=actor, **data)
    return MappedRows(rows, lambda case: _summary(case, actor))


@router.post("/cases", response={201: CaseOut}, summary="Propose a case for filing (general procedure)")
def case_open(request: HttpRequest, payload: CaseOpenIn):
    actor = request.user
    case = services.penalty_case_open(actor=actor, **payload.dict())
    return Status(201, _detail(actor, case))


@router.post(
    "/cases/simplified",
    response={201: CaseOut},
    summary="Record an on-the-spot decision (simplified procedure)",
)
def case_simplified(request: HttpRequest, payload: SimplifiedIn):
    actor = request.user
    case = services.penalty_case_simplified(actor=actor, **payload.dict())
    return Status(201, _detail(actor, case))


@router.get("/cases/{case_id}", response=CaseOut, summary="One case: party, bases, periods, timeline, steps")
def case_get(request: HttpRequest, case_id: int):
    actor = request.user
    return _detail(actor, selectors.penalty_case_get(actor=actor, case_id=case_id))


@router.post("/cases/{case_id}/actions", response=CaseOut, summary="Take one step of the penalty procedure")
def case_act(request: HttpRequest, case_id: int, payload: PenaltyActionIn):
    actor = request.user
    if payload.action not in ACTIONS or payload.action in SYSTEM_ACTIONS:
        raise ValidationFailed(
            "未知的操作",
            f"unknown action {payload.action[:40]!r}",
            field="action",
            code="unknown_action",
        )
    # Through the actor's scope first, so an outsider gets 404 and not a hint about the case.
    case = selectors.penalty_case_get(actor=actor, case_id=case_id)
    params = payload.params.dict(exclude_none=True)
    if "scheduled_for" in params:
        params["scheduled_for"] = params["scheduled_for"].isoformat()
    step = transition(case.status, payload.action)
    officer_ids = payload.officer_ids if step is not None and step.two_officers else []
    case = services.penalty_case_act(
        actor=actor,
        case=case,
        action=payload.action,
        officer_ids=officer_ids,
        note=payload.note,
        expected_version=payload.expected_version,
        **params,
    )
    return _detail(actor, case)


# -------------------------------------------------------------------------------------------- catalogue


@router.get(
    "/violations", response=list[ViolationOut], summary="The catalogue of violations with their bases"
)
def violations(request: HttpRequest, filters: Query[ViolationFilters]):
    rows = selectors.violation_list(actor=request.user, q=filters.q, domain=filters.domain)
    return [
        {
            "code": v.code,
            "name": v.name,
            "domain": v.domain,
            "description": v.description,
            "case_category_code": v.case_category_code,
            "basis_verified": bool(list(v.violated.all()) + list(v.penalised_by.all()))
            and all(b.verified for b in [*v.violated.all(), *v.penalised_by.all()]),
            "violated": [_basis(b) for b in v.violated.all()],
            "penalised_by": [_basis(b) for b in v.penalised_by.all()],
            "discretion_levels": [
                {
                    "id": level.pk,
                    "level": level.level,
                    "label": str(level.get_level_display()),
                    "circumstances": level.circumstances,
                    "warning": level.warning,
                    "fine_min_fen": level.fine_min_fen,
                    "fine_max_fen": level.fine_max_fen,
                    "fine_unit": level.fine_unit,
                    "other_penalties": level.other_penalties,
                    "verified": level.verified,
                    "source": level.source,
                }
                for level in v.discretion_levels.all()
            ],
        }
        for v in rows
    ]


# ------------------------------------------------------------------------------------------- statistics


@router.get("/statistics", response=StatisticsOut, summary="Cases, fines, on-time rates and transfers")
def statistics(request: HttpRequest, query: Query[StatisticsQuery]):
    default_from, default_to = selectors.default_period()
    data = selectors.enforcement_statistics(
        actor=request.user, date_from=query.date_from or default_from, date_to=query.date_to or default_to
    )
    transfers = data["transfers"]
    return {
        "date_from": data["date_from"],
        "date_to": data["date_to"],
        "cases_total": data["cases"]["total"],
        "cases_by_status": [
            {"key": r["status"], "label": r["label"], "count": r["count"]} for r in data["cases"]["by_status"]
        ],
        "cases_by_procedure": [
            {"key": r["procedure"], "label": r["label"], "count": r["count"]}
            for r in data["cases"]["by_procedure"]
        ],
        "flow": data["flow"],
        "money": data["money"],
        "on_time": data["on_time"],
        "transfers": None
        if transfers is None
        else {
            **transfers,
            "by_status": [
                {"key": r["status"], "label": r["label"], "count": r["count"]} for r in transfers["by_status"]
            ],
        },
        "hearings_requested": data["hearings"]["requested"],
        "hearings_held": data["hearings"]["held"],
        "legal_reviews": data["legal_reviews"],
        "top_violations": data["top_violations"],
    }


# -------------------------------------------------------------------------------------------- transfers


def _transfer_row(transfer: CrimeTransfer) -> dict[str, Any]:
    return {
        "id": transfer.pk,
        "number": transfer.number,
        "status": transfer.status,
        "status_label": str(transfer.get_status_display()),
        "suspected_offence": transfer.suspected_offence,
        "penalty_case": transfer.penalty_case.number if transfer.penalty_case_id else "",
        "area_code": transfer.area_code,
        "reported_at": transfer.reported_at,
        "current_due_at": getattr(transfer, "current_due", None),
    }


@router.get(
    "/transfers", response=list[TransferSummaryOut], summary="Transfers of suspected crimes in my area"
)
@paginate(PageNumberPagination)
def transfer_list(request: HttpRequest, filters: Query[TransferFilters]):
    rows = transfer_services.transfer_list(
        actor=request.user, status=filters.status, overdue=filters.overdue, query=filters.q
    )
    return MappedRows(rows, _transfer_row)


@router.get(
    "/transfers/{transfer_id}", response=TransferOut, summary="One transfer with its steps (read only)"
)
def transfer_get(request: HttpRequest, transfer_id: int):
    actor = request.user
    if not 0 < transfer_id <= MAX_ID:
        raise NotFound("移送案件", "transfer")
    transfer = transfer_services.transfer_get(actor=actor, transfer_id=transfer_id)
    return transfer_services.transfer_view(actor=actor, transfer=transfer)
