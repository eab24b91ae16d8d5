"""The evaluation indicators (考核指标) of GB/T 30428.4 as defined in docs/evaluation.md, computed with
aggregate SQL.

For a period P = [start, end) and an as-of instant T the *cohort* is the cases opened (立案) in P by T
that are neither cancelled nor merged. Every case is judged as it stood at T:

- cases with no timeline entry after T are counted in one grouped scan of the case table (grouped by an
  area-code prefix or by the handling unit), which is the whole cohort whenever T is now: an inner query
  built by the ORM evaluates each predicate once per row and packs the answers into one integer (a bit
  per predicate); the outer query counts and sums per object and bit pattern;
- the few cases changed after T are rebuilt from their timeline with the very function `export_cases
  --as-of` uses (`qingcheng.cases.history.row_as_of`) and counted with the same predicates in Python.

Mean handling time is in working hours of the case's area (`core.worktime`). It is aggregated without a
per-case loop: W(t), the working seconds from a fixed origin to t, is cum(day) + f_day(time of day), where
f_day is piecewise linear in the time of day with kinks at the office-hour boundaries. The query groups by
the local days of start and end and returns Σ min(max(tod, start), end) over the office periods when
every working day in range has the same hours (else one sum Σ max(0, tod − b) per boundary b); Σ W is put
together from the working calendar for those few hundred days.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case as CaseWhen
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Substr

from qingcheng.cases import history as case_history
from qingcheng.cases.models import Case, CaseEvent, CaseTask
from qingcheng.cases.workflow import HANDLING_STATES
from qingcheng.core.scope import actor_scope, digit_prefix_q
from qingcheng.core.worktime import WorkCalendar, working_time_between

from .periods import Period, zone

S = Case.Status
REGION_LEVELS: dict[str, int] = {"district": 6, "street": 9, "community": 12, "grid": 15}
DEPARTMENT = "department"
POST_LEVELS = ("supervisor", "receiver", "dispatcher")
LEVELS = (*REGION_LEVELS, DEPARTMENT, *POST_LEVELS)
DEFERRED_STATES = (S.DEFERRED, S.PARKED)
SELF_HANDLED_STATES = (S.SELF_HANDLED, S.CLOSED)
SATISFIED_FROM = 3  # a score of 3 or more keeps a case closed (满意/基本满意), as public ratings do
DAY = 86400


class NoScope(Exception):
    """The actor may see no area at all."""


# ---------------------------------------------------------------------------------------- SQL helpers


class LocalSeconds(Func):
    """Seconds since 1970-01-01 00:00 on the bureau's wall clock: UTC epoch seconds plus the zone's fixed
    offset (Asia/Shanghai has had no daylight saving since 1991), microseconds included."""

    output_field = FloatField()
    arity = 1

    def __init__(self, expression: Any, *, offset: int) -> None:
        super().__init__(expression)
        self.offset = int(offset)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # date_part returns double precision directly (EXTRACT goes through numeric, several times slower).
        return f"(date_part('epoch', {sql}) + {self.offset})", params

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores datetimes as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC: whole seconds from strftime,
        # the fraction from the text after the seconds.
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"(CAST(strftime('%%s', {sql}) AS INTEGER) + CAST(substr({sql}, 20) AS REAL) + {self.offset})",
            [*params, *params],
        )


def case_scope_q(actor: Any, field: str = "grid_code") -> Q:
    """Cases in the actor's area; `actor=None` is the system itself (commands, jobs) and sees everything."""
    if actor is None:
        return Q()
    scope = actor_scope(actor)
    if scope is None:
        raise NoScope()
    return Q() if scope == "" else digit_prefix_q(field, scope)


# ---------------------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Context:
    period: Period
    as_of: datetime
    repeat_threshold: int = 3


def _deferred(r: dict, c: Context) -> bool:
    return r["status"] in DEFERRED_STATES


def _closed(r: dict, c: Context) -> bool:
    return r["status"] == S.CLOSED


def _closed_on_time(r: dict, c: Context) -> bool:
    return _closed(r, c) and r["handle_due_at"] is not None and r["closed_at"] <= r["handle_due_at"]


def _reached_feedback(r: dict, c: Context) -> bool:
    return r["feedback_at"] is not None or r["rework_count"] > 0


def _reworked(r: dict, c: Context) -> bool:
    return r["rework_count"] > 0


def _repeat_reworked(r: dict, c: Context) -> bool:
    return r["rework_count"] >= c.repeat_threshold


def _overdue(r: dict, c: Context) -> bool:
    due = r["handle_due_at"]
    if due is None:
        return False
    if r["feedback_at"] is not None:
        return r["feedback_at"] > due
    return r["status"] in HANDLING_STATES and due < c.as_of


def _urgent_due(r: dict, c: Context) -> bool:
    return r["urgency"] == Case.Urgency.URGENT and not _deferred(r, c)


def _urgent_closed_on_time(r: dict, c: Context) -> bool:
    return r["urgency"] == Case.Urgency.URGENT and _closed_on_time(r, c)


def _handled(r: dict, c: Context) -> bool:
    return r["feedback_at"] is not None


def _handled_on_time(r: dict, c: Context) -> bool:
    return _handled(r, c) and r["handle_due_at"] is not None and r["feedback_at"] <= r["handle_due_at"]


def _handled_late(r: dict, c: Context) -> bool:
    return _handled(r, c) and r["handle_due_at"] is not None and r["feedback_at"] > r["handle_due_at"]


def _urgent_handled_on_time(r: dict, c: Context) -> bool:
    return r["urgency"] == Case.Urgency.URGENT and _handled_on_time(r, c)


def _extended(r: dict, c: Context) -> bool:
    return r["extension_count"] > 0


def _rated(r: dict, c: Context) -> bool:
    return r["satisfaction"] is not None


def _satisfied(r: dict, c: Context) -> bool:
    return r["satisfaction"] is not None and r["satisfaction"] >= SATISFIED_FROM


# The SQL form of each predicate, on the case row (which is the case as of T for every case without a
# timeline entry after T).
_Q: dict[str, Callable[[Context], Q]] = {
    "deferred": lambda c: Q(status__in=DEFERRED_STATES),
    "closed": lambda c: Q(status=S.CLOSED),
    "closed_on_time": lambda c: Q(
        status=S.CLOSED, handle_due_at__isnull=False, closed_at__lte=F("handle_due_at")
    ),
    "reached_feedback": lambda c: Q(feedback_at__isnull=False) | Q(rework_count__gt=0),
    "reworked": lambda c: Q(rework_count__gt=0),
    "repeat_reworked": lambda c: Q(rework_count__gte=c.repeat_threshold),
    "overdue": lambda c: (
        Q(handle_due_at__isnull=False)
        & (
            Q(feedback_at__isnull=False, feedback_at__gt=F("handle_due_at"))
            | Q(feedback_at__isnull=True, status__in=HANDLING_STATES, handle_due_at__lt=c.as_of)
        )
    ),
    "urgent_due": lambda c: Q(urgency=Case.Urgency.URGENT) & ~Q(status__in=DEFERRED_STATES),
    "urgent_closed_on_time": lambda c: Q(urgency=Case.Urgency.URGENT) & _Q["closed_on_time"](c),
    "handled": lambda c: Q(feedback_at__isnull=False),
    "handled_on_time": lambda c: Q(
        feedback_at__isnull=False, handle_due_at__isnull=False, feedback_at__lte=F("handle_due_at")
    ),
    "handled_late": lambda c: Q(
        feedback_at__isnull=False, handle_due_at__isnull=False, feedback_at__gt=F("handle_due_at")
    ),
    "urgent_handled_on_time": lambda c: Q(urgency=Case.Urgency.URGENT) & _Q["handled_on_time"](c),
    "extended": lambda c: Q(extension_count__gt=0),
    "rated": lambda c: Q(satisfaction__isnull=False),
    "satisfied": lambda c: Q(satisfaction__gte=SATISFIED_FROM),
}
_TEST: dict[str, Callable[[dict, Context], bool]] = {
    "deferred": _deferred,
    "closed": _closed,
    "closed_on_time": _closed_on_time,
    "reached_feedback": _reached_feedback,
    "reworked": _reworked,
    "repeat_reworked": _repeat_reworked,
    "overdue": _overdue,
    "urgent_due": _urgent_due,
    "urgent_closed_on_time": _urgent_closed_on_time,
    "handled": _handled,
    "handled_on_time": _handled_on_time,
    "handled_late": _handled_late,
    "urgent_handled_on_time": _urgent_handled_on_time,
    "extended": _extended,
    "rated": _rated,
    "satisfied": _satisfied,
}


@dataclass(frozen=True)
class Spec:
    """What to count over the cohort for one kind of object."""

    total: str  # the name of the cohort count (应结案数 / 应处置数)
    counters: tuple[str, ...]
    sums: dict[str, str]  # indicator name → case column
    measured: str  # the counter whose cases the handling time is measured over
    start: str  # handling time from ...
    end: str  # ... to


REGION_SPEC = Spec(
    total="due",
    counters=(
        "deferred",
        "closed",
        "closed_on_time",
        "reached_feedback",
        "reworked",
        "repeat_reworked",
        "overdue",
        "urgent_due",
        "urgent_closed_on_time",
        "rated",
        "satisfied",
    ),
    sums={"reworks": "rework_count", "satisfaction_sum": "satisfaction"},
    measured="closed",
    start="opened_at",
    end="closed_at",
)
DEPARTMENT_SPEC = Spec(
    total="assigned",
    counters=(
        "deferred",
        "handled",
        "handled_on_time",
        "handled_late",
        "closed",
        "reached_feedback",
        "reworked",
        "repeat_reworked",
        "overdue",
        "extended",
        "urgent_due",
        "urgent_handled_on_time",
        "rated",
        "satisfied",
    ),
    sums={"reworks": "rework_count", "extensions": "extension_count", "satisfaction_sum": "satisfaction"},
    measured="handled",
    start="dispatched_at",
    end="feedback_at",
)


def score_spec(kind: str, *, urgent: bool, repeat: bool) -> Spec:
    """What the score of the previous period needs (urgent cases only if the scheme scores them, repeated
    reworks only if it penalises them)."""
    closed = ("closed", "closed_on_time") if kind == "region" else ("handled", "handled_on_time")
    counters = ["deferred", *closed]
    if repeat:
        counters.append("repeat_reworked")
    if urgent:
        counters += ["urgent_due", f"urgent_{closed[1]}"]
    total = "due" if kind == "region" else "assigned"
    return Spec(total, tuple(counters), {"reworks": "rework_count"}, "", "", "")


@dataclass
class Tally:
    """Counts of one object; `span_seconds` is Σ working seconds over the measured cases."""

    counts: Counter = field(default_factory=Counter)
    span_seconds: float = 0.0
    span_cases: int = 0

    def mean_hours(self) -> float | None:
        return self.span_seconds / self.span_cases / 3600 if self.span_cases else None


# ---------------------------------------------------------------------------------------- the cohort


def cohort_queryset(ctx: Context, scope: Q) -> QuerySet[Case]:
    """Cases opened (立案) in the period by T, not cancelled and not merged (by the workflow table both can
    only happen before opening, so the current status decides)."""
    return Case.objects.filter(scope).filter(_cohort_q(ctx))


def latest_event() -> datetime | None:
    """The time of the latest timeline entry (every step of every case writes one): one index lookup."""
    return CaseEvent.objects.aggregate(latest=Max("at"))["latest"]


class _Hinges:
    """Σ W over cases from grouped hinge sums (see the module docstring)."""

    def __init__(self, calendar: WorkCalendar, offset: int) -> None:
        self.calendar = calendar
        self.offset = offset
        bounds: set[int] = set()
        for periods in [calendar.default_periods, *(s.periods for s in calendar.schedules)]:
            for start, end in periods:
                bounds.add(_seconds(start))
                bounds.add(_seconds(end))
        self.bounds = sorted(bounds)
        self.schedule_keys = sorted(
            {s.area_code for s in calendar.schedules if s.area_code}, key=len, reverse=True
        )
        self._cum: dict[str, dict[int, float]] = {}
        self._index = {bound: i for i, bound in enumerate(self.bounds)}
        self._days: dict[tuple[int, str], tuple[list[tuple[int, int]], int]] = {}

    def schedule_key_expression(self):
        """The longest area prefix that has office hours of its own (one group per such area)."""
        if not self.schedule_keys:
            return Value("")
        return CaseWhen(
            *[When(digit_prefix_q("grid_code", key), then=Value(key)) for key in self.schedule_keys],
            default=Value(""),
        )

    def _day_seconds(self, day: int, key: str) -> tuple[list[tuple[int, int]], int]:
        found = self._days.get((day, key))
        if found is None:
            local = date(1970, 1, 1) + timedelta(days=day)
            periods = [
                (self._index[_seconds(a.time())], self._index[_seconds(b.time())])
                for a, b in self.calendar.working_intervals(local, key)
            ]
            seconds = sum(self.bounds[b] - self.bounds[a] for a, b in periods)
            found = self._days[(day, key)] = (periods, seconds)
        return found

    def prepare(self, days: Iterable[tuple[str, int]]) -> None:
        """Cumulative working seconds at the start of each needed day, per schedule key, from one origin."""
        by_key: dict[str, set[int]] = defaultdict(set)
        for key, day in days:
            by_key[key].add(day)
        for key, wanted in by_key.items():
            first, last = min(wanted), max(wanted)
            cum, total = {}, 0.0
            for day in range(first, last + 1):
                cum[day] = total
                total += self._day_seconds(day, key)[1]
            self._cum[key] = cum

    def uniform_periods(self, first: datetime, last: datetime) -> tuple[tuple[int, int], ...] | None:
        """The office hours (as seconds of the day) if every working day from `first` to `last` has the
        same ones in every area with hours of its own, else None."""
        tz = zone()
        day, end = first.astimezone(tz).date(), last.astimezone(tz).date()
        if (end - day).days > 3660:
            return None
        found: set[tuple[tuple[int, int], ...]] = set()
        while day <= end:
            for key in {"", *self.schedule_keys}:
                intervals = self.calendar.working_intervals(day, key)
                if intervals:
                    found.add(tuple((_seconds(a.time()), _seconds(b.time())) for a, b in intervals))
                    if len(found) > 1:
                        return None
            day += timedelta(days=1)
        return found.pop() if found else None

    def total_uniform(
        self, key: str, day: int, count: int, clamped: float | None, periods: tuple[tuple[int, int], ...]
    ) -> float:
        """Σ W(t) for `count` cases on `day` whose Σ over periods of min(max(tod, start), end) is `clamped`."""
        value = count * self._cum[key][day]
        if self._day_seconds(day, key)[0]:  # a working day
            value += (clamped or 0.0) - count * sum(start for start, _end in periods)
        return value

    def total(self, key: str, day: int, count: int, hinges: Sequence[float | None]) -> float:
        """Σ W(t) for `count` cases on `day` whose hinge sums (one per boundary, in order) are `hinges`."""
        value = count * self._cum[key][day]
        for start, end in self._day_seconds(day, key)[0]:
            value += (hinges[start] or 0.0) - (hinges[end] or 0.0)
        return value


def _seconds(value) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def zone_offset(ctx: Context) -> int | None:
    """The zone's UTC offset in seconds if it is the same over the period and up to T, else None."""
    tz = zone()
    instants = [ctx.period.start, ctx.period.end, ctx.as_of, ctx.period.start - timedelta(days=400)]
    offsets = {datetime.fromtimestamp(i.timestamp(), tz).utcoffset() for i in instants}
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds())


def tally_cohort(
    *,
    ctx: Context,
    scope: Q,
    spec: Spec,
    key_expression: Any,
    key_of_row: Callable[[dict], str | None],
    force_python: bool = False,
    with_reports: bool = False,
) -> dict[str, Tally]:
    """Count the cohort per object: SQL for cases unchanged since T, the timeline for the others. With
    `with_reports` the same scan also counts the reports received in P (监督举报数) and the valid ones."""
    measure = bool(spec.measured)
    offset = zone_offset(ctx)
    if offset is None:
        force_python = True
    cohort = cohort_queryset(ctx, scope)
    changed = None
    latest = None if force_python else latest_event()
    if force_python:
        python_rows = case_history.rows_as_of(cohort, ctx.as_of)
    elif latest is not None and latest > ctx.as_of:
        changed = CaseEvent.objects.filter(at__gt=ctx.as_of).values("case_id")
        python_rows = case_history.rows_as_of(cohort.filter(pk__in=changed), ctx.as_of)
    else:
        python_rows = []
    tallies: dict[str, Tally] = defaultdict(Tally)
    calendar = WorkCalendar.load() if measure else None

    if not force_python:
        _sql_tally(
            tallies,
            ctx=ctx,
            scope=scope,
            spec=spec,
            key_expression=key_expression,
            changed=changed,
            offset=offset,
            calendar=calendar,
            with_reports=with_reports,
            last=min(ctx.as_of, latest) if latest is not None else ctx.as_of,
        )
    elif with_reports:
        for key, counts in region_reports_by(ctx, scope, key_expression).items():
            tallies[key].counts.update(counts)

    for row in python_rows:
        key = key_of_row(row)
        if key is None:
            continue
        tally = tallies[key]
        tally.counts[spec.total] += 1
        for name in spec.counters:
            if _TEST[name](row, ctx):
                tally.counts[name] += 1
        for name, column in spec.sums.items():
            tally.counts[name] += row[column] or 0
        if measure and _TEST[spec.measured](row, ctx):
            tally.span_seconds += working_time_between(
                row[spec.start], row[spec.end], area_code=row["grid_code"], calendar=calendar
            ).total_seconds()
            tally.span_cases += 1
    return dict(tallies)


def _sql_tally(
    tallies: dict[str, Tally],
    *,
    ctx: Context,
    scope: Q,
    spec: Spec,
    key_expression: Any,
    changed: QuerySet | None,
    offset: int,
    calendar: WorkCalendar | None,
    with_reports: bool,
    last: datetime,
) -> None:
    """One scan of the case table. The inner query (built by the ORM, so scope and predicates are the
    same Q objects as everywhere) evaluates every predicate once per row and packs the answers into one
    integer, a bit per predicate; the outer query groups by object and that integer (and, for handling
    time, by the local days of start and end) and only counts and sums. Python then adds the groups up
    per predicate. Few aggregates per row keep the serial part small; the inner query is fenced
    (OFFSET 0) so that PostgreSQL does not inline it, and its scan may run in parallel workers."""
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    measure = bool(spec.measured)
    in_cohort = _cohort_q(ctx)
    if changed is not None:
        in_cohort &= ~Q(pk__in=changed)
    predicates: list[tuple[str, Q]] = [("_cohort", in_cohort)]
    condition = in_cohort
    if with_reports:
        reported = _reported_q(ctx)
        condition = in_cohort | reported
        predicates += [("_reported", reported), ("_valid", valid_report_q(ctx.as_of))]
    predicates += [(name, _Q[name](ctx)) for name in spec.counters]
    bit = {name: 1 << i for i, (name, _q) in enumerate(predicates)}
    mask = None
    for name, q in predicates:
        term = CaseWhen(When(q, then=Value(bit[name])), default=Value(0), output_field=IntegerField())
        mask = term if mask is None else mask + term
    columns: dict[str, Any] = {"obj": key_expression, "mask": mask}
    for name, column in spec.sums.items():
        columns[f"s_{name}"] = F(column)
    hinges = _Hinges(calendar, offset) if measure else None
    if hinges is not None:
        if hinges.schedule_keys:  # areas with office hours of their own: one group per such area
            columns["sk"] = hinges.schedule_key_expression()
        # Times only for the measured cases: the others are not split by day.
        measured_q = _Q[spec.measured](ctx)
        for name, field_name in (("eo", spec.start), ("ec", spec.end)):
            columns[name] = CaseWhen(
                When(measured_q, then=LocalSeconds(F(field_name), offset=offset)),
                default=Value(None),
                output_field=FloatField(),
            )
    inner = Case.objects.filter(scope).filter(condition).order_by().values(**columns)
    inner_sql, params = inner.query.sql_with_params()

    def day(column: str) -> str:
        if postgres:
            return f"CAST(FLOOR({column} / {DAY}) AS INTEGER)"
        return f"CAST({column} / {DAY} AS INTEGER)"  # times after 1970 are positive: truncation floors

    greatest, least = ("GREATEST", "LEAST") if postgres else ("MAX", "MIN")
    keys = ["obj", "mask"]
    select = ["obj", "mask"]
    if hinges is not None:
        keys += ["sk", "ds", "de"]
        select += ["sk" if hinges.schedule_keys else "'' AS sk", f"{day('eo')} AS ds", f"{day('ec')} AS de"]
    aggregates = ["COUNT(*)"] + [f"SUM(s_{name})" for name in spec.sums]
    # Every step of a case counted here happened between the period's start and `last`: if all working days
    # in between have the same office hours, one clamp sum per end replaces the hinge sums.
    uniform = hinges.uniform_periods(ctx.period.start, last) if hinges is not None else None
    if hinges is not None:
        for column in ("eo", "ec"):
            tod = f"({column} - {day(column)} * {DAY})"
            if uniform is not None:
                aggregates.append(
                    "SUM(" + " + ".join(f"{least}({greatest}({tod}, {a}), {b})" for a, b in uniform) + ")"
                )
            else:
                aggregates += [f"SUM({greatest}({tod} - {bound}, 0))" for bound in hinges.bounds]
    fence = " OFFSET 0" if postgres else " LIMIT -1 OFFSET 0"
    sql = (
        f"SELECT {', '.join(select + aggregates)} "
        f"FROM ({inner_sql}{fence}) evaluation_rows GROUP BY {', '.join(k for k in keys if k != 'sk' or (hinges and hinges.schedule_keys))}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            # The fenced inner query is where the per-row work is: let workers share it (the default
            # costs of a parallel plan are tuned for much larger scans).
            cursor.execute("SET LOCAL parallel_setup_cost = 0")
            cursor.execute("SET LOCAL parallel_tuple_cost = 0.001")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if postgres:
            cursor.execute("RESET parallel_setup_cost")
            cursor.execute("RESET parallel_tuple_cost")

    # Add the groups up per object and bit pattern, then per predicate.
    n_at = len(keys)
    sums_at = slice(n_at + 1, n_at + 1 + len(spec.sums))
    by_pattern: dict[tuple[Any, int], list] = {}
    for row in rows:
        acc = by_pattern.get(row[:2])
        if acc is None:
            by_pattern[row[:2]] = [row[n_at], *(v or 0 for v in row[sums_at])]
        else:
            acc[0] += row[n_at]
            for j, value in enumerate(row[sums_at], start=1):
                acc[j] += value or 0
    cohort_bit = bit["_cohort"]
    for (obj, pattern), acc in by_pattern.items():
        if obj is None:
            continue
        counts = tallies[obj].counts
        if with_reports and pattern & bit["_reported"]:
            counts["reports_received"] += acc[0]
            if pattern & bit["_valid"]:
                counts["reports_valid"] += acc[0]
        if not pattern & cohort_bit:
            continue
        counts[spec.total] += acc[0]
        for name in spec.counters:
            if pattern & bit[name]:
                counts[name] += acc[0]
        for j, name in enumerate(spec.sums, start=1):
            counts[name] += acc[j]
    if hinges is None:
        return
    # Σ W(end) − Σ W(start) over the measured cases, from per-day sums (one calendar look-up per object,
    # area and day rather than per group).
    measured_bits = cohort_bit | bit[spec.measured]
    width = 1 if uniform is not None else len(hinges.bounds)
    at = sums_at.stop
    per_day: dict[tuple[Any, str, int, int], list] = {}  # (obj, sk, day, +1 end / −1 start) → [m, sums…]
    for row in rows:
        if row[0] is None or row[1] & measured_bits != measured_bits:
            continue
        m = row[n_at]
        for sign, day, values in (
            (-1, row[3], row[at : at + width]),
            (1, row[4], row[at + width : at + 2 * width]),
        ):
            acc = per_day.get((row[0], row[2], day, sign))
            if acc is None:
                per_day[(row[0], row[2], day, sign)] = [m, *(v or 0.0 for v in values)]
            else:
                acc[0] += m
                for j, value in enumerate(values, start=1):
                    acc[j] += value or 0.0
        tallies[row[0]].span_cases += m
    hinges.prepare([(sk, day) for _obj, sk, day, _sign in per_day])
    for (obj, sk, day, sign), acc in per_day.items():
        if uniform is not None:
            value = hinges.total_uniform(sk, day, acc[0], acc[1], uniform)
        else:
            value = hinges.total(sk, day, acc[0], acc[1:])
        tallies[obj].span_seconds += sign * value


def _cohort_q(ctx: Context) -> Q:
    return Q(
        opened_at__gte=ctx.period.start,
        opened_at__lt=ctx.period.end,
        opened_at__lte=ctx.as_of,
        merged_into__isnull=True,
    ) & ~Q(status__in=(S.CANCELLED, S.MERGED))


def _reported_q(ctx: Context) -> Q:
    return Q(reported_at__gte=ctx.period.start, reported_at__lt=ctx.period.end, reported_at__lte=ctx.as_of)


# ---------------------------------------------------------------------------------------- per object kind


def region_key(level: str):
    return Substr("grid_code", 1, REGION_LEVELS[level])


def region_cohort(
    ctx: Context, scope: Q, level: str, *, spec: Spec = REGION_SPEC, force_python=False, with_reports=True
):
    n = REGION_LEVELS[level]
    return tally_cohort(
        ctx=ctx,
        scope=scope,
        spec=spec,
        key_expression=region_key(level),
        key_of_row=lambda row: row["grid_code"][:n],
        force_python=force_python,
        with_reports=with_reports,
    )


def department_cohort(ctx: Context, scope: Q, *, spec: Spec = DEPARTMENT_SPEC, force_python=False):
    return tally_cohort(
        ctx=ctx,
        scope=scope,
        spec=spec,
        key_expression=F("owner_department__code"),
        key_of_row=lambda row: row["owner_department__code"],
        force_python=force_python,
    )


def valid_report_q(as_of: datetime) -> Q:
    """Opened (立案) by T, or fixed on the spot by the supervisor (自行处置: never opened, reported as
    self-handled and then closed)."""
    return Q(opened_at__lte=as_of) | Q(opened_at__isnull=True, status__in=SELF_HANDLED_STATES)


def reports_in_period(ctx: Context, scope: Q) -> QuerySet[Case]:
    return Case.objects.filter(scope).filter(
        reported_at__gte=ctx.period.start, reported_at__lt=ctx.period.end, reported_at__lte=ctx.as_of
    )


def region_reports_by(ctx: Context, scope: Q, key_expression: Any) -> dict[str, Counter]:
    """监督举报数 (every report received in P by T, whatever became of it) and valid reports."""
    result: dict[str, Counter] = {}
    rows = (
        reports_in_period(ctx, scope)
        .values(obj=key_expression)
        .order_by()
        .annotate(reports_received=Count("pk"), reports_valid=Count("pk", filter=valid_report_q(ctx.as_of)))
    )
    for row in rows:
        result[row["obj"]] = Counter(
            reports_received=row["reports_received"], reports_valid=row["reports_valid"]
        )
    return result


def returned_after(as_of: datetime) -> Exists:
    """A dispatch (the outer CaseEvent) that an approved return (回退) undid by T. Between two dispatches of a
    case there is always an approved return, so any later approved return belongs to this dispatch or a
    later one that itself came after a return."""
    return Exists(
        CaseEvent.objects.filter(
            case_id=OuterRef("case_id"), action="approve_return", seq__gt=OuterRef("seq"), at__lte=as_of
        )
    )


def department_dispatches(ctx: Context, scope: Q) -> dict[int, Counter]:
    """Dispatches (派遣) of cohort cases to each unit by T and how many the unit returned (回退) by T."""
    cohort_ids = cohort_queryset(ctx, scope).values("pk")
    returned = returned_after(ctx.as_of)
    rows = (
        CaseEvent.objects.filter(action="dispatch", at__lte=ctx.as_of, case_id__in=cohort_ids)
        .values(obj=KeyTextTransform("department", "data"))
        .order_by()
        .annotate(dispatches_received=Count("pk"), returns=Count("pk", filter=returned))
    )
    result: dict[int, Counter] = {}
    for row in rows:
        if row["obj"] in (None, ""):
            continue
        result[int(row["obj"])] = Counter(
            dispatches_received=row["dispatches_received"], returns=row["returns"]
        )
    return result


def supervisor_counts(ctx: Context, scope: Q) -> dict[int, Counter]:
    """Per supervisor: reports made in P (and valid ones); verification (核实) and check (核查) tasks due in P
    by T (a task is judged once its deadline has passed; tasks voided with their case are left out) and
    how many were done by their deadline."""
    result: dict[int, Counter] = defaultdict(Counter)
    for row in (
        reports_in_period(ctx, scope)
        .filter(source=Case.Source.SUPERVISOR, reported_by__isnull=False)
        .values(obj=F("reported_by_id"))
        .order_by()
        .annotate(reports=Count("pk"), valid=Count("pk", filter=valid_report_q(ctx.as_of)))
    ):
        result[row["obj"]].update(reports=row["reports"], reports_valid=row["valid"])
    task_scope = _prefixed(scope, "case__")
    voided = Q(done_at__isnull=False, done_at__lte=ctx.as_of, result__isnull=True)
    for row in (
        CaseTask.objects.filter(task_scope)
        .filter(
            assignee__isnull=False,
            due_at__gte=ctx.period.start,
            due_at__lt=ctx.period.end,
            due_at__lte=ctx.as_of,
        )
        .exclude(voided)
        .values("kind", obj=F("assignee_id"))
        .order_by()
        .annotate(
            tasks=Count("pk"),
            on_time=Count("pk", filter=Q(result__isnull=False, done_at__lte=F("due_at"))),
        )
    ):
        prefix = "verify" if row["kind"] == CaseTask.Kind.VERIFY else "check"
        result[row["obj"]].update({f"{prefix}_tasks": row["tasks"], f"{prefix}_on_time": row["on_time"]})
    return dict(result)


def receiver_counts(ctx: Context, scope: Q) -> dict[int, Counter]:
    """Per receiver: reports decided in P by T (立案, 不予立案 or 合并) and how many by the case's
    acceptance deadline (立案时限)."""
    has_deadline = Q(case__open_deadline__isnull=False)
    rows = (
        _events(ctx, scope, ("open", "cancel", "merge"))
        .values(obj=F("actor_id"))
        .order_by()
        .annotate(
            decided=Count("pk"),
            opened=Count("pk", filter=Q(action="open")),
            judged=Count("pk", filter=has_deadline),
            on_time=Count("pk", filter=has_deadline & Q(at__lte=F("case__open_deadline__due_at"))),
        )
    )
    return {row.pop("obj"): Counter(row) for row in rows}


def dispatcher_counts(ctx: Context, scope: Q) -> dict[int, Counter]:
    """Per dispatcher: dispatches in P by T, those returned by T (wrong unit), and of the others those made
    by the case's dispatch deadline (派遣时限)."""
    returned = returned_after(ctx.as_of)
    kept = ~returned & Q(case__dispatch_deadline__isnull=False)
    rows = (
        _events(ctx, scope, ("dispatch",))
        .values(obj=F("actor_id"))
        .order_by()
        .annotate(
            dispatches=Count("pk"),
            returned=Count("pk", filter=returned),
            judged=Count("pk", filter=kept),
            on_time=Count("pk", filter=kept & Q(at__lte=F("case__dispatch_deadline__due_at"))),
        )
    )
    return {row.pop("obj"): Counter(row) for row in rows}


def _events(ctx: Context, scope: Q, actions: tuple[str, ...]) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(_prefixed(scope, "case__")).filter(
        action__in=actions,
        actor__isnull=False,
        at__gte=ctx.period.start,
        at__lt=ctx.period.end,
        at__lte=ctx.as_of,
    )


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition on a related model's columns (`grid_code` → `case__grid_code`)."""
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(_prefixed(child, prefix))
        else:
            key, value = child
            clone.children.append((f"{prefix}{key}", value))
    return clone
