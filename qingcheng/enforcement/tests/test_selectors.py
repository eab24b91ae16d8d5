"""Selectors of enforcement: the queue's filters and counts, steps offered per role, the party masked
unless permitted, the periods and the timeline; and the statistics of November 2026 checked against a
month of cases built through the services, every expected number worked out by hand below."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from qingcheng.core import clock
from qingcheng.core.errors import NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.enforcement import selectors
from qingcheng.enforcement.disclosure import services as disclosure
from qingcheng.enforcement.models import PenaltyCase, PenaltyDeadline
from qingcheng.enforcement.payments import services as payments
from qingcheng.enforcement.penalty import services
from qingcheng.enforcement.penalty.deadlines import period_start
from qingcheng.enforcement.transfers import services as transfers

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
S = PenaltyCase.Status
P = PenaltyDeadline.Purpose
KEY = "test-only-bank-key-for-statistics-0001"


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


# ------------------------------------------------------------------------------------------- the queue


def test_queue_filters_and_counts(enf, make_penalty_case):
    now = clock.now()
    overdue = make_penalty_case(S.INVESTIGATING)
    period_start(case=overdue, purpose=P.DECISION, start=now - dt.timedelta(days=100))
    soon = make_penalty_case(S.DECIDED)
    period_start(case=soon, purpose=P.SERVICE, start=now - dt.timedelta(days=8))
    paused = make_penalty_case(S.SUSPENDED)
    period_start(case=paused, purpose=P.DECISION, start=now - dt.timedelta(days=95))
    party_only = make_penalty_case(S.NOTIFIED)
    period_start(case=party_only, purpose=P.STATEMENT, start=now - dt.timedelta(days=30))
    closed = make_penalty_case(S.CLOSED)
    theirs = make_penalty_case(S.INVESTIGATING)
    theirs.officers.set([enf["officer3"]])
    officer = enf["officer"]

    def ids(**filters):
        return {c.pk for c in selectors.penalty_case_list(actor=officer, **filters)}

    assert ids(overdue=True) == {overdue.pk}  # not the suspended case, not the party's own period
    soon_row = selectors.penalty_case_list(actor=officer).get(pk=soon.pk)
    # 7 working days from 8 calendar days ago: due within the next 3 days or already over, depending on
    # the weekday; either way the service period is the next due one.
    assert soon_row.next_due_purpose == P.SERVICE
    assert ids(status="open") == {overdue.pk, soon.pk, paused.pk, party_only.pk, theirs.pk}
    assert ids(mine=True) == {overdue.pk, soon.pk, paused.pk, party_only.pk, closed.pk}
    assert ids(status=S.CLOSED) == {closed.pk}
    first = selectors.penalty_case_list(actor=officer).first()
    assert first.pk == overdue.pk  # the earliest due first
    counts = selectors.queue_counts(actor=officer)
    assert counts["all"] == 6 and counts["open"] == 5 and counts["mine"] == 4
    assert counts["overdue"] == len(ids(overdue=True)) and counts["due_soon"] == len(ids(due_soon=True))
    assert {r["status"]: r["count"] for r in counts["by_status"]}[S.INVESTIGATING] == 2
    with pytest.raises(ValidationFailed):
        selectors.penalty_case_list(actor=officer, status="nope")
    assert selectors.penalty_case_list(actor=enf["outside_officer"]).count() == 0
    with pytest.raises(PermissionDeniedError):
        selectors.penalty_case_list(actor=enf["auxiliary"])
    with pytest.raises(NotFound):
        selectors.penalty_case_get(actor=enf["outside_officer"], case_id=overdue.pk)
    with pytest.raises(NotFound):
        selectors.penalty_case_get(actor=officer, case_id="x")
    # A NUL in the search is dropped, not sent to the database.
    assert selectors.penalty_case_list(actor=officer, q="TEST\x00").count() == 6


def test_steps_offered_per_role(enf, make_penalty_case):
    deciding = make_penalty_case(S.DECIDING)
    names = lambda who, case: {t.action for t in selectors.allowed_actions(actor=enf[who], case=case)}  # noqa: E731
    assert names("officer", deciding) == {"request_legal_review"}
    assert {
        "decide",
        "decide_no_penalty",
        "record_discussion",
        "suspend",
        "terminate",
        "extend_decision",
    } <= (names("head", deciding))
    for who in ("leader", "procuratorate", "auxiliary", "outside_officer", "reviewer"):
        assert names(who, deciding) == set(), who
    review = make_penalty_case(S.LEGAL_REVIEW)
    assert names("reviewer", review) == {
        "review_agree",
        "review_correct",
        "review_supplement",
        "review_transfer",
    }
    # file_simplified only for the simplified procedure.
    general = make_penalty_case(S.EXECUTING)
    simple = make_penalty_case(S.EXECUTING, procedure="simplified")
    assert "file_simplified" not in names("officer", general)
    assert "file_simplified" in names("officer", simple)
    # The hint says why "decide" would be refused now (no notice served yet).
    from django.utils import translation

    steps = selectors.allowed_actions(actor=enf["head"], case=deciding)
    with translation.override("zh-hans"):
        hints = selectors.guard_hints(actor=enf["head"], case=deciding, steps=steps)
    assert "未告知当事人拟处罚的事实、理由、依据和权利" in hints["decide"]
    with translation.override("en"):
        hints = selectors.guard_hints(actor=enf["head"], case=deciding, steps=steps)
    assert "the party has not been notified of the intended penalty and their rights" in hints["decide"]


def test_party_masked_unless_permitted(enf, make_penalty_case):
    case = make_penalty_case(S.INVESTIGATING, party_representative="", facts="张三在150105199001011234处摆摊")
    full = selectors.party_view(actor=enf["officer"], case=case)
    assert full["name"] == "张三" and full["id_number"] == "150105199001011234" and not full["masked"]
    masked = selectors.party_view(actor=enf["leader"], case=case)
    assert masked == {
        "kind": "individual",
        "kind_label": masked["kind_label"],
        "name": "张*",
        "id_number": "1501**********1234",
        "phone": "138****1234",
        "address": "呼和浩特市赛****",
        "representative": "",
        "masked": True,
    }
    company = make_penalty_case(S.INVESTIGATING, party_kind="organisation", party_name="某某餐饮有限公司")
    assert selectors.party_view(actor=enf["procuratorate"], case=company)["name"] == "某某餐饮有限公司"
    redact = selectors.redactor(actor=enf["leader"], case=case)
    assert redact(case.facts) == "张*在1501**********1234处摆摊"


def test_periods_and_timeline(enf):
    with clock.at(at(2026, 11, 2, 9)):
        case = services.penalty_case_open(
            actor=enf["officer"],
            source="inspection",
            violation_code=enf["violation"].code,
            facts="张三摆摊（测试数据）",
            address="大学东街",
            occurred_at=at(2026, 11, 2, 8),
            officer_ids=[enf["officer2"].pk],
            party_kind="individual",
            party_name="张三",
            area_code="150105",
        )
    with clock.at(at(2026, 11, 2, 10)):
        services.penalty_case_act(
            actor=enf["head"], case=case, action="approve_filing", note="同意立案，张三"
        )
    with clock.at(at(2026, 11, 3, 9)):
        periods = selectors.case_periods(case=case)
        # The filing decision (15 working days from the lead) was met an hour after it started.
        assert [(p["purpose"], p["state"]) for p in periods] == [(P.FILING, "met"), (P.DECISION, "running")]
        timeline = selectors.case_timeline(actor=enf["leader"], case=case)
    assert [e["action"] for e in timeline] == ["open", "approve_filing"]
    assert timeline[0]["officers"] == [str(enf["officer"]), str(enf["officer2"])]
    assert timeline[1]["changed"] and timeline[1]["to_status"] == S.INVESTIGATING
    assert timeline[1]["note"] == "同意立案，张*"  # masked for the leader
    with clock.at(at(2027, 3, 1, 9)):
        decision = next(p for p in selectors.case_periods(case=case) if p["purpose"] == P.DECISION)
        assert decision["state"] == "overdue"


# ------------------------------------------------------------------------------------------ statistics


def _pay(notice, amount_fen: int, paid_at: dt.datetime, transaction: str) -> None:
    """A signed callback of the collecting bank, as the bank would send it."""
    body = json.dumps(
        {
            "bank_code": notice.bank.code,
            "transaction_id": transaction,
            "notice_number": notice.number,
            "amount_fen": amount_fen,
            "paid_at": paid_at.isoformat(),
        }
    ).encode()
    with clock.at(paid_at + dt.timedelta(minutes=5)):
        timestamp = str(int(clock.now().timestamp()))
        nonce = f"nonce-{transaction}-000000000"
        signature = payments.bank_signature(key=KEY, timestamp=timestamp, nonce=nonce, body=body)
        payments.bank_callback_receive(body=body, timestamp=timestamp, nonce=nonce, signature=signature)


@pytest.fixture
def november(enf, make_user, settings):
    """November 2026 in 赛罕区 (no holiday that month), built through the services:

    A  general: filed 11-02, fine 200 yuan decided 11-10, served 11-11 (payment due 11-26), published 11-20
       (due 11-19: late), paid 11-28 at the bank with 2 days' surcharge (6% = 12 yuan), closed 11-30.
    B  general with a hearing: fine 10,000 yuan, hearing held 11-16, legal review 11-17 → 11-18 (on time),
       decided 11-18; never served (service due 11-27: overdue) nor published (due 11-27: overdue).
    C  on the spot 11-05, fine 50 yuan, filed with the agency 11-12 (due 11-10: late), unpaid (due 11-20).
    D  proposed 11-03, filing refused.
    F  on the spot 10-20, fine 30 yuan, paid 11-03 on time; its closing period (11-03 → 11-24) overdue.
    G  general, filed 11-06; transfer reported 11-06, approved 11-07 10:00, sent 11-09 (24 h: late).
    E  on the spot 11-05 in 新城区 (150102), fine 100 yuan: outside 赛罕区.
    """
    settings.ENFORCEMENT_BANK_KEYS = {enf["bank"].code: KEY}
    officer, officer2, head = enf["officer"], enf["officer2"], enf["head"]
    pair = [officer.pk, officer2.pk]
    party = {
        "party_kind": "individual",
        "party_name": "张三",
        "party_address": "呼和浩特市赛罕区某小区",
        "area_code": "150105",
    }

    def open_case(when, **extra):
        with clock.at(when):
            return services.penalty_case_open(
                actor=officer,
                source="inspection",
                violation_code=enf["violation"].code,
                facts="摆摊经营（测试数据）",
                address="大学东街",
                occurred_at=when - dt.timedelta(hours=1),
                officer_ids=pair,
                **party,
                **extra,
            )

    def act(who, case, action, when, **params):
        params.setdefault("officer_ids", pair)
        with clock.at(when):
            return services.penalty_case_act(actor=who, case=case, action=action, **params)

    def on_the_spot(when, form, fine_fen, actor=officer, officers=pair, area="150105"):
        with clock.at(when):
            return services.penalty_case_simplified(
                actor=actor,
                violation_code=enf["violation"].code,
                facts="乱扔垃圾（测试数据）",
                address="昭乌达路",
                occurred_at=when - dt.timedelta(minutes=10),
                form_number=form,
                officer_ids=officers,
                fine_fen=fine_fen,
                bank_id=enf["bank"].pk,
                **{**party, "area_code": area},
            )

    # F, in October.
    f = on_the_spot(at(2026, 10, 20, 9), "F-1", 3_000)
    _pay(f.payment_notices.get(), 3_000, at(2026, 11, 3, 10), "TX-F")

    # A.
    a = open_case(at(2026, 11, 2, 9), discretion_level_id=enf["level"].pk)
    a = act(head, a, "approve_filing", at(2026, 11, 2, 10))
    a = act(officer, a, "end_investigation", at(2026, 11, 2, 11), fine_fen=20_000, report="终结")
    a = act(officer, a, "notify", at(2026, 11, 2, 14))
    a = act(officer, a, "proceed", at(2026, 11, 10, 9))
    a = act(head, a, "decide", at(2026, 11, 10, 10), bank_id=enf["bank"].pk)
    a = act(officer, a, "serve", at(2026, 11, 11, 9), service_method="direct")
    notice_a = a.payment_notices.get()
    assert notice_a.due_at.astimezone(SH).date() == dt.date(2026, 11, 26)
    with clock.at(at(2026, 11, 20, 10)):
        disclosure.disclosure_publish(actor=head, case=a)
    _pay(notice_a, 20_000 + 1_200, at(2026, 11, 28, 10), "TX-A")
    a.refresh_from_db()
    assert a.status == S.EXECUTED
    act(head, a, "close", at(2026, 11, 30, 9))

    # B.
    b = open_case(at(2026, 11, 2, 9))
    b = act(head, b, "approve_filing", at(2026, 11, 2, 10))
    b = act(officer, b, "end_investigation", at(2026, 11, 2, 11), fine_fen=1_000_000, report="终结")
    assert b.hearing_right and b.needs_legal_review
    b = act(officer, b, "notify", at(2026, 11, 2, 14))
    b = act(officer, b, "request_hearing", at(2026, 11, 4, 9))
    b = act(
        enf["reviewer"],
        b,
        "schedule_hearing",
        at(2026, 11, 4, 10),
        scheduled_for=at(2026, 11, 16, 9).isoformat(),
        place="听证室",
    )
    b = act(enf["reviewer"], b, "hold_hearing", at(2026, 11, 16, 11), record="听证笔录")
    b = act(officer, b, "request_legal_review", at(2026, 11, 17, 9))
    b = act(enf["reviewer2"], b, "review_agree", at(2026, 11, 18, 9), opinion_text="同意")
    b = act(head, b, "decide", at(2026, 11, 18, 10), bank_id=enf["bank"].pk)
    assert b.status == S.DECIDED

    # C.
    c = on_the_spot(at(2026, 11, 5, 9), "C-1", 5_000)
    act(officer, c, "file_simplified", at(2026, 11, 12, 9))

    # D.
    d = open_case(at(2026, 11, 3, 9))
    act(head, d, "reject_filing", at(2026, 11, 3, 10), note="不属于本机关管辖")

    # G with its transfer.
    g = open_case(at(2026, 11, 6, 9))
    g = act(head, g, "approve_filing", at(2026, 11, 6, 10))
    with clock.at(at(2026, 11, 6, 11)):
        transfer = transfers.transfer_report(
            actor=officer,
            suspected_offence="非法经营罪",
            summary="数额较大",
            officer_ids=pair,
            penalty_case=g,
        )
    with clock.at(at(2026, 11, 7, 10)):
        transfers.transfer_act(actor=head, transfer=transfer, action="approve")
    with clock.at(at(2026, 11, 9, 9)):
        transfers.transfer_act(
            actor=officer,
            transfer=transfer,
            action="send",
            officer_ids=pair,
            police_unit="赛罕区公安分局",
            documents=["transfer_letter", "investigation_report", "goods_list"],
        )

    # E, outside.
    outsider2 = make_user(["enforcement_officer"], area_code="150102")
    on_the_spot(
        at(2026, 11, 5, 9),
        "E-1",
        10_000,
        actor=enf["outside_officer"],
        officers=[enf["outside_officer"].pk, outsider2.pk],
        area="150102",
    )
    return {"a": a, "b": b, "c": c, "d": d, "f": f, "g": g}


def test_statistics_of_november_counted_by_hand(enf, november):
    with clock.at(at(2026, 12, 5, 12)):
        data = selectors.enforcement_statistics(
            actor=enf["leader"], date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30)
        )
    statuses = {r["status"]: r["count"] for r in data["cases"]["by_status"] if r["count"]}
    assert statuses == {
        S.CLOSED: 1,  # A
        S.DECIDED: 1,  # B
        S.EXECUTING: 1,  # C
        S.NOT_FILED: 1,  # D
        S.EXECUTED: 1,  # F
        S.TRANSFERRED: 1,  # G
    }
    assert data["cases"]["total"] == 6
    assert {r["procedure"]: r["count"] for r in data["cases"]["by_procedure"]} == {
        "general": 4,
        "simplified": 2,
    }
    assert data["flow"] == {
        "opened": 5,  # A B C D G (F was in October)
        "filed": 4,  # A B C G
        "decided": 3,  # A B C
        "decided_general": 2,
        "decided_simplified": 1,
        "warnings": 0,
        "no_penalty": 0,
        "terminated": 0,
        "closed": 1,  # A
    }
    assert data["money"] == {
        "fines_decided_fen": 20_000 + 1_000_000 + 5_000,
        "confiscation_decided_fen": 0,
        "decided_fen": 1_025_000,
        "collected_fen": 20_000,  # A's fine; its 12 yuan surcharge is not principal
        "collection_rate": 0.0195,  # 20,000 / 1,025,000 = 0.019512…
        "received_fen": 21_200 + 3_000,  # A with surcharge, and F
        "surcharge_received_fen": 1_200,
        "payments": 2,
        "unpaid_notices": 1,  # C
        "unpaid_fen": 5_000,
        "overdue_notices": 1,
    }
    on_time = {r["purpose"]: (r["on_time"], r["late"], r["overdue"], r["rate"]) for r in data["on_time"]}
    assert on_time == {
        P.FILING: (4, 0, 0, 1.0),  # A, B and G filed, D refused, each within an hour of the lead
        P.DECISION: (2, 0, 0, 1.0),  # A 11-10, B 11-18; G's runs to February
        P.SERVICE: (1, 0, 1, 0.5),  # A on time; B not served by 11-27
        P.DISCLOSURE: (0, 1, 1, 0.0),  # A a day late; B not published by 11-27
        P.CLOSING: (1, 0, 1, 0.5),  # A closed 11-30; F not closed by 11-24
        P.SIMPLIFIED_FILING: (0, 1, 0, 0.0),  # C filed 11-12, due 11-10; F's (10-23) is October's
        P.LEGAL_REVIEW: (1, 0, 0, 1.0),  # B
    }
    assert data["hearings"] == {"requested": 1, "held": 1}
    assert data["legal_reviews"] == 1
    assert data["transfers"]["reported"] == 1 and data["transfers"]["transferred"] == 1
    assert data["transfers"]["late_steps"] == 1  # sent 47 hours after the approval
    assert {r["status"]: r["count"] for r in data["transfers"]["by_status"] if r["count"]} == {
        "transferred": 1
    }
    assert data["top_violations"] == [
        {"code": enf["violation"].code, "name": enf["violation"].name, "decided": 3, "fines_fen": 1_025_000}
    ]
    # October alone: F decided (30 yuan) and nothing else.
    with clock.at(at(2026, 12, 5, 12)):
        october = selectors.enforcement_statistics(
            actor=enf["leader"], date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 10, 31)
        )
    assert october["flow"]["decided"] == 1 and october["money"]["fines_decided_fen"] == 3_000
    assert october["money"]["received_fen"] == 0 and october["money"]["collected_fen"] == 3_000
    assert {r["purpose"]: r["overdue"] for r in october["on_time"]}[P.SIMPLIFIED_FILING] == 1


def test_statistics_are_scoped(enf, november, make_user):
    with clock.at(at(2026, 12, 5, 12)):
        city = selectors.enforcement_statistics(
            actor=make_user(["leader"], area_code="150100"),
            date_from=dt.date(2026, 11, 1),
            date_to=dt.date(2026, 11, 30),
        )
        outside = selectors.enforcement_statistics(
            actor=enf["outside_officer"], date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30)
        )
    assert city["flow"]["decided"] == 4 and city["money"]["fines_decided_fen"] == 1_035_000
    assert outside["flow"]["decided"] == 1 and outside["money"]["fines_decided_fen"] == 10_000
    assert outside["transfers"]["reported"] == 0 and outside["hearings"]["held"] == 0


def test_statistics_queries_do_not_grow_with_the_cases(enf, november, django_assert_max_num_queries):
    with clock.at(at(2026, 12, 5, 12)), django_assert_max_num_queries(20):
        selectors.enforcement_statistics(
            actor=enf["leader"], date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30)
        )


def test_statistics_refuse_bad_ranges_and_users(enf):
    for date_from, date_to in (
        (dt.date(2026, 2, 1), dt.date(2026, 1, 1)),
        (dt.date(1900, 1, 1), dt.date(2026, 1, 1)),
        (dt.date(2026, 1, 1), dt.date(9999, 12, 31)),
        (dt.date(2000, 1, 1), dt.date(2099, 1, 1)),
    ):
        with pytest.raises(ValidationFailed):
            selectors.enforcement_statistics(actor=enf["leader"], date_from=date_from, date_to=date_to)
    with pytest.raises(PermissionDeniedError):
        selectors.enforcement_statistics(
            actor=enf["auxiliary"], date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 2)
        )
