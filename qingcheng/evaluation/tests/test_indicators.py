"""Indicators and scores of the hand-computed world (tests/conftest.py), worked out case by case.

Period October 2026, as of T = 2026-11-02 09:00. Handling deadlines (4 working hours for E0102, 2 clock
hours for urgent E0401) and handling times (立案 → 结案, working minutes):

| case | where | unit | status at T | due | closed / fed back | on time | reworks | minutes |
|---|---|---|---|---|---|---|---|---|
| C1  | g1 | A | closed    | 10-12 15:30 | 11:30 / 11:00 | yes | 0 | 160 |
| C2  | g1 | A | closed    | 10-12 15:50 | 10-13 09:40 / 09:00 | no | 0 | 450 |
| C3  | g1 | A | closed    | 10-13 17:00 (restarted at the failed check) | 15:30 / 15:00 | yes | 1 | 250 |
| C4  | g1 | A | deferred  | | | | | |
| C5  | g1 | A | parked    | | | | | |
| C6  | g1 | A | closed    | 10-16 15:30 (restarted on resume) | 11:30 / 11:00 | yes | 0 | 560 |
| C7  | g2 | A | closed    | 10-19 17:50 (+2 h extension) | 17:40 / 17:00 | yes | 0 | 360 |
| C8  | g2 | A | handling  | 10-20 15:50 (passed: overdue) | | | 0 | |
| C9  | g1 | B | closed    | 10-20 17:20 (returned by A, re-dispatched) | 15:10 / 14:40 | yes | 0 | 150 |
| C10 | g1 | A | closed, score 5 | 10-21 16:10 | 11:30 / 11:00 | yes | 0 | 120 |
| C11 | g1 | A | handling (unsatisfied call-back, score 2) | 10-22 09:30 (overdue) | | | 1 | |
| C12 | g1 | A | closed    | 10-23 08:45 | 10-23 10:30 / 10:00 | no | 3 | 525 |
| C13 | g3 | A | closed (dispatched late) | 10-26 17:00 | 11:30 / 11:00 | yes | 0 | 140 |
| C14 | g3 | A | closed, urgent | 10-27 11:10 | 11:02 / 10:30 | yes | 0 | 117 |
| C15 | g3 | A | feedback (opened late) | 10-28 17:10 | – / 15:00 | | 0 | |
| C16 | g3 | – | opened    | | | | | |
| C17 | g1 | A | closed (reported 30 Sep) | 10-08 15:40 | 10:30 / 10:00 | yes | 0 | 90 |
| C22 | g1 | A | checking (closed after T) | 10-29 15:50 | – / 10:00 | | 0 | |
| C23 | g1 | A | closed (reopened after T) | 10-29 16:50 | 11:31 / 11:00 | yes | 0 | 81 |
| C25 | x1 | C | closed    | 10-12 16:50 | 11:30 / 11:00 | yes | 0 | 80 |
| C26 | x1 | C | closed    | 10-13 15:50 | 10-14 10:00 / 09:00 | no | 0 | 470 |
| C27 | x1 | C | handling  | 11-02 14:40 (not yet passed) | | | 0 | |

Not in the cohort: C18 (opened 2 November), C19 (cancelled), C20 (merged into C16), C21 (self-handled),
C24 (not opened), P1 and P2 (September: the previous period).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from qingcheng.evaluation.periods import parse_period
from qingcheng.evaluation.selectors import evaluation_report

from .instants import T

pytestmark = pytest.mark.django_db

OCTOBER = parse_period("2026-10")
D = Decimal


def report(level, as_of=T, **kwargs):
    return evaluation_report(actor=None, period=OCTOBER, level=level, as_of=as_of, **kwargs)


def by_code(rep):
    return {o.code: o for o in rep.objects}


SAIHAN = {
    "reports_received": 23,
    "reports_valid": 20,
    "valid_report_rate": D("86.96"),
    "due": 19,
    "deferred": 2,
    "closed": 12,
    "closed_on_time": 10,
    "close_rate": D("70.59"),
    "on_time_close_rate": D("58.82"),
    "reached_feedback": 15,
    "reworked": 3,
    "rework_rate": D("20.00"),
    "reworks": 5,
    "repeat_reworked": 1,
    "overdue": 4,
    "urgent_due": 1,
    "urgent_closed_on_time": 1,
    "urgent_on_time_close_rate": D("100.00"),
    "mean_handling_hours": D("4.17"),  # 3003 min / 12
    "rated": 2,
    "satisfaction_mean": D("3.50"),
    "satisfaction_rate": D("50.00"),
}
XINCHENG = {
    "reports_received": 3,
    "reports_valid": 3,
    "valid_report_rate": D("100.00"),
    "due": 3,
    "deferred": 0,
    "closed": 2,
    "closed_on_time": 1,
    "close_rate": D("66.67"),
    "on_time_close_rate": D("33.33"),
    "reached_feedback": 2,
    "reworked": 0,
    "rework_rate": D("0.00"),
    "reworks": 0,
    "repeat_reworked": 0,
    "overdue": 1,
    "urgent_due": 0,
    "urgent_closed_on_time": 0,
    "urgent_on_time_close_rate": None,
    "mean_handling_hours": D("4.58"),  # 550 min / 2
    "rated": 0,
    "satisfaction_mean": None,
    "satisfaction_rate": None,
}


def test_district_indicators_scores_ranks_and_change(world):
    rep = report("district")
    objects = by_code(rep)
    assert [o.code for o in rep.objects] == ["150105", "150102"]
    saihan, xincheng = objects["150105"], objects["150102"]
    assert saihan.name == "赛罕区" and xincheng.name == "新城区"
    assert saihan.indicators == SAIHAN
    assert xincheng.indicators == XINCHENG
    # 金华 scheme: on time 1000/17 % → 50 − (70 − 58.82…) = 660/17; closure 1200/17 % → 20 − (90 − 70.58…)
    # = 10/17; minus 5 reworks × 0.2 and 1 case reworked 3 times × 0.5: 670/17 − 1.5 = 37.9117…
    assert saihan.score == D("37.91")
    assert (saihan.grade, saihan.rank) == ("red", 1)
    # on time 33.3 % → 50 − 36.67 = 13.33; closure 66.7 % → 20 − 23.3 < 0 → 0
    assert xincheng.score == D("13.33")
    assert (xincheng.grade, xincheng.rank) == ("red", 2)
    # September: P1 (赛罕区) closed on time → 70; P2 (新城区) still handling → 0.
    assert (saihan.previous_score, saihan.previous_rank) == (D("70.00"), 1)
    assert (xincheng.previous_score, xincheng.previous_rank) == (D("0.00"), 2)
    assert saihan.score_change == D("-32.09") and saihan.rank_change == 0
    assert xincheng.score_change == D("13.33")
    total = rep.total.indicators
    assert total["due"] == 22 and total["deferred"] == 2 and total["closed"] == 14
    assert total["closed_on_time"] == 11 and total["close_rate"] == D("70.00")
    assert total["on_time_close_rate"] == D("55.00") and total["overdue"] == 5
    assert total["reports_received"] == 26 and total["reports_valid"] == 23
    assert total["mean_handling_hours"] == D("4.23")  # 3553 min / 14
    assert rep.total.score == D("33.50")  # 50 − 15 + 0 − 1.5


def test_street_indicators(world):
    objects = by_code(report("street"))
    assert list(objects) == ["150105001", "150105002", "150102001"]
    s1, s2, x = objects["150105001"], objects["150105002"], objects["150102001"]
    assert {
        k: s1.indicators[k] for k in ("reports_received", "reports_valid", "due", "deferred", "closed")
    } == {
        "reports_received": 19,
        "reports_valid": 16,
        "due": 15,
        "deferred": 2,
        "closed": 10,
    }
    assert s1.indicators["closed_on_time"] == 8
    assert s1.indicators["close_rate"] == D("76.92") and s1.indicators["on_time_close_rate"] == D("61.54")
    assert s1.indicators["reached_feedback"] == 12 and s1.indicators["rework_rate"] == D("25.00")
    assert s1.indicators["overdue"] == 4 and s1.indicators["urgent_on_time_close_rate"] is None
    assert s1.indicators["mean_handling_hours"] == D("4.58")  # 2746 min / 10
    assert s1.score == D("46.96")  # 630/13 − 1.5
    assert s2.indicators["due"] == 4 and s2.indicators["closed"] == 2 and s2.indicators["closed_on_time"] == 2
    assert s2.indicators["reached_feedback"] == 3 and s2.indicators["overdue"] == 0
    assert s2.indicators["mean_handling_hours"] == D("2.14")  # (140 + 117) / 2 min
    assert s2.indicators["reports_received"] == 4 and s2.indicators["urgent_on_time_close_rate"] == D(
        "100.00"
    )
    assert s2.score == D("30.00")
    assert x.score == D("13.33")
    assert [(o.rank, o.grade) for o in (s1, s2, x)] == [(1, "red"), (2, "red"), (3, "red")]


def test_community_and_grid_indicators_with_a_tie(world):
    communities = by_code(report("community"))
    c1, c2, c3 = communities["150105001001"], communities["150105001002"], communities["150105002003"]
    assert (
        c1.indicators["due"] == 13 and c1.indicators["closed"] == 9 and c1.indicators["closed_on_time"] == 7
    )
    assert c1.indicators["mean_handling_hours"] == D("4.42")  # 2386 min / 9
    assert c1.score == D("53.95")  # 610/11 − 1.5
    assert c2.indicators["due"] == 2 and c2.indicators["overdue"] == 1
    assert c2.indicators["mean_handling_hours"] == D("6.00") and c2.score == D("30.00")
    assert c3.score == D("30.00")
    assert [c1.rank, c2.rank, c3.rank, communities["150102001001"].rank] == [1, 2, 2, 4]
    grids = by_code(report("grid"))
    assert set(grids) == {"150105001001001", "150105001002001", "150105002003001", "150102001001001"}
    assert grids["150105001001001"].indicators == c1.indicators
    assert grids["150105001001001"].name == "测试社区一 001"


def test_department_indicators(world):
    rep = report("department")
    objects = by_code(rep)
    a, b, c = objects["UNIT-A"], objects["UNIT-B"], objects["UNIT-C"]
    assert a.indicators == {
        "assigned": 17,
        "deferred": 2,
        "handled": 13,
        "handled_on_time": 11,
        "handled_late": 2,
        "handle_rate": D("86.67"),
        "on_time_handle_rate": D("73.33"),
        "late_rate": D("15.38"),
        "closed": 11,
        "reached_feedback": 14,
        "reworked": 3,
        "rework_rate": D("21.43"),
        "reworks": 5,
        "repeat_reworked": 1,
        "overdue": 4,
        "dispatches_received": 18,
        "returns": 1,
        "return_rate": D("5.56"),
        "extended": 1,
        "extensions": 1,
        "extension_rate": D("5.88"),
        "urgent_due": 1,
        "urgent_handled_on_time": 1,
        "urgent_on_time_handle_rate": D("100.00"),
        "mean_handling_hours": D("3.18"),  # dispatch → feedback, 2480 min / 13
        "rated": 2,
        "satisfaction_mean": D("3.50"),
        "satisfaction_rate": D("50.00"),
    }
    # 73.3 % ≥ 70 → 50; handling 86.67 % → 20 − 3.33; − 1.0 − 0.5
    assert (a.score, a.grade, a.rank) == (D("65.17"), "green", 2)
    assert b.indicators["assigned"] == 1 and b.indicators["handled_on_time"] == 1
    assert b.indicators["dispatches_received"] == 1 and b.indicators["returns"] == 0
    assert b.indicators["mean_handling_hours"] == D("1.33")
    assert (b.score, b.grade, b.rank) == (D("70.00"), "green", 1)
    assert (
        c.indicators["assigned"] == 3 and c.indicators["handled"] == 2 and c.indicators["handled_late"] == 1
    )
    assert c.indicators["late_rate"] == D("50.00") and c.indicators["overdue"] == 1
    assert c.indicators["mean_handling_hours"] == D("3.67")  # (40 + 400) / 2 min
    assert (c.score, c.grade, c.rank) == (D("13.33"), "red", 3)
    assert (a.previous_score, c.previous_score, b.previous_score) == (D("70.00"), D("0.00"), None)
    assert a.score_change == D("-4.83") and b.score_change is None


def test_posts(world):
    supervisors = by_code(report("supervisor"))
    users = world["users"]
    # Keyed and shown by id and display name: the report's readers may not see login names.
    s1, s2 = supervisors[str(users["S1"].pk)], supervisors[str(users["S2"].pk)]
    assert s1.name == "监督员一" and not {"s1", "s2"} & set(supervisors)
    assert s1.indicators == {
        "reports": 20,
        "reports_valid": 17,
        "valid_report_rate": D("85.00"),
        "verify_tasks": 1,
        "verify_on_time": 1,
        "verify_on_time_rate": D("100.00"),
        "check_tasks": 18,  # C22's check was due on 29 October and done only after T
        "check_on_time": 17,
        "check_on_time_rate": D("94.44"),
    }
    assert s1.score == D("92.33") and s1.grade == "green"  # 40×0.85 + 30×1 + 30×17/18
    assert (
        s2.indicators["reports"] == 3
        and s2.indicators["check_tasks"] == 2
        and s2.indicators["check_on_time"] == 1
    )
    assert s2.indicators["verify_on_time_rate"] is None
    assert s2.score == D("78.57") and s2.grade == "yellow"  # (40×1 + 30×0.5) / 70
    assert [s1.rank, s2.rank] == [1, 2]

    receiver = by_code(report("receiver"))[str(users["R"].pk)]
    assert "recv" not in receiver.name
    # 22 openings, one cancellation, one merge; C15 (10:30 > 10:00) and C17 (opened 8 October, due 30
    # September 18:00) late.
    assert receiver.indicators == {
        "decided": 24,
        "opened": 22,
        "judged": 24,
        "on_time": 22,
        "on_time_rate": D("91.67"),
    }
    assert receiver.score == D("91.67")

    dispatcher = by_code(report("dispatcher"))[str(users["D"].pk)]
    # 22 dispatches, C9's first one returned; C13 dispatched 80 minutes after opening (limit 1 h).
    assert dispatcher.indicators == {
        "dispatches": 22,
        "returned": 1,
        "accuracy": D("95.45"),
        "judged": 21,
        "on_time": 20,
        "on_time_rate": D("95.24"),
    }
    assert dispatcher.score == D("95.35")


def test_as_of_now_sees_the_later_steps(world):
    """After T, C22 was closed (late: checked long after its deadline, though fed back on time) and C23
    reopened by an unsatisfied call-back."""
    saihan = by_code(report("district", as_of=None))["150105"]
    assert saihan.indicators["closed"] == 12  # + C22 − C23
    assert saihan.indicators["closed_on_time"] == 9
    assert saihan.indicators["reworks"] == 6 and saihan.indicators["reworked"] == 4
    assert saihan.indicators["overdue"] == 5  # C23's restarted deadline (3 November 16:30) has passed
    assert saihan.indicators["rated"] == 3


@pytest.mark.parametrize(
    "level", ["district", "street", "community", "grid", "department", "supervisor", "receiver", "dispatcher"]
)
@pytest.mark.parametrize("as_of", [T, None], ids=["T", "now"])
def test_sql_aggregates_agree_with_the_timeline(world, level, as_of):
    fast = report(level, as_of=as_of)
    slow = report(level, as_of=as_of, force_python=True)
    assert [(o.code, o.indicators, o.score, o.rank) for o in fast.objects] == [
        (o.code, o.indicators, o.score, o.rank) for o in slow.objects
    ]


def test_scheme_weights_change_the_score(world):
    from qingcheng.evaluation.models import ScoringScheme
    from qingcheng.evaluation.services import scoring_scheme_save

    scheme = ScoringScheme.objects.get(is_active=True)
    scheme.urgent_points = D("10")
    scheme.rework_penalty = D("1")
    scoring_scheme_save(actor=None, scheme=scheme)
    saihan = by_code(report("district"))["150105"]
    # + 10 urgent points (1/1 on time), reworks now 5 × 1 instead of 5 × 0.2
    assert saihan.score == D("43.91")
    assert saihan.grade == "red"  # 43.91 / 80 = 55 %


def test_scope_of_a_district_leader(world, make_user):
    leader = make_user(["leader"], area_code="150102")
    rep = evaluation_report(actor=leader, period=OCTOBER, level="district", as_of=T)
    assert [o.code for o in rep.objects] == ["150102"]
    assert rep.objects[0].indicators == XINCHENG
    units = evaluation_report(actor=leader, period=OCTOBER, level="department", as_of=T)
    assert [o.code for o in units.objects] == ["UNIT-C"]
    from django.contrib.auth.models import AnonymousUser

    assert evaluation_report(actor=AnonymousUser(), period=OCTOBER, level="district", as_of=T).objects == []


@pytest.mark.parametrize(
    "schedule",
    [
        {"area_code": "150102", "valid_from_month_day": "01-01", "valid_to_month_day": "12-31"},
        {"area_code": "", "valid_from_month_day": "10-13", "valid_to_month_day": "10-20"},
    ],
    ids=["office hours of one district", "a season of the whole city"],
)
def test_handling_time_follows_the_office_hours(world, schedule):
    """Areas with office hours of their own are grouped apart; hours that change within the period fall
    back from one clamp sum to the sums per boundary. Either way the figures equal `working_time_between`
    case by case."""
    from datetime import time

    from qingcheng.cases.models import Case
    from qingcheng.core.models import WorkSchedule
    from qingcheng.core.worktime import working_time_between

    WorkSchedule.objects.create(
        name="测试作息",
        morning_start=time(9, 0),
        morning_end=time(12, 30),
        afternoon_start=time(13, 30),
        afternoon_end=time(17, 0),
        **schedule,
    )
    for level in ("district", "department"):
        fast = report(level)
        slow = report(level, force_python=True)
        assert [(o.code, o.indicators) for o in fast.objects] == [
            (o.code, o.indicators) for o in slow.objects
        ]
    districts = by_code(report("district", as_of=None))
    for code in ("150105", "150102"):
        closed = Case.objects.filter(
            grid_code__startswith=code,
            status="closed",
            opened_at__gte=OCTOBER.start,
            opened_at__lt=OCTOBER.end,
        )
        seconds = [
            working_time_between(c.opened_at, c.closed_at, area_code=c.grid_code).total_seconds()
            for c in closed
        ]
        expected = Decimal(repr(sum(seconds) / len(seconds) / 3600)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert districts[code].indicators["mean_handling_hours"] == expected, code
