"""A case as it stood at an earlier instant (案卷历史), rebuilt from its timeline (`CaseEvent`).

The public read both `export_cases --as-of` (`cases.export`) and the evaluation indicators
(`evaluation.indicators`) use, so an exported row and an indicator judge a case the same way.
The row has the fields `ROW_FIELDS` of `Case.objects.values(...)`; status, step times, counters and flags
are replayed from the timeline up to `as_of`. The handling deadline is the stored one when no
deadline-changing step happened after `as_of`, else the due time recorded in the timeline (the dispatch
entry records it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from qingcheng.accounts.models import Department

from .models import Case, CaseEvent

# When each step of the loop last happened; replayed from the timeline, so none is known before it.
STEP_TIMES = (
    "verified_at",
    "opened_at",
    "dispatched_at",
    "accepted_at",
    "feedback_at",
    "checked_at",
    "closed_at",
    "cancelled_at",
)
ROW_FIELDS = (
    "id",
    "number",
    "source",
    "category__code",
    "category__kind",
    "category__name",
    "grid_code",
    "owner_department__code",
    "owner_department__name",
    "status",
    "urgency",
    "reported_at",
    *STEP_TIMES,
    "handle_due_at",
    "rework_count",
    "return_count",
    "extension_count",
    "overdue",
    "supervised",
    "was_deferred",
    "was_parked",
    "merged_into__number",
    "satisfaction",
)


# Timeline actions that change the handling deadline (see services: start/extend/stop of the handle clock).
DEADLINE_ACTIONS = {"dispatch", "approve_return", "approve_extension", "resume"}
REQUEST_DECISIONS = {"reject_return", "reject_extension", "reject_park"}


def department_names() -> dict[int, tuple[str, str]]:
    """Department id → (code, name), to name the handling unit a past dispatch recorded by id."""
    return {pk: (code, name) for pk, code, name in Department.objects.values_list("id", "code", "name")}


def timelines(case_ids: Iterable[int]) -> dict[int, list[tuple]]:
    """Case id → its timeline as (at, action, to_status, data) tuples in order; one query."""
    events: dict[int, list[tuple]] = defaultdict(list)
    for case_id, *event in (
        CaseEvent.objects.filter(case_id__in=list(case_ids))
        .order_by("case_id", "seq")
        .values_list("case_id", "at", "action", "to_status", "data")
    ):
        events[case_id].append(tuple(event))
    return events


def rows_as_of(queryset: QuerySet[Case], as_of: datetime) -> list[dict[str, Any]]:
    """The cases of `queryset` as they stood at `as_of` (rows with `ROW_FIELDS`)."""
    rows = list(queryset.values(*ROW_FIELDS))
    if not rows:
        return []
    events = timelines(row["id"] for row in rows)
    departments = department_names()
    return [row_as_of(row, events.get(row["id"], []), as_of, departments) for row in rows]


def _changes_deadline(action: str, data: dict[str, Any]) -> bool:
    if action in DEADLINE_ACTIONS:
        return True
    return (action == "check" and data.get("passed") is False) or (
        action == "callback" and data.get("satisfied") is False
    )


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def row_as_of(
    row: dict[str, Any], timeline: list[tuple], as_of: datetime, departments: dict[int, tuple[str, str]]
) -> dict[str, Any]:
    """The row as it stood at `as_of`, rebuilt from the case's timeline."""
    state = dict(row)
    state.update(dict.fromkeys(STEP_TIMES))
    state.update(
        rework_count=0,
        return_count=0,
        extension_count=0,
        overdue=False,
        supervised=False,
        was_deferred=False,
        was_parked=False,
        satisfaction=None,
        owner_department__code=None,
        owner_department__name=None,
    )
    merged = state.pop("merged_into__number")
    state["merged_into__number"] = None
    due: datetime | None = None
    department: int | None = None
    later_deadline_change = False
    for at, action, to_status, data in timeline:
        data = data or {}
        if at > as_of:
            later_deadline_change = later_deadline_change or _changes_deadline(action, data)
            continue
        state["status"] = to_status
        if action == "verify":
            state["verified_at"] = at
        elif action == "open":
            state["opened_at"] = at
        elif action == "dispatch":
            state["dispatched_at"] = at
            department = data.get("department")
            due = _parse(data.get("handle_due_at"))
        elif action == "accept" or (action in REQUEST_DECISIONS and state["accepted_at"] is None):
            state["accepted_at"] = at
        elif action == "feedback":
            state["feedback_at"] = at
        elif action == "check":
            state["checked_at"] = at
            if data.get("passed") is False:
                state["rework_count"] += 1
                state["feedback_at"] = None
        elif action == "close":
            state["closed_at"] = at
        elif action == "callback":
            if data.get("score") is not None:
                state["satisfaction"] = data["score"]
            if data.get("satisfied") is False:
                state["rework_count"] += 1
                state["feedback_at"] = state["closed_at"] = None
        elif action == "cancel":
            state["cancelled_at"] = at
        elif action == "merge":
            state["merged_into__number"] = merged
        elif action == "approve_return":
            state["return_count"] += 1
            department, due = None, None
        elif action == "approve_extension":
            state["extension_count"] += 1
        elif action == "approve_park":
            state["was_parked"] = True
        elif action == "defer":
            state["was_deferred"] = True
        elif action == "overdue":
            state["overdue"] = True
        elif action == "supervise":
            state["supervised"] = True
        if "handle_due_at" in data and action != "dispatch":
            due = _parse(data.get("handle_due_at"))
    if not later_deadline_change:
        due = row["handle_due_at"]
    state["handle_due_at"] = due
    if department is not None and department in departments:
        state["owner_department__code"], state["owner_department__name"] = departments[department]
    return state
