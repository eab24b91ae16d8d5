"""Payment without touching money (罚缴分离) and applications to the court for compulsory execution
(申请人民法院强制执行).

The platform never holds money. It issues the payment notice (缴款通知书) that names the collecting bank,
the amount, the deadline and whether the late-payment surcharge applies (国务院令第235号), and it learns of
the payment from the bank's signed callback. Officers collect cash themselves only in the cases the law
allows (当场收缴, 行政处罚法 第六十八、六十九条) and hand it in on time (第七十一条).

Legal facts used here (texts checked: 行政处罚法 2021, 行政强制法 2011; 民法典 第二百零二、二百零三条 from a
secondary copy of the text):
- payment within 15 days of receiving the decision, at the designated bank or electronically
  (行政处罚法 第六十七条); the period is calendar days and its last day rolls past rest days (deadlines.py);
- 加处罚款: "每日按罚款数额的百分之三加处罚款，加处罚款的数额不得超出罚款的数额" (第七十二条; 行政强制法
  第四十五条). The base is the fine (罚款) only: confiscated illegal gains (没收违法所得) on the same
  notice carry no surcharge. Day 1 is the day after the due date; amounts round down to whole fen, in the
  party's favour;
- the surcharge does not accrue during administrative review or litigation (第七十三条 第三款);
- 当场收缴 only for on-the-spot decisions (第五十一条) with a fine of at most 100 yuan or that would be
  hard to collect later (第六十八条), or in remote, water-borne or hard-to-reach areas on the party's
  request (第六十九条); official receipts (第七十条); cash handed to the agency within 2 days and paid to
  the bank within 2 days (第七十一条; "二日" are working days, 第八十五条);
- a court application needs a written reminder (催告) served at least 10 days before (行政强制法 第五十四条;
  "十日以内" are working days, 第六十九条), and is made within 3 months after the period for review
  (60 days, 行政复议法 第二十条) and litigation (6 months, 行政诉讼法 第四十六条) has run out (第五十三条).

Money is integer fen everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qingcheng.core import clock, inputs
from qingcheng.core.access import (
    Actor,
    get_visible_or_404,
    require_in_scope,
    require_permission,
)
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from qingcheng.core.masking import mask_name
from qingcheng.core.money import MAX_FEN, fen
from qingcheng.core.numbering import create_numbered, yearly_stem
from qingcheng.core.worktime import WorkCalendar, add_months, add_working_days, next_workday

from ..common import OFFICER_PERMISSION, GuardFailed, officers_present, record_event
from ..models import (
    BankCallback,
    CollectingBank,
    CourtApplication,
    OnTheSpotCollection,
    PaymentNotice,
    PenaltyCase,
    PenaltyDeadline,
    PenaltyDocument,
    SurchargeSuspension,
)
from ..penalty import deadlines
from ..penalty.services import penalty_case_system_act

# The rows the head acts on after the decision.
Row = TypeVar("Row", PaymentNotice, OnTheSpotCollection, CourtApplication)

logger = logging.getLogger("qingcheng.enforcement.payments")

P = PenaltyDeadline.Purpose
S = PenaltyCase.Status
APPROVE_PERMISSION = "enforcement.approve_penaltycase"
COLLECT_PERMISSION = "enforcement.collect_on_the_spot"

NOTICE_PREFIX = "JK"
SURCHARGE_PERCENT_PER_DAY = 3
SURCHARGE_RULE_ZH = "到期不缴纳罚款的，每日按罚款数额的百分之三加处罚款，加处罚款的数额不得超出罚款的数额"

# Bank callback: the signed message is f"{timestamp}\n{nonce}\n{raw body}".
SIGNATURE_WINDOW_SECONDS = 300
# Clocks of banks and field devices drift: a time this far ahead of ours is still taken as "now".
CLOCK_SKEW_SECONDS = 300
CALLBACK_MAX_BYTES = 16 * 1024
NONCE_RE = re.compile(r"[A-Za-z0-9._~+/=-]{16,64}")
SIGNATURE_RE = re.compile(r"[0-9a-fA-F]{64}")
TIMESTAMP_RE = re.compile(r"\d{1,12}")

# On-the-spot collection (第六十八、六十九条).
ON_THE_SPOT_SMALL_MAX_FEN = 100 * 100  # "一百元以下" includes 100 yuan
GROUND_SMALL = "small_simplified"
GROUND_HARD_TO_COLLECT = "hard_to_collect"
GROUND_REMOTE = "remote_area"
GROUNDS = (GROUND_SMALL, GROUND_HARD_TO_COLLECT, GROUND_REMOTE)
BANKING_WORKING_DAYS = 2

# Court application (行政强制法 第五十三、五十四条).
REMINDER_WORKING_DAYS = 10
REVIEW_DAYS = 60
LITIGATION_MONTHS = 6
COURT_WINDOW_MONTHS = 3
COURT_OUTCOMES = {
    CourtApplication.Status.ACCEPTED: {CourtApplication.Status.FILED},
    CourtApplication.Status.REFUSED: {CourtApplication.Status.FILED, CourtApplication.Status.ACCEPTED},
    CourtApplication.Status.EXECUTED: {CourtApplication.Status.ACCEPTED},
}
OPEN_COURT_STATES = (
    CourtApplication.Status.REMINDED,
    CourtApplication.Status.FILED,
    CourtApplication.Status.ACCEPTED,
)


# ------------------------------------------------------------------------------------------- helpers


def _tz() -> dt.tzinfo:
    # The bureau's wall clock, whatever time zone a request has activated.
    return timezone.get_default_timezone()


def local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value, _tz()).date()


def _start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=_tz())


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=_tz())


def _past(at: Any, field: str) -> dt.datetime:
    """An aware instant that is not in the future (a step is recorded when it happened, never ahead)."""
    if not isinstance(at, dt.datetime) or timezone.is_naive(at):
        raise ValidationFailed("时间无效", "the time must be an aware datetime", field=field)
    if at > clock.now() + dt.timedelta(seconds=CLOCK_SKEW_SECONDS):
        raise ValidationFailed("时间不能晚于当前时间", "the time cannot be in the future", field=field)
    return at


def _actor_or_none(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) else None


# ------------------------------------------------------------------------------------ payment notice


@transaction.atomic
def payment_notice_issue(
    *, case: PenaltyCase, actor: Actor, at: dt.datetime, surcharge_applies: bool = True
) -> PaymentNotice | None:
    """Issue the payment notice (缴款通知书) when the decision is served at `at`: the party pays the fine
    and the confiscated gains at the collecting bank named in the decision within 15 days (第六十七条).
    None when there is nothing to pay. Starts the PAYMENT period and files the notice as a document."""
    require_permission(actor, OFFICER_PERMISSION)
    require_in_scope(actor, case.area_code, what_zh="案件", what_en="case")
    amount = case.fine_fen + case.confiscation_fen
    if amount == 0:
        return None
    bank = case.bank
    if bank is None or not bank.active:
        raise ValidationFailed(
            "处罚决定未载明有效的代收银行",
            "the decision names no active collecting bank",
            field="bank",
            code="bank_required",
        )
    if PaymentNotice.objects.filter(case=case, status=PaymentNotice.Status.UNPAID).exists():
        raise Conflict(
            "payment_notice_exists", "本案已有未缴的缴款通知书", "the case already has an unpaid notice"
        )
    period = deadlines.period_start(case=case, purpose=P.PAYMENT, start=at, actor=actor)
    notice = create_numbered(
        PaymentNotice,
        stem=yearly_stem(NOTICE_PREFIX),
        width=5,
        case=case,
        bank=bank,
        amount_fen=amount,
        issued_at=at,
        due_at=period.due_at,
        surcharge_applies=surcharge_applies,
    )
    # What 国务院令第235号 requires the decision to state: bank name and address, amount, deadline and
    # whether the surcharge applies.
    fields = {
        "notice_number": notice.number,
        "decision_number": case.decision_number,
        "bank_code": bank.code,
        "bank_name": bank.name,
        "bank_address": bank.address,
        "agreement_number": bank.agreement_number,
        "amount_fen": amount,
        "fine_fen": case.fine_fen,
        "confiscation_fen": case.confiscation_fen,
        "due_at": notice.due_at.isoformat(),
        "surcharge_applies": surcharge_applies,
        "surcharge_rule": SURCHARGE_RULE_ZH if surcharge_applies else "",
        "basis": "行政处罚法 第六十七条、第七十二条; 国务院令第235号",
    }
    PenaltyDocument.objects.create(
        case=case,
        kind=PenaltyDocument.Kind.PAYMENT_NOTICE,
        number=notice.number,
        issued_at=at,
        issued_by=_actor_or_none(actor),
        fields=fields,
    )
    record_event(
        case=case,
        action="payment_notice",
        actor=actor,
        from_status=case.status,
        at=at,
        data={"notice": notice.number, "amount_fen": amount, "due_at": notice.due_at.isoformat()},
    )
    return notice


# ----------------------------------------------------------------------------------------- surcharge


def surcharge_base_fen(notice: PaymentNotice) -> int:
    """The fine on the notice: the surcharge is 3% of the 罚款, not of confiscated gains (第七十二条)."""
    return min(notice.case.fine_fen, notice.amount_fen)


def _suspended_days(notice: PaymentNotice, first: dt.date, last: dt.date) -> int:
    """Days in [first, last] inside any review or litigation period (ends inclusive, an open one runs to
    `last`); overlapping periods count once."""
    spans = sorted(
        (max(s.started_on, first), min(s.ended_on or last, last))
        for s in notice.suspensions.all()
        if s.started_on <= last and (s.ended_on is None or s.ended_on >= first)
    )
    total, reach = 0, first - dt.timedelta(days=1)
    for start, end in spans:
        start = max(start, reach + dt.timedelta(days=1))
        if end >= start:
            total += (end - start).days + 1
            reach = end
    return total


def surcharge_days(*, notice: PaymentNotice, as_of: dt.date) -> int:
    """Overdue days that count: every calendar day after the due date up to `as_of` (rest days count;
    only the payment period's last day rolls), minus days of review or litigation (第七十三条)."""
    first = local_date(notice.due_at) + dt.timedelta(days=1)
    if as_of < first:
        return 0
    return (as_of - first).days + 1 - _suspended_days(notice, first, as_of)


def surcharge_fen(*, notice: PaymentNotice, as_of: dt.date) -> int:
    """加处罚款 as of `as_of` (a local date): 3% of the fine per counted day, capped at the fine (第七十二条;
    行政强制法 第四十五条). Integer arithmetic, rounded down to the fen in the party's favour: a fine of
    200.01 yuan accrues 6.00 yuan a day, not 6.0003. The cap is reached on day 34 (102% > 100%)."""
    if not notice.surcharge_applies:
        return 0
    base = surcharge_base_fen(notice)
    days = surcharge_days(notice=notice, as_of=as_of)
    return min(base, base * SURCHARGE_PERCENT_PER_DAY * days // 100)


def amount_due_fen(*, notice: PaymentNotice, as_of: dt.date) -> int:
    """What settles the notice on `as_of`: the amount plus the surcharge; 0 once paid or cancelled."""
    if notice.status != PaymentNotice.Status.UNPAID:
        return 0
    return notice.amount_fen + surcharge_fen(notice=notice, as_of=as_of)


def _locked_for_head(actor: Actor, row: Row, what_zh: str, what_en: str) -> Row:
    """A notice, on-the-spot collection or court application for one of the head's steps: the approver's
    permission, then the row locked when its case lies in the actor's area (missing or outside: NotFound)."""
    require_permission(actor, APPROVE_PERMISSION)
    return get_visible_or_404(
        type(row).objects.select_for_update().select_related("case"),
        actor,
        field="case__area_code",
        what_zh=what_zh,
        what_en=what_en,
        pk=row.pk,
    )


@transaction.atomic
def surcharge_suspend(
    *, actor: Actor, notice: PaymentNotice, reason: str, started_on: dt.date, note: str = ""
) -> SurchargeSuspension:
    """The party applied for review or sued (第七十三条): the surcharge stops counting from `started_on`."""
    notice = _locked_for_head(actor, notice, "缴款通知书", "payment notice")
    inputs.choice(reason, SurchargeSuspension.Reason, "reason", "暂停原因", "reason")
    if not isinstance(started_on, dt.date) or isinstance(started_on, dt.datetime):
        raise ValidationFailed("开始日期无效", "started_on must be a date", field="started_on")
    if started_on > local_date(clock.now()):
        raise ValidationFailed(
            "开始日期不能晚于今天", "started_on cannot be in the future", field="started_on"
        )
    # Review or litigation is against the decision: it cannot start before the notice was issued, and a
    # suspension reaching back to year 1 would wipe out every day of surcharge.
    if started_on < local_date(notice_issued_at(notice)):
        raise ValidationFailed(
            "开始日期不能早于缴款通知书开具之日",
            "started_on cannot precede the payment notice",
            field="started_on",
            code="implausible_date",
        )
    if notice.status != PaymentNotice.Status.UNPAID:
        raise Conflict("notice_not_unpaid", "缴款通知书已缴清或已作废", "the notice is paid or cancelled")
    if notice.suspensions.filter(ended_on__isnull=True).exists():
        raise Conflict(
            "suspension_open", "已有未结束的复议/诉讼期间", "a review or litigation period is open"
        )
    row = SurchargeSuspension.objects.create(notice=notice, reason=reason, started_on=started_on)
    record_event(
        case=notice.case,
        action="surcharge_suspended",
        actor=actor,
        from_status=notice.case.status,
        note=note,
        data={"notice": notice.number, "reason": reason, "started_on": started_on.isoformat()},
    )
    return row


@transaction.atomic
def surcharge_resume(
    *, actor: Actor, notice: PaymentNotice, ended_on: dt.date, note: str = ""
) -> SurchargeSuspension:
    """The review or litigation ended on `ended_on` (counted as suspended); the surcharge runs again."""
    notice = _locked_for_head(actor, notice, "缴款通知书", "payment notice")
    row = notice.suspensions.select_for_update().filter(ended_on__isnull=True).first()
    if row is None:
        raise Conflict(
            "no_open_suspension", "没有未结束的复议/诉讼期间", "no review or litigation period is open"
        )
    if not isinstance(ended_on, dt.date) or isinstance(ended_on, dt.datetime):
        raise ValidationFailed("结束日期无效", "ended_on must be a date", field="ended_on")
    if ended_on < row.started_on or ended_on > local_date(clock.now()):
        raise ValidationFailed(
            "结束日期须在开始日期与今天之间",
            "ended_on must lie between the start and today",
            field="ended_on",
        )
    row.ended_on = ended_on
    row.save(update_fields=["ended_on"])
    record_event(
        case=notice.case,
        action="surcharge_resumed",
        actor=actor,
        from_status=notice.case.status,
        note=note,
        data={"notice": notice.number, "reason": row.reason, "ended_on": ended_on.isoformat()},
    )
    return row


def _settle_case(*, case: PenaltyCase, note: str, data: dict[str, Any]) -> None:
    """The case counts as paid once no notice is left unpaid: an executing case moves on through the
    workflow's system action (罚款缴清). Callers put the payment itself on the timeline first."""
    open_notices = PaymentNotice.objects.filter(case=case, status=PaymentNotice.Status.UNPAID).exists()
    case.refresh_from_db(fields=["status"])
    if not open_notices and case.status == S.EXECUTING:
        penalty_case_system_act(case=case, action="payment_received", note=note, data=data)


# -------------------------------------------------------------------------------------- bank callback


@dataclass(frozen=True)
class CallbackResult:
    result: str  # "applied" or "duplicate"
    notice_number: str
    transaction_id: str
    amount_fen: int
    surcharge_fen: int


@dataclass(frozen=True)
class _Payment:
    bank_code: str
    transaction_id: str
    notice_number: str
    amount_fen: int
    paid_at: dt.datetime
    payer_name: str


def _unauthenticated(code: str, zh: str, en: str) -> DomainError:
    return DomainError(code, zh, en, status=401)


def _invalid(zh: str, en: str, field: str) -> DomainError:
    return DomainError("invalid_callback", zh, en, status=422, details={"field": field})


def bank_keys() -> dict[str, str]:
    """Callback keys per bank code, only from the environment (settings.ENFORCEMENT_BANK_KEYS)."""
    keys = getattr(settings, "ENFORCEMENT_BANK_KEYS", None) or {}
    return {str(code): str(secret) for code, secret in keys.items() if code and secret}


def bank_signature(*, key: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of f"{timestamp}\\n{nonce}\\n" followed by the raw body bytes: what the bank sends
    as X-Qingcheng-Signature. Signing the raw bytes means no JSON re-serialisation can differ."""
    message = f"{timestamp}\n{nonce}\n".encode("ascii") + body
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _authenticate(
    *, body: bytes, timestamp: str | None, nonce: str | None, signature: str | None
) -> tuple[CollectingBank, dict[str, Any]]:
    """Check the headers, the bank and the signature; nothing is stored before the signature holds, so
    unsigned junk cannot fill the table."""
    if not timestamp or not nonce or not signature:
        raise _unauthenticated(
            "signature_missing", "缺少签名信息", "timestamp, nonce and signature headers are required"
        )
    if not TIMESTAMP_RE.fullmatch(timestamp) or not SIGNATURE_RE.fullmatch(signature):
        raise _unauthenticated("bad_signature", "签名无效", "the signature is invalid")
    if not NONCE_RE.fullmatch(nonce):
        raise _unauthenticated(
            "bad_nonce", "随机串无效（16–64 位）", "the nonce must be 16–64 URL-safe characters"
        )
    if abs(clock.now().timestamp() - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
        raise _unauthenticated("stale_timestamp", "请求时间戳超出允许范围", "the timestamp is outside ±300 s")
    if len(body) > CALLBACK_MAX_BYTES:
        raise DomainError("payload_too_large", "请求过大", "request too large", status=413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _invalid("请求体不是有效的 JSON", "the body is not valid JSON", "body") from None
    if not isinstance(data, dict):
        raise _invalid("请求体必须是 JSON 对象", "the body must be a JSON object", "body")
    code = data.get("bank_code")
    key = bank_keys().get(code) if isinstance(code, str) else None
    bank = CollectingBank.objects.filter(code=code, active=True).first() if key else None
    if bank is None or key is None:
        raise _unauthenticated(
            "unknown_bank", "未知或已停用的代收银行", "unknown or inactive collecting bank"
        )
    expected = bank_signature(key=key, timestamp=timestamp, nonce=nonce, body=body)
    if not hmac.compare_digest(expected, signature.lower()):
        raise _unauthenticated("bad_signature", "签名无效", "the signature is invalid")
    return bank, data


def _parse_payment(data: dict[str, Any]) -> _Payment:
    def string(name: str, max_length: int, *, required: bool = True) -> str:
        value = data.get(name, None if required else "")
        if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
            raise _invalid(
                f"{name} 无效", f"{name} must be a string of at most {max_length} characters", name
            )
        if any(ord(c) < 32 for c in value):
            raise _invalid(f"{name} 含有控制字符", f"{name} contains control characters", name)
        return value.strip()

    amount = data.get("amount_fen")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_FEN:
        raise _invalid(
            "金额必须是以分为单位的正整数", "amount_fen must be a positive integer of fen", "amount_fen"
        )
    raw = data.get("paid_at")
    try:
        paid_at = dt.datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        paid_at = None
    if paid_at is None or timezone.is_naive(paid_at):
        raise _invalid(
            "缴款时间须为带时区的 ISO 8601 时间", "paid_at must be ISO 8601 with a UTC offset", "paid_at"
        )
    # Year 1 east of Greenwich or year 9999 west of it has no UTC instant at all; outside the platform's
    # window no payment can have been made.
    try:
        paid_at.astimezone(dt.UTC)
    except OverflowError:
        raise _implausible_paid_at("缴款时间超出可能的范围", "paid_at is out of any possible range") from None
    if not inputs.year_in_range(paid_at.year):
        raise _implausible_paid_at(
            f"缴款时间须在 {inputs.MIN_YEAR} 年至 {inputs.MAX_YEAR} 年之间",
            f"paid_at must lie between the years {inputs.MIN_YEAR} and {inputs.MAX_YEAR}",
        )
    return _Payment(
        bank_code=string("bank_code", 20),
        transaction_id=string("transaction_id", 64),
        notice_number=string("notice_number", 32),
        amount_fen=amount,
        paid_at=paid_at,
        payer_name=string("payer_name", 120, required=False),
    )


def _implausible_paid_at(zh: str, en: str) -> DomainError:
    """A payment time that cannot be true. The surcharge is counted from `paid_at`, so a year-1 date would
    pay a late fine without it: such a report is refused (400), kept as rejected and never applied."""
    return DomainError("implausible_paid_at", zh, en, status=400, details={"field": "paid_at"})


def notice_issued_at(notice: PaymentNotice) -> dt.datetime:
    """When the notice was issued; notices from before the field existed were issued at service."""
    return notice.issued_at or notice.case.served_at or notice.created_at


def _replay() -> DomainError:
    return Conflict("replay", "重复的请求（随机串已使用）", "replayed request: the nonce was used before")


def _answer_existing(
    existing: BankCallback, payment: _Payment, notice: PaymentNotice | None
) -> CallbackResult:
    """The bank sent a transaction it sent before (a retry with a new nonce): pay nothing twice."""
    same = existing.notice_id == (notice.pk if notice else None) and existing.amount_fen == payment.amount_fen
    if existing.outcome == BankCallback.Outcome.APPLIED and same and notice is not None:
        audit_record(
            actor=None,
            action="enforcement.bank_callback_duplicate",
            obj=existing,
            area_code=notice.case.area_code,
            after={"transaction_id": existing.transaction_id, "notice": notice.number},
        )
        return CallbackResult(
            result="duplicate",
            notice_number=notice.number,
            transaction_id=existing.transaction_id,
            amount_fen=existing.amount_fen,
            surcharge_fen=notice.surcharge_paid_fen,
        )
    if existing.outcome == BankCallback.Outcome.REJECTED:
        raise Conflict(
            "transaction_rejected",
            "该交易此前已被拒绝，请人工对账",
            "this transaction was rejected before; reconcile it by hand",
            details={"reason": existing.reason},
        )
    raise Conflict(
        "transaction_mismatch",
        "该交易号已用于另一笔缴款",
        "this transaction id was already reported with another notice or amount",
    )


def _store(
    *,
    bank: CollectingBank,
    nonce: str,
    digest: str,
    payment: _Payment,
    notice: PaymentNotice | None,
    outcome: str,
    reason: str = "",
) -> BankCallback:
    """Store the callback first, in a savepoint: a concurrent callback with the same nonce or transaction
    makes this fail before anything else is written."""
    try:
        with transaction.atomic():
            return BankCallback.objects.create(
                bank=bank,
                transaction_id=payment.transaction_id,
                nonce=nonce,
                notice=notice,
                amount_fen=payment.amount_fen,
                paid_at=payment.paid_at,
                received_at=clock.now(),
                body_sha256=digest,
                outcome=outcome,
                reason=reason[:200],
            )
    except IntegrityError:
        if BankCallback.objects.filter(nonce=nonce).exists():
            raise _replay() from None
        existing = BankCallback.objects.filter(bank=bank, transaction_id=payment.transaction_id).first()
        if existing is None:
            raise
        raise _Existing(existing) from None


class _Existing(Exception):
    def __init__(self, existing: BankCallback) -> None:
        super().__init__(existing.transaction_id)
        self.existing = existing


def _lock_notice(number: str) -> PaymentNotice | None:
    """Lock the case, then the notice: the order every other writer (serve, on-the-spot collection, the
    court steps) takes, so a callback never deadlocks with them. The bank row is not locked, so one
    bank's callbacks for different notices run in parallel."""
    found = PaymentNotice.objects.filter(number=number).values_list("pk", "case_id").first()
    if found is None:
        return None
    list(PenaltyCase.objects.select_for_update().filter(pk=found[1]).values_list("pk", flat=True))
    return (
        PaymentNotice.objects.select_for_update(of=("self",)).select_related("case", "bank").get(pk=found[0])
    )


def bank_callback_receive(
    *, body: bytes, timestamp: str | None, nonce: str | None, signature: str | None
) -> CallbackResult:
    """Apply a collecting bank's payment report (国务院令第235号: payer, amount, time).

    Refusals: 401 unknown bank, bad signature or stale timestamp (nothing stored); 409 a nonce seen
    before; 404 unknown notice, 422 wrong amount or bank, 409 notice already paid (stored as rejected and
    put on the case's timeline for reconciliation). A transaction reported again with a new nonce answers
    "duplicate" and pays nothing. One transaction, with the notice row locked, so two concurrent callbacks
    for one notice cannot both apply."""
    bank, data = _authenticate(body=body, timestamp=timestamp, nonce=nonce, signature=signature)
    assert nonce is not None  # checked by _authenticate
    if BankCallback.objects.filter(nonce=nonce).exists():
        raise _replay()
    payment = _parse_payment(data)
    digest = hashlib.sha256(body).hexdigest()
    rejection: DomainError | None = None
    with transaction.atomic():
        notice = _lock_notice(payment.notice_number)
        # Checked again under the lock: a concurrent callback may have committed while this one waited.
        if BankCallback.objects.filter(nonce=nonce).exists():
            raise _replay()
        existing = BankCallback.objects.filter(bank=bank, transaction_id=payment.transaction_id).first()
        if existing is not None:
            return _answer_existing(existing, payment, notice)
        rejection = _check_payment(bank, payment, notice)
        try:
            if rejection is not None:
                _store(
                    bank=bank,
                    nonce=nonce,
                    digest=digest,
                    payment=payment,
                    notice=notice,
                    outcome=BankCallback.Outcome.REJECTED,
                    reason=f"{rejection.code}: {rejection.message_en}",
                )
            else:
                assert notice is not None
                _store(
                    bank=bank,
                    nonce=nonce,
                    digest=digest,
                    payment=payment,
                    notice=notice,
                    outcome=BankCallback.Outcome.APPLIED,
                )
        except _Existing as exc:
            return _answer_existing(exc.existing, payment, notice)
        if rejection is not None:
            if notice is not None:
                record_event(
                    case=notice.case,
                    action="payment_callback_rejected",
                    actor=None,
                    from_status=notice.case.status,
                    data={
                        "notice": notice.number,
                        "bank": bank.code,
                        "transaction_id": payment.transaction_id,
                        "amount_fen": payment.amount_fen,
                        "reason": rejection.code,
                    },
                )
        else:
            assert notice is not None
            return _apply(bank, payment, notice)
    logger.warning("bank callback %s/%s rejected: %s", bank.code, payment.transaction_id, rejection.code)
    raise rejection


def _check_payment(
    bank: CollectingBank, payment: _Payment, notice: PaymentNotice | None
) -> DomainError | None:
    if notice is None:
        return NotFound("缴款通知书", "payment notice")
    if notice.bank_id != bank.pk:
        return DomainError(
            "wrong_bank",
            "该通知书指定的代收银行不是本行",
            "the notice names another collecting bank",
            status=422,
        )
    if notice.status != PaymentNotice.Status.UNPAID:
        return Conflict(
            "notice_not_unpaid",
            "该通知书已缴清或已作废，本笔款项须人工对账退还",
            "the notice is already paid or cancelled; this payment needs reconciliation",
            details={"status": notice.status},
        )
    skew = dt.timedelta(seconds=CLOCK_SKEW_SECONDS)
    if payment.paid_at > clock.now() + skew:
        return _implausible_paid_at("缴款时间晚于当前时间", "paid_at is in the future")
    if payment.paid_at < notice_issued_at(notice) - skew:
        return _implausible_paid_at(
            "缴款时间早于缴款通知书开具时间", "paid_at is before the payment notice was issued"
        )
    due = amount_due_fen(notice=notice, as_of=local_date(payment.paid_at))
    if payment.amount_fen != due:
        return DomainError(
            "wrong_amount",
            "缴款金额与应缴金额（含加处罚款）不符",
            "the amount does not match the amount due including the surcharge",
            status=422,
            details={"expected_fen": due, "received_fen": payment.amount_fen},
        )
    return None


def _apply(bank: CollectingBank, payment: _Payment, notice: PaymentNotice) -> CallbackResult:
    surcharge = payment.amount_fen - notice.amount_fen
    notice.status = PaymentNotice.Status.PAID
    notice.paid_at = payment.paid_at
    # paid_fen is everything the bank received; surcharge_paid_fen is the part of it that is 加处罚款.
    notice.paid_fen = payment.amount_fen
    notice.surcharge_paid_fen = surcharge
    notice.bank_receipt_number = payment.transaction_id
    notice.save(
        update_fields=[
            "status",
            "paid_at",
            "paid_fen",
            "surcharge_paid_fen",
            "bank_receipt_number",
            "updated_at",
        ]
    )
    case = notice.case
    deadlines.period_meet(case=case, purpose=P.PAYMENT, at=payment.paid_at)
    data = {
        "notice": notice.number,
        "bank": bank.code,
        "transaction_id": payment.transaction_id,
        "amount_fen": payment.amount_fen,
        "surcharge_fen": surcharge,
        "paid_at": payment.paid_at.isoformat(),
        # The bank reports the payer (国务院令第235号); the timeline keeps it masked.
        "payer": mask_name(payment.payer_name),
    }
    record_event(
        case=case, action="bank_payment", actor=None, from_status=case.status, at=payment.paid_at, data=data
    )
    _settle_case(case=case, note=f"{bank.name} {payment.transaction_id}", data=data)
    return CallbackResult(
        result="applied",
        notice_number=notice.number,
        transaction_id=payment.transaction_id,
        amount_fen=payment.amount_fen,
        surcharge_fen=surcharge,
    )


# ---------------------------------------------------------------------------- on-the-spot collection


@transaction.atomic
def collect_on_the_spot(
    *,
    actor: Actor,
    case: PenaltyCase,
    receipt_number: str,
    amount_fen: int,
    ground: str,
    officer_ids: Any,
    note: str = "",
    party_requested: bool = False,
) -> OnTheSpotCollection:
    """Collect the fine in cash with the finance department's official receipt (当场收缴):
    - "small_simplified": an on-the-spot decision (简易程序) with a fine of at most 100 yuan (第六十八条（一）);
    - "hard_to_collect": an on-the-spot decision that would be hard to execute later (第六十八条（二）),
      with a note saying why;
    - "remote_area": a remote, water-borne or hard-to-reach area where paying at the bank is truly hard,
      on the party's request (第六十九条), under either procedure, with a note naming the place.
    Two officers act together. The cash is due at the agency within 2 working days (第七十一条)."""
    require_permission(actor, COLLECT_PERMISSION)
    locked = get_visible_or_404(
        PenaltyCase.objects.select_for_update(), actor, what_zh="案件", what_en="case", pk=case.pk
    )
    case = locked
    officers = officers_present(actor, officer_ids, case.area_code)
    receipt_number = inputs.text(
        receipt_number, "receipt_number", "专用票据号码", "receipt number", max_length=40
    )
    note = inputs.text(note, "note", "说明", "note", required=False, max_length=500)
    amount = fen(amount_fen, "amount_fen", "收缴金额", "amount")
    inputs.choice(ground, GROUNDS, "ground", "当场收缴的理由", "ground")
    if case.status != S.EXECUTING:
        raise GuardFailed(
            "executing", "只有已送达、执行中的案件可以当场收缴", "only a served case can be collected"
        )
    simplified = case.procedure == PenaltyCase.Procedure.SIMPLIFIED
    if ground in (GROUND_SMALL, GROUND_HARD_TO_COLLECT) and not simplified:
        raise GuardFailed(
            "on_the_spot_ground",
            "该理由仅适用于当场作出的处罚决定（行政处罚法第六十八条）",
            "this ground applies only to on-the-spot decisions (Art. 68)",
        )
    if ground == GROUND_SMALL and case.fine_fen > ON_THE_SPOT_SMALL_MAX_FEN:
        raise GuardFailed(
            "on_the_spot_ground",
            "罚款超过一百元，不能以此理由当场收缴（第六十八条第一项）",
            "the fine exceeds 100 yuan (Art. 68 (1))",
        )
    if ground in (GROUND_HARD_TO_COLLECT, GROUND_REMOTE) and not note:
        raise ValidationFailed(
            "请写明当场收缴的具体理由",
            "say why the fine must be collected on the spot",
            field="note",
            code="required",
        )
    if ground == GROUND_REMOTE and not party_requested:
        raise GuardFailed(
            "party_request",
            "边远、水上、交通不便地区当场收缴须由当事人提出（第六十九条）",
            "in remote areas cash is collected only on the party's request (Art. 69)",
        )
    if case.confiscation_fen:
        raise GuardFailed(
            "confiscation_via_bank",
            "当场收缴仅限罚款；本案有没收违法所得，须到银行缴纳",
            "only fines are collected on the spot; confiscated gains are paid at the bank",
        )
    if amount != case.fine_fen or amount == 0:
        raise ValidationFailed(
            "收缴金额必须等于罚款数额",
            "the amount must equal the fine",
            field="amount_fen",
            code="wrong_amount",
        )
    if OnTheSpotCollection.objects.filter(case=case).exists():
        raise Conflict("already_collected", "本案已当场收缴", "the fine was already collected on the spot")
    if OnTheSpotCollection.objects.filter(receipt_number=receipt_number).exists():
        raise Conflict("receipt_used", "该专用票据号码已使用", "this receipt number was already used")
    at = clock.now()
    notice = (
        PaymentNotice.objects.select_for_update()
        .filter(case=case, status=PaymentNotice.Status.UNPAID)
        .first()
    )
    if notice is not None and surcharge_fen(notice=notice, as_of=local_date(at)) > 0:
        raise GuardFailed(
            "overdue",
            "缴款期限已过，须到银行缴纳罚款和加处罚款",
            "the payment period is over: pay the fine and the surcharge at the bank",
        )
    period = deadlines.period_start(case=case, purpose=P.HAND_IN, start=at, actor=actor)
    try:
        with transaction.atomic():
            collection = OnTheSpotCollection.objects.create(
                case=case,
                receipt_number=receipt_number,
                amount_fen=amount,
                ground=ground,
                collected_at=at,
                collected_by=actor,
                hand_in_due_at=period.due_at,
            )
    except IntegrityError:
        raise Conflict(
            "receipt_used", "该专用票据号码已使用", "this receipt number was already used"
        ) from None
    if notice is not None:
        # The party has paid: the notice is settled by the official receipt, not by a bank.
        notice.status = PaymentNotice.Status.PAID
        notice.paid_at = at
        notice.paid_fen = amount
        notice.surcharge_paid_fen = 0
        notice.bank_receipt_number = receipt_number
        notice.save(
            update_fields=[
                "status",
                "paid_at",
                "paid_fen",
                "surcharge_paid_fen",
                "bank_receipt_number",
                "updated_at",
            ]
        )
        deadlines.period_meet(case=case, purpose=P.PAYMENT, at=at)
    data = {
        "receipt_number": receipt_number,
        "amount_fen": amount,
        "ground": ground,
        "hand_in_due_at": collection.hand_in_due_at.isoformat(),
    }
    PenaltyDocument.objects.create(
        case=case,
        kind=PenaltyDocument.Kind.EXECUTION,
        number=receipt_number,
        issued_at=at,
        issued_by=actor,
        fields={"title": "当场收缴罚款", **data, "note": note, "party_requested": party_requested},
    )
    record_event(
        case=case,
        action="collected_on_the_spot",
        actor=actor,
        from_status=case.status,
        officers=officers,
        note=note,
        data=data,
        at=at,
    )
    _settle_case(case=case, note=f"当场收缴 {receipt_number}", data=data)
    return collection


@transaction.atomic
def on_the_spot_hand_in(
    *, actor: Actor, collection: OnTheSpotCollection, at: dt.datetime
) -> OnTheSpotCollection:
    """The agency receives the cash from the officer (the head confirms: an officer cannot confirm his
    own hand-in); the agency then pays it to the bank within 2 working days (第七十一条)."""
    collection = _locked_for_head(actor, collection, "当场收缴记录", "collection")
    at = _past(at, "at")
    if collection.handed_in_at is not None:
        raise Conflict("already_handed_in", "罚款已交至机关", "the cash was already handed in")
    if at < collection.collected_at:
        raise ValidationFailed("交款时间早于收缴时间", "hand-in cannot precede the collection", field="at")
    collection.handed_in_at = at
    collection.bank_due_at = add_working_days(
        at, BANKING_WORKING_DAYS, area_code=collection.case.area_code
    ).due_at
    collection.save(update_fields=["handed_in_at", "bank_due_at"])
    deadlines.period_meet(case=collection.case, purpose=P.HAND_IN, at=at)
    record_event(
        case=collection.case,
        action="on_the_spot_handed_in",
        actor=actor,
        from_status=collection.case.status,
        at=at,
        data={
            "receipt_number": collection.receipt_number,
            "late": at > collection.hand_in_due_at,
            "bank_due_at": collection.bank_due_at.isoformat(),
        },
    )
    return collection


@transaction.atomic
def on_the_spot_banked(
    *, actor: Actor, collection: OnTheSpotCollection, at: dt.datetime
) -> OnTheSpotCollection:
    """The agency paid the collected cash into the designated bank (第七十一条)."""
    collection = _locked_for_head(actor, collection, "当场收缴记录", "collection")
    at = _past(at, "at")
    if collection.handed_in_at is None:
        raise GuardFailed("handed_in", "罚款尚未交至机关", "the cash has not been handed in yet")
    if collection.banked_at is not None:
        raise Conflict("already_banked", "罚款已缴付银行", "the cash was already paid to the bank")
    if at < collection.handed_in_at:
        raise ValidationFailed("缴付银行时间早于交款时间", "banking cannot precede the hand-in", field="at")
    collection.banked_at = at
    collection.save(update_fields=["banked_at"])
    record_event(
        case=collection.case,
        action="on_the_spot_banked",
        actor=actor,
        from_status=collection.case.status,
        at=at,
        data={
            "receipt_number": collection.receipt_number,
            "late": collection.bank_due_at is not None and at > collection.bank_due_at,
        },
    )
    return collection


# ----------------------------------------------------------------------------------- court application


@dataclass(frozen=True)
class CourtWindow:
    review_ends_on: dt.date
    litigation_ends_on: dt.date
    earliest_filing_at: dt.datetime
    latest_filing_at: dt.datetime


def court_window(*, served_at: dt.datetime, reminder_at: dt.datetime, area_code: str = "") -> CourtWindow:
    """When the court may be asked (行政强制法 第五十三、五十四条):
    - not before the day after the 10th working day after the reminder was served (第五十四条, 第六十九条);
    - not before the review (60 days) and litigation (6 months) periods, counted from service of the
      decision, have run out: 第五十三条 opens the 3 months "自期限届满之日起";
    - not after 3 months from the end of those periods.
    Month periods end on the corresponding day or the month's last day (民法典 第二百零二条); the party's
    periods roll past rest days (第二百零三条). The agency's own 3-month limit is deliberately not
    rolled, so the platform warns a few days early rather than late."""
    cal = WorkCalendar.load()
    served_on = local_date(served_at)
    review_ends = next_workday(served_on + dt.timedelta(days=REVIEW_DAYS), calendar=cal)
    litigation_ends = next_workday(add_months(served_on, LITIGATION_MONTHS), calendar=cal)
    period_ends = max(review_ends, litigation_ends)
    tenth = local_date(
        add_working_days(reminder_at, REMINDER_WORKING_DAYS, area_code=area_code, calendar=cal).due_at
    )
    earliest = max(tenth, period_ends) + dt.timedelta(days=1)
    latest = add_months(period_ends, COURT_WINDOW_MONTHS)
    return CourtWindow(
        review_ends_on=review_ends,
        litigation_ends_on=litigation_ends,
        earliest_filing_at=_start_of_day(earliest),
        latest_filing_at=_end_of_day(latest),
    )


def _unpaid_notice(case: PenaltyCase) -> PaymentNotice | None:
    return PaymentNotice.objects.filter(case=case, status=PaymentNotice.Status.UNPAID).order_by("-pk").first()


@transaction.atomic
def court_reminder_serve(
    *, actor: Actor, case: PenaltyCase, at: dt.datetime, note: str = ""
) -> CourtApplication:
    """Serve the written reminder (催告书) that must precede an application to the court; it states the
    amount due with the surcharge so far. Only for an executing case whose payment period is over and
    whose party did not seek review or sue (then 第五十三条 does not apply)."""
    require_permission(actor, APPROVE_PERMISSION)
    locked = get_visible_or_404(
        PenaltyCase.objects.select_for_update(), actor, what_zh="案件", what_en="case", pk=case.pk
    )
    case = locked
    at = _past(at, "at")
    if case.status != S.EXECUTING or case.served_at is None:
        raise GuardFailed(
            "executing", "只有已送达、执行中的案件可以催告", "only a served case can be reminded"
        )
    notice = _unpaid_notice(case)
    if notice is None:
        raise GuardFailed("unpaid", "本案没有未缴的罚款", "nothing is unpaid")
    if at <= notice.due_at:
        raise GuardFailed("payment_period_over", "缴款期限尚未届满", "the payment period has not ended")
    if notice.suspensions.exists():
        raise GuardFailed(
            "no_review_or_litigation",
            "当事人已申请复议或提起诉讼，不适用非诉强制执行申请",
            "the party sought review or sued; this application route does not apply",
        )
    if CourtApplication.objects.filter(case=case, status__in=OPEN_COURT_STATES).exists():
        raise Conflict(
            "court_application_open", "本案已有进行中的强制执行申请", "an application is already open"
        )
    window = court_window(served_at=case.served_at, reminder_at=at, area_code=case.area_code)
    if window.earliest_filing_at > window.latest_filing_at:
        raise GuardFailed(
            "court_window", "申请法院强制执行的期限已过", "the period for applying to the court has ended"
        )
    amount = amount_due_fen(notice=notice, as_of=local_date(at))
    application = CourtApplication.objects.create(
        case=case,
        status=CourtApplication.Status.REMINDED,
        reminder_served_at=at,
        earliest_filing_at=window.earliest_filing_at,
        latest_filing_at=window.latest_filing_at,
    )
    fields = {
        "title": "催告书",
        "notice_number": notice.number,
        "amount_due_fen": amount,
        "fine_fen": notice.amount_fen,
        "surcharge_fen": amount - notice.amount_fen,
        "earliest_filing_at": window.earliest_filing_at.isoformat(),
        "latest_filing_at": window.latest_filing_at.isoformat(),
        "basis": "行政强制法 第五十三条、第五十四条",
    }
    PenaltyDocument.objects.create(
        case=case, kind=PenaltyDocument.Kind.OTHER, issued_at=at, issued_by=actor, fields=fields
    )
    record_event(
        case=case,
        action="court_reminder",
        actor=actor,
        from_status=case.status,
        note=note,
        at=at,
        data=fields,
    )
    return application


@transaction.atomic
def court_apply(
    *, actor: Actor, application: CourtApplication, court: str, at: dt.datetime
) -> CourtApplication:
    """File the application (强制执行申请书, signed by the head: 行政强制法 第五十五条) inside the window."""
    application = _locked_for_head(actor, application, "强制执行申请", "court application")
    at = _past(at, "at")
    court = inputs.text(court, "court", "人民法院", "court", max_length=120)
    if application.status != CourtApplication.Status.REMINDED:
        raise Conflict("court_application_state", "该申请已提交", "the application was already filed")
    if at < application.earliest_filing_at:
        raise GuardFailed(
            "court_too_early",
            "催告书送达未满十日或复议、诉讼期限未届满，不能申请强制执行",
            "too early: 10 days after the reminder and the end of the review and litigation periods are required",
        )
    if at > application.latest_filing_at:
        raise GuardFailed(
            "court_too_late",
            "已超过申请法院强制执行的三个月期限",
            "the 3-month period for applying has ended",
        )
    notice = _unpaid_notice(application.case)
    if notice is None:
        raise GuardFailed("unpaid", "罚款已缴清，无需申请强制执行", "the fine has been paid")
    amount = amount_due_fen(notice=notice, as_of=local_date(at))
    application.status = CourtApplication.Status.FILED
    application.court = court
    application.filed_at = at
    application.save(update_fields=["status", "court", "filed_at", "updated_at"])
    fields = {"court": court, "notice_number": notice.number, "amount_due_fen": amount}
    PenaltyDocument.objects.create(
        case=application.case,
        kind=PenaltyDocument.Kind.COURT_APPLICATION,
        issued_at=at,
        issued_by=actor,
        fields=fields,
    )
    record_event(
        case=application.case,
        action="court_applied",
        actor=actor,
        from_status=application.case.status,
        at=at,
        data=fields,
    )
    return application


@transaction.atomic
def court_outcome(
    *,
    actor: Actor,
    application: CourtApplication,
    outcome: str,
    at: dt.datetime,
    note: str = "",
    collected_fen: int | None = None,
) -> CourtApplication:
    """Record what the court did: accepted (受理), refused (不予受理/不予执行) or executed (执行完毕). An
    execution settles the notice with what the court collected (default: the amount due that day)."""
    application = _locked_for_head(actor, application, "强制执行申请", "court application")
    at = _past(at, "at")
    note = inputs.text(note, "note", "说明", "note", required=False, max_length=300)
    allowed = COURT_OUTCOMES[inputs.choice(outcome, COURT_OUTCOMES, "outcome", "结果", "outcome")]
    if application.status not in allowed:
        raise Conflict(
            "court_application_state",
            "申请当前状态不能记录该结果",
            f"an application that is {application.status} cannot become {outcome}",
        )
    # The court answers an application it has received: never before it was filed (an execution dated
    # earlier would settle the fine without the surcharge due on the real day).
    if application.filed_at is None or at < application.filed_at:
        raise ValidationFailed(
            "结果时间不能早于申请提交时间",
            "the outcome cannot precede the application",
            field="at",
            code="implausible_date",
        )
    application.status = outcome
    application.outcome_note = note
    application.save(update_fields=["status", "outcome_note", "updated_at"])
    case = application.case
    data: dict[str, Any] = {"outcome": outcome}
    if outcome == CourtApplication.Status.EXECUTED:
        notice = _unpaid_notice(case)
        if notice is not None:
            notice = PaymentNotice.objects.select_for_update().select_related("case").get(pk=notice.pk)
            due = amount_due_fen(notice=notice, as_of=local_date(at))
            collected = (
                due if collected_fen is None else fen(collected_fen, "collected_fen", "执行金额", "amount")
            )
            notice.status = PaymentNotice.Status.PAID
            notice.paid_at = at
            notice.paid_fen = collected
            notice.surcharge_paid_fen = max(0, collected - notice.amount_fen)
            notice.save(update_fields=["status", "paid_at", "paid_fen", "surcharge_paid_fen", "updated_at"])
            deadlines.period_meet(case=case, purpose=P.PAYMENT, at=at)
            data.update(notice=notice.number, collected_fen=collected)
    record_event(
        case=case,
        action=f"court_{outcome}",
        actor=actor,
        from_status=case.status,
        note=note,
        at=at,
        data=data,
    )
    if outcome == CourtApplication.Status.EXECUTED:
        _settle_case(case=case, note="人民法院强制执行完毕", data=data)
    return application


# -------------------------------------------------------------------------------------------- sweep


def payments_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Periodic job: mark payment periods that ran out (PenaltyDeadline.overdue_at plus a timeline entry;
    the general deadline sweep leaves the party's periods alone), and count cash collected on the spot
    that is late for the bank and reminders whose court window closes within 10 days. Row locks with
    SKIP LOCKED let several job runners share the work."""
    at = now or clock.now()
    counts = {"payment_overdue": 0, "banking_overdue": 0, "court_window_closing": 0}
    ids = list(
        PenaltyDeadline.objects.filter(
            purpose=P.PAYMENT, met_at__isnull=True, cancelled=False, overdue_at__isnull=True, due_at__lt=at
        ).values_list("pk", flat=True)[:5000]
    )
    for pk in ids:
        with transaction.atomic():
            row = (
                PenaltyDeadline.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case")
                .filter(pk=pk, met_at__isnull=True, cancelled=False, overdue_at__isnull=True)
                .first()
            )
            if row is None:
                continue
            row.overdue_at = at
            row.save(update_fields=["overdue_at"])
            record_event(
                case=row.case,
                action="payment_overdue",
                actor=None,
                from_status=row.case.status,
                at=at,
                data={"due_at": row.due_at.isoformat()},
            )
            counts["payment_overdue"] += 1
    counts["banking_overdue"] = OnTheSpotCollection.objects.filter(
        handed_in_at__isnull=False, banked_at__isnull=True, bank_due_at__lt=at
    ).count()
    counts["court_window_closing"] = CourtApplication.objects.filter(
        status=CourtApplication.Status.REMINDED,
        latest_filing_at__gte=at,
        latest_filing_at__lt=at + dt.timedelta(days=10),
    ).count()
    return counts
