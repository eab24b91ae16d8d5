"""A property test of the penalty procedure: random people take random steps at random times through
the real services, and whatever happens the law's invariants hold on the record that results.

- No decision without a notice of the intended penalty and the party's rights, and without the
  statements period having run out, unless the party waived it (第四十四、四十五、六十二条).
- Where the notice granted the hearing right, no decision while the party could still ask for a hearing,
  and a requested hearing is held (or waived by absence or withdrawal) first (第六十三、六十四条).
- Every step on record is in the transition table; investigative steps have two officers or more.
- No auxiliary, leader, procuratorate observer, citizen or officer of another area ever acts.
- The hearing is never presided over by an investigator of the case.
- The filing decision is due 15 working days after the lead, 25 after the one extension the head may grant
  (住建部令第55号 第十五条); it is extended at most once and stops running when filing is decided.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingcheng.core import clock
from qingcheng.core.errors import DomainError
from qingcheng.enforcement.models import PenaltyCase, PenaltyDeadline, PenaltyDocument
from qingcheng.enforcement.penalty import services
from qingcheng.enforcement.penalty.workflow import ACTIONS, actions_from, transition

SH = ZoneInfo("Asia/Shanghai")
ACTORS = (
    "officer",
    "officer2",
    "head",
    "reviewer",
    "reviewer2",
    "leader",
    "procuratorate",
    "auxiliary",
    "outside_officer",
    "citizen",
)
NEVER_ACT = {"leader", "procuratorate", "auxiliary", "outside_officer", "citizen"}
MAIN_PATH = {
    "approve_filing",
    "extend_filing",
    "end_investigation",
    "notify",
    "record_statement",
    "waive_rights",
    "request_hearing",
    "proceed",
    "schedule_hearing",
    "hold_hearing",
    "request_legal_review",
    "review_agree",
    "record_discussion",
    "decide",
    "serve",
    "close",
}
QUALIFIED = {
    "investigate_penaltycase": ("officer", "officer2", "head"),
    "approve_penaltycase": ("head",),
    "review_penaltycase": ("reviewer", "reviewer2"),
    "preside_hearing": ("reviewer", "reviewer2", "head"),
}
FINES = (0, 5_000, 20_000, 50_000, 499_999, 500_000, 1_000_000)


def _params(draw, enf, now: dt.datetime, action: str) -> dict:
    pair = draw(
        st.sampled_from(
            [
                [enf["officer"].pk, enf["officer2"].pk],
                [enf["officer"].pk, enf["officer2"].pk],
                [enf["officer2"].pk, enf["officer3"].pk],
                [enf["officer"].pk, enf["head"].pk],
                [enf["officer"].pk],
                [enf["officer"].pk, enf["auxiliary"].pk],
                [enf["officer2"].pk, enf["officer3"].pk],
            ]
        )
    )
    params = {
        "officer_ids": pair,
        "fine_fen": draw(st.sampled_from(FINES)),
        "warning": draw(st.sampled_from([False, False, True])),
        "is_major": draw(st.sampled_from([False, False, False, True])),
        "report": "调查终结报告",
        "record": "笔录",
        "statement": "陈述申辩",
        "scheduled_for": (now + dt.timedelta(days=draw(st.integers(0, 20)))).isoformat(),
        "place": "听证室",
        "opinion_text": "审核意见",
        "participants": "局长、副局长、法制科长",
        "conclusion": "同意",
        "days": draw(st.sampled_from([10, 30, 31, 60])),
        "ground": draw(st.sampled_from(["party_missing", "force_majeure", "bogus"])),
        "bank_id": enf["bank"].pk,
        "service_method": draw(st.sampled_from(["direct", "post", "electronic"])),
    }
    if action == "decide" and draw(st.integers(0, 3)) != 2:
        # Mostly decide what was notified, so walks reach the decision.
        del params["fine_fen"], params["warning"]
    return params


def _check_invariants(case: PenaltyCase, enf) -> None:
    events = list(case.events.order_by("at", "pk"))
    never = {enf[who].pk for who in NEVER_ACT}
    investigators: set[int] = set(case.officers.values_list("pk", flat=True)) & {
        e.actor_id for e in events if e.action == "open"
    }
    _check_filing_period(case, events)
    last_notify = None
    waived = hearing_requested = hearing_settled = False
    for event in events:
        assert event.actor_id not in never, (event.action, event.actor_id)
        assert not (set(event.officer_ids) & never), event.action
        if event.action in {"open", "simplified"}:
            investigators |= set(event.officer_ids)
            continue
        if event.action not in ACTIONS:  # a record beside the procedure (evidence, payment notice)
            assert not event.to_status or event.to_status == event.from_status or not event.from_status
            investigators |= set(event.officer_ids)
            continue
        step = transition(event.from_status, event.action)
        assert step is not None, (event.from_status, event.action)
        if step.target is not None:
            assert event.to_status == step.target
        if step.two_officers:
            assert len(set(event.officer_ids)) >= 2
            investigators |= set(event.officer_ids)
        if event.action in {"schedule_hearing", "hold_hearing", "hearing_absent"}:
            assert event.actor_id not in investigators
        if event.action == "notify":
            last_notify, waived, hearing_requested, hearing_settled = event, False, False, False
        elif event.action == "end_investigation":
            last_notify = None
        elif event.action == "waive_rights":
            waived = True
        elif event.action == "request_hearing":
            hearing_requested = True
        elif event.action in {"hold_hearing", "hearing_absent", "withdraw_hearing"}:
            hearing_settled = True
        elif event.action == "decide":
            assert last_notify is not None, "decided without a notice"
            notice = (
                case.documents.filter(kind=PenaltyDocument.Kind.NOTICE, issued_at__lte=event.at)
                .order_by("-pk")
                .first()
            )
            assert notice is not None
            periods = PenaltyDeadline.objects.filter(case=case, deadline__start=last_notify.at)
            statement = periods.get(purpose=PenaltyDeadline.Purpose.STATEMENT)
            assert waived or hearing_requested or statement.due_at < event.at, (
                "decided in the statements period"
            )
            if notice.fields.get("hearing_right"):
                if hearing_requested:
                    assert hearing_settled, "decided before the requested hearing"
                elif not waived:
                    window = periods.get(purpose=PenaltyDeadline.Purpose.HEARING_REQUEST)
                    assert _proceeded_after(events, last_notify, window.due_at), "hearing right skipped"
            # Never heavier than the notice.
            assert event.data.get("fine_fen", 0) <= notice.fields["fine_fen"]


def _check_filing_period(case: PenaltyCase, events) -> None:
    from qingcheng.core.worktime import add_working_days

    extensions = [e for e in events if e.action == "extend_filing"]
    assert len(extensions) <= 1, "the filing period was extended twice"
    filing = PenaltyDeadline.objects.get(case=case, purpose=PenaltyDeadline.Purpose.FILING, cancelled=False)
    days = 15 + (10 if extensions else 0)
    assert filing.due_at == add_working_days(case.discovered_at, days, area_code=case.area_code).due_at
    decided = [e for e in events if e.action in {"approve_filing", "reject_filing"}]
    if decided:
        assert filing.met_at == decided[0].at, "filing decided but its period still runs"
        assert all(e.at <= decided[0].at for e in extensions)
    else:
        assert case.status == PenaltyCase.Status.PROPOSED and filing.met_at is None


def _proceeded_after(events, notify, due_at) -> bool:
    after = [e for e in events if e.action == "proceed" and e.at > notify.at]
    return bool(after) and after[0].at > due_at


@pytest.mark.django_db
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_walks_keep_the_procedure_lawful(enf, data):
    start = dt.datetime(2026, 6, 1, 9, tzinfo=SH) + dt.timedelta(days=data.draw(st.integers(0, 120)))
    with clock.at(start):
        case = services.penalty_case_open(
            actor=enf["officer"],
            source="inspection",
            violation_code=enf["violation"].code,
            facts="随机行走测试（合成数据）",
            address="赛罕区",
            occurred_at=start,
            officer_ids=[enf["officer"].pk, enf["officer2"].pk],
            party_kind=data.draw(st.sampled_from(["individual", "organisation"])),
            party_name="王五",
            party_address="赛罕区某地",
            area_code="150105",
        )
    now = start
    for _step in range(data.draw(st.integers(20, 50))):
        case.refresh_from_db()
        allowed = [t for t in actions_from(case.status) if t.permission]
        # Mostly steps the state allows, by someone who holds the permission, leaning to the main path so
        # walks get far; the rest are anything by anyone, which must all be refused or be lawful.
        mode = data.draw(st.sampled_from(["main"] * 5 + ["allowed"] * 3 + ["any"] * 2))
        main = [t for t in allowed if t.action in MAIN_PATH]
        choices = main if mode == "main" and main else allowed if mode != "any" else []
        if choices:
            step = data.draw(st.sampled_from(choices))
            action = step.action
            qualified = QUALIFIED[step.permission.split(".", 1)[1]]
            who = data.draw(st.sampled_from(list(qualified) * 4 + list(ACTORS)))
        else:
            action = data.draw(st.sampled_from(ACTIONS))
            who = data.draw(st.sampled_from(ACTORS))
        # Steps take ten minutes; time passes in waits, so short periods are both hit and missed.
        now += dt.timedelta(minutes=10)
        if data.draw(st.integers(0, 6)) == 3:
            now += dt.timedelta(hours=data.draw(st.sampled_from([5, 26, 75, 170, 400])))
        params = _params(data.draw, enf, now, action)
        # The head's extensions need a reason; sometimes there is none, and the step must then be refused.
        note = data.draw(st.sampled_from(["", "案情复杂"]))
        with clock.at(now), contextlib.suppress(DomainError):
            services.penalty_case_act(actor=enf[who], case=case, action=action, note=note, **params)
    case.refresh_from_db()
    from hypothesis import event

    event(f"reached {'decided' if case.decided_at else case.status}")
    _check_invariants(case, enf)
