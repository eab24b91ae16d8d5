"""Numbers that agree (issue 24 item 7): every screen that shows how many cases are overdue (超期) or in
progress (在办) shows the same number, and that number is the one computed straight from the database with
the definition: overdue now = in a handling state and past its handling deadline; in progress = in an open
state of the workflow.

The world is built so that the `Case.overdue` flag, which the periodic sweep sets, disagrees with the live
definition in every direction: a case past its deadline that the sweep has not seen yet, cases marked by the
sweep that then left the handling states (feedback, parked, closed), a case due soon, and a late case of
another unit.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from qingcheng.cases.models import Case
from qingcheng.cases.services import case_report
from qingcheng.cases.workflow import HANDLING_STATES, OPEN_STATES
from qingcheng.core import clock

pytestmark = pytest.mark.django_db

S = Case.Status


def _case(loop, status: str, *, due_in: timedelta | None, flag: bool, unit: str = "unit", **extra) -> Case:
    """A case reported through the service, then put straight into `status` (only reads are tested here)."""
    case = case_report(
        actor=loop["users"]["supervisor"],
        source="supervisor",
        lon=loop["point"][0],
        lat=loop["point"][1],
        description=f"{status} {due_in}",
        category_code="E0102",
    ).case
    now = clock.now()
    fields = {
        "status": status,
        "overdue": flag,
        "handle_due_at": None if due_in is None else now + due_in,
        "owner_department": None if status == S.REPORTED else loop[unit],
        **extra,
    }
    Case.objects.filter(pk=case.pk).update(**fields)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def world(loop):
    hour, day = timedelta(hours=1), timedelta(days=1)
    cases = {
        # late, the sweep has not run yet: overdue now although the flag is still off
        "late_unswept": _case(loop, S.HANDLING, due_in=-2 * hour, flag=False),
        "late_dispatched": _case(loop, S.DISPATCHED, due_in=-30 * timedelta(minutes=1), flag=False),
        # late and marked by the sweep, the unit asks for an extension: still overdue
        "late_swept": _case(loop, S.EXTENSION_REQUESTED, due_in=-day, flag=True),
        # another unit's late case: the leader sees it, the first unit does not
        "late_other_unit": _case(loop, S.HANDLING, due_in=-hour, flag=False, unit="other_unit"),
        # went late, then the unit handed back feedback: the flag stays, the case is not overdue now
        "was_late_feedback": _case(loop, S.FEEDBACK, due_in=-2 * day, flag=True),
        # went late, then parked (挂账 stops the clock)
        "was_late_parked": _case(loop, S.PARKED, due_in=-day, flag=True),
        # went late and was closed today
        "was_late_closed": _case(loop, S.CLOSED, due_in=-3 * day, flag=True, closed_at=clock.now() - hour),
        # due within the day, and due in three days
        "due_soon": _case(loop, S.HANDLING, due_in=2 * hour, flag=False),
        "due_later": _case(loop, S.DISPATCHED, due_in=3 * day, flag=False),
        # not dispatched yet: in progress, no handling deadline
        "reported": _case(loop, S.REPORTED, due_in=None, flag=False),
    }
    return cases


def _from_database(now) -> dict[str, set[str]]:
    """The definition, written out here on purpose rather than imported: the screens must agree with it."""
    rows = Case.objects.all()
    return {
        "overdue": set(
            rows.filter(status__in=HANDLING_STATES, handle_due_at__lt=now).values_list("number", flat=True)
        ),
        "in_progress": set(rows.filter(status__in=OPEN_STATES).values_list("number", flat=True)),
    }


def _numbers(page) -> set[str]:
    return {c.number for c in page.context["page"].paginator.object_list}


def test_overdue_and_in_progress_agree_on_every_screen(loop, world, client):
    now = clock.now()
    truth = _from_database(now)
    names = {case.number: name for name, case in world.items()}
    assert sorted(names[n] for n in truth["overdue"]) == [
        "late_dispatched",
        "late_other_unit",
        "late_swept",
        "late_unswept",
    ]
    assert len(truth["in_progress"]) == 9
    overdue, in_progress = len(truth["overdue"]), len(truth["in_progress"])
    seen: dict[str, int] = {}

    # The leader: the workbench's overdue queue (its count beside the queue, and the list itself), the
    # home page's counters, the case list filtered on overdue, the API, and the command centre.
    client.force_login(loop["users"]["leader"])
    page = client.get("/work/overdue/")
    assert page.status_code == 200
    counts = {c.queue.key: c.count for c in page.context["counts"]}
    seen["leader workbench: overdue queue count"] = counts["overdue"]
    assert _numbers(page) == truth["overdue"]
    seen["leader workbench: overdue queue list"] = page.context["page"].paginator.count
    home = {c.queue.key: c.count for c in client.get("/").context["queues"]}
    seen["leader home: overdue queue count"] = home["overdue"]
    page = client.get("/cases/", {"overdue": "1"})
    assert _numbers(page) == truth["overdue"]
    seen["case list ?overdue=1 (leader)"] = page.context["page"].paginator.count
    page = client.get("/cases/", {"overdue": "0"})
    assert _numbers(page) == set(names) - truth["overdue"]
    api = client.get("/api/cases/", {"overdue": "true", "page_size": 100}).json()
    assert {row["number"] for row in api["items"]} == truth["overdue"]
    assert all(row["overdue"] for row in api["items"])
    seen["API /api/cases/?overdue=true"] = api["count"]
    listed = client.get("/api/cases/", {"page_size": 100}).json()["items"]
    assert {row["number"] for row in listed if row["overdue"]} == truth["overdue"]
    centre = client.get("/command-centre/data.json").json()
    seen["command centre: overdue now"] = centre["counters"]["overdue"]
    late_markers = {marker[4] for marker in centre["markers"] if marker[3]}
    assert late_markers == truth["overdue"]
    seen["command centre: overdue markers"] = len(late_markers)
    in_progress_seen = {"command centre: open cases": centre["counters"]["open"]}

    # The dispatcher's case list with the overdue filter.
    client.force_login(loop["users"]["dispatcher"])
    page = client.get("/cases/", {"overdue": "1"})
    seen["case list ?overdue=1 (dispatcher)"] = page.context["page"].paginator.count

    assert seen == dict.fromkeys(seen, overdue), seen
    assert in_progress_seen == dict.fromkeys(in_progress_seen, in_progress), in_progress_seen


def test_the_unit_sees_its_own_overdue_and_due_soon_cases(loop, world, client):
    """The handling unit's queues use the same definition, narrowed to the unit's cases."""
    now = clock.now()
    unit = loop["unit"]
    mine = Case.objects.filter(owner_department=unit)
    late = set(
        mine.filter(status__in=HANDLING_STATES, handle_due_at__lt=now).values_list("number", flat=True)
    )
    client.force_login(loop["users"]["handler"])
    page = client.get("/work/unit_overdue/")
    counts = {c.queue.key: c.count for c in page.context["counts"]}
    assert _numbers(page) == late and counts["unit_overdue"] == len(late) == 3
    page = client.get("/work/due_soon/")
    assert _numbers(page) == {world["due_soon"].number} and counts["due_soon"] == 1
