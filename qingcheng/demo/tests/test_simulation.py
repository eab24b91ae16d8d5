"""The city simulation on the small test city: volumes, states, determinism, audit chain, export."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction

UNTIL = date(2026, 11, 20)  # a Friday: the five days simulated are Monday to Friday
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


@pytest.fixture
def sim_city(request, settings, tmp_path):
    """The case-loop fixture with every grid of the test city in a supervision beat."""
    from qingcheng.geo.models import SupervisionBeat, UnitGrid

    case_loop = request.getfixturevalue("loop")
    settings.MEDIA_ROOT = tmp_path
    codes = sorted(UnitGrid.objects.values_list("code", flat=True))
    for n, community in enumerate(["150105001001", "150105001002", "150105002003"], start=2):
        grids = [c for c in codes if c.startswith(community) and c != "150105001001001"]
        SupervisionBeat.objects.create(code=f"B-{n}", name=f"{n}号", area_code=community, grid_codes=grids)
    return case_loop


def _snapshot() -> list[tuple]:
    """Cases as (number day, position of the row id, source, subclass, grid, status): the row ids are
    taken relative to the first, so the comparison also holds on PostgreSQL, whose sequences do not roll back."""
    from qingcheng.cases.models import Case

    rows = list(
        Case.objects.order_by("pk").values_list(
            "pk", "number", "source", "category__code", "grid_code", "status"
        )
    )
    first = rows[0][0] if rows else 0
    return [(number[:8], pk - first, *rest) for pk, number, *rest in rows]


@pytest.mark.django_db
def test_a_simulated_week_goes_round_the_loop(sim_city):
    from qingcheng.cases.export import HEADER, write_cases_csv
    from qingcheng.cases.models import Case
    from qingcheng.core.audit import audit_verify
    from qingcheng.demo.simulation import already_simulated, simulate_city

    result = simulate_city(days=5, per_day=30, seed=7, until=UNTIL)

    assert result.failures == 0
    assert 125 <= result.cases <= 175 and Case.objects.count() == result.cases
    assert result.actions > 4 * result.cases
    statuses = {s for s, n in result.by_status.items() if n}
    assert {"closed", "handling", "reported", "cancelled", "merged", "self_handled", "checking"} <= statuses
    assert len(statuses) >= 14, result.by_status
    assert result.by_status["closed"] > result.cases / 3
    assert result.by_source["supervisor"] > 0.7 * result.cases
    assert {"hotline_12319", "public"} <= set(result.by_source)
    assert audit_verify().ok
    assert already_simulated()

    # Every closed case went through dispatch, feedback and check, or was self-handled.
    for case in Case.objects.filter(status="closed"):
        first = case.events.order_by("seq").first()
        if first.to_status == "self_handled":
            continue
        assert case.dispatched_at and case.feedback_at and case.checked_at and case.opened_at, case.number
        assert case.reported_at <= case.opened_at <= case.dispatched_at <= case.feedback_at <= case.closed_at
    assert not Case.objects.filter(status="merged", merged_into__isnull=True).exists()
    assert not Case.objects.filter(status="cancelled", cancelled_at__isnull=True).exists()
    # Times are the simulated ones, inside the window, and the timeline is in time order.
    for case in Case.objects.all()[:60]:
        times = list(case.events.order_by("seq").values_list("at", flat=True))
        assert times == sorted(times)
        assert date(2026, 11, 16) <= case.reported_at.date() <= UNTIL

    out = io.StringIO()
    assert write_cases_csv(out, bom=False) == result.cases
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0].keys()) == HEADER and len(rows) == result.cases
    for row in rows:
        for key in (
            "reported_at",
            "opened_at",
            "dispatched_at",
            "feedback_at",
            "closed_at",
            "handle_deadline",
        ):
            assert row[key] == "" or ISO.match(row[key]), (key, row[key])
        assert row["cancelled"] in {"true", "false"} and row["deferred"] in {"true", "false"}

    # A second run of the command reuses what is there.
    out = io.StringIO()
    call_command("simulate_city", days=5, per_day=30, seed=7, until=UNTIL, stdout=out)
    assert "already recorded" in out.getvalue()
    assert Case.objects.count() == result.cases


@pytest.mark.django_db
def test_the_simulation_is_deterministic_per_seed(sim_city):
    from qingcheng.demo.simulation import simulate_city

    class Rollback(Exception):
        pass

    snapshots = []
    for _ in range(2):
        try:
            with transaction.atomic():
                result = simulate_city(days=2, per_day=12, seed=3, until=UNTIL)
                snapshots.append((result.cases, result.actions, _snapshot()))
                raise Rollback
        except Rollback:
            pass
    assert snapshots[0][2] and snapshots[0] == snapshots[1]

    with transaction.atomic():
        simulate_city(days=2, per_day=12, seed=4, until=UNTIL)
        assert _snapshot() != snapshots[0][2]
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_demo_supervisor_is_left_open_tasks(sim_city, make_user, api_client_for):
    """城管通's demo login opens to a task list: a few verification (核实) and check (核查) tasks of cases in
    their beats, sent to them by the centre through the workflow and still open when the simulation ends."""
    from qingcheng.cases.models import CaseTask
    from qingcheng.demo.simulation import DEMO_SUPERVISOR, simulate_city
    from qingcheng.geo.models import SupervisionBeat

    demo = make_user(["supervisor"], area_code="150105", username=DEMO_SUPERVISOR)
    beat = SupervisionBeat.objects.get(code="B-2")
    beat.supervisors.add(demo)

    result = simulate_city(days=3, per_day=20, seed=7, until=UNTIL)

    assert result.failures == 0
    tasks = list(CaseTask.objects.filter(assignee=demo, done_at__isnull=True).select_related("case"))
    assert 3 <= len(tasks) <= 6, [(t.kind, t.case.status) for t in tasks]
    assert {t.kind for t in tasks} == {"verify", "check"}
    for task in tasks:
        assert task.case.grid_code in beat.grid_codes
        assert task.case.status == {"verify": "verifying", "check": "checking"}[task.kind]
        event = task.case.events.order_by("-seq").first()
        assert event.action == {"verify": "send_verification", "check": "send_check"}[task.kind]
        assert event.actor.has_perm("cases.accept_report_case")  # sent by the centre, not written around it
    # What the field app lists (its own API), the demo supervisor's tasks first-hand.
    listed = api_client_for(demo).get("/api/intake/supervisor/tasks").json()
    assert sorted(row["id"] for row in listed if row["assigned_to_me"]) == sorted(t.pk for t in tasks)
    # Nobody else in the city was given these: the other beats' tasks are their own supervisors'.
    assert (
        not CaseTask.objects.filter(done_at__isnull=True, case__grid_code__in=beat.grid_codes)
        .exclude(assignee=demo)
        .exists()
    )
