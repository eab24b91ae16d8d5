"""Statutory periods of the penalty procedure, counted the way the law counts them.

- 行政处罚法 第八十五条 and 住建部令第55号 第四十五条: "三日""五日""七日""十日""十五日" are working days;
  the start day is not counted.
- The 90-day decision period (第六十条) and the 15-day payment period (第六十七条) are calendar days,
  whose last day rolls to the next working day when it is a holiday (民事诉讼法 第八十五条).
- "24 小时" (国务院令第310号 第五条) is clock time.

Each period is stored (`core.Deadline` + `PenaltyDeadline`) when it starts, so a later calendar change
does not rewrite history; the decision period is re-stored when time is excluded or extended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from qingcheng.core.access import Actor
from qingcheng.core.models import Deadline
from qingcheng.core.worktime import deadline_create

from ..models import ExcludedPeriod, PenaltyCase, PenaltyDeadline

P = PenaltyDeadline.Purpose
K = Deadline.Kind

DECISION_DAYS = 90
FIRST_EXTENSION_DAYS = 30  # with the head's approval
FURTHER_EXTENSION_DAYS = 60  # at most, after collective discussion


@dataclass(frozen=True)
class Period:
    kind: str
    amount: int
    basis: str


# 住建部令第55号 第十五条第一款: "执法机关对依据监督检查职权或者通过投诉、举报等途径发现的违法行为线索，应当在
# 十五日内予以核查，情况复杂确实无法按期完成的，经本机关负责人批准，可以延长十日。" 第四十五条第二款 makes
# "十日""十五日" working days. Read in waystowork/waystowork.github.io
# src/xzzfhg/04行政执法程序/01部门规章/住房和城乡建设行政处罚程序规定.md @e1c3f865 (data/SOURCES.md).
FILING_EXTENSION_WORKING_DAYS = 10

PERIODS: dict[str, Period] = {
    P.FILING: Period(K.WORKING_DAYS, 15, "住建部令第55号 第十五条第一款、第四十五条第二款"),
    P.SIMPLIFIED_FILING: Period(K.WORKING_DAYS, 3, "住建部令第55号 第十四条第二款"),
    # 第二十二条第二款: "当事人自行政处罚意见告知文书送达之日起五日内，未行使陈述权、申辩权，视为放弃此权利。"
    # 行政处罚法 (第四十四、四十五条) grants the right but sets no period.
    P.STATEMENT: Period(K.WORKING_DAYS, 5, "住建部令第55号 第二十二条第二款、第四十五条第二款"),
    P.HEARING_REQUEST: Period(K.WORKING_DAYS, 5, "行政处罚法 第六十四条; 住建部令第55号 第三十三条"),
    P.LEGAL_REVIEW: Period(K.WORKING_DAYS, 10, "住建部令第55号 第二十五条"),
    P.DECISION: Period(K.CALENDAR_DAYS, DECISION_DAYS, "行政处罚法 第六十条; 住建部令第55号 第二十九条"),
    P.SERVICE: Period(K.WORKING_DAYS, 7, "行政处罚法 第六十一条"),
    P.PAYMENT: Period(K.CALENDAR_DAYS, 15, "行政处罚法 第六十七条"),
    P.DISCLOSURE: Period(K.WORKING_DAYS, 7, "国办发〔2018〕118号; 住建部令第55号 第十条"),
    P.WITHDRAWAL: Period(K.WORKING_DAYS, 3, "住建部令第55号 第十条"),
    P.CLOSING: Period(K.WORKING_DAYS, 15, "住建部令第55号 第三十一条"),
    P.HAND_IN: Period(K.WORKING_DAYS, 2, "行政处罚法 第七十一条"),
}

# Hearing notice: at least 7 working days before the hearing (第六十四条; 住建部令第55号 第三十四条).
HEARING_NOTICE_WORKING_DAYS = 7


def period_start(
    *, case: PenaltyCase, purpose: str, start: dt.datetime, amount: int | None = None, actor: Actor = None
) -> PenaltyDeadline:
    """Store a running period of `purpose` from `start`; an earlier open period of the same purpose is
    cancelled (the decision period is re-stored this way when it moves)."""
    period = PERIODS[purpose]
    PenaltyDeadline.objects.filter(case=case, purpose=purpose, met_at__isnull=True, cancelled=False).update(
        cancelled=True
    )
    deadline = deadline_create(
        kind=period.kind,
        start=start,
        amount=period.amount if amount is None else amount,
        area_code=case.area_code,
        purpose=f"enforcement.{purpose}",
        actor=actor,
        audit=False,
    )
    return PenaltyDeadline.objects.create(
        case=case, purpose=purpose, deadline=deadline, due_at=deadline.due_at
    )


def period_open(case: PenaltyCase, purpose: str) -> PenaltyDeadline | None:
    return (
        PenaltyDeadline.objects.filter(case=case, purpose=purpose, met_at__isnull=True, cancelled=False)
        .order_by("-pk")
        .first()
    )


def period_latest(case: PenaltyCase, purpose: str) -> PenaltyDeadline | None:
    return PenaltyDeadline.objects.filter(case=case, purpose=purpose, cancelled=False).order_by("-pk").first()


def period_meet(*, case: PenaltyCase, purpose: str, at: dt.datetime) -> PenaltyDeadline | None:
    """Mark the open period met at `at` (late if `at` is after its due time; the row keeps both)."""
    row = period_open(case, purpose)
    if row is not None:
        row.met_at = at
        row.save(update_fields=["met_at"])
    return row


def period_cancel(*, case: PenaltyCase, purpose: str) -> None:
    PenaltyDeadline.objects.filter(case=case, purpose=purpose, met_at__isnull=True, cancelled=False).update(
        cancelled=True
    )


def period_over(case: PenaltyCase, purpose: str, now: dt.datetime) -> bool:
    """The latest period of `purpose` has run out (or was met); False when it never started."""
    row = period_latest(case, purpose)
    return row is not None and (row.met_at is not None or now > row.due_at)


def filing_restore(
    *, case: PenaltyCase, extended: bool = False, actor: Actor = None
) -> PenaltyDeadline | None:
    """(Re-)store the filing-decision period from the discovery of the lead: 15 working days, or 25 once
    the head has extended it by 10 (第十五条第一款). Counting from the lead again rather than from the old
    due time gives the same day, and keeps the row self-explaining (start = discovery)."""
    if case.discovered_at is None:
        return None
    amount = PERIODS[P.FILING].amount + (FILING_EXTENSION_WORKING_DAYS if extended else 0)
    return period_start(case=case, purpose=P.FILING, start=case.discovered_at, amount=amount, actor=actor)


def excluded_days(case: PenaltyCase, now: dt.datetime) -> int:
    """Whole calendar days excluded from the decision period: each closed or running excluded period
    counts the local dates it touches beyond its first (the start day is not counted, as for any period),
    and overlapping periods count once."""
    local = timezone.get_current_timezone()
    days: set[dt.date] = set()
    for row in ExcludedPeriod.objects.filter(case=case):
        first = timezone.localtime(row.started_at, local).date()
        last = timezone.localtime(row.ended_at or now, local).date()
        day = first + dt.timedelta(days=1)
        while day <= last:
            days.add(day)
            day += dt.timedelta(days=1)
    return len(days)


def decision_days(case: PenaltyCase) -> int:
    return DECISION_DAYS + case.decision_extension_days + case.excluded_days


def decision_restore(*, case: PenaltyCase, now: dt.datetime, actor: Actor = None) -> PenaltyDeadline | None:
    """Re-store the decision period from the filing date with the excluded time and the extensions."""
    if case.filed_at is None:
        return None
    case.excluded_days = excluded_days(case, now)
    case.save(update_fields=["excluded_days"])
    return period_start(
        case=case, purpose=P.DECISION, start=case.filed_at, amount=decision_days(case), actor=actor
    )
