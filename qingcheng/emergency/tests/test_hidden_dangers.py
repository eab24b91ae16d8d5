"""The hidden-danger state machine: table-driven, nobody accepts their own rectification, overdue sweep."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingcheng.core import clock
from qingcheng.core.audit import audit_verify
from qingcheng.core.errors import DomainError
from qingcheng.emergency.models import HiddenDanger, HiddenDangerEvent
from qingcheng.emergency.services import hidden_danger_act, hidden_danger_overdue_sweep, hidden_danger_report
from qingcheng.emergency.workflow import DANGER_ACTIONS, DANGER_TRANSITIONS, danger_transition

S = HiddenDanger.Status


def report(em, level="general", days=10, actor="supervisor"):
    return hidden_danger_report(
        actor=em[actor],
        title="测试：消防通道堵塞",
        level=level,
        origin="supervisor",
        area_code="150105001",
        responsible_department=em["unit"],
        rectify_days=days,
        measures="清理杂物",
        funds_fen=50000,
    )


def test_table_has_one_transition_per_state_and_action():
    seen = set()
    for t in DANGER_TRANSITIONS:
        for source in t.sources:
            assert (source, t.action) not in seen
            seen.add((source, t.action))
    assert danger_transition(S.CLOSED, "start") is None
    assert all(danger_transition(S.CLOSED, a) is None for a in DANGER_ACTIONS)


@pytest.mark.django_db
def test_happy_path_and_own_rectification_refused(em):
    danger = report(em)
    assert danger.status == S.PENDING and danger.number.startswith("YH")
    assert not danger.supervised
    danger = hidden_danger_act(actor=em["both"], danger=danger, action="start")
    danger = hidden_danger_act(actor=em["both"], danger=danger, action="submit", note="已清理")
    assert danger.rectified_by == em["both"]
    with pytest.raises(DomainError) as exc:
        hidden_danger_act(actor=em["both"], danger=danger, action="accept")
    assert exc.value.code == "own_rectification" and exc.value.status == 403
    danger.refresh_from_db()
    assert danger.status == S.AWAITING_ACCEPTANCE
    danger = hidden_danger_act(actor=em["shift_leader"], danger=danger, action="accept")
    assert danger.status == S.CLOSED and danger.accepted_by == em["shift_leader"]
    assert list(danger.events.values_list("action", flat=True)) == ["report", "start", "submit", "accept"]


@pytest.mark.django_db
def test_rejection_sends_back_and_needs_a_reason(em):
    danger = report(em)
    hidden_danger_act(actor=em["handler"], danger=danger, action="start")
    hidden_danger_act(actor=em["handler"], danger=danger, action="submit")
    with pytest.raises(DomainError):
        hidden_danger_act(actor=em["leader"], danger=danger, action="reject")
    danger = hidden_danger_act(actor=em["leader"], danger=danger, action="reject", note="未彻底清理")
    assert danger.status == S.RECTIFYING and danger.rectified_by is None


@pytest.mark.django_db
def test_only_the_responsible_unit_rectifies_and_scope_hides(em, make_user):
    danger = report(em)
    stranger = make_user(["handler"], department=em["other_unit"])
    with pytest.raises(DomainError) as exc:
        hidden_danger_act(actor=stranger, danger=danger, action="start")
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        hidden_danger_act(actor=em["outsider_leader"], danger=danger, action="supervise")
    assert exc.value.status == 404


@pytest.mark.django_db
def test_major_danger_is_supervised_and_reported_upward(em):
    danger = report(em, level="major")
    assert danger.supervised and danger.reported_upward_at is not None
    with pytest.raises(DomainError) as exc:
        hidden_danger_act(actor=em["leader"], danger=danger, action="supervise")
    assert exc.value.code == "already_supervised"


@pytest.mark.django_db
def test_overdue_sweep_escalates_and_stops_when_closed(em):
    start = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)
    with clock.at(start):
        danger = report(em, days=5)
        other = report(em, days=30)
    # Calendar days end at the close of the last day; a last day on a rest day rolls to the next workday.
    assert danger.due_at > start + dt.timedelta(days=5)
    with clock.at(danger.due_at - dt.timedelta(minutes=1)):
        assert hidden_danger_overdue_sweep() == {"overdue": 0, "escalated": 0}
    later = danger.due_at + dt.timedelta(days=1)
    assert hidden_danger_overdue_sweep(now=later) == {"overdue": 1, "escalated": 1}
    danger.refresh_from_db()
    assert danger.overdue and danger.supervised and danger.escalation_level == 1
    # Running again in the same period changes nothing; a full period later escalates one level.
    assert hidden_danger_overdue_sweep(now=later) == {"overdue": 0, "escalated": 0}
    assert hidden_danger_overdue_sweep(now=later + dt.timedelta(days=15)) == {"overdue": 0, "escalated": 1}
    danger.refresh_from_db()
    assert danger.escalation_level == 2
    other.refresh_from_db()
    assert not other.overdue
    # Submitted for acceptance: the unit's clock stops, the overdue flag clears.
    with clock.at(later):
        hidden_danger_act(actor=em["handler"], danger=danger, action="start")
        danger = hidden_danger_act(actor=em["handler"], danger=danger, action="submit")
    assert not danger.overdue
    assert hidden_danger_overdue_sweep(now=later + dt.timedelta(days=60))["escalated"] == 1  # only `other`


@pytest.mark.django_db
def test_extension_moves_the_deadline(em):
    start = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)
    with clock.at(start):
        danger = report(em, days=5)
        first_due = danger.due_at
        danger = hidden_danger_act(actor=em["leader"], danger=danger, action="extend", extra_days=7)
    assert danger.due_at >= first_due + dt.timedelta(days=7)
    assert danger.deadline.start == first_due
    assert HiddenDangerEvent.objects.filter(danger=danger, action="extend").exists()


ROLES = [
    "supervisor",
    "leader",
    "shift_leader",
    "dispatcher",
    "manager",
    "handler",
    "both",
    "outsider_leader",
    "citizen",
]


@pytest.mark.django_db
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ROLES), st.sampled_from(DANGER_ACTIONS), st.booleans()), max_size=25
    )
)
def test_random_action_sequences_keep_the_invariants(em, steps):
    danger = report(em, level="general")
    for role, action, with_note in steps:
        actor = em[role]
        before = HiddenDanger.objects.get(pk=danger.pk)
        transition = danger_transition(before.status, action)
        try:
            hidden_danger_act(
                actor=actor, danger=danger, action=action, note="理由" if with_note else "", extra_days=3
            )
        except DomainError as exc:
            after = HiddenDanger.objects.get(pk=danger.pk)
            assert after.status == before.status and after.version == before.version  # nothing half-written
            assert exc.status in (400, 403, 404, 409)
            continue
        after = HiddenDanger.objects.get(pk=danger.pk)
        assert transition is not None and transition.permission, (before.status, action)
        assert actor.has_perm(transition.permission)
        assert role not in {"outsider_leader", "citizen", "dispatcher"}
        if transition.target is not None:
            assert after.status == transition.target
        if action == "accept":
            assert after.accepted_by_id != after.rectified_by_id  # nobody accepts their own rectification
        if action in {"start", "submit"}:
            assert actor.department_id == em["unit"].pk
        assert after.version == before.version + 1
    final = HiddenDanger.objects.get(pk=danger.pk)
    events = list(final.events.order_by("at", "id"))
    # The timeline replays to the current state.
    assert events[-1].to_status == final.status
    for prev, nxt in itertools.pairwise(events):
        assert nxt.from_status == prev.to_status
    assert audit_verify().ok


@pytest.mark.django_db
def test_responsible_unit_must_cover_the_area_by_the_scope_prefix_rule(em, make_department):
    """A 150105 supervisor may name the city's unit (150100 covers 1501xx), never a neighbour's or one
    below the area (a street unit does not answer for the whole district)."""
    city_unit = make_department("150100", name="呼和浩特市应急管理局")
    danger = hidden_danger_report(
        actor=em["supervisor"],
        title="测试：桥梁护栏缺失",
        level="general",
        origin="supervisor",
        area_code="150105",
        responsible_department=city_unit,
        rectify_days=10,
    )
    assert danger.responsible_department == city_unit
    for unit, area in (
        (make_department("150102", name="新城区应急管理局"), "150105001"),
        (make_department("150105001", name="测试街道"), "150105"),
    ):
        before = HiddenDanger.objects.count()
        with pytest.raises(DomainError) as refused:
            hidden_danger_report(
                actor=em["supervisor"],
                title="测试：越区责任单位",
                level="general",
                origin="supervisor",
                area_code=area,
                responsible_department=unit,
                rectify_days=10,
            )
        assert refused.value.code == "outside_area" and refused.value.status == 400
        assert refused.value.details["field"] == "responsible_department"
        assert HiddenDanger.objects.count() == before
