"""The general and simplified procedures through the services: every step, its legal preconditions,
who may take it, and the statutory periods counted across the 2026 National Day holiday."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from qingcheng.core import clock
from qingcheng.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from qingcheng.core.workflow import InvalidTransition
from qingcheng.enforcement.common import GuardFailed
from qingcheng.enforcement.models import PenaltyCase, PenaltyDeadline, PenaltyDocument
from qingcheng.enforcement.penalty import services

SH = ZoneInfo("Asia/Shanghai")
S = PenaltyCase.Status
P = PenaltyDeadline.Purpose


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SH).date()


@pytest.fixture
def walk(enf):
    pair = [enf["officer"].pk, enf["officer2"].pk]

    def open_case(when, *, party_kind="individual", **extra):
        with clock.at(when):
            return services.penalty_case_open(
                actor=enf["officer"],
                source="inspection",
                violation_code=enf["violation"].code,
                facts="当事人在大学东街人行道上摆摊经营，占用人行道约6平方米（测试数据）",
                address="呼和浩特市赛罕区大学东街",
                occurred_at=when - dt.timedelta(hours=2),
                officer_ids=pair,
                party_kind=party_kind,
                party_name="张三" if party_kind == "individual" else "呼和浩特市某餐饮有限公司",
                party_id_number="150105199001011234",
                party_address="呼和浩特市赛罕区某小区",
                party_phone="13800001234",
                area_code="150105",
                **extra,
            )

    def act(who, case, action, when, **params):
        params.setdefault("officer_ids", pair)
        with clock.at(when):
            return services.penalty_case_act(actor=enf[who], case=case, action=action, **params)

    return open_case, act


def _to_notified(walk, enf, start, *, fine_fen, level=None, investigators=("officer", "officer2"), **params):
    open_case, act = walk
    case = open_case(start)
    case = act("head", case, "approve_filing", start + dt.timedelta(hours=1))
    case = act(
        investigators[0],
        case,
        "record_investigation",
        start + dt.timedelta(hours=2),
        officer_ids=[enf[who].pk for who in investigators],
        record="现场检查笔录：……",
    )
    extra = {"discretion_level_id": level} if level is not None else {}
    case = act(
        "officer",
        case,
        "end_investigation",
        start + dt.timedelta(hours=3),
        fine_fen=fine_fen,
        report="违法事实清楚，证据确凿",
        **extra,
        **params,
    )
    return act("officer", case, "notify", start + dt.timedelta(hours=4))


def test_general_procedure_without_hearing_waits_for_the_statements_period(walk, enf):
    _open, act = walk
    # Notice served on Wednesday 2026-09-30; 5 working days skip the National Day holiday (10-01..10-07)
    # and count the make-up Saturday 10-10: 10-08, 10-09, 10-10, 10-12, 10-13.
    case = _to_notified(walk, enf, at(2026, 9, 30, 6), fine_fen=20_000)
    assert case.status == S.NOTIFIED and not case.hearing_right
    statement = case.deadlines.get(purpose=P.STATEMENT)
    assert local_day(statement.due_at) == dt.date(2026, 10, 13)
    assert not case.deadlines.filter(purpose=P.HEARING_REQUEST).exists()
    # The party may not be hurried: proceeding inside the period is refused.
    with pytest.raises(GuardFailed) as refused:
        act("officer", case, "proceed", at(2026, 10, 12, 10))
    assert refused.value.code == "precondition_rights_period_over"
    case = act(
        "officer", case, "record_statement", at(2026, 10, 12, 11), statement="当事人称初次摆摊，请求从轻"
    )
    case = act("officer", case, "proceed", at(2026, 10, 14, 9))
    # Deciding above the notified penalty is refused (不得因陈述申辩加重处罚).
    with pytest.raises(GuardFailed):
        act("head", case, "decide", at(2026, 10, 14, 10), fine_fen=30_000, bank_id=enf["bank"].pk)
    case = act("head", case, "decide", at(2026, 10, 14, 10), fine_fen=10_000, bank_id=enf["bank"].pk)
    assert case.status == S.DECIDED and case.fine_fen == 10_000
    decision = case.documents.get(kind=PenaltyDocument.Kind.DECISION)
    # 第五十九条: party, facts and evidence, penalty and basis, how and by when to pay, remedies, agency, date.
    for field in (
        "party",
        "facts",
        "evidence",
        "penalty",
        "bases",
        "performance",
        "remedies",
        "agency",
        "date",
    ):
        assert field in decision.fields
    assert decision.number == case.decision_number and "罚决" in decision.number
    assert case.deadlines.get(purpose=P.DECISION).met_at is not None


def test_hearing_right_cannot_be_skipped_and_the_hearing_is_presided_by_a_non_investigator(walk, enf):
    _open, act = walk
    # 10,000 yuan for an individual is above the configured 较大数额 threshold: the hearing right applies.
    # The head took part in the investigation, so may not preside over the hearing.
    case = _to_notified(walk, enf, at(2026, 9, 30, 6), fine_fen=1_000_000, investigators=("officer", "head"))
    assert case.hearing_right and case.needs_legal_review
    assert local_day(case.deadlines.get(purpose=P.HEARING_REQUEST).due_at) == dt.date(2026, 10, 13)
    case = act("officer", case, "request_hearing", at(2026, 10, 9, 9))
    assert case.status == S.HEARING
    # The presiding officer may not be one who investigated.
    with pytest.raises(GuardFailed) as refused:
        act(
            "head",
            case,
            "schedule_hearing",
            at(2026, 10, 9, 10),
            scheduled_for=at(2026, 10, 30, 9).isoformat(),
            place="执法局听证室",
        )
    assert refused.value.code == "precondition_not_investigator"
    # Notice at least 7 working days before the hearing: from Friday 10-09 the working days are 10-10
    # (make-up Saturday), 10-12 … 10-16 and 10-19, the 7th.
    with pytest.raises(GuardFailed) as early:
        act(
            "reviewer",
            case,
            "schedule_hearing",
            at(2026, 10, 9, 10),
            scheduled_for=at(2026, 10, 16, 9).isoformat(),
            place="执法局听证室",
        )
    assert early.value.code == "precondition_hearing_notice_period"
    case = act(
        "reviewer",
        case,
        "schedule_hearing",
        at(2026, 10, 9, 10),
        scheduled_for=at(2026, 10, 19, 9).isoformat(),
        place="执法局听证室",
    )
    with pytest.raises(GuardFailed):
        act("reviewer", case, "hold_hearing", at(2026, 10, 16, 9), record="……")
    case = act("reviewer", case, "hold_hearing", at(2026, 10, 19, 11), record="听证笔录：当事人对事实无异议")
    assert case.status == S.DECIDING and case.hearing_done
    # The legal review is required after a hearing; deciding without it is refused.
    with pytest.raises(GuardFailed) as review:
        act("head", case, "decide", at(2026, 10, 21, 9), bank_id=enf["bank"].pk)
    assert review.value.code == "precondition_legal_review_settled"
    case = act("officer", case, "request_legal_review", at(2026, 10, 21, 9))
    assert local_day(case.deadlines.get(purpose=P.LEGAL_REVIEW).due_at) == dt.date(2026, 11, 4)
    with pytest.raises(PermissionDeniedError):
        act("officer", case, "review_agree", at(2026, 10, 22, 9), opinion_text="同意")
    case = act(
        "reviewer2", case, "review_agree", at(2026, 10, 22, 9), opinion_text="事实清楚，程序合法，同意"
    )
    case = act("head", case, "decide", at(2026, 10, 22, 10), bank_id=enf["bank"].pk)
    assert case.status == S.DECIDED


def test_ninety_day_decision_period_excludes_the_hearing_and_rolls_past_the_holiday(walk, enf):
    _open, act = walk
    open_case, _ = walk
    case = open_case(at(2026, 7, 3, 9))
    case = act("head", case, "approve_filing", at(2026, 7, 3, 10))
    # 2026-07-03 + 90 days = 2026-10-01, National Day: the period ends on the next working day, 10-08.
    decision = case.deadlines.get(purpose=P.DECISION, cancelled=False)
    assert local_day(decision.due_at) == dt.date(2026, 10, 8)
    case = act("officer", case, "end_investigation", at(2026, 7, 6, 9), fine_fen=1_000_000, report="终结")
    case = act("officer", case, "notify", at(2026, 7, 6, 10))
    case = act("officer", case, "request_hearing", at(2026, 7, 11, 9))
    case = act(
        "reviewer",
        case,
        "schedule_hearing",
        at(2026, 7, 11, 10),
        scheduled_for=at(2026, 7, 21, 9).isoformat(),
        place="听证室",
    )
    case = act("reviewer", case, "hold_hearing", at(2026, 7, 21, 15), record="笔录")
    # The hearing ran from Saturday 07-11 to 07-21: 10 days do not count, so 90 + 10 days from 07-03 is Sunday 10-11,
    # which rolls to Monday 10-12.
    case.refresh_from_db()
    assert case.excluded_days == 10
    decision = case.deadlines.get(purpose=P.DECISION, cancelled=False, met_at__isnull=True)
    assert local_day(decision.due_at) == dt.date(2026, 10, 12)
    # One extension of at most 30 days with the head's approval; a second needs the collective discussion.
    with pytest.raises(GuardFailed):
        act("head", case, "extend_decision", at(2026, 9, 1, 9), days=31)
    case = act("head", case, "extend_decision", at(2026, 9, 1, 9), days=30)
    assert local_day(
        case.deadlines.get(purpose=P.DECISION, cancelled=False, met_at__isnull=True).due_at
    ) == dt.date(2026, 11, 10)
    with pytest.raises(GuardFailed):
        act("head", case, "extend_decision", at(2026, 9, 2, 9), days=10)


def test_suspension_time_is_excluded_and_resume_returns_to_the_same_step(walk, enf):
    open_case, act = walk
    case = open_case(at(2026, 7, 3, 9))
    case = act("head", case, "approve_filing", at(2026, 7, 3, 10))
    case = act("head", case, "suspend", at(2026, 7, 10, 9), ground="party_missing")
    assert case.status == S.SUSPENDED
    with pytest.raises(InvalidTransition):
        act("officer", case, "record_investigation", at(2026, 7, 11, 9), record="x")
    case = act("head", case, "resume", at(2026, 7, 15, 9))
    assert case.status == S.INVESTIGATING and case.excluded_days == 5


def test_only_officers_in_pairs_act_and_never_an_auxiliary_leader_or_procuratorate(walk, enf):
    open_case, act = walk
    case = open_case(at(2026, 11, 2, 9))
    for who in ("auxiliary", "leader", "procuratorate", "citizen", "officer"):
        with pytest.raises(DomainError):
            act(who, case, "approve_filing", at(2026, 11, 2, 10))
    with pytest.raises(DomainError):
        act("outside_officer", case, "approve_filing", at(2026, 11, 2, 10))
    case = act("head", case, "approve_filing", at(2026, 11, 2, 10))
    # One officer alone, or an officer with an auxiliary, may not investigate.
    with pytest.raises(ValidationFailed) as alone:
        act(
            "officer",
            case,
            "record_investigation",
            at(2026, 11, 2, 11),
            officer_ids=[enf["officer"].pk],
            record="x",
        )
    assert alone.value.code == "two_officers_required"
    with pytest.raises(ValidationFailed) as helper:
        act(
            "officer",
            case,
            "record_investigation",
            at(2026, 11, 2, 11),
            officer_ids=[enf["officer"].pk, enf["auxiliary"].pk],
            record="x",
        )
    assert helper.value.code == "not_an_officer"
    with pytest.raises(PermissionDeniedError):
        act("auxiliary", case, "record_investigation", at(2026, 11, 2, 11), record="x")
    case.refresh_from_db()
    assert case.events.count() == 2  # open and approve_filing only


def test_stale_version_is_a_conflict(walk, enf):
    open_case, act = walk
    case = open_case(at(2026, 11, 2, 9))
    version = case.version
    act("head", case, "approve_filing", at(2026, 11, 2, 10), expected_version=version)
    with pytest.raises(DomainError) as stale:
        act("head", case, "suspend", at(2026, 11, 2, 11), expected_version=version, ground="other")
    assert stale.value.code == "stale_version"


def test_simplified_procedure_limits_and_filing_within_three_working_days(enf):
    pair = [enf["officer"].pk, enf["officer2"].pk]
    common = dict(
        actor=enf["officer"],
        violation_code=enf["violation"].code,
        facts="当事人占道经营，当场责令改正（测试数据）",
        address="呼和浩特市赛罕区昭乌达路",
        occurred_at=at(2026, 9, 30, 8),
        officer_ids=pair,
        party_kind="individual",
        party_name="李四",
        area_code="150105",
    )
    with clock.at(at(2026, 9, 30, 9)), pytest.raises(ValidationFailed) as over:
        services.penalty_case_simplified(
            form_number="简-0001", fine_fen=20_001, bank_id=enf["bank"].pk, **common
        )
    assert over.value.code == "simplified_limit"
    with clock.at(at(2026, 9, 30, 9)):
        case = services.penalty_case_simplified(form_number="简-0002", warning=True, **common)
    assert case.procedure == "simplified" and case.status == S.EXECUTING
    # 3 working days from Wednesday 09-30: 10-08, 10-09, 10-10 (make-up Saturday).
    assert local_day(case.deadlines.get(purpose=P.SIMPLIFIED_FILING).due_at) == dt.date(2026, 10, 10)
    with clock.at(at(2026, 10, 8, 9)):
        case = services.penalty_case_act(
            actor=enf["officer"], case=case, action="confirm_execution", officer_ids=pair
        )
        with pytest.raises(GuardFailed):
            services.penalty_case_act(actor=enf["head"], case=case, action="close")
        case = services.penalty_case_act(actor=enf["officer"], case=case, action="file_simplified")
        case = services.penalty_case_act(actor=enf["head"], case=case, action="close")
    assert case.status == S.CLOSED


def test_the_sweep_warns_before_and_flags_overdue_once(walk, enf):
    from qingcheng.cases.models import Notification

    open_case, act = walk
    case = open_case(at(2026, 7, 3, 9))
    act("head", case, "approve_filing", at(2026, 7, 3, 10))
    assert services.penalty_deadline_sweep(now=at(2026, 9, 1, 9)) == {"warned": 0, "overdue": 0}
    # Ten days before 10-08 the officers are warned, once.
    assert services.penalty_deadline_sweep(now=at(2026, 9, 29, 9)) == {"warned": 1, "overdue": 0}
    assert services.penalty_deadline_sweep(now=at(2026, 9, 30, 9)) == {"warned": 0, "overdue": 0}
    assert Notification.objects.filter(user=enf["officer"], kind="enforcement.deadline").count() == 1
    assert services.penalty_deadline_sweep(now=at(2026, 10, 9, 9)) == {"warned": 0, "overdue": 1}
    assert Notification.objects.filter(user=enf["head"], kind="enforcement.deadline").count() == 1


# ------------------------------------------------------------------ the filing decision (住建部令第55号 第十五条)


def test_filing_decision_period_runs_from_the_lead_and_is_extended_once(walk, enf):
    from qingcheng.cases.models import Notification
    from qingcheng.core.models import AuditEntry
    from qingcheng.enforcement import selectors
    from qingcheng.enforcement.penalty import deadlines

    open_case, act = walk
    # The lead is found on Tuesday 09-22. 15 working days, the start day not counted (第四十五条), skip the
    # Mid-Autumn (09-25) and National Day (10-01..10-07) holidays and count the make-up Saturday 10-10:
    # 09-23, 09-24, 09-28, 09-29, 09-30, 10-08, 10-09, 10-10, 10-12 … 10-16, 10-19, 10-20.
    case = open_case(at(2026, 9, 22, 10))
    assert case.discovered_at == at(2026, 9, 22, 10)
    filing = case.deadlines.get(purpose=P.FILING)
    assert local_day(filing.due_at) == dt.date(2026, 10, 20)
    assert filing.deadline.start == at(2026, 9, 22, 10)
    assert "第十五条" in deadlines.PERIODS[P.FILING].basis
    assert [p["purpose"] for p in selectors.case_periods(case=case)] == [P.FILING]

    # The sweep warns the officers three days ahead, once; nothing is overdue yet.
    assert services.penalty_deadline_sweep(now=at(2026, 10, 16, 9)) == {"warned": 0, "overdue": 0}
    assert services.penalty_deadline_sweep(now=at(2026, 10, 18, 9)) == {"warned": 1, "overdue": 0}
    assert Notification.objects.filter(user=enf["officer"], kind="enforcement.deadline").count() == 1

    # Only the head extends, only with a reason, by 10 working days (第十五条: 可以延长十日), only once.
    with pytest.raises(PermissionDeniedError):
        act("officer", case, "extend_filing", at(2026, 10, 19, 9), note="案情复杂")
    with pytest.raises(ValidationFailed) as no_reason:
        act("head", case, "extend_filing", at(2026, 10, 19, 9))
    assert no_reason.value.details["field"] == "note"
    case = act("head", case, "extend_filing", at(2026, 10, 19, 9), note="需调取规划许可档案，案情复杂")
    # 10-21, 10-22, 10-23, 10-26 … 10-30, 11-02, 11-03.
    running = case.deadlines.get(purpose=P.FILING, cancelled=False)
    assert local_day(running.due_at) == dt.date(2026, 11, 3) and running.met_at is None
    assert case.deadlines.filter(purpose=P.FILING, cancelled=True).count() == 1
    event = case.events.get(action="extend_filing")
    assert event.actor == enf["head"] and event.note == "需调取规划许可档案，案情复杂"
    assert event.data["working_days"] == 10
    assert AuditEntry.objects.filter(action="enforcement.extend_filing", object_id=str(case.pk)).count() == 1
    with pytest.raises(GuardFailed) as twice:
        act("head", case, "extend_filing", at(2026, 10, 20, 9), note="再次延长")
    assert twice.value.code == "precondition_filing_not_extended"

    # Overdue only after the extended day; the head is told.
    assert services.penalty_deadline_sweep(now=at(2026, 10, 21, 9)) == {"warned": 0, "overdue": 0}
    # The extended period is warned afresh before its own due day.
    assert services.penalty_deadline_sweep(now=at(2026, 11, 1, 9)) == {"warned": 1, "overdue": 0}
    assert services.penalty_deadline_sweep(now=at(2026, 11, 4, 9)) == {"warned": 0, "overdue": 1}
    assert Notification.objects.filter(user=enf["head"], kind="enforcement.deadline").count() == 1

    # Filing, even late, closes the period; the statistics count it as late.
    case = act("head", case, "approve_filing", at(2026, 11, 4, 10))
    running.refresh_from_db()
    assert running.met_at == at(2026, 11, 4, 10)
    assert not case.deadlines.filter(purpose=P.FILING, met_at__isnull=True, cancelled=False).exists()
    with clock.at(at(2026, 11, 30, 9)):
        stats = selectors.enforcement_statistics(
            actor=enf["leader"], date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30)
        )
    filing_stats = next(r for r in stats["on_time"] if r["purpose"] == P.FILING)
    assert (filing_stats["on_time"], filing_stats["late"], filing_stats["rate"]) == (0, 1, 0.0)


def test_refusing_to_file_closes_the_period_on_time(walk, enf):
    open_case, act = walk
    case = open_case(at(2026, 9, 22, 10))
    case = act("head", case, "reject_filing", at(2026, 9, 30, 16), note="不属于本机关管辖")
    assert case.status == S.NOT_FILED
    filing = case.deadlines.get(purpose=P.FILING)
    assert filing.met_at == at(2026, 9, 30, 16) and filing.met_at <= filing.due_at
    # Nothing is left running to be swept.
    assert services.penalty_deadline_sweep(now=at(2026, 12, 1, 9)) == {"warned": 0, "overdue": 0}
    with pytest.raises(InvalidTransition):
        act("head", case, "extend_filing", at(2026, 10, 8, 9), note="x")


def test_the_lead_is_never_after_now_nor_before_the_violation(walk, enf):
    open_case, _act = walk
    with pytest.raises(ValidationFailed) as future:
        open_case(at(2026, 9, 22, 10), discovered_at=at(2026, 9, 23, 10))
    assert future.value.details["field"] == "discovered_at"
    with pytest.raises(ValidationFailed) as early:
        open_case(at(2026, 9, 22, 10), discovered_at=at(2026, 9, 22, 7))  # the violation was at 08:00
    assert early.value.details["field"] == "discovered_at"
    assert not PenaltyCase.objects.exists()
    # A complaint received a week before it was written up: its period counts from the complaint (naive
    # times are read in the bureau's time zone).
    with clock.at(at(2026, 9, 29, 10)):
        case = services.penalty_case_open(
            actor=enf["officer"],
            source="complaint",
            violation_code=enf["violation"].code,
            facts="群众投诉：夜间施工噪声扰民（测试数据）",
            address="呼和浩特市赛罕区",
            occurred_at=at(2026, 9, 21, 23),
            discovered_at="2026-09-22T10:00:00",
            officer_ids=[enf["officer"].pk, enf["officer2"].pk],
            party_kind="organisation",
            party_name="呼和浩特市某建筑公司（测试）",
            area_code="150105",
        )
    assert local_day(case.deadlines.get(purpose=P.FILING).due_at) == dt.date(2026, 10, 20)


def test_a_case_without_a_recorded_lead_has_no_filing_period_to_extend(make_penalty_case, enf):
    case = make_penalty_case(status=S.PROPOSED, filed_at=None)
    with pytest.raises(GuardFailed) as refused:
        services.penalty_case_act(actor=enf["head"], case=case, action="extend_filing", note="x")
    assert refused.value.code == "precondition_filing_period_running"
