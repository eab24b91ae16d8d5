"""Reads of the evaluation app: the evaluation report of one level and period, and the command centre's
live figures. Everything is restricted to the actor's area scope (`actor=None` is the system: commands)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from django.db.models.functions import Round, Substr, TruncDate

from qingcheng.accounts.models import Department, User
from qingcheng.cases.models import Case
from qingcheng.cases.selectors import in_progress_q, overdue_now_q
from qingcheng.cases.workflow import HANDLING_STATES
from qingcheng.core import clock
from qingcheng.core.access import Actor, require_permission
from qingcheng.core.scope import scope_queryset
from qingcheng.geo.models import AdminArea, GridRevision, UnitGrid

from . import indicators as ind
from .models import ScoringScheme
from .periods import Period, month_of, zone
from .scoring import INDICATORS, grade_for, indicator_values, max_points, ranks, score_for

LEVEL_KIND = {**{level: "region" for level in ind.REGION_LEVELS}, "department": "department"}
LEVEL_KIND.update({level: level for level in ind.POST_LEVELS})
DEPARTMENT_KINDS = (
    Department.Kind.PROFESSIONAL,
    Department.Kind.STREET,
    Department.Kind.COMMUNITY,
    Department.Kind.CONTRACTOR,
    Department.Kind.ENFORCEMENT,
)


def scoring_scheme_active() -> ScoringScheme:
    """The active scheme, or (before any is saved) an unsaved one with the 金华 defaults."""
    scheme = ScoringScheme.objects.filter(is_active=True).first()
    return scheme or ScoringScheme(name="金华方案（默认）", is_active=True)


@dataclass
class ObjectResult:
    code: str
    name: str
    indicators: dict[str, Any]
    score: Decimal | None = None
    grade: str | None = None
    rank: int | None = None
    previous_score: Decimal | None = None
    previous_rank: int | None = None
    pk: int | None = None

    @property
    def score_change(self) -> Decimal | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous period (positive = up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


@dataclass
class Report:
    level: str
    kind: str
    period: Period
    previous_period: Period | None
    as_of: datetime
    scheme: ScoringScheme
    objects: list[ObjectResult]
    total: ObjectResult | None = None
    generated_at: datetime = field(default_factory=clock.now)

    @property
    def indicators(self):
        return INDICATORS[self.kind]

    @property
    def max_points(self) -> Decimal:
        return max_points(self.kind, self.scheme)


# ---------------------------------------------------------------------------------------- counts


def _counts(
    level: str,
    ctx: ind.Context,
    scope: Q,
    *,
    scheme: ScoringScheme,
    score_only: bool,
    force_python: bool = False,
) -> dict[str, tuple[Counter, ind.Tally | None]]:
    """Counts per object key, with the handling-time tally of regions and units."""
    kind = LEVEL_KIND[level]
    if score_only and kind in {"region", "department"}:
        short = ind.score_spec(kind, urgent=scheme.urgent_points > 0, repeat=scheme.repeat_rework_penalty > 0)
    result: dict[str, tuple[Counter, ind.Tally | None]] = {}
    if kind == "region":
        spec = short if score_only else ind.REGION_SPEC
        tallies = ind.region_cohort(
            ctx, scope, level, spec=spec, force_python=force_python, with_reports=not score_only
        )
        return {key: (Counter(tally.counts), tally) for key, tally in tallies.items()}
    if kind == "department":
        spec = short if score_only else ind.DEPARTMENT_SPEC
        tallies = ind.department_cohort(ctx, scope, spec=spec, force_python=force_python)
        dispatches = {} if score_only else ind.department_dispatches(ctx, scope)
        codes = dict(Department.objects.filter(pk__in=dispatches).values_list("pk", "code"))
        by_code = {codes[pk]: counts for pk, counts in dispatches.items() if pk in codes}
        for key in set(tallies) | set(by_code):
            tally = tallies.get(key) or ind.Tally()
            counts = Counter(tally.counts)
            counts.update(by_code.get(key, Counter()))
            result[key] = (counts, tally)
        return result
    counter_fn = {
        "supervisor": ind.supervisor_counts,
        "receiver": ind.receiver_counts,
        "dispatcher": ind.dispatcher_counts,
    }[kind]
    by_user = counter_fn(ctx, scope)
    # People are keyed by their user id: the report, its exports and its page are read by leaders, who
    # must not see login names.
    existing = set(User.objects.filter(pk__in=by_user).values_list("pk", flat=True))
    return {str(pk): (counts, None) for pk, counts in by_user.items() if pk in existing}


_COVERED: dict[tuple, frozenset[str]] = {}


def _covered_prefixes(length: int) -> frozenset[str]:
    """The area codes of one length that the current unit grids cover, per grid revision (every change of
    the grid layer makes a new revision; its creation time tells revisions of rebuilt databases apart)."""
    revision = GridRevision.objects.order_by("-id").values_list("id", "created_at").first()
    key = (revision, length)
    found = _COVERED.get(key)
    if found is None:
        found = frozenset(
            UnitGrid.objects.filter(valid_to__isnull=True)
            .annotate(prefix=Substr("code", 1, length))
            .order_by()
            .values_list("prefix", flat=True)
            .distinct()
        )
        if len(_COVERED) > 64:
            _COVERED.clear()
        _COVERED[key] = found
    return found


def _region_names(actor: Any, level: str, keys: set[str]) -> dict[str, str]:
    """Every area of the level that the unit grids cover in the actor's scope (with or without cases), plus
    any code with cases."""
    if level == "grid":
        names = {}
        for code, community in UnitGrid.objects.filter(code__in=keys, valid_to__isnull=True).values_list(
            "code", "community__name"
        ):
            names[code] = f"{community} {code[-3:]}"
        return {key: names.get(key, key) for key in keys}
    areas = AdminArea.objects.filter(level=level, code__in=_covered_prefixes(ind.REGION_LEVELS[level]))
    if actor is not None:
        areas = scope_queryset(areas, actor, "code")
    names = dict(areas.values_list("code", "name"))
    missing = keys - set(names)
    if missing:
        names.update(AdminArea.objects.filter(code__in=missing).values_list("code", "name"))
    return {**{key: key for key in keys}, **names}


def _department_names(actor: Any, keys: set[str]) -> dict[str, tuple[str, int]]:
    units = Department.objects.filter(is_active=True, kind__in=DEPARTMENT_KINDS)
    if actor is not None:
        units = scope_queryset(units, actor, "area_code")
    rows = {code: (name, pk) for pk, code, name in units.values_list("pk", "code", "name")}
    for pk, code, name in Department.objects.filter(code__in=keys - set(rows)).values_list(
        "pk", "code", "name"
    ):
        rows[code] = (name, pk)
    return rows


def _post_names(actor: Any, role: str, keys: set[str]) -> dict[str, tuple[str, int]]:
    people = User.objects.filter(is_active=True, groups__name=role)
    if actor is not None:
        people = scope_queryset(people, actor, "area_code")
    ids = [int(key) for key in keys if key.isdigit()]
    people = User.objects.filter(Q(pk__in=people.values("pk")) | Q(pk__in=ids))
    return {str(person.pk): (str(person), person.pk) for person in people}


# ---------------------------------------------------------------------------------------- the report


def evaluation_report(
    *,
    actor: Any,
    period: Period,
    level: str,
    as_of: datetime | None = None,
    scheme: ScoringScheme | None = None,
    with_previous: bool = True,
    force_python: bool = False,
) -> Report:
    """The evaluation of every object of `level` for `period` as known at `as_of` (default now): every
    indicator, the composite score, its colour grade, the rank and the change since the previous period
    (computed as known at the same instant). `force_python` rebuilds every case from its timeline instead
    of using the SQL aggregates (for tests: both must agree)."""
    if level not in LEVEL_KIND:
        raise ValueError(f"unknown level {level!r}")
    as_of = as_of or clock.now()
    scheme = scheme or scoring_scheme_active()
    kind = LEVEL_KIND[level]
    previous = period.previous() if with_previous else None
    report = Report(level, kind, period, previous, as_of, scheme, [])
    try:
        scope = ind.case_scope_q(actor)
    except ind.NoScope:
        return report
    ctx = ind.Context(period, as_of, scheme.repeat_rework_threshold)
    counts = _counts(level, ctx, scope, scheme=scheme, score_only=False, force_python=force_python)
    keys = set(counts)
    if kind == "region":
        names = {key: (name, None) for key, name in _region_names(actor, level, keys).items()}
    elif kind == "department":
        names = _department_names(actor, keys)
    else:
        names = _post_names(actor, level, keys)
    full = max_points(kind, scheme)
    objects: dict[str, ObjectResult] = {}
    total_counts: Counter = Counter()
    total_span = ind.Tally()
    for key in sorted(set(names) | keys):
        counter, tally = counts.get(key, (Counter(), None))
        values, rates = indicator_values(kind, counter, mean_hours=tally.mean_hours() if tally else None)
        score = score_for(kind, scheme, counter, rates)
        name, pk = names.get(key, (key, None))
        objects[key] = ObjectResult(key, name, values, score, grade_for(score, full, scheme), pk=pk)
        total_counts.update(counter)
        if tally is not None:
            total_span.span_seconds += tally.span_seconds
            total_span.span_cases += tally.span_cases
    for key, rank in ranks({k: o.score for k, o in objects.items()}).items():
        objects[key].rank = rank
    if previous is not None:
        before = _counts(
            level,
            ind.Context(previous, as_of, scheme.repeat_rework_threshold),
            scope,
            scheme=scheme,
            score_only=True,
        )
        before_scores = {}
        for key, (counter, _tally) in before.items():
            _values, rates = indicator_values(kind, counter)
            before_scores[key] = score_for(kind, scheme, counter, rates)
        for key, rank in ranks(before_scores).items():
            if key in objects:
                objects[key].previous_score = before_scores[key]
                objects[key].previous_rank = rank
    report.objects = sorted(
        objects.values(), key=lambda o: (o.rank is None, o.rank or 0, -(o.score or 0), o.code)
    )
    if kind in {"region", "department"}:
        values, rates = indicator_values(kind, total_counts, mean_hours=total_span.mean_hours())
        score = score_for(kind, scheme, total_counts, rates)
        report.total = ObjectResult("", "", values, score, grade_for(score, full, scheme))
    return report


# ---------------------------------------------------------------------------------------- command centre

STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "intake": (Case.Status.REPORTED, Case.Status.VERIFYING, Case.Status.VERIFIED),
    "dispatch": (Case.Status.OPENED,),
    "handling": tuple(HANDLING_STATES),
    "on_hold": (Case.Status.PARKED, Case.Status.DEFERRED),
    "checking": (
        Case.Status.FEEDBACK,
        Case.Status.CHECKING,
        Case.Status.CHECK_PASSED,
        Case.Status.SELF_HANDLED,
    ),
    "closed": (Case.Status.CLOSED,),
}
GROUP_OF_STATUS = {status: group for group, statuses in STATUS_GROUPS.items() for status in statuses}
MAP_LIMIT = 3000
HEAT_DAYS = 30
HEAT_CELL_DEGREES = 3  # decimals of longitude/latitude per heat cell (0.001° ≈ 100 m)


def command_centre_data(*, actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    """Everything the command centre (指挥大屏) shows, in the actor's scope, as of now; only for holders of
    its permission."""
    require_permission(actor, "evaluation.view_command_centre")
    now = now or clock.now()
    tz = zone()
    today = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        scope = ind.case_scope_q(actor)
    except ind.NoScope:
        scope = Q(pk__in=[])
    cases = Case.objects.filter(scope)
    counters = cases.aggregate(
        reported_today=Count("pk", filter=Q(reported_at__gte=today, reported_at__lte=now)),
        opened_today=Count("pk", filter=Q(opened_at__gte=today, opened_at__lte=now)),
        closed_today=Count(
            "pk", filter=Q(status=Case.Status.CLOSED, closed_at__gte=today, closed_at__lte=now)
        ),
        overdue=Count("pk", filter=overdue_now_q(now)),
        open=Count("pk", filter=in_progress_q()),  # in progress (在办), labelled "Open cases"
    )
    markers = []
    visible = cases.filter(in_progress_q() | Q(status=Case.Status.CLOSED, closed_at__gte=today))
    overdue_q = overdue_now_q(now)
    for row in (
        visible.annotate(late=ExpressionWrapper(overdue_q, output_field=BooleanField()))
        .order_by("-late", "-reported_at")
        .values("number", "lon", "lat", "status", "late", "category__name")[:MAP_LIMIT]
    ):
        markers.append(
            [
                round(row["lat"], 6),
                round(row["lon"], 6),
                GROUP_OF_STATUS.get(row["status"], "intake"),
                1 if row["late"] else 0,
                row["number"],
                row["category__name"] or "",
            ]
        )
    since = today - timedelta(days=HEAT_DAYS - 1)
    heat = [
        [row["y"], row["x"], row["n"]]
        for row in cases.filter(reported_at__gte=since, reported_at__lte=now)
        .exclude(status__in=(Case.Status.CANCELLED, Case.Status.MERGED))
        .values(y=Round("lat", HEAT_CELL_DEGREES), x=Round("lon", HEAT_CELL_DEGREES))
        .order_by()
        .annotate(n=Count("pk"))
    ]
    days = [(since + timedelta(days=i)).date() for i in range(HEAT_DAYS)]
    trend = {name: dict.fromkeys(days, 0) for name in ("reported", "opened", "closed")}
    for name, column in (("reported", "reported_at"), ("opened", "opened_at"), ("closed", "closed_at")):
        filters = {f"{column}__gte": since, f"{column}__lte": now}
        if name == "closed":
            filters["status"] = Case.Status.CLOSED
        for row in (
            cases.filter(**filters)
            .values(day=TruncDate(column, tzinfo=tz))
            .order_by()
            .annotate(n=Count("pk"))
        ):
            if row["day"] in trend[name]:
                trend[name][row["day"]] = row["n"]
    month = month_of(now)
    subclasses = list(
        cases.filter(reported_at__gte=month.start, reported_at__lte=now, category__isnull=False)
        .exclude(status__in=(Case.Status.CANCELLED, Case.Status.MERGED))
        .values(code=F("category__code"), name=F("category__name"))
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n", "code")[:10]
    )
    ranking = evaluation_report(actor=actor, period=month, level="department", as_of=now, with_previous=False)
    departments = [
        {
            "code": o.code,
            "name": o.name,
            "score": _number(o.score),
            "grade": o.grade,
            "rank": o.rank,
            "assigned": o.indicators["assigned"],
            "on_time_rate": _number(o.indicators["on_time_handle_rate"]),
        }
        for o in ranking.objects
        if o.rank is not None
    ][:10]
    return {
        "now": now.astimezone(tz).isoformat(timespec="seconds"),
        "counters": counters,
        "markers": markers,
        "markers_truncated": visible.count() > MAP_LIMIT,
        "heat": heat,
        "trend": {
            "days": [d.isoformat() for d in days],
            **{name: list(values.values()) for name, values in trend.items()},
        },
        "subclasses": subclasses,
        "departments": departments,
        "month": month.label,
    }


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
