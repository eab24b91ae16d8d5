"""Export of cases for analysis: one row per case, CSV (UTF-8 with BOM so Excel opens it), no personal data.

The columns are described in docs/data-dictionary.md (keep `COLUMNS` and that table in step). Times are
ISO 8601 in the bureau's time zone (Asia/Shanghai) with their offset; a step not reached is empty;
booleans are `true`/`false`.

`as_of` exports the cases as they stood at an earlier instant: cases reported by then, each rebuilt from
its timeline by `cases.history` (the read the evaluation indicators use too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from qingcheng.core.access import Actor
from qingcheng.core.errors import ValidationFailed
from qingcheng.core.exports import SafeWriter
from qingcheng.core.inputs import date_in_range
from qingcheng.core.scope import scope_queryset
from qingcheng.core.worktime import shift_months

from .history import ROW_FIELDS, department_names, row_as_of, timelines
from .models import Case, CaseEvent


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    meaning: str
    set_by: str


COLUMNS: tuple[Column, ...] = (
    Column("case_number", "string", "Case number (案卷编号): report day + row id", "report"),
    Column(
        "source",
        "code",
        "Channel: supervisor, hotline_12319, hotline_12345, police_110, public, open311, sensor, video, leader",
        "report",
    ),
    Column(
        "subclass_code", "code", "Catalogue subclass (小类), e.g. E0201; empty until set", "report or open"
    ),
    Column("district_code", "code", "District (区) code, 6 digits (GB/T 2260)", "report (location)"),
    Column("street_code", "code", "Street (街道) code, 9 digits", "report (location)"),
    Column("community_code", "code", "Community (社区) code, 12 digits", "report (location)"),
    Column("grid_code", "code", "Unit grid (单元网格) code, 15 digits", "report (location)"),
    Column(
        "handling_unit",
        "code",
        "Code of the unit the case is dispatched to; empty before dispatch or after an approved return",
        "dispatch",
    ),
    Column("status", "code", "Workflow state (see below)", "every step"),
    Column("reported_at", "datetime", "When the problem was reported", "report"),
    Column("opened_at", "datetime", "When the case was opened (立案)", "open"),
    Column("dispatched_at", "datetime", "Latest dispatch (派遣) to a unit", "dispatch"),
    Column(
        "feedback_at",
        "datetime",
        "When the unit reported it done (处理反馈); cleared by a rework",
        "feedback",
    ),
    Column(
        "closed_at",
        "datetime",
        "When the case was closed (结案); cleared if an unsatisfied callback reopens it",
        "close",
    ),
    Column(
        "handle_deadline",
        "datetime",
        "Current handling deadline (处置时限)",
        "dispatch, extension, rework, resume",
    ),
    Column("rework_count", "integer", "Failed checks plus unsatisfied callbacks (返工)", "check, callback"),
    Column("deferred", "boolean", "Deferred (缓办) at some point", "defer"),
    Column("parked", "boolean", "Parked (挂账) at some point", "approve_park"),
    Column("cancelled", "boolean", "Not opened / void (不予立案/作废)", "cancel"),
    Column("merged_into", "string", "Number of the case this report was merged into (合并)", "merge"),
    Column("category_kind", "code", "component (部件) or event (事件)", "report or open"),
    Column("subclass_name", "string", "Subclass name, e.g. 非法小广告", "report or open"),
    Column("handling_unit_name", "string", "Name of the handling unit", "dispatch"),
    Column("urgency", "code", "normal or urgent", "report or open"),
    Column("self_handled", "boolean", "Fixed on the spot by the supervisor (自行处置)", "report"),
    Column("verified_at", "datetime", "When a supervisor verified the report (核实)", "verify"),
    Column("accepted_at", "datetime", "When the unit accepted the case (签收)", "accept"),
    Column("checked_at", "datetime", "Latest on-site check (核查)", "check"),
    Column("cancelled_at", "datetime", "When the report was not opened / voided", "cancel"),
    Column(
        "overdue",
        "boolean",
        "The handling deadline passed while the unit had the case (超期)",
        "overdue sweep, dispatch",
    ),
    Column("return_count", "integer", "Approved returns (回退)", "approve_return"),
    Column("extension_count", "integer", "Approved extensions (延期)", "approve_extension"),
    Column(
        "supervised",
        "boolean",
        "Placed under supervision (督办), by a leader or automatically when late",
        "supervise, overdue sweep",
    ),
    Column(
        "satisfaction",
        "integer",
        "Reporter's score 1–5 from the latest callback (回访); empty if none",
        "callback",
    ),
)
HEADER = [c.name for c in COLUMNS]


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def format_time(value: datetime | None) -> str:
    return value.astimezone(_zone()).isoformat(timespec="seconds") if value else ""


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def parse_instant(value: str, *, end_of_day: bool = False) -> datetime:
    """A date (its local midnight; with `end_of_day` the next midnight) or an ISO 8601 datetime (local
    time if it has no offset)."""
    value = value.strip()
    if len(value) == 10:
        day = _in_window(date.fromisoformat(value))
        if end_of_day:
            day += timedelta(days=1)
        return datetime.combine(day, time.min, _zone())
    instant = _in_window(datetime.fromisoformat(value))
    return instant if instant.tzinfo else instant.replace(tzinfo=_zone())


def _in_window(value: Any) -> Any:
    # Callers catch ValueError for bad input; a far year is bad input (and overflows arithmetic).
    try:
        return date_in_range(value)
    except ValidationFailed as exc:
        raise ValueError(exc.message_en) from None


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """`2026-10` → local midnight of 1 October to local midnight of 1 November."""
    year, month = (int(part) for part in period.split("-"))
    first = datetime(year, month, 1, tzinfo=_zone())
    following = datetime.combine(shift_months(first.date(), 1), first.timetz())
    return first, following


def cases_for_export(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    as_of: datetime | None = None,
    actor: Actor = None,
) -> QuerySet[Case]:
    """Cases reported in [since, until) (and not after `as_of`), in the actor's scope when one is given."""
    qs = Case.objects.all()
    if actor is not None:
        qs = scope_queryset(qs, actor, "grid_code")
    if since is not None:
        qs = qs.filter(reported_at__gte=since)
    if until is not None:
        qs = qs.filter(reported_at__lt=until)
    if as_of is not None:
        qs = qs.filter(reported_at__lte=as_of)
    return qs.order_by("reported_at", "id")


def export_rows(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    as_of: datetime | None = None,
    actor: Actor = None,
    chunk_size: int = 2000,
) -> Iterator[list[str]]:
    """The export's rows (without the header), in report order. A constant number of queries per chunk."""
    qs = cases_for_export(since=since, until=until, as_of=as_of, actor=actor).values(*ROW_FIELDS)
    departments: dict[int, tuple[str, str]] | None = None
    chunk: list[dict[str, Any]] = []
    for row in qs.iterator(chunk_size=chunk_size):
        chunk.append(row)
        if len(chunk) >= chunk_size:
            if as_of is not None and departments is None:
                departments = department_names()
            yield from _chunk_rows(chunk, as_of, departments)
            chunk = []
    if chunk:
        if as_of is not None and departments is None:
            departments = department_names()
        yield from _chunk_rows(chunk, as_of, departments)


def write_cases_csv(out: TextIO, *, bom: bool = True, **filters: Any) -> int:
    """Write the header and one row per case to the text stream `out`; returns the number of cases."""
    if bom:
        out.write("\ufeff")
    writer = SafeWriter(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    count = 0
    for row in export_rows(**filters):
        writer.writerow(row)
        count += 1
    return count


def _chunk_rows(
    chunk: list[dict[str, Any]], as_of: datetime | None, departments: dict[int, tuple[str, str]] | None
) -> Iterable[list[str]]:
    ids = [row["id"] for row in chunk]
    events: dict[int, list[tuple]] = {}
    if as_of is None:
        self_handled = set(
            CaseEvent.objects.filter(
                case_id__in=ids, action="report", to_status=Case.Status.SELF_HANDLED
            ).values_list("case_id", flat=True)
        )
    else:
        events = timelines(ids)
        self_handled = {
            pk for pk, timeline in events.items() if timeline and timeline[0][2] == Case.Status.SELF_HANDLED
        }
    for row in chunk:
        if as_of is not None:
            row = row_as_of(row, events.get(row["id"], []), as_of, departments or {})
        yield _format(row, row["id"] in self_handled)


def _format(row: dict[str, Any], self_handled: bool) -> list[str]:
    grid = row["grid_code"] or ""
    values = {
        "case_number": row["number"],
        "source": row["source"],
        "subclass_code": row["category__code"] or "",
        "district_code": grid[:6],
        "street_code": grid[:9],
        "community_code": grid[:12],
        "grid_code": grid,
        "handling_unit": row["owner_department__code"] or "",
        "status": row["status"],
        "reported_at": format_time(row["reported_at"]),
        "opened_at": format_time(row["opened_at"]),
        "dispatched_at": format_time(row["dispatched_at"]),
        "feedback_at": format_time(row["feedback_at"]),
        "closed_at": format_time(row["closed_at"]),
        "handle_deadline": format_time(row["handle_due_at"]),
        "rework_count": str(row["rework_count"]),
        "deferred": format_bool(row["was_deferred"]),
        "parked": format_bool(row["was_parked"]),
        "cancelled": format_bool(row["status"] == Case.Status.CANCELLED),
        "merged_into": row["merged_into__number"] or "",
        "category_kind": row["category__kind"] or "",
        "subclass_name": row["category__name"] or "",
        "handling_unit_name": row["owner_department__name"] or "",
        "urgency": row["urgency"],
        "self_handled": format_bool(self_handled),
        "verified_at": format_time(row["verified_at"]),
        "accepted_at": format_time(row["accepted_at"]),
        "checked_at": format_time(row["checked_at"]),
        "cancelled_at": format_time(row["cancelled_at"]),
        "overdue": format_bool(row["overdue"]),
        "return_count": str(row["return_count"]),
        "extension_count": str(row["extension_count"]),
        "supervised": format_bool(row["supervised"]),
        "satisfaction": "" if row["satisfaction"] is None else str(row["satisfaction"]),
    }
    return [values[name] for name in HEADER]
