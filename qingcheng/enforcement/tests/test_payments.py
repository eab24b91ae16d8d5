"""Payment notices, the late-payment surcharge (加处罚款), on-the-spot collection (当场收缴) and the court
application (申请人民法院强制执行).

Every expected date and amount below is worked out by hand in the comment next to it, from the 2026
holiday schedule (国庆节 and 中秋节: 9月25–27日 and 10月1–7日 off; 9月20日 (Sunday) and 10月10日 (Saturday)
worked), never by calling the function under test a second time."""

from __future__ import annotations

import datetime as dt

import pytest

from qingcheng.core import clock
from qingcheng.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.enforcement.common import GuardFailed
from qingcheng.enforcement.models import (
    CourtApplication,
    OnTheSpotCollection,
    PaymentNotice,
    PenaltyCase,
    PenaltyDeadline,
    PenaltyDocument,
    PenaltyEvent,
    SurchargeSuspension,
)
from qingcheng.enforcement.payments import services as payments
from qingcheng.enforcement.penalty import services

S = PenaltyCase.Status
pytestmark = pytest.mark.django_db


def t(text: str) -> dt.datetime:
    """An instant written in Beijing time."""
    return dt.datetime.fromisoformat(text + "+08:00")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture
def issue(enf, make_penalty_case):
    """A served, executing case with its payment notice issued at `served`."""

    def make(served: str = "2026-09-20T10:00", **fields) -> PaymentNotice:
        values = {"bank": enf["bank"], "decision_number": "赛城执罚〔2026〕1号"}
        values.update(fields)
        with clock.at(t(served)):
            case = make_penalty_case(status=S.EXECUTING, served_at=t(served), **values)
            return payments.payment_notice_issue(case=case, actor=enf["officer"], at=t(served))

    return make


# ------------------------------------------------------------------------------------ payment notice


def test_notice_due_date_rolls_past_national_day(enf, issue):
    # Served Sunday 2026-09-20 (a make-up workday). 15 calendar days, the start day not counted: the last
    # day is 10月5日, inside the 10月1–7日 holiday, so the period ends on the first working day after it,
    # Thursday 10月8日, at 23:59:59.
    notice = issue("2026-09-20T10:00")
    assert notice.due_at == t("2026-10-08T23:59:59")
    assert notice.number == "JK2026-00001"
    assert notice.amount_fen == 20_000 and notice.status == PaymentNotice.Status.UNPAID
    period = PenaltyDeadline.objects.get(case=notice.case, purpose=PenaltyDeadline.Purpose.PAYMENT)
    assert period.due_at == notice.due_at and period.met_at is None
    document = PenaltyDocument.objects.get(case=notice.case, kind=PenaltyDocument.Kind.PAYMENT_NOTICE)
    # 国务院令第235号: bank name and address, amount, deadline, whether the surcharge applies.
    assert document.number == notice.number
    assert document.fields["bank_name"] == enf["bank"].name
    assert document.fields["bank_address"] == enf["bank"].address
    assert document.fields["amount_fen"] == 20_000
    assert document.fields["surcharge_applies"] is True
    assert document.fields["due_at"].startswith("2026-10-08T23:59:59")
    assert PenaltyEvent.objects.filter(case=notice.case, action="payment_notice").count() == 1


def test_notice_counts_fine_and_confiscation_and_none_when_nothing_to_pay(enf, issue, make_penalty_case):
    notice = issue(fine_fen=10_000, confiscation_fen=50_000)
    assert notice.amount_fen == 60_000
    with clock.at(t("2026-09-20T10:00")):
        warning_only = make_penalty_case(status=S.EXECUTING, fine_fen=0, bank=enf["bank"])
        assert payments.payment_notice_issue(case=warning_only, actor=enf["officer"], at=clock.now()) is None
    assert not PaymentNotice.objects.filter(case=warning_only).exists()


def test_notice_refusals(enf, issue, make_penalty_case):
    with clock.at(t("2026-09-20T10:00")):
        no_bank = make_penalty_case(status=S.EXECUTING)
        with pytest.raises(ValidationFailed) as error:
            payments.payment_notice_issue(case=no_bank, actor=enf["officer"], at=clock.now())
        assert error.value.code == "bank_required"
        case = make_penalty_case(status=S.EXECUTING, bank=enf["bank"])
        with pytest.raises(PermissionDeniedError):
            payments.payment_notice_issue(case=case, actor=enf["leader"], at=clock.now())
        with pytest.raises(NotFound):
            payments.payment_notice_issue(case=case, actor=enf["outside_officer"], at=clock.now())
        payments.payment_notice_issue(case=case, actor=enf["officer"], at=clock.now())
        with pytest.raises(Conflict):
            payments.payment_notice_issue(case=case, actor=enf["officer"], at=clock.now())
    assert PaymentNotice.objects.count() == 1


def test_serving_the_decision_issues_the_notice(enf, make_penalty_case):
    with clock.at(t("2026-09-20T10:00")):
        case = make_penalty_case(status=S.DECIDED, bank=enf["bank"], decided_at=t("2026-09-19T09:00"))
        services.penalty_case_act(
            actor=enf["officer"], case=case, action="serve", officer_ids=[enf["officer2"].pk]
        )
    notice = PaymentNotice.objects.get(case=case)
    assert notice.due_at == t("2026-10-08T23:59:59")


# ----------------------------------------------------------------------------------------- surcharge


def test_surcharge_is_3_percent_a_day_capped_at_the_fine_on_day_34(issue):
    notice = issue()  # 200 yuan, due 2026-10-08
    assert payments.surcharge_fen(notice=notice, as_of=d("2026-10-08")) == 0
    assert payments.surcharge_fen(notice=notice, as_of=d("2026-10-09")) == 600  # day 1: 3% of 20 000
    # Day 33 is 10月8日 + 33 = 11月10日: 99% = 19 800; day 34 (11月11日) would be 102%, capped at 100%.
    assert payments.surcharge_fen(notice=notice, as_of=d("2026-11-10")) == 19_800
    assert payments.surcharge_fen(notice=notice, as_of=d("2026-11-11")) == 20_000
    assert payments.surcharge_fen(notice=notice, as_of=d("2027-06-01")) == 20_000
    due = payments.amount_due_fen(notice=notice, as_of=d("2026-11-11"))
    assert due == 40_000 and isinstance(due, int)


def test_surcharge_counts_holidays_and_stops_during_review(enf, issue):
    # Served 2026-09-15 (Tuesday): 15 days end on Wednesday 09-30, a working day, so no roll.
    notice = issue("2026-09-15T10:00")
    assert notice.due_at == t("2026-09-30T23:59:59")
    # The surcharge is per day (每日): the National Day holiday counts. 10月1–8日 = 8 days = 24% = 4 800.
    assert payments.surcharge_fen(notice=notice, as_of=d("2026-10-08")) == 4_800
    with clock.at(t("2026-10-09T09:00")):
        payments.surcharge_suspend(
            actor=enf["head"], notice=notice, reason="review", started_on=d("2026-10-03")
        )
        # Review 10月3日 to today: 10月1–2日 count, 10月3–8日 do not: 2 days = 6% = 1 200.
        assert payments.surcharge_fen(notice=notice, as_of=d("2026-10-08")) == 1_200
        payments.surcharge_resume(actor=enf["head"], notice=notice, ended_on=d("2026-10-05"))
    # Review 10月3–5日 (3 days, both ends suspended): 8 − 3 = 5 days = 15% = 3 000.
    assert payments.surcharge_fen(notice=notice, as_of=d("2026-10-08")) == 3_000
    # A later litigation overlapping the review counts once: 10月5–6日 adds only 10月6日.
    SurchargeSuspension.objects.create(
        notice=notice, reason="litigation", started_on=d("2026-10-05"), ended_on=d("2026-10-06")
    )
    assert payments.surcharge_fen(notice=notice, as_of=d("2026-10-08")) == 2_400


def test_surcharge_rounds_down_to_the_fen_and_spares_confiscated_gains(issue):
    odd = issue(fine_fen=20_001)
    # 20 001 × 3% = 600.03 → 600; three days 1 800.09 → 1 800 (never rounded up against the party).
    assert payments.surcharge_fen(notice=odd, as_of=d("2026-10-09")) == 600
    assert payments.surcharge_fen(notice=odd, as_of=d("2026-10-11")) == 1_800
    mixed = issue(fine_fen=10_000, confiscation_fen=50_000)
    # 3% of the fine (10 000) only, capped at the fine, not at the 60 000 on the notice.
    assert payments.surcharge_fen(notice=mixed, as_of=d("2026-10-09")) == 300
    assert payments.surcharge_fen(notice=mixed, as_of=d("2027-01-01")) == 10_000
    assert payments.amount_due_fen(notice=mixed, as_of=d("2027-01-01")) == 70_000
    mixed.surcharge_applies = False
    assert payments.surcharge_fen(notice=mixed, as_of=d("2027-01-01")) == 0


def test_suspension_rules(enf, issue):
    notice = issue()
    with clock.at(t("2026-10-12T09:00")):
        with pytest.raises(PermissionDeniedError):
            payments.surcharge_suspend(
                actor=enf["officer"], notice=notice, reason="review", started_on=d("2026-10-10")
            )
        with pytest.raises(ValidationFailed):
            payments.surcharge_suspend(
                actor=enf["head"], notice=notice, reason="appeal", started_on=d("2026-10-10")
            )
        with pytest.raises(ValidationFailed):
            payments.surcharge_suspend(
                actor=enf["head"], notice=notice, reason="review", started_on=d("2026-10-13")
            )
        with pytest.raises(Conflict):
            payments.surcharge_resume(actor=enf["head"], notice=notice, ended_on=d("2026-10-11"))
        payments.surcharge_suspend(
            actor=enf["head"], notice=notice, reason="review", started_on=d("2026-10-10")
        )
        with pytest.raises(Conflict):
            payments.surcharge_suspend(
                actor=enf["head"], notice=notice, reason="litigation", started_on=d("2026-10-11")
            )
        with pytest.raises(ValidationFailed):
            payments.surcharge_resume(actor=enf["head"], notice=notice, ended_on=d("2026-10-09"))
    assert SurchargeSuspension.objects.filter(notice=notice).count() == 1
    events = set(PenaltyEvent.objects.filter(case=notice.case).values_list("action", flat=True))
    assert "surcharge_suspended" in events


# ---------------------------------------------------------------------------- on-the-spot collection


def _simplified(enf, fine_fen: int, **party):
    return services.penalty_case_simplified(
        actor=enf["officer"],
        violation_code=enf["violation"].code,
        facts="在人行道上摆摊（测试）",
        address="大学东街（测试）",
        occurred_at=clock.now() - dt.timedelta(minutes=30),
        form_number=f"简-{fine_fen}-{party.get('party_name', '李四')}",
        officer_ids=[enf["officer2"].pk],
        fine_fen=fine_fen,
        bank_id=enf["bank"].pk,
        party_kind="individual",
        party_name=party.get("party_name", "李四"),
    )


def test_small_fine_collected_on_the_spot_then_handed_in_and_banked(enf):
    with clock.at(t("2026-09-30T15:00")):
        case = _simplified(enf, 5_000)
        collection = payments.collect_on_the_spot(
            actor=enf["officer"],
            case=case,
            receipt_number="内蒙古罚没票据 No.000123",
            amount_fen=5_000,
            ground="small_simplified",
            officer_ids=[enf["officer2"].pk],
        )
    # 2 working days from Wednesday 09-30: 10月1–7日 are off, so day 1 is 10月8日 and day 2 10月9日; due at
    # the close of business (18:00).
    assert collection.hand_in_due_at == t("2026-10-09T18:00")
    notice = PaymentNotice.objects.get(case=case)
    assert notice.status == PaymentNotice.Status.PAID and notice.paid_fen == 5_000
    case.refresh_from_db()
    assert case.status == S.EXECUTED
    with clock.at(t("2026-10-09T09:00")), pytest.raises(GuardFailed):
        payments.on_the_spot_banked(actor=enf["head"], collection=collection, at=clock.now())
    with pytest.raises(PermissionDeniedError):  # the officer cannot confirm his own hand-in
        payments.on_the_spot_hand_in(actor=enf["officer"], collection=collection, at=t("2026-10-09T09:00"))
    with clock.at(t("2026-10-09T10:00")):
        payments.on_the_spot_hand_in(actor=enf["head"], collection=collection, at=clock.now())
        collection.refresh_from_db()
        # 2 working days after Friday 10月9日: Saturday 10月10日 is a make-up workday (day 1), Monday
        # 10月12日 is day 2.
        assert collection.bank_due_at == t("2026-10-12T18:00")
        with pytest.raises(Conflict):
            payments.on_the_spot_hand_in(actor=enf["head"], collection=collection, at=clock.now())
    assert payments.payments_sweep(now=t("2026-10-13T09:00"))["banking_overdue"] == 1
    with clock.at(t("2026-10-13T09:00")):
        payments.on_the_spot_banked(actor=enf["head"], collection=collection, at=clock.now())
    assert payments.payments_sweep(now=t("2026-10-13T10:00"))["banking_overdue"] == 0
    hand_in = PenaltyDeadline.objects.get(case=case, purpose=PenaltyDeadline.Purpose.HAND_IN)
    assert hand_in.met_at == t("2026-10-09T10:00")
    actions = list(PenaltyEvent.objects.filter(case=case).values_list("action", flat=True))
    assert "collected_on_the_spot" in actions and "payment_received" in actions
    assert actions[-1] == "on_the_spot_banked"


def test_on_the_spot_only_where_the_law_allows(enf, make_penalty_case):
    with clock.at(t("2026-09-30T15:00")):
        over_100 = _simplified(enf, 15_000)

        def collect(case, **kw):
            values = {
                "actor": enf["officer"],
                "case": case,
                "receipt_number": "R-1",
                "amount_fen": case.fine_fen,
                "ground": "small_simplified",
                "officer_ids": [enf["officer2"].pk],
            }
            values.update(kw)
            return payments.collect_on_the_spot(**values)

        # 150 yuan is above the 100-yuan limit of 第六十八条（一）.
        with pytest.raises(GuardFailed):
            collect(over_100)
        with pytest.raises(ValidationFailed) as error:
            collect(over_100, ground="hard_to_collect")
        assert error.value.details["field"] == "note"
        with pytest.raises(ValidationFailed) as error:
            collect(over_100, ground="hard_to_collect", note="外地流动摊贩，事后难以执行", officer_ids=[])
        assert error.value.code == "two_officers_required"
        with pytest.raises(PermissionDeniedError):
            collect(over_100, actor=enf["auxiliary"])
        with pytest.raises(ValidationFailed):
            collect(over_100, ground="hard_to_collect", note="流动摊贩", amount_fen=10_000)
        collect(over_100, ground="hard_to_collect", note="外地流动摊贩，事后难以执行")

        general = make_penalty_case(status=S.EXECUTING, fine_fen=5_000, bank=enf["bank"])
        with pytest.raises(GuardFailed):
            collect(general, receipt_number="R-2")  # 第六十八条 is for on-the-spot decisions only
        with pytest.raises(GuardFailed) as guard:
            collect(general, receipt_number="R-2", ground="remote_area", note="大青山深处（测试）")
        assert guard.value.code == "precondition_party_request"
        with pytest.raises(Conflict):
            collect(general, receipt_number="R-1", ground="remote_area", note="大青山", party_requested=True)
        collect(
            general,
            receipt_number="R-2",
            ground="remote_area",
            note="大青山深处（测试）",
            party_requested=True,
        )
    assert OnTheSpotCollection.objects.count() == 2


# ---------------------------------------------------------------------------------- court application


def test_add_months_uses_the_month_end_when_there_is_no_corresponding_day():
    assert payments.add_months(d("2026-01-15"), 6) == d("2026-07-15")
    assert payments.add_months(d("2026-08-31"), 6) == d("2027-02-28")
    assert payments.add_months(d("2023-08-31"), 6) == d("2024-02-29")
    assert payments.add_months(d("2026-11-30"), 3) == d("2027-02-28")


def test_court_window_after_reminder_and_litigation_period(enf, issue):
    # Served Thursday 2026-01-15; the payment period ends Friday 01-30.
    notice = issue("2026-01-15T10:00")
    case = notice.case
    with clock.at(t("2026-12-01T09:00")):
        with pytest.raises(GuardFailed):
            payments.court_reminder_serve(actor=enf["head"], case=case, at=t("2026-01-30T12:00"))
        with pytest.raises(PermissionDeniedError):
            payments.court_reminder_serve(actor=enf["officer"], case=case, at=t("2026-07-08T10:00"))
        application = payments.court_reminder_serve(actor=enf["head"], case=case, at=t("2026-07-08T10:00"))
        # Litigation: 6 months from 01-15 ends Wednesday 07-15 (a working day). Reminder on Wednesday
        # 07-08: 10 working days are 07-09, 10, 13, 14, 15, 16, 17, 20, 21, 22, so the court may be asked
        # from 07-23; at the latest 3 months after 07-15, i.e. 10-15.
        assert application.earliest_filing_at == t("2026-07-23T00:00")
        assert application.latest_filing_at == t("2026-10-15T23:59:59")
        reminder = PenaltyDocument.objects.get(case=case, fields__title="催告书")
        # Due since 01-30, so far beyond day 34: the surcharge is capped at the fine.
        assert reminder.fields["amount_due_fen"] == 40_000
        with pytest.raises(Conflict):
            payments.court_reminder_serve(actor=enf["head"], case=case, at=t("2026-07-09T10:00"))
        with pytest.raises(GuardFailed) as early:
            payments.court_apply(
                actor=enf["head"], application=application, court="赛罕区人民法院", at=t("2026-07-22T16:00")
            )
        assert early.value.code == "precondition_court_too_early"
        with pytest.raises(GuardFailed) as late:
            payments.court_apply(
                actor=enf["head"], application=application, court="赛罕区人民法院", at=t("2026-10-16T09:00")
            )
        assert late.value.code == "precondition_court_too_late"
        payments.court_apply(
            actor=enf["head"], application=application, court="赛罕区人民法院", at=t("2026-07-23T09:00")
        )
        application.refresh_from_db()
        assert application.status == CourtApplication.Status.FILED
        with pytest.raises(Conflict):
            payments.court_outcome(
                actor=enf["head"], application=application, outcome="executed", at=t("2026-08-01T09:00")
            )
        payments.court_outcome(
            actor=enf["head"], application=application, outcome="accepted", at=t("2026-07-27T09:00")
        )
        payments.court_outcome(
            actor=enf["head"], application=application, outcome="executed", at=t("2026-09-01T09:00")
        )
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.status == PaymentNotice.Status.PAID and notice.paid_fen == 40_000
    assert notice.surcharge_paid_fen == 20_000
    assert case.status == S.EXECUTED
    assert PenaltyDocument.objects.filter(case=case, kind=PenaltyDocument.Kind.COURT_APPLICATION).count() == 1


def test_early_reminder_waits_for_the_litigation_period(enf, issue):
    notice = issue("2026-01-15T10:00")
    with clock.at(t("2026-12-01T09:00")):
        application = payments.court_reminder_serve(
            actor=enf["head"], case=notice.case, at=t("2026-02-02T10:00")
        )
    # The 10 working days are long over by July; 第五十三条 opens the window the day after the litigation
    # period ends (07-15), so 07-16.
    assert application.earliest_filing_at == t("2026-07-16T00:00")


def test_no_court_route_after_review_or_litigation(enf, issue):
    notice = issue("2026-01-15T10:00")
    with clock.at(t("2026-03-01T09:00")):
        payments.surcharge_suspend(
            actor=enf["head"], notice=notice, reason="litigation", started_on=d("2026-02-10")
        )
        with pytest.raises(GuardFailed):
            payments.court_reminder_serve(actor=enf["head"], case=notice.case, at=clock.now())
    assert not CourtApplication.objects.exists()


# --------------------------------------------------------------------------------------------- sweep


def test_sweep_marks_overdue_payment_once(issue):
    notice = issue()  # due 2026-10-08 23:59:59
    assert payments.payments_sweep(now=t("2026-10-08T23:00"))["payment_overdue"] == 0
    assert payments.payments_sweep(now=t("2026-10-09T00:30"))["payment_overdue"] == 1
    assert payments.payments_sweep(now=t("2026-10-09T01:30"))["payment_overdue"] == 0
    period = PenaltyDeadline.objects.get(case=notice.case, purpose=PenaltyDeadline.Purpose.PAYMENT)
    assert period.overdue_at == t("2026-10-09T00:30")
    assert PenaltyEvent.objects.filter(case=notice.case, action="payment_overdue").count() == 1


def test_dates_before_the_notice_or_the_application_are_refused(enf, issue):
    """The same fault as a bank report dated year 1: a review "started" before the decision would suspend
    every day of surcharge; a court execution dated before the application would settle the fine as of a
    day with less surcharge. Both are refused and change nothing."""
    notice = issue("2026-01-15T10:00")
    case = notice.case
    with clock.at(t("2026-12-01T09:00")):
        with pytest.raises(ValidationFailed) as early:
            payments.surcharge_suspend(
                actor=enf["head"], notice=notice, reason="review", started_on=d("0001-01-01")
            )
        assert early.value.code == "implausible_date" and early.value.details["field"] == "started_on"
        with pytest.raises(ValidationFailed):
            payments.surcharge_suspend(
                actor=enf["head"], notice=notice, reason="review", started_on=d("2026-01-14")
            )
        assert not SurchargeSuspension.objects.filter(notice=notice).exists()
        application = payments.court_reminder_serve(actor=enf["head"], case=case, at=t("2026-07-08T10:00"))
        payments.court_apply(
            actor=enf["head"], application=application, court="赛罕区人民法院", at=t("2026-07-23T09:00")
        )
        payments.court_outcome(
            actor=enf["head"], application=application, outcome="accepted", at=t("2026-07-27T09:00")
        )
        for moment in ("0001-01-02T00:00", "2026-07-23T08:59"):
            with pytest.raises(ValidationFailed) as before:
                payments.court_outcome(
                    actor=enf["head"], application=application, outcome="executed", at=t(moment)
                )
            assert before.value.code == "implausible_date"
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.UNPAID and notice.paid_at is None
    application.refresh_from_db()
    assert application.status == CourtApplication.Status.ACCEPTED
