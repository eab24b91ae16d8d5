"""Writes of the penalty procedure (行政处罚程序): opening a case, every step of the general procedure, the
simplified on-the-spot procedure and the deadline sweep. One function per business action, keyword-only,
atomic, with the permission, scope, two-officer and legal-precondition checks and the audit entry inside.
Whether a step is allowed is decided by `workflow.py` alone; the guards named there are evaluated here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qingcheng.core import clock, inputs
from qingcheng.core.access import (
    Actor,
    get_visible_or_404,
    outside_area,
    require_in_scope,
    require_permission,
)
from qingcheng.core.errors import NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.core.inputs import choice, text, whole_number
from qingcheng.core.money import fen, format_yuan
from qingcheng.core.numbering import create_numbered, yearly_stem
from qingcheng.core.scope import in_scope
from qingcheng.core.workflow import InvalidTransition, require_version
from qingcheng.core.worktime import add_working_days

from ..common import GuardFailed, officers_present, record_event
from ..models import (
    CollectingBank,
    DiscretionLevel,
    ExcludedPeriod,
    Hearing,
    LegalReview,
    Party,
    PaymentNotice,
    PenaltyCase,
    PenaltyDeadline,
    PenaltyDocument,
    Violation,
)
from . import deadlines, hooks
from .deadlines import P
from .workflow import PRE_DECISION_STATES, PenaltyTransition, transition

S = PenaltyCase.Status

# A clock a few minutes fast on an officer's phone is not a time in the future.
CLOCK_SKEW = dt.timedelta(minutes=5)
# 行政处罚法 第五十一条: on the spot only for a warning or a fine up to 200 yuan (individual) / 3,000 yuan
# (organisation).
SIMPLIFIED_LIMIT_FEN = {Party.INDIVIDUAL: 200_00, Party.ORGANISATION: 3_000_00}
# 第六十三条: the heavier penalties that always carry the hearing right.
HEAVY_PENALTIES = {
    "confiscate_large": "没收较大数额违法所得或较大价值非法财物",
    "lower_qualification": "降低资质等级",
    "revoke_licence": "吊销许可证件",
    "suspend_business": "责令停产停业、责令关闭",
    "restrict_practice": "限制从业",
    "other_heavy": "其他较重的行政处罚",
}
SERVICE_METHODS = ("direct", "left_at_residence", "post", "electronic", "entrusted", "announcement")
SUSPENSION_GROUNDS = {
    "awaiting_other_case": "需以相关案件的裁判结果或其他行政决定为依据",
    "awaiting_interpretation": "涉及法律适用等问题需送请有权机关作出解释或确认",
    "force_majeure": "因不可抗力致使案件暂时无法调查",
    "party_missing": "当事人下落不明",
    "other": "其他应当中止调查的情形",
}


def hearing_fine_threshold_fen(party_kind: str) -> int:
    """较大数额罚款 (第六十三条) is set by provincial rules; the thresholds are settings. The defaults are
    deliberately low (offering a hearing that was not required is lawful, skipping one is not)."""
    if party_kind == Party.ORGANISATION:
        return int(getattr(settings, "ENFORCEMENT_HEARING_FINE_ORGANISATION_FEN", 50_000_00))
    return int(getattr(settings, "ENFORCEMENT_HEARING_FINE_INDIVIDUAL_FEN", 5_000_00))


def has_hearing_right(case: PenaltyCase) -> bool:
    if case.other_penalty in HEAVY_PENALTIES:
        return True
    return case.fine_fen + case.confiscation_fen >= hearing_fine_threshold_fen(case.party_kind)


# ------------------------------------------------------------------------------------------ helpers


def _lock(case: PenaltyCase | int) -> PenaltyCase:
    pk = case.pk if isinstance(case, PenaltyCase) else case
    found = PenaltyCase.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound("案件", "case")
    return found


def _document(
    case: PenaltyCase, kind: str, actor: Actor, fields: dict[str, Any], number: str = ""
) -> PenaltyDocument:
    return PenaltyDocument.objects.create(
        case=case,
        kind=kind,
        number=number,
        issued_at=clock.now(),
        issued_by=actor if getattr(actor, "pk", None) else None,
        fields=fields,
    )


def _what_happened(
    violation: Violation,
    discretion_level_id: Any,
    facts: Any,
    address: Any,
    lon: float | None,
    lat: float | None,
) -> dict[str, Any]:
    """What every opening of a case records of the violation: which one, its discretion level, the facts
    and the place."""
    return {
        "violation": violation,
        "discretion_level": _level(violation, discretion_level_id),
        "facts": text(facts, "facts", "违法事实", "facts", max_length=8000),
        "address": text(address, "address", "违法地点", "place", max_length=200),
        "lon": lon,
        "lat": lat,
    }


def _violation(code: Any) -> Violation:
    found = Violation.objects.filter(code=str(code or ""), active=True).first()
    if found is None:
        raise ValidationFailed("违法行为（案由）不存在", "unknown violation code", field="violation_code")
    return found


def _level(violation: Violation, level_id: Any) -> DiscretionLevel | None:
    if level_id in (None, ""):
        return None
    level = DiscretionLevel.objects.filter(
        pk=whole_number(level_id, "discretion_level_id", "裁量基准", "discretion level"), violation=violation
    ).first()
    if level is None:
        raise ValidationFailed(
            "裁量基准不属于该违法行为",
            "the discretion benchmark does not belong to this violation",
            field="discretion_level_id",
        )
    return level


def _moment(value: Any, field: str, zh: str, en: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except (TypeError, ValueError):
            raise ValidationFailed(
                f"{zh}格式无效", f"{en} must be an ISO 8601 date-time", field=field
            ) from None
    inputs.date_in_range(moment, field, zh, en)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _penalty(case: PenaltyCase, params: dict[str, Any], *, cap: PenaltyCase | None = None) -> None:
    """Apply the penalty in `params` to `case`, checked against the discretion benchmark and, at the
    decision, against the notice: the decision may not be heavier than what the party was told (第四十五条:
    不得因当事人陈述、申辩而给予更重的处罚)."""
    warning = bool(params.get("warning", case.warning))
    fine = fen(params.get("fine_fen", case.fine_fen), "fine_fen", "罚款金额", "fine")
    confiscation = fen(
        params.get("confiscation_fen", case.confiscation_fen), "confiscation_fen", "没收金额", "confiscation"
    )
    other = str(params.get("other_penalty", case.other_penalty) or "")
    if other and other not in HEAVY_PENALTIES:
        raise ValidationFailed(
            "其他处罚种类无效",
            "unknown other penalty",
            field="other_penalty",
            details={"allowed": list(HEAVY_PENALTIES)},
        )
    level = case.discretion_level
    if "discretion_level_id" in params:
        level = _level(case.violation, params["discretion_level_id"])
    fixed_range = level is not None and level.fine_max_fen and not level.fine_unit
    if fixed_range and fine and not level.fine_min_fen <= fine <= level.fine_max_fen:
        raise ValidationFailed(
            f"罚款金额超出裁量基准（{format_yuan(level.fine_min_fen, grouping=False)}–{format_yuan(level.fine_max_fen, grouping=False)} 元）",
            f"the fine is outside the discretion benchmark ({format_yuan(level.fine_min_fen, grouping=False)}–{format_yuan(level.fine_max_fen, grouping=False)} yuan)",
            field="fine_fen",
            code="outside_discretion",
        )
    if cap is not None:
        heavier = (
            fine > cap.fine_fen
            or confiscation > cap.confiscation_fen
            or (other and other != cap.other_penalty)
            or (
                warning
                and not cap.warning
                and not (cap.fine_fen or cap.confiscation_fen or cap.other_penalty)
            )
        )
        if heavier:
            raise GuardFailed(
                "not_heavier_than_notice",
                "决定的处罚不得重于告知书告知的处罚",
                "the decision may not be heavier than the penalty stated in the notice",
            )
    case.warning, case.fine_fen, case.confiscation_fen, case.other_penalty = (
        warning,
        fine,
        confiscation,
        other,
    )
    case.discretion_level = level


def _penalty_proposed(case: PenaltyCase) -> bool:
    return bool(case.warning or case.fine_fen or case.confiscation_fen or case.other_penalty)


def _open_exclusion(case: PenaltyCase, reason: str | None = None) -> ExcludedPeriod | None:
    rows = ExcludedPeriod.objects.filter(case=case, ended_at__isnull=True)
    if reason:
        rows = rows.filter(reason=reason)
    return rows.order_by("-pk").first()


def _close_exclusion(case: PenaltyCase, reason: str, at: dt.datetime, actor: Actor) -> None:
    row = _open_exclusion(case, reason)
    if row is not None:
        row.ended_at = at
        row.save(update_fields=["ended_at"])
    if case.filed_at is not None and case.status in PRE_DECISION_STATES | {S.SUSPENDED}:
        deadlines.decision_restore(case=case, now=at, actor=actor)


def _investigators(case: PenaltyCase) -> set[int]:
    ids = set(case.officers.values_list("pk", flat=True))
    for officer_ids in case.events.values_list("officer_ids", flat=True):
        ids.update(officer_ids or [])
    return ids


def _notice_fields(case: PenaltyCase) -> dict[str, Any]:
    return {
        "warning": case.warning,
        "fine_fen": case.fine_fen,
        "confiscation_fen": case.confiscation_fen,
        "other_penalty": case.other_penalty,
    }


def _notified_penalty(case: PenaltyCase) -> PenaltyCase:
    """The penalty stated in the latest notice, as an unsaved case to compare with."""
    notice = case.documents.filter(kind=PenaltyDocument.Kind.NOTICE).order_by("-pk").first()
    stated = PenaltyCase(party_kind=case.party_kind)
    fields = notice.fields if notice else {}
    stated.warning = bool(fields.get("warning"))
    stated.fine_fen = int(fields.get("fine_fen") or 0)
    stated.confiscation_fen = int(fields.get("confiscation_fen") or 0)
    stated.other_penalty = str(fields.get("other_penalty") or "")
    return stated


def _bases(case: PenaltyCase) -> list[dict[str, Any]]:
    return [
        {"law": b.law_name, "article": b.article, "verified": b.verified}
        for b in case.violation.penalised_by.all()
    ]


# --------------------------------------------------------------------------------------------- guards

Guard = Callable[[PenaltyCase, Any, dict[str, Any], dt.datetime], bool]


GUARDS: dict[str, tuple[Guard, str, str]] = {
    "testing_open": (
        lambda c, a, p, t: _open_exclusion(c, ExcludedPeriod.Reason.TESTING) is not None,
        "没有正在进行的检测/鉴定",
        "no testing is under way",
    ),
    "no_open_exclusion": (
        lambda c, a, p, t: _open_exclusion(c, ExcludedPeriod.Reason.TESTING) is None,
        "检测/鉴定尚未取得结果",
        "testing is still under way",
    ),
    "penalty_proposed": (
        lambda c, a, p, t: _penalty_proposed(c),
        "尚未提出拟处罚意见",
        "no intended penalty has been proposed",
    ),
    "hearing_right": (
        lambda c, a, p, t: c.hearing_right,
        "本案拟作出的处罚不属于听证范围",
        "the intended penalty carries no hearing right",
    ),
    "hearing_window_open": (
        lambda c, a, p, t: (
            (row := deadlines.period_open(c, P.HEARING_REQUEST)) is not None and t <= row.due_at
        ),
        "听证申请期限（告知书送达之日起五个工作日）已过",
        "the hearing request period (5 working days from the notice) is over",
    ),
    "rights_period_over": (
        lambda c, a, p, t: (
            c.rights_waived
            or (
                deadlines.period_over(c, P.STATEMENT, t)
                and (not c.hearing_right or deadlines.period_over(c, P.HEARING_REQUEST, t))
            )
        ),
        "陈述申辩或听证申请期限尚未届满，且当事人未放弃",
        "the statements or hearing-request period is still running and the party has not waived it",
    ),
    "not_investigator": (
        lambda c, a, p, t: a.pk not in _investigators(c),
        "听证由非本案调查人员主持",
        "the hearing must be presided over by someone who did not investigate the case",
    ),
    "hearing_notice_period": (
        lambda c, a, p, t: (
            timezone.localdate(_moment(p.get("scheduled_for"), "scheduled_for", "听证时间", "hearing time"))
            >= timezone.localdate(
                add_working_days(t, deadlines.HEARING_NOTICE_WORKING_DAYS, area_code=c.area_code).due_at
            )
        ),
        "听证通知应当在举行听证的七个工作日前送达",
        "the hearing notice must be served at least 7 working days before the hearing",
    ),
    "hearing_due": (
        lambda c, a, p, t: (
            hasattr(c, "hearing") and c.hearing.scheduled_for is not None and t >= c.hearing.scheduled_for
        ),
        "听证尚未安排或未到听证时间",
        "the hearing is not scheduled or not yet due",
    ),
    "notice_given": (
        lambda c, a, p, t: c.notified_at is not None,
        "未告知当事人拟处罚的事实、理由、依据和权利",
        "the party has not been notified of the intended penalty and their rights",
    ),
    "hearing_settled": (
        lambda c, a, p, t: (
            (
                not c.hearing_requested
                and (c.rights_waived or not c.hearing_right or deadlines.period_over(c, P.HEARING_REQUEST, t))
            )
            or (
                c.hearing_requested and hasattr(c, "hearing") and c.hearing.outcome != Hearing.Outcome.PENDING
            )
        ),
        "听证程序尚未终结",
        "the hearing procedure is not finished",
    ),
    "legal_review_settled": (
        lambda c, a, p, t: not c.needs_legal_review or c.legal_review_done,
        "本案须经法制审核",
        "this case needs the legal review first",
    ),
    "discussion_settled": (
        lambda c, a, p, t: not c.is_major or c.discussion_done,
        "重大案件须经负责人集体讨论",
        "a major case needs the collective discussion of the heads first",
    ),
    "not_heavier_than_notice": (lambda c, a, p, t: True, "", ""),  # checked with the amounts in `decided`
    "no_transfer_pending": (
        lambda c, a, p, t: not hooks.decision_blocked(c),
        "涉嫌犯罪移送正在审批，不得以行政处罚代替移送（国务院令第310号第十一条）",
        "a transfer of a suspected crime awaits the head's decision: a penalty may not replace it (Art. 11)",
    ),
    "nothing_unpaid": (
        lambda c, a, p, t: not c.payment_notices.filter(status=PaymentNotice.Status.UNPAID).exists(),
        "罚款尚未缴清",
        "the fine has not been paid",
    ),
    "simplified_not_filed": (
        lambda c, a, p, t: c.simplified_filed_at is None,
        "当场处罚决定已备案",
        "the on-the-spot decision is already filed",
    ),
    "simplified_filed_if_simplified": (
        lambda c, a, p, t: (
            c.procedure != PenaltyCase.Procedure.SIMPLIFIED or c.simplified_filed_at is not None
        ),
        "当场处罚决定尚未报所属机关备案",
        "the on-the-spot decision has not been filed with the agency",
    ),
    "filing_period_running": (
        lambda c, a, p, t: deadlines.period_open(c, P.FILING) is not None,
        "本案没有正在计算的立案核查期限",
        "no filing-decision period is running for this case",
    ),
    "filing_not_extended": (
        lambda c, a, p, t: not c.events.filter(action="extend_filing").exists(),
        "立案核查期限只能延长一次（住建部令第55号第十五条：可以延长十日）",
        "the filing-decision period may be extended only once (by 10 working days)",
    ),
    "may_extend": (
        lambda c, a, p, t: _extension_allowed(c, p),
        "延长期限不符合规定（首次不超过三十日；再次延长须经集体讨论且不超过六十日）",
        "extension not allowed (first at most 30 days; a further one needs the collective discussion, at most 60)",
    ),
}


def _extension_allowed(case: PenaltyCase, params: dict[str, Any]) -> bool:
    days = whole_number(params.get("days"), "days", "延长天数", "days", minimum=1)
    if case.decision_extension_days == 0:
        return days <= deadlines.FIRST_EXTENSION_DAYS
    further = case.decision_extension_days - deadlines.FIRST_EXTENSION_DAYS + days
    return case.discussion_done and further <= deadlines.FURTHER_EXTENSION_DAYS


def _check(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> None:
    for name in step.guards:
        test, zh, en = GUARDS[name]
        if not test(case, actor, params, at):
            raise GuardFailed(name, zh, en)


# -------------------------------------------------------------------------------------------- effects

Effect = Callable[[PenaltyCase, PenaltyTransition, Any, dict[str, Any], dt.datetime], dict[str, Any]]


def _effect_start_decision_period(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    case.filed_at, case.filing_approved_by = at, actor
    case.save(update_fields=["filed_at", "filing_approved_by"])
    deadlines.period_meet(case=case, purpose=P.FILING, at=at)
    _document(
        case,
        PenaltyDocument.Kind.FILING_APPROVAL,
        actor,
        {"approved_by": actor.pk, "violation": case.violation.code},
    )
    deadlines.decision_restore(case=case, now=at, actor=actor)
    return {}


def _effect_filing_refused(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    deadlines.period_meet(case=case, purpose=P.FILING, at=at)
    return {}


def _effect_extend_filing(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    # The head's approval needs its reason on the record (the note, required here).
    text(params.get("note"), "note", "延长理由", "reason for the extension", max_length=4000)
    row = deadlines.filing_restore(case=case, extended=True, actor=actor)
    return {
        "working_days": deadlines.FILING_EXTENSION_WORKING_DAYS,
        "due_at": row.due_at.isoformat() if row else None,
    }


def _effect_exclude_start(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    ExcludedPeriod.objects.create(
        case=case,
        reason=ExcludedPeriod.Reason.TESTING,
        started_at=at,
        note=str(params.get("note", ""))[:300],
    )
    return {}


def _effect_exclude_end(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    _close_exclusion(case, ExcludedPeriod.Reason.TESTING, at, actor)
    return {}


def _effect_assess_rights(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    _penalty(case, params)
    if not _penalty_proposed(case):
        raise GuardFailed("penalty_proposed", "尚未提出拟处罚意见", "no intended penalty has been proposed")
    case.hearing_right = has_hearing_right(case)
    case.is_major = bool(params.get("is_major", case.is_major))
    # 第五十八条: a hearing case directly touching major rights goes through the legal review.
    case.needs_legal_review = (
        bool(params.get("needs_legal_review", False)) or case.hearing_right or case.is_major
    )
    case.notified_at, case.rights_waived = None, False
    case.hearing_requested = case.hearing_done = case.legal_review_done = case.discussion_done = False
    Hearing.objects.filter(case=case).delete()
    _document(
        case,
        PenaltyDocument.Kind.INVESTIGATION_REPORT,
        actor,
        {
            **_notice_fields(case),
            "hearing_right": case.hearing_right,
            "report": text(
                params.get("report"), "report", "调查终结报告", "investigation report", max_length=8000
            ),
        },
    )
    return {**_notice_fields(case), "hearing_right": case.hearing_right}


def _effect_written_record(kind: str, field: str, zh: str, en: str) -> Effect:
    """The effect of a step whose one required text becomes a document (an investigation record, the
    party's statement)."""

    def effect(
        case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
    ) -> dict[str, Any]:
        _document(case, kind, actor, {field: text(params.get(field), field, zh, en, max_length=20000)})
        return {}

    return effect


def _effect_rights_waived(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    case.rights_waived = True
    _document(
        case,
        PenaltyDocument.Kind.STATEMENT,
        actor,
        {"waiver": True, "note": str(params.get("note", ""))[:500]},
    )
    return {}


def _effect_hearing_scheduled(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    hearing = case.hearing
    hearing.notice_served_at = at
    hearing.scheduled_for = _moment(params.get("scheduled_for"), "scheduled_for", "听证时间", "hearing time")
    hearing.place = text(params.get("place"), "place", "听证地点", "hearing place", max_length=200)
    hearing.public = bool(params.get("public", True))
    hearing.agents = text(
        params.get("agents"), "agents", "委托代理人", "agents", required=False, max_length=120
    )
    hearing.presiding_officer = actor
    hearing.save()
    _document(
        case,
        PenaltyDocument.Kind.HEARING_NOTICE,
        actor,
        {
            "scheduled_for": hearing.scheduled_for.isoformat(),
            "place": hearing.place,
            "public": hearing.public,
        },
    )
    return {}


def _effect_start_rights_periods(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    # A new notice starts the party's rights afresh (after a supplementary investigation or a case
    # taken back from the police): nothing waived or requested under an earlier notice carries over.
    case.notified_at, case.rights_waived = at, False
    case.hearing_requested = case.hearing_done = False
    Hearing.objects.filter(case=case).delete()
    case.save(update_fields=["notified_at", "rights_waived", "hearing_requested", "hearing_done"])
    rights = ["陈述权", "申辩权"] + (["要求听证的权利"] if case.hearing_right else [])
    _document(
        case,
        PenaltyDocument.Kind.NOTICE,
        actor,
        {
            **_notice_fields(case),
            "facts": case.facts,
            "bases": _bases(case),
            "rights": rights,
            "hearing_right": case.hearing_right,
        },
    )
    deadlines.period_start(case=case, purpose=P.STATEMENT, start=at, actor=actor)
    if case.hearing_right:
        deadlines.period_start(case=case, purpose=P.HEARING_REQUEST, start=at, actor=actor)
    return {"rights": rights}


def _effect_hearing_requested(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    case.hearing_requested = True
    Hearing.objects.create(case=case, requested_at=at)
    ExcludedPeriod.objects.create(case=case, reason=ExcludedPeriod.Reason.HEARING, started_at=at)
    deadlines.period_meet(case=case, purpose=P.HEARING_REQUEST, at=at)
    deadlines.period_meet(case=case, purpose=P.STATEMENT, at=at)
    return {}


def _effect_rights_periods_end(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    deadlines.period_meet(case=case, purpose=P.STATEMENT, at=at)
    deadlines.period_meet(case=case, purpose=P.HEARING_REQUEST, at=at)
    return {}


def _effect_hearing_outcome(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    hearing = case.hearing
    hearing.outcome = {
        "hearing_held": Hearing.Outcome.HELD,
        "hearing_absent": Hearing.Outcome.ABSENT,
        "hearing_withdrawn": Hearing.Outcome.WITHDRAWN,
    }[step.effect]
    if step.effect == "hearing_held":
        hearing.record = text(params.get("record"), "record", "听证笔录", "hearing record", max_length=20000)
        hearing.held_at = at
        case.hearing_done = True
        _document(
            case,
            PenaltyDocument.Kind.HEARING_RECORD,
            actor,
            {"record": hearing.record, "presiding_officer": actor.pk},
        )
    hearing.save()
    _close_exclusion(case, ExcludedPeriod.Reason.HEARING, at, actor)
    return {}


def _effect_start_legal_review(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    LegalReview.objects.create(case=case, requested_at=at)
    deadlines.period_start(case=case, purpose=P.LEGAL_REVIEW, start=at, actor=actor)
    return {}


def _effect_legal_review_answered(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    review = case.legal_reviews.filter(answered_at__isnull=True).order_by("-pk").first()
    opinion = {
        "review_agree": "agree",
        "review_correct": "correct",
        "review_supplement": "supplement",
        "review_transfer": "transfer",
    }[step.action]
    if review is not None:
        review.reviewer, review.opinion, review.answered_at = actor, opinion, at
        review.text = text(
            params.get("opinion_text"), "opinion_text", "审核意见", "review opinion", max_length=4000
        )
        review.save()
    deadlines.period_meet(case=case, purpose=P.LEGAL_REVIEW, at=at)
    case.legal_review_done = step.effect == "legal_review_done"
    _document(
        case,
        PenaltyDocument.Kind.LEGAL_REVIEW,
        actor,
        {"opinion": opinion, "text": review.text if review else ""},
    )
    return {"opinion": opinion}


def _effect_discussion_done(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    case.discussion_done = True
    _document(
        case,
        PenaltyDocument.Kind.DISCUSSION,
        actor,
        {
            "participants": text(
                params.get("participants"), "participants", "参加人员", "participants", max_length=500
            ),
            "conclusion": text(
                params.get("conclusion"), "conclusion", "讨论结论", "conclusion", max_length=4000
            ),
        },
    )
    return {}


def _effect_decided(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    return _decide(case, actor, params, at)


def _effect_served(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    method = str(params.get("service_method") or "direct")
    choice(method, SERVICE_METHODS, "service_method", "送达方式", "service method")
    if method == "electronic" and not params.get("electronic_consent"):
        raise ValidationFailed(
            "电子送达须当事人签订确认书（行政处罚法第六十一条）",
            "electronic service needs the party's signed consent (Art. 61)",
            field="electronic_consent",
        )
    case.served_at, case.service_method = at, method
    deadlines.period_meet(case=case, purpose=P.SERVICE, at=at)
    _document(
        case, PenaltyDocument.Kind.SERVICE_RECEIPT, actor, {"method": method, "served_at": at.isoformat()}
    )
    if case.fine_fen + case.confiscation_fen > 0:
        hooks.fine_due(case=case, actor=actor, at=at)
    return {}


def _effect_start_closing(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    if step.target == S.EXECUTED:
        case.executed_at = at
        _document(
            case,
            PenaltyDocument.Kind.EXECUTION,
            actor,
            {"executed_at": at.isoformat(), "note": str(params.get("note", ""))[:500]},
        )
    deadlines.period_start(case=case, purpose=P.CLOSING, start=at, actor=actor)
    return {}


def _effect_closed(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    case.closed_at = at
    deadlines.period_meet(case=case, purpose=P.CLOSING, at=at)
    _document(case, PenaltyDocument.Kind.CLOSING_APPROVAL, actor, {"approved_by": actor.pk})
    return {}


def _effect_suspend(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    ground = str(params.get("ground") or "")
    choice(ground, SUSPENSION_GROUNDS, "ground", "中止理由", "suspension ground")
    case.status_before_suspension = case.status
    ExcludedPeriod.objects.create(
        case=case, reason=ExcludedPeriod.Reason.SUSPENSION, started_at=at, note=SUSPENSION_GROUNDS[ground]
    )
    return {"ground": ground}


def _effect_resume(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    case.status = case.status_before_suspension or S.INVESTIGATING
    case.status_before_suspension = ""
    case.save(update_fields=["status", "status_before_suspension"])
    _close_exclusion(case, ExcludedPeriod.Reason.SUSPENSION, at, actor)
    return {}


def _effect_extend(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    days = whole_number(params.get("days"), "days", "延长天数", "days", minimum=1)
    case.decision_extension_days += days
    case.save(update_fields=["decision_extension_days"])
    deadlines.decision_restore(case=case, now=at, actor=actor)
    return {"days": days}


def _effect_simplified_filed(
    case: PenaltyCase, step: PenaltyTransition, actor: Actor, params: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    case.simplified_filed_at = at
    deadlines.period_meet(case=case, purpose=P.SIMPLIFIED_FILING, at=at)
    return {}


# The penalty table's effects by name (`workflow.TRANSITIONS`); each applies the step's deadline and record
# bookkeeping and returns data for the timeline entry.
EFFECTS: dict[str, Effect] = {
    "start_decision_period": _effect_start_decision_period,
    "filing_refused": _effect_filing_refused,
    "extend_filing": _effect_extend_filing,
    "exclude_start": _effect_exclude_start,
    "exclude_end": _effect_exclude_end,
    "assess_rights": _effect_assess_rights,
    "investigation_record": _effect_written_record(
        PenaltyDocument.Kind.OTHER, "record", "调查笔录", "investigation record"
    ),
    "statement": _effect_written_record(
        PenaltyDocument.Kind.STATEMENT, "statement", "陈述申辩内容", "statement"
    ),
    "rights_waived": _effect_rights_waived,
    "hearing_scheduled": _effect_hearing_scheduled,
    "start_rights_periods": _effect_start_rights_periods,
    "hearing_requested": _effect_hearing_requested,
    "rights_periods_end": _effect_rights_periods_end,
    "hearing_held": _effect_hearing_outcome,
    "hearing_absent": _effect_hearing_outcome,
    "hearing_withdrawn": _effect_hearing_outcome,
    "start_legal_review": _effect_start_legal_review,
    "legal_review_done": _effect_legal_review_answered,
    "legal_review_reopen": _effect_legal_review_answered,
    "discussion_done": _effect_discussion_done,
    "decided": _effect_decided,
    "served": _effect_served,
    "start_closing": _effect_start_closing,
    "closed": _effect_closed,
    "suspend": _effect_suspend,
    "resume": _effect_resume,
    "extend": _effect_extend,
    "simplified_filed": _effect_simplified_filed,
}


def _decide(case: PenaltyCase, actor: Actor, params: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    """The decision document carries every field 行政处罚法 第五十九条 requires."""
    _penalty(case, params, cap=_notified_penalty(case))
    if not _penalty_proposed(case):
        raise ValidationFailed("决定须载明处罚种类", "the decision must state a penalty", field="fine_fen")
    missing = [f for f in ("party_name", "party_address") if not getattr(case, f)]
    if missing:
        raise ValidationFailed(
            "决定书须载明当事人的姓名或者名称、地址",
            "the decision must name the party and their address",
            field=missing[0],
        )
    if case.fine_fen + case.confiscation_fen > 0:
        bank = CollectingBank.objects.filter(
            pk=params.get("bank_id") or getattr(case.bank, "pk", None), active=True
        ).first()
        if bank is None:
            raise ValidationFailed(
                "决定罚款须指定代收银行", "a fine needs the collecting bank", field="bank_id"
            )
        case.bank = bank
    case.decided_at, case.decided_by = at, actor
    # Derived from the unique case number, so it is unique without a second counter.
    case.decision_number = case.number.replace("罚立", "罚决", 1)
    _document(
        case,
        PenaltyDocument.Kind.DECISION,
        actor,
        {
            "party": {"name": case.party_name, "kind": case.party_kind, "address": case.party_address},
            "facts": case.facts,
            "evidence": list(case.evidence.values_list("title", flat=True)),
            "penalty": _notice_fields(case),
            "bases": _bases(case),
            "performance": {
                "bank": getattr(case.bank, "name", ""),
                "bank_address": getattr(case.bank, "address", ""),
                "within_days": 15,
                "surcharge": "到期不缴纳罚款的，每日按罚款数额的百分之三加处罚款，加处罚款的数额不超出罚款的数额",
            },
            "remedies": "如不服本决定，可在收到本决定书之日起六十日内申请行政复议，或者六个月内依法向人民法院提起行政诉讼",
            "agency": getattr(actor.department, "name", "") if getattr(actor, "department_id", None) else "",
            "date": timezone.localdate(at).isoformat(),
            "seal": True,
        },
        number=case.decision_number,
    )
    deadlines.period_meet(case=case, purpose=P.DECISION, at=at)
    deadlines.period_start(case=case, purpose=P.SERVICE, start=at, actor=actor)
    deadlines.period_start(case=case, purpose=P.DISCLOSURE, start=at, actor=actor)
    return {"decision_number": case.decision_number, **_notice_fields(case)}


# ------------------------------------------------------------------------------------------- services


def _discovered(value: Any, occurred: dt.datetime, source_case: Any) -> dt.datetime:
    """When the lead was found or the material received (住建部令第55号 第十五条): given, or the report of the
    loop's case it comes from, or now. Never in the future, never before the violation it is about."""
    if value in (None, ""):
        return source_case.reported_at if source_case is not None else clock.now()
    found = _moment(value, "discovered_at", "发现线索时间", "time the lead was found")
    if found > clock.now() + CLOCK_SKEW:
        raise ValidationFailed(
            "发现线索时间不能晚于当前时间", "the lead cannot be found in the future", field="discovered_at"
        )
    if found < occurred:
        raise ValidationFailed(
            "发现线索时间不能早于违法时间",
            "the lead cannot be found before the violation happened",
            field="discovered_at",
        )
    return found


def _area_for(actor: Actor, area_code: Any, source_case: Any) -> str:
    if source_case is not None:
        return source_case.grid_code[:9] if len(source_case.grid_code) >= 9 else source_case.grid_code
    return inputs.area_code(area_code or getattr(actor, "area_code", "") or "")


def _party(params: dict[str, Any]) -> dict[str, Any]:
    kind = choice(params.get("party_kind"), Party, "party_kind", "当事人类型", "party kind")
    id_number = text(
        params.get("party_id_number"),
        "party_id_number",
        "证件号码",
        "ID number",
        required=False,
        max_length=18,
    )
    if id_number and not id_number.isalnum():
        raise ValidationFailed(
            "证件号码或统一社会信用代码格式无效", "invalid ID number or credit code", field="party_id_number"
        )
    return {
        "party_kind": kind,
        "party_name": text(params.get("party_name"), "party_name", "当事人", "party name", max_length=120),
        "party_id_number": id_number.upper(),
        "party_address": text(
            params.get("party_address"),
            "party_address",
            "当事人地址",
            "party address",
            required=False,
            max_length=200,
        ),
        "party_phone": text(
            params.get("party_phone"), "party_phone", "联系电话", "party phone", required=False, max_length=20
        ),
        "party_representative": text(
            params.get("party_representative"),
            "party_representative",
            "法定代表人",
            "legal representative",
            required=False,
            max_length=60,
        ),
    }


@transaction.atomic
def penalty_case_open(
    *,
    actor: Actor,
    source: str,
    violation_code: str,
    facts: str,
    address: str,
    occurred_at: Any,
    officer_ids: Iterable[Any] = (),
    procedure: str = PenaltyCase.Procedure.GENERAL,
    lon: float | None = None,
    lat: float | None = None,
    area_code: str | None = None,
    source_case_id: int | None = None,
    discretion_level_id: int | None = None,
    discovered_at: Any = None,
    **party: Any,
) -> PenaltyCase:
    """Propose a case for filing (立案审批表) under the general procedure, by at least two officers. The
    head decides on filing within 15 working days of `discovered_at` (when the lead was found or the
    material received; by default the report of the loop's case, else now): the period starts here."""
    require_permission(actor, "enforcement.add_penaltycase")
    if procedure != PenaltyCase.Procedure.GENERAL:
        raise ValidationFailed(
            "简易程序案件请使用当场处罚",
            "use the on-the-spot procedure for simplified cases",
            field="procedure",
        )
    choice(source, PenaltyCase.Source, "source", "案件来源", "source")
    source_case = None
    if source_case_id is not None:
        from qingcheng.cases.models import Case

        source_case = get_visible_or_404(
            Case, actor, field="grid_code", what_zh="案卷", what_en="case", pk=source_case_id
        )
        lon, lat = source_case.lon, source_case.lat
    area = _area_for(actor, area_code, source_case)
    require_in_scope(actor, area, refusal=outside_area())
    officers = officers_present(actor, officer_ids, area)
    violation = _violation(violation_code)
    occurred = _moment(occurred_at, "occurred_at", "违法时间", "time of the violation")
    found = _discovered(discovered_at, occurred, source_case)
    case = create_numbered(
        PenaltyCase,
        stem=yearly_stem(f"{area[:6]}罚立"),
        width=5,
        procedure=procedure,
        source=source,
        status=S.PROPOSED,
        source_case=source_case,
        **_what_happened(violation, discretion_level_id, facts, address, lon, lat),
        occurred_at=occurred,
        discovered_at=found,
        area_code=area,
        proposed_by=actor,
        **_party(party),
    )
    case.officers.set(officers)
    _document(
        case,
        PenaltyDocument.Kind.CASE_SOURCE,
        actor,
        {
            "source": source,
            "source_case": getattr(source_case, "number", ""),
            "discovered_at": found.isoformat(),
        },
    )
    deadlines.filing_restore(case=case, actor=actor)
    record_event(
        case=case, action="open", actor=actor, to_status=S.PROPOSED, officers=officers, note=case.facts[:200]
    )
    return case


@transaction.atomic
def penalty_case_simplified(
    *,
    actor: Actor,
    violation_code: str,
    facts: str,
    address: str,
    occurred_at: Any,
    form_number: str,
    officer_ids: Iterable[Any] = (),
    warning: bool = False,
    fine_fen: int = 0,
    bank_id: int | None = None,
    lon: float | None = None,
    lat: float | None = None,
    area_code: str | None = None,
    discretion_level_id: int | None = None,
    **party: Any,
) -> PenaltyCase:
    """An on-the-spot decision (当场处罚, 第五十一、五十二条) on a pre-numbered form, handed over at once and
    filed with the agency within 3 working days (住建部令第55号 第十四条)."""
    require_permission(actor, "enforcement.investigate_penaltycase")
    area = _area_for(actor, area_code, None)
    require_in_scope(actor, area, refusal=outside_area())
    officers = officers_present(actor, officer_ids, area)
    violation = _violation(violation_code)
    fields = _party(party)
    amount = fen(fine_fen, "fine_fen", "罚款金额", "fine")
    limit = SIMPLIFIED_LIMIT_FEN[fields["party_kind"]]
    if not warning and not amount:
        raise ValidationFailed(
            "当场处罚须为警告或罚款", "an on-the-spot penalty is a warning or a fine", field="fine_fen"
        )
    if amount > limit:
        raise ValidationFailed(
            f"当场处罚的罚款不得超过 {limit // 100} 元（行政处罚法第五十一条）",
            f"an on-the-spot fine may not exceed {limit // 100} yuan (Art. 51)",
            field="fine_fen",
            code="simplified_limit",
        )
    form = text(form_number, "form_number", "预定格式决定书编号", "pre-numbered form", max_length=40)
    at = clock.now()
    bank = None
    if amount:
        bank = CollectingBank.objects.filter(pk=bank_id, active=True).first()
        if bank is None:
            raise ValidationFailed(
                "决定罚款须指定代收银行", "a fine needs the collecting bank", field="bank_id"
            )
    case = create_numbered(
        PenaltyCase,
        stem=yearly_stem(f"{area[:6]}简罚"),
        width=5,
        procedure=PenaltyCase.Procedure.SIMPLIFIED,
        source=PenaltyCase.Source.INSPECTION,
        status=S.EXECUTING,
        **_what_happened(violation, discretion_level_id, facts, address, lon, lat),
        occurred_at=_moment(occurred_at, "occurred_at", "违法时间", "time of the violation"),
        discovered_at=at,
        area_code=area,
        proposed_by=actor,
        warning=bool(warning),
        fine_fen=amount,
        bank=bank,
        filed_at=at,
        notified_at=at,
        decided_at=at,
        decided_by=actor,
        served_at=at,
        service_method="direct",
        decision_number=form,
        **fields,
    )
    case.officers.set(officers)
    _document(
        case,
        PenaltyDocument.Kind.SIMPLIFIED_DECISION,
        actor,
        {
            "form_number": form,
            "warning": bool(warning),
            "fine_fen": amount,
            "bases": _bases(case),
            "refused_to_sign": bool(party.get("refused_to_sign")),
        },
        number=form,
    )
    deadlines.period_start(case=case, purpose=P.SIMPLIFIED_FILING, start=at, actor=actor)
    record_event(
        case=case,
        action="simplified",
        actor=actor,
        to_status=S.EXECUTING,
        officers=officers,
        data={"fine_fen": amount},
    )
    if amount:
        hooks.fine_due(case=case, actor=actor, at=at)
    return case


def _apply(
    case: PenaltyCase,
    step: PenaltyTransition,
    actor: Actor,
    params: dict[str, Any],
    officers: list[Any],
    note: str,
) -> PenaltyCase:
    at = clock.now()
    _check(case, step, actor, params, at)
    before = case.status
    # Effects that keep a reason (a waiver, an exclusion, an extension) read it from the step's note.
    data = EFFECTS[step.effect](case, step, actor, {**params, "note": note}, at) if step.effect else {}
    if step.target is not None:
        case.status = step.target
    case.version += 1
    case.save()
    if officers:
        case.officers.add(*officers)
    record_event(
        case=case,
        action=step.action,
        actor=actor,
        from_status=before,
        to_status=case.status,
        officers=officers,
        note=note,
        data=data,
        at=at,
    )
    return case


@transaction.atomic
def penalty_case_act(
    *,
    actor: Actor,
    case: PenaltyCase | int,
    action: str,
    officer_ids: Iterable[Any] = (),
    note: str = "",
    expected_version: int | None = None,
    **params: Any,
) -> PenaltyCase:
    """Take one step of the procedure. The transition table decides whether the step exists from this
    state and who may take it; the guards decide whether the law allows it now."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDeniedError()
    case = _lock(case)
    require_in_scope(actor, case.area_code, what_zh="案件", what_en="case")
    step = transition(case.status, action)
    if step is None:
        raise InvalidTransition(case.status, action, what_zh="案件", what_en="case")
    if not step.permission:
        raise PermissionDeniedError("该步骤由系统执行", "this step is taken by the system")
    require_permission(actor, step.permission)
    if step.procedure and case.procedure != step.procedure:
        raise InvalidTransition(case.status, action, what_zh="案件", what_en="case")
    require_version(expected_version, case.version, what_zh="案件", what_en="case")
    officers = officers_present(actor, officer_ids, case.area_code) if step.two_officers else []
    return _apply(
        case,
        step,
        actor,
        params,
        officers,
        text(note, "note", "备注", "note", required=False, max_length=4000),
    )


@transaction.atomic
def penalty_case_system_act(
    *, case: PenaltyCase | int, action: str, note: str = "", data: dict[str, Any] | None = None
) -> PenaltyCase:
    """A step taken by the system: the transfer machine moving the case, or the bank's payment report."""
    case = _lock(case)
    step = transition(case.status, action)
    if step is None or step.permission:
        raise InvalidTransition(case.status, action, what_zh="案件", what_en="case")
    return _apply(case, step, None, data or {}, [], note)


# ------------------------------------------------------------------------------------------- the sweep

# How long before a period falls due its officers are warned.
WARN_BEFORE = {
    P.FILING: dt.timedelta(days=3),
    P.DECISION: dt.timedelta(days=10),
    P.PAYMENT: dt.timedelta(days=3),
    P.CLOSING: dt.timedelta(days=3),
    P.DISCLOSURE: dt.timedelta(days=2),
}
WARN_DEFAULT = dt.timedelta(days=1)
# Periods the party has (statements, hearing request, payment) are not the agency's to be late on.
PARTY_PERIODS = frozenset({P.STATEMENT, P.HEARING_REQUEST, P.PAYMENT})


def _heads() -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(is_active=True, groups__name="enforcement_head").distinct())


def _notify(case: PenaltyCase, message: str, *, heads: list[Any] | None = None) -> int:
    from qingcheng.cases.models import Notification

    users = [u for u in case.officers.all() if u.is_active]
    users += [u for u in heads or [] if in_scope(u, case.area_code)]
    unique = {u.pk: u for u in users}
    Notification.objects.bulk_create(
        [Notification(user=u, kind="enforcement.deadline", message=message[:300]) for u in unique.values()]
    )
    return len(unique)


def penalty_deadline_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Warn the officers before each running period falls due and mark agency periods overdue after it
    (notifying the head as well). Each row is warned and marked once."""
    at = now or clock.now()
    warned = overdue = 0
    rows = (
        PenaltyDeadline.objects.filter(met_at__isnull=True, cancelled=False)
        .select_related("case")
        .prefetch_related("case__officers")
    )
    heads = _heads()
    for row in rows.filter(
        warned_at__isnull=True, due_at__gt=at, due_at__lte=at + max(WARN_BEFORE.values())
    ).iterator(chunk_size=500):
        if row.due_at - WARN_BEFORE.get(row.purpose, WARN_DEFAULT) <= at < row.due_at:
            with transaction.atomic():
                if PenaltyDeadline.objects.filter(pk=row.pk, warned_at__isnull=True).update(warned_at=at):
                    due = timezone.localtime(row.due_at).strftime("%Y-%m-%d %H:%M")
                    _notify(row.case, f"{row.case.number}：{row.get_purpose_display()} 将于 {due} 届满")
                    warned += 1
    for row in (
        rows.filter(overdue_at__isnull=True, due_at__lt=at)
        .exclude(purpose__in=PARTY_PERIODS)
        .iterator(chunk_size=500)
    ):
        with transaction.atomic():
            if PenaltyDeadline.objects.filter(pk=row.pk, overdue_at__isnull=True).update(overdue_at=at):
                _notify(row.case, f"{row.case.number}：{row.get_purpose_display()} 已超期", heads=heads)
                overdue += 1
    return {"warned": warned, "overdue": overdue}
