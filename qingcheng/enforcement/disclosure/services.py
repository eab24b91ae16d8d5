"""Disclosure of penalty decisions and their credit records (双公示: 行政许可和行政处罚信息公示).

- Publication within 7 working days of the decision (国办发〔2018〕118号; 住建部令第55号 第十条): the
  DISCLOSURE period started by the decision is met here; a late publication is still made and recorded
  as late on the case's timeline.
- Withdrawal within 3 working days when a published decision is changed, revoked or voided (住建部令第55号
  第十条): the request starts the WITHDRAWAL period (so the penalty deadline sweep warns), the withdrawal
  meets it, and the credit record is withdrawn with the decision.
- Credit record (行政处罚信用信息): shown from the decision date for at least 3 months and at most 3 years;
  the party may apply for repair (信用修复) once the minimum is over. These periods come from a
  secondary source (Shenzhen 住建 guide quoting NDRC 令第58号《失信行为纠正后的信用信息修复管理办法（试行）》,
  reference §1.9) and are [UNVERIFIED] against the primary text; 特种设备/安全生产/消防 have a 1-year
  minimum there, which urban-management violations do not reach.

The published fields are fixed when published (`Disclosure.content`) with personal data masked: an
individual's name keeps the surname (张*) and no ID number is ever shown; an organisation is named in full
with its unified social credit code partly masked; ID and mobile numbers in the facts are masked. Other
people named in the facts cannot be recognised by a program, so the head may give the public text of the
reason (`reason`) instead of the facts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from qingcheng.core import clock
from qingcheng.core.access import (
    Actor,
    get_visible_or_404,
    require_permission,
)
from qingcheng.core.audit import model_snapshot
from qingcheng.core.errors import Conflict, NotFound, ValidationFailed
from qingcheng.core.inputs import date_in_range, text
from qingcheng.core.masking import mask_id_number, mask_name, mask_personal_text, mask_phone
from qingcheng.core.money import format_yuan
from qingcheng.core.scope import scope_queryset
from qingcheng.core.worktime import add_months, add_working_days

from ..common import GuardFailed, record_event
from ..models import CreditRecord, Disclosure, Party, PenaltyCase, PenaltyDocument
from ..penalty import deadlines
from ..penalty.services import HEAVY_PENALTIES

S = PenaltyCase.Status
P = deadlines.P
MANAGE = "enforcement.manage_disclosure"
# A decision exists (and is not undone by the penalty workflow) in these states.
DECIDED_STATES = frozenset({S.DECIDED, S.EXECUTING, S.EXECUTED, S.CLOSED})
# The penalty is carried out: the precondition of repair (失信行为纠正后).
FULFILLED_STATES = frozenset({S.EXECUTED, S.CLOSED})
MINIMUM_MONTHS = 3
MAXIMUM_YEARS = 3
PAGE_SIZE = 20


def _public_text(value: str, case: PenaltyCase) -> str:
    """Free text as it may be published: the party's own identifiers replaced, then every ID and mobile
    number masked."""
    result = value
    if case.party_id_number:
        result = result.replace(case.party_id_number, mask_id_number(case.party_id_number))
    if case.party_phone:
        result = result.replace(case.party_phone, mask_phone(case.party_phone))
    if case.party_representative:
        result = result.replace(case.party_representative, mask_name(case.party_representative))
    if case.party_kind == Party.INDIVIDUAL:
        if case.party_address:
            result = result.replace(case.party_address, "***")
        if case.party_name:
            result = result.replace(case.party_name, mask_name(case.party_name))
    return mask_personal_text(result)


def _categories(case: PenaltyCase) -> list[str]:
    found = []
    if case.warning:
        found.append("警告")
    if case.fine_fen:
        found.append("罚款")
    if case.confiscation_fen:
        found.append("没收违法所得")
    if case.other_penalty:
        found.append(HEAVY_PENALTIES.get(case.other_penalty, case.other_penalty))
    return found


def _result(case: PenaltyCase, categories: list[str]) -> str:
    parts = []
    if case.warning:
        parts.append("警告")
    if case.fine_fen:
        parts.append(f"罚款人民币{format_yuan(case.fine_fen, grouping=False)}元")
    if case.confiscation_fen:
        parts.append(f"没收违法所得人民币{format_yuan(case.confiscation_fen, grouping=False)}元")
    parts.extend(c for c in categories if c not in ("警告", "罚款", "没收违法所得"))
    return "；".join(parts)


def _authority(case: PenaltyCase) -> str:
    """处罚机关: as written on the decision, else the decider's unit, else the area's enforcement bureau."""
    document = case.documents.filter(kind=PenaltyDocument.Kind.DECISION).order_by("-issued_at", "-pk").first()
    if document is not None and document.fields.get("agency"):
        return str(document.fields["agency"])
    department = getattr(case.decided_by, "department", None) if case.decided_by_id else None
    if department is not None:
        return department.name
    from qingcheng.accounts.models import Department

    bureau = Department.objects.filter(kind=Department.Kind.ENFORCEMENT, area_code=case.area_code[:6]).first()
    return bureau.name if bureau else ""


def disclosure_content(case: PenaltyCase, *, reason: str | None = None, until: dt.date) -> dict[str, Any]:
    """The published fields (reference §1.9; the field list of the national 双公示 standard is
    [UNVERIFIED]), masked."""
    categories = _categories(case)
    organisation = case.party_kind == Party.ORGANISATION
    return {
        "decision_number": case.decision_number,
        "violation_code": case.violation.code,
        "violation_name": case.violation.name,
        "categories": categories,
        "reason": _public_text(reason if reason is not None else case.facts, case),
        "bases": [
            {"law": b.law_name, "article": b.article, "verified": b.verified}
            for b in case.violation.penalised_by.all()
        ],
        "party_kind": case.party_kind,
        "party_name": case.party_name if organisation else mask_name(case.party_name),
        # An individual's ID number is never shown; an organisation's credit code partly.
        "party_code": mask_id_number(case.party_id_number) if organisation else "",
        "result": _result(case, categories),
        "fine_fen": case.fine_fen,
        "confiscation_fen": case.confiscation_fen,
        "authority": _authority(case),
        "decided_on": timezone.localdate(case.decided_at).isoformat(),
        "publish_until": until.isoformat(),
        "area_code": case.area_code,
    }


def _lock(actor: Actor, case: PenaltyCase | int) -> PenaltyCase:
    pk = case.pk if isinstance(case, PenaltyCase) else case
    return get_visible_or_404(
        PenaltyCase.objects.select_for_update(), actor, what_zh="案件", what_en="case", pk=pk
    )


def _moment(value: Any, field: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationFailed("时间格式无效", "invalid time", field=field) from None
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise ValidationFailed("时间须包含时区", "the time must be an aware datetime", field=field)
    return date_in_range(value, field, "时间", "the time")


# ------------------------------------------------------------------------------------------- services


@transaction.atomic
def disclosure_publish(*, actor: Actor, case: PenaltyCase | int, reason: str | None = None) -> Disclosure:
    """Publish a decision (and start its credit record). A decision whose earlier publication was
    withdrawn (because it was changed) may be published again with its new content."""
    require_permission(actor, MANAGE)
    case = _lock(actor, case)
    if case.decided_at is None or case.status not in DECIDED_STATES:
        raise GuardFailed("decided", "案件尚未作出处罚决定", "the case has no penalty decision to publish")
    if reason is not None:
        reason = text(reason, "reason", "处罚事由", "reason", max_length=4000)
    existing = Disclosure.objects.select_for_update().filter(case=case).first()
    if existing is not None and existing.status == Disclosure.Status.PUBLISHED:
        raise Conflict("already_published", "该决定已公示", "this decision is already published")
    at = clock.now()
    shown_from = timezone.localdate(case.decided_at)
    minimum_until = add_months(shown_from, MINIMUM_MONTHS)
    maximum_until = add_months(shown_from, 12 * MAXIMUM_YEARS)
    content = disclosure_content(case, reason=reason, until=maximum_until)

    period = deadlines.period_open(case, P.DISCLOSURE)
    if period is not None:
        due = period.due_at
        deadlines.period_meet(case=case, purpose=P.DISCLOSURE, at=at)
    elif existing is None:
        # No stored period (e.g. a decision recorded before the period existed): count it now.
        due = add_working_days(
            case.decided_at, deadlines.PERIODS[P.DISCLOSURE].amount, area_code=case.area_code
        )
        due = due.due_at
    else:
        due = None  # a republication after a change: the 7 days were for the first one
    late = due is not None and at > due

    before = model_snapshot(existing) if existing is not None else None
    values = {
        "status": Disclosure.Status.PUBLISHED,
        "published_at": at,
        "content": content,
        "withdrawal_requested_at": None,
        "withdrawn_at": None,
        "withdrawal_reason": "",
    }
    disclosure, _created = Disclosure.objects.update_or_create(case=case, defaults=values)
    CreditRecord.objects.update_or_create(
        case=case,
        defaults={
            "status": CreditRecord.Status.ACTIVE,
            "shown_from": shown_from,
            "minimum_until": minimum_until,
            "maximum_until": maximum_until,
            "repair_requested_at": None,
            "repaired_at": None,
            "repair_note": "",
        },
    )
    record_event(
        case=case,
        action="disclosure_publish",
        actor=actor,
        from_status=case.status,
        at=at,
        data={
            "late": late,
            "due_at": due.isoformat() if due else None,
            "republished": before is not None,
            "minimum_until": minimum_until.isoformat(),
            "maximum_until": maximum_until.isoformat(),
        },
    )
    return disclosure


def _published(case: PenaltyCase) -> Disclosure:
    disclosure = Disclosure.objects.select_for_update().filter(case=case).first()
    if disclosure is None or disclosure.status != Disclosure.Status.PUBLISHED:
        raise Conflict("not_published", "该决定未在公示中", "this decision is not published")
    return disclosure


def _request(
    case: PenaltyCase, disclosure: Disclosure, actor: Actor, reason: Any, changed_at: Any, at: dt.datetime
) -> None:
    reason = text(reason, "reason", "撤回理由", "reason", max_length=200)
    changed = _moment(changed_at, "changed_at")
    if changed > at:
        raise ValidationFailed(
            "变更时间不能晚于现在", "changed_at cannot be in the future", field="changed_at"
        )
    if case.decided_at is not None and changed < case.decided_at:
        raise ValidationFailed(
            "变更时间不能早于处罚决定", "changed_at cannot be before the decision", field="changed_at"
        )
    row = deadlines.period_start(case=case, purpose=P.WITHDRAWAL, start=changed, actor=actor)
    disclosure.withdrawal_requested_at = at
    disclosure.withdrawal_reason = reason
    disclosure.save(update_fields=["withdrawal_requested_at", "withdrawal_reason", "updated_at"])
    record_event(
        case=case,
        action="disclosure_withdrawal_request",
        actor=actor,
        from_status=case.status,
        note=reason,
        at=at,
        data={"changed_at": changed.isoformat(), "due_at": row.due_at.isoformat()},
    )


@transaction.atomic
def disclosure_request_withdrawal(
    *, actor: Actor, case: PenaltyCase | int, reason: str, changed_at: Any
) -> Disclosure:
    """The published decision was changed, revoked or voided at `changed_at`: its withdrawal falls due 3
    working days later (住建部令第55号 第十条), and the penalty deadline sweep warns before then."""
    require_permission(actor, MANAGE)
    case = _lock(actor, case)
    disclosure = _published(case)
    if disclosure.withdrawal_requested_at is not None:
        raise Conflict("withdrawal_requested", "已登记撤回", "the withdrawal is already requested")
    _request(case, disclosure, actor, reason, changed_at, clock.now())
    return disclosure


@transaction.atomic
def disclosure_withdraw(
    *, actor: Actor, case: PenaltyCase | int, reason: str = "", changed_at: Any = None
) -> Disclosure:
    """Withdraw the publication and its credit record. Without an earlier request, `reason` and
    `changed_at` are required and the request is recorded in the same step."""
    require_permission(actor, MANAGE)
    case = _lock(actor, case)
    disclosure = _published(case)
    at = clock.now()
    if disclosure.withdrawal_requested_at is None:
        _request(case, disclosure, actor, reason, changed_at, at)
    period = deadlines.period_open(case, P.WITHDRAWAL)
    due = period.due_at if period is not None else None
    deadlines.period_meet(case=case, purpose=P.WITHDRAWAL, at=at)
    late = due is not None and at > due
    disclosure.status = Disclosure.Status.WITHDRAWN
    disclosure.withdrawn_at = at
    disclosure.save(update_fields=["status", "withdrawn_at", "updated_at"])
    CreditRecord.objects.filter(case=case).update(status=CreditRecord.Status.WITHDRAWN, updated_at=at)
    record_event(
        case=case,
        action="disclosure_withdraw",
        actor=actor,
        from_status=case.status,
        note=disclosure.withdrawal_reason,
        at=at,
        data={"late": late, "due_at": due.isoformat() if due else None},
    )
    return disclosure


def _record_for_update(actor: Actor, record: CreditRecord | int) -> CreditRecord:
    pk = record.pk if isinstance(record, CreditRecord) else record
    return get_visible_or_404(
        CreditRecord.objects.select_for_update().select_related("case"),
        actor,
        field="case__area_code",
        what_zh="信用记录",
        what_en="credit record",
        pk=pk,
    )


@transaction.atomic
def credit_repair_request(*, actor: Actor, record: CreditRecord | int, note: str) -> CreditRecord:
    """Record the party's application for credit repair (信用修复申请): only once the minimum publication
    period is over and the penalty has been carried out (the 办法 repairs 失信 after it is corrected)."""
    require_permission(actor, MANAGE)
    record = _record_for_update(actor, record)
    note = text(note, "note", "修复申请说明", "note", max_length=300)
    if record.status != CreditRecord.Status.ACTIVE:
        raise Conflict("not_active", "该信用记录不在公示中", "the credit record is not published")
    if record.repair_requested_at is not None:
        raise Conflict("repair_requested", "已申请信用修复", "repair was already requested")
    today = clock.today()
    if today < record.minimum_until:
        raise GuardFailed(
            "minimum_period_running",
            f"最短公示期未满（{record.minimum_until.isoformat()} 起可申请）",
            f"the minimum publication period runs until {record.minimum_until.isoformat()}",
        )
    if record.case.status not in FULFILLED_STATES:
        raise GuardFailed(
            "penalty_not_fulfilled", "处罚决定尚未履行完毕", "the penalty has not been carried out"
        )
    at = clock.now()
    record.repair_requested_at = at
    record.repair_note = note
    record.save(update_fields=["repair_requested_at", "repair_note", "updated_at"])
    record_event(
        case=record.case,
        action="credit_repair_requested",
        actor=actor,
        from_status=record.case.status,
        note=note,
        at=at,
    )
    return record


@transaction.atomic
def credit_repair(*, actor: Actor, record: CreditRecord | int, note: str = "") -> CreditRecord:
    """Grant the repair: the record and its decision leave the public pages."""
    require_permission(actor, MANAGE)
    record = _record_for_update(actor, record)
    if record.status != CreditRecord.Status.ACTIVE or record.repair_requested_at is None:
        raise Conflict(
            "repair_not_requested", "没有待处理的信用修复申请", "there is no pending repair application"
        )
    at = clock.now()
    record.status = CreditRecord.Status.REPAIRED
    record.repaired_at = at
    record.save(update_fields=["status", "repaired_at", "updated_at"])
    record_event(
        case=record.case,
        action="credit_repair",
        actor=actor,
        from_status=record.case.status,
        note=text(note, "note", "备注", "note", required=False, max_length=300),
        at=at,
    )
    return record


def credit_expiry_sweep(*, now: dt.datetime | None = None) -> int:
    """End the publication of records whose maximum period is over (for the jobs loop); returns how many."""
    today = timezone.localdate(now) if now else clock.today()
    done = 0
    for pk in CreditRecord.objects.filter(
        status=CreditRecord.Status.ACTIVE, maximum_until__lte=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            record = (
                CreditRecord.objects.select_for_update()
                .select_related("case")
                .filter(pk=pk, status=CreditRecord.Status.ACTIVE)
                .first()
            )
            if record is None:
                continue
            record.status = CreditRecord.Status.EXPIRED
            record.save(update_fields=["status", "updated_at"])
            record_event(
                case=record.case,
                action="credit_expired",
                actor=None,
                from_status=record.case.status,
                data={"maximum_until": record.maximum_until.isoformat()},
            )
            done += 1
    return done


# ------------------------------------------------------------------------------------------ selectors


def disclosure_pending_cases(*, actor: Actor) -> QuerySet[PenaltyCase]:
    """Decided cases in the actor's area not yet published, oldest decision first (the head's queue)."""
    require_permission(actor, MANAGE)
    return (
        scope_queryset(PenaltyCase.objects.all(), actor)
        .filter(status__in=DECIDED_STATES, decided_at__isnull=False, disclosure__isnull=True)
        .order_by("decided_at", "pk")
    )


def _public() -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(status=Disclosure.Status.PUBLISHED).filter(
        Q(case__credit_record__isnull=True) | Q(case__credit_record__status=CreditRecord.Status.ACTIVE)
    )


def public_disclosures(*, query: str = "", page: Any = 1, per_page: int = PAGE_SIZE) -> Page:
    """The public list (no login): published decisions whose publication period runs, newest first,
    searchable by decision number or violation. Only `content` (masked when published) is shown."""
    rows = _public().only("pk", "published_at", "content")
    query = (query or "").strip()[:60]
    if query:
        rows = rows.filter(
            Q(case__decision_number__icontains=query)
            | Q(case__violation__name__icontains=query)
            | Q(case__violation__code__iexact=query)
        )
    return Paginator(rows.order_by("-published_at", "-pk"), per_page).get_page(page)


def public_disclosure(pk: Any) -> Disclosure:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("公示信息", "disclosure") from None
    found = _public().filter(pk=pk).only("pk", "published_at", "content").first()
    if found is None:
        raise NotFound("公示信息", "disclosure")
    return found
