"""Working time (工作时间): deadline arithmetic in Chinese working time.

Which days are worked comes from, in this order:
1. `CalendarOverride` rows (extra holidays and make-up workdays 调休上班), which always win;
2. `chinesecalendar` (statutory holidays and make-up workdays) for the years it covers;
3. otherwise Saturday/Sunday rest days (the fallback).

A year is *official* when the library covers it or a `CalendarYear` row says its State Council schedule
(国务院办公厅节假日安排) has been entered as overrides. Any result that looked at a day in a non-official
year is *provisional*: it is still a usable deadline (never a crash), but it says so (never a silent
guess), and stored `Deadline` rows are recomputed by `calendar_year_mark_official`.

Office hours per day come from `WorkSchedule` (longest area prefix, then season, then priority) or
`settings.WORKTIME_DEFAULT_PERIODS`.

Conventions:
- Datetimes in must be aware; results are aware in the bureau's time zone (`settings.TIME_ZONE`,
  Asia/Shanghai), whatever time zone a request has activated, because office hours are the bureau's
  wall clock. Arithmetic is done on that wall clock (China has had no daylight saving since 1991).
- Hour amounts are rounded to whole seconds (so 0.333333 h is exactly 20 minutes); `add_working_time`
  takes a `timedelta` and is exact to the microsecond.
- The start day is never counted for day amounts (期间开始的日不计算在期间内).
- Calendar-day deadlines are due at 23:59:59 local time of the last day (the last whole second of the
  day, so the date shown is the due day); working-day deadlines at the close of business of that day.

Every function takes an optional `calendar=` (a `WorkCalendar` snapshot): one computation loads the
override, year and schedule tables once; a sweep over thousands of deadlines passes one snapshot to all
of them. Nothing is cached across computations, so no process ever sees a stale table.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import functools
import logging
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

import chinese_calendar
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import audit_record, model_snapshot
from .inputs import date_in_range, year_in_range
from .models import CalendarOverride, CalendarYear, Deadline, WorkSchedule

logger = logging.getLogger("qingcheng.worktime")

ONE_DAY = dt.timedelta(days=1)
END_OF_DAY = dt.time(23, 59, 59)
AMOUNT_QUANTUM = Decimal("0.000001")  # matches Deadline.amount's decimal_places
# A calendar with no working day for this many consecutive days is misconfigured (e.g. a year of
# holiday overrides); stop with a clear error rather than loop for ever.
MAX_DAYS_WITHOUT_WORK = 400

DaySource = Literal["override", "official", "fallback"]
Number = int | float | Decimal

_CHINESE_HOLIDAY_NAMES = {h.value: h.chinese for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class DayInfo:
    is_workday: bool
    name: str
    source: DaySource
    provisional: bool


@dataclass(frozen=True)
class DeadlineResult:
    due_at: dt.datetime
    provisional: bool
    # The non-official years the computation looked at, so a caller can say which schedule is missing.
    provisional_years: tuple[int, ...] = ()


@functools.cache
def library_covers(year: int) -> bool:
    """Whether `chinesecalendar` has data for `year`. Probed rather than hard-coded, so upgrading the
    library extends the range without a code change; the library cannot change while a process runs."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _parse_time(value: str | dt.time) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(value)


def _month_day(day: dt.date) -> str:
    return f"{day.month:02d}-{day.day:02d}"


@dataclass(frozen=True)
class _Schedule:
    pk: int
    area_code: str
    valid_from: str
    valid_to: str
    priority: int
    periods: tuple[tuple[dt.time, dt.time], ...]

    def contains(self, month_day: str) -> bool:
        if self.valid_from <= self.valid_to:
            return self.valid_from <= month_day <= self.valid_to
        # A season that wraps over the new year, e.g. winter 10-01 .. 04-30.
        return month_day >= self.valid_from or month_day <= self.valid_to


@dataclass
class WorkCalendar:
    """A snapshot of the override, year and schedule tables for one computation (or one sweep)."""

    overrides: dict[dt.date, tuple[bool, str]]
    marked_official_years: frozenset[int]
    schedules: tuple[_Schedule, ...]
    default_periods: tuple[tuple[dt.time, dt.time], ...]
    _days: dict[dt.date, DayInfo] = field(default_factory=dict, repr=False)
    _periods: dict[tuple[str, str], tuple[tuple[dt.time, dt.time], ...]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def load(cls) -> WorkCalendar:
        overrides = {
            row.date: (row.kind == CalendarOverride.Kind.WORKDAY, row.name)
            for row in CalendarOverride.objects.only("date", "kind", "name")
        }
        years = frozenset(
            CalendarYear.objects.filter(official_schedule_entered=True).values_list("year", flat=True)
        )
        schedules = []
        for row in WorkSchedule.objects.all():
            periods = [(row.morning_start, row.morning_end)]
            if row.afternoon_start is not None and row.afternoon_end is not None:
                periods.append((row.afternoon_start, row.afternoon_end))
            schedules.append(
                _Schedule(
                    pk=row.pk,
                    area_code=row.area_code,
                    valid_from=row.valid_from_month_day,
                    valid_to=row.valid_to_month_day,
                    priority=row.priority,
                    periods=tuple(periods),
                )
            )
        default = tuple((_parse_time(a), _parse_time(b)) for a, b in settings.WORKTIME_DEFAULT_PERIODS)
        return cls(
            overrides=overrides,
            marked_official_years=years,
            schedules=tuple(schedules),
            default_periods=default,
        )

    @classmethod
    def shared(cls) -> WorkCalendar:
        """A process-wide snapshot for hot paths (case intake), reloaded after WORKTIME_CACHE_SECONDS and
        at once when this process saves an override, year or schedule. Other processes see a change within
        the cache period; a deadline stored in between can be recomputed like a provisional one."""
        now = time.monotonic()
        cached = _shared_calendar[0]
        if cached is None or now - _shared_calendar[1] > getattr(settings, "WORKTIME_CACHE_SECONDS", 30):
            cached = cls.load()
            _shared_calendar[0], _shared_calendar[1] = cached, now
        return cached

    def year_is_official(self, year: int) -> bool:
        return library_covers(year) or year in self.marked_official_years

    def day_info(self, day: dt.date) -> DayInfo:
        info = self._days.get(day)
        if info is None:
            info = self._compute_day_info(day)
            self._days[day] = info
        return info

    def _compute_day_info(self, day: dt.date) -> DayInfo:
        # A computation that walks out of the window (a long period from its edge) stops here rather
        # than at the end of Python's calendar with an OverflowError.
        _in_window(day, "day")
        provisional = not self.year_is_official(day.year)
        override = self.overrides.get(day)
        if override is not None:
            return DayInfo(
                is_workday=override[0], name=override[1], source="override", provisional=provisional
            )
        if library_covers(day.year):
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            name = _CHINESE_HOLIDAY_NAMES.get(name, name or "")
            return DayInfo(is_workday=not is_holiday, name=name, source="official", provisional=False)
        # A year marked official holds its whole schedule in the overrides, so a day without one is an
        # ordinary weekday or weekend: that is official, not a guess.
        source: DaySource = "fallback" if provisional else "official"
        return DayInfo(is_workday=day.weekday() < 5, name="", source=source, provisional=provisional)

    def periods(self, day: dt.date, area_code: str = "") -> tuple[tuple[dt.time, dt.time], ...]:
        """Office hours of `day` in `area_code`, whether or not the day is worked."""
        month_day = _month_day(day)
        key = (area_code, month_day)
        found = self._periods.get(key)
        if found is None:
            candidates = [
                s for s in self.schedules if area_code.startswith(s.area_code) and s.contains(month_day)
            ]
            if candidates:
                best = max(candidates, key=lambda s: (len(s.area_code), s.priority, -s.pk))
                found = best.periods
            else:
                found = self.default_periods
            self._periods[key] = found
        return found

    def working_intervals(self, day: dt.date, area_code: str = "") -> list[tuple[dt.datetime, dt.datetime]]:
        """The working periods of `day` as naive local datetimes; empty on a rest day."""
        if not self.day_info(day).is_workday:
            return []
        return [
            (dt.datetime.combine(day, a), dt.datetime.combine(day, b))
            for a, b in self.periods(day, area_code)
        ]

    def provisional_years(self, first: dt.date, last: dt.date) -> tuple[int, ...]:
        return tuple(y for y in range(first.year, last.year + 1) if not self.year_is_official(y))

    def result(self, due_local: dt.datetime, first: dt.date, last: dt.date) -> DeadlineResult:
        years = self.provisional_years(first, last)
        return DeadlineResult(due_at=_from_local(due_local), provisional=bool(years), provisional_years=years)


# --- conversions -------------------------------------------------------------------------------------


def _in_window(value: dt.date, what: str) -> dt.date:
    """The calendar only reasons about years MIN_YEAR..MAX_YEAR (core.inputs): before them there is no
    calendar of this state and the library raises, after them datetime arithmetic overflows."""
    return date_in_range(value, what, "日期", what)


def _tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def _to_local(value: dt.datetime, what: str = "datetime") -> dt.datetime:
    """An aware datetime as a naive wall-clock datetime in the bureau's time zone."""
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what} is a naive datetime ({value.isoformat()}); working time needs an aware datetime "
            "(use django.utils.timezone.now() or make_aware())"
        )
    # Check before converting: year 1 at +14:00 has no UTC instant and would overflow.
    _in_window(value, what)
    return _in_window(value.astimezone(_tz()).replace(tzinfo=None), what)


def _from_local(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=_tz())


def _local_date(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return _to_local(value).date()
    if not isinstance(value, dt.date):
        raise TypeError(f"expected a date, not {type(value).__name__}")
    return _in_window(value, "day")


def _decimal(amount: Number | str, what: str) -> Decimal:
    if isinstance(amount, bool):
        raise TypeError(f"{what} must be a number, not a bool")
    try:
        value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not a number: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, not {amount!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, not {amount!r}")
    return value


def hours_to_timedelta(hours: Number | str) -> dt.timedelta:
    """Hours as a duration rounded to whole seconds (half up), so stored 6-decimal hours are exact minutes."""
    seconds = (_decimal(hours, "hours") * 3600).to_integral_value(rounding=ROUND_HALF_UP)
    return dt.timedelta(seconds=int(seconds))


def _whole_days(days: Number | str) -> int:
    value = _decimal(days, "days")
    if value != value.to_integral_value():
        raise ValueError(f"days must be a whole number, not {days!r}")
    return int(value)


def _next_workday(cal: WorkCalendar, day: dt.date, *, include: bool) -> dt.date:
    """The first workday on or after (`include`) or strictly after `day`."""
    if not include:
        day += ONE_DAY
    for _i in range(MAX_DAYS_WITHOUT_WORK):
        if cal.day_info(day).is_workday:
            return day
        day += ONE_DAY
    raise ValueError(f"no working day within {MAX_DAYS_WITHOUT_WORK} days of {day}; check calendar overrides")


# --- day queries -------------------------------------------------------------------------------------


def day_kind(day: dt.date, *, calendar: WorkCalendar | None = None) -> DayInfo:
    """Whether `day` is worked, the holiday name if any, where that came from, and whether it is
    provisional. An aware datetime is taken as its local date."""
    cal = calendar or WorkCalendar.load()
    return cal.day_info(_local_date(day))


def is_workday(day: dt.date, *, calendar: WorkCalendar | None = None) -> bool:
    return day_kind(day, calendar=calendar).is_workday


def next_workday(day: dt.date, *, calendar: WorkCalendar | None = None) -> dt.date:
    """`day` itself when it is worked, else the first working day after it: a period whose last day is a
    rest day ends on the next working day (民法典 第二百零三条)."""
    return _next_workday(calendar or WorkCalendar.load(), day, include=True)


# --- deadline arithmetic -----------------------------------------------------------------------------


def add_working_time(
    start: dt.datetime,
    duration: dt.timedelta,
    *,
    area_code: str = "",
    calendar: WorkCalendar | None = None,
) -> DeadlineResult:
    """`start` plus `duration` of working time. Counting begins at `start` if it lies in a working
    period, else at the next period start; the result lies inside a period (start < due ≤ end), so a
    deadline that uses up a morning is due at 12:00, not at 14:30. A zero duration returns `start`."""
    local = _to_local(start, "start")
    if not isinstance(duration, dt.timedelta):
        raise TypeError(f"duration must be a timedelta, not {type(duration).__name__}")
    if duration < dt.timedelta(0):
        raise ValueError(f"duration must not be negative, not {duration}")
    if not duration:
        return DeadlineResult(due_at=_from_local(local), provisional=False)
    cal = calendar or WorkCalendar.load()
    remaining = duration
    day = local.date()
    idle_days = 0
    while True:
        intervals = cal.working_intervals(day, area_code)
        for period_start, period_end in intervals:
            if period_end <= local:
                continue
            begin = max(period_start, local)
            available = period_end - begin
            if remaining <= available:
                return cal.result(begin + remaining, local.date(), day)
            remaining -= available
        idle_days = 0 if intervals else idle_days + 1
        if idle_days > MAX_DAYS_WITHOUT_WORK:
            raise ValueError(
                f"no working time within {MAX_DAYS_WITHOUT_WORK} days before {day}; check the calendar"
            )
        day += ONE_DAY


def add_working_hours(
    start: dt.datetime,
    hours: Number,
    *,
    area_code: str = "",
    calendar: WorkCalendar | None = None,
) -> DeadlineResult:
    """`start` plus `hours` working hours (工作时), e.g. "处置时限 4 个工作时"."""
    return add_working_time(start, hours_to_timedelta(hours), area_code=area_code, calendar=calendar)


def add_working_days(
    start: dt.datetime,
    days: int,
    *,
    area_code: str = "",
    calendar: WorkCalendar | None = None,
) -> DeadlineResult:
    """Due at the close of business of the `days`-th working day after the start day (工作日; the start
    day itself is not counted, 期间开始的日不计算在期间内). The short periods of the Administrative
    Penalty Law (行政处罚法 2021 第八十五条: "二日""三日""五日""七日" are working days) use this.
    Zero days means the close of business of the start day, or of the next working day if it is a rest day."""
    local = _to_local(start, "start")
    count = _whole_days(days)
    cal = calendar or WorkCalendar.load()
    first = local.date() if count == 0 else local.date() + ONE_DAY
    day = _next_workday(cal, local.date(), include=count == 0)
    for _i in range(count - 1):
        day = _next_workday(cal, day, include=False)
    close_of_business = cal.working_intervals(day, area_code)[-1][1]
    return cal.result(close_of_business, first, day)


def add_calendar_days(
    start: dt.datetime,
    days: int,
    *,
    area_code: str = "",
    calendar: WorkCalendar | None = None,
) -> DeadlineResult:
    """Due at 23:59:59 local time of the start date plus `days` calendar days (日; the start day is not
    counted). If that last day is a rest day, the period ends on the next working day instead:
    期间届满的最后一日是法定休假日的，以法定休假日后的第一日为期间届满的日期 (民事诉讼法 2021 第八十五条,
    applied likewise to administrative procedure). Only the last day rolls; rest days inside the period
    count.
    `area_code` is accepted for a uniform signature: the day's end does not depend on office hours."""
    local = _to_local(start, "start")
    count = _whole_days(days)
    cal = calendar or WorkCalendar.load()
    target = local.date() + dt.timedelta(days=count)
    day = _next_workday(cal, target, include=True)
    return cal.result(dt.datetime.combine(day, END_OF_DAY), target, day)


def shift_months(day: dt.date, months: int) -> dt.date:
    """Plain calendar arithmetic: the same day `months` later (or earlier), the month's last day when it
    has none (31 Jan + 1 → 28/29 Feb). No window check: ValueError only past year 9999."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, pycalendar.monthrange(year, month)[1]))


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day `months` later; the month's last day when it has none (民法典 第二百零二条:
    到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的最后一日), e.g. 31 Jan + 1 → 28/29 Feb.
    A legal period: both ends must lie in the calendar's years (else ValidationFailed)."""
    _in_window(day, "day")
    index = day.month - 1 + months
    year = day.year + index // 12
    if not year_in_range(year):
        _in_window(dt.date(max(1, min(year, 9999)), 1, 1), "day")
    return shift_months(day, months)


def add_clock_hours(start: dt.datetime, hours: Number) -> DeadlineResult:
    """`start` plus plain elapsed hours (小时, e.g. a 24-hour emergency response): never rolls over rest
    days, never provisional, no database access."""
    local = _to_local(start, "start")
    return DeadlineResult(due_at=_from_local(local + hours_to_timedelta(hours)), provisional=False)


def working_time_between(
    a: dt.datetime,
    b: dt.datetime,
    *,
    area_code: str = "",
    calendar: WorkCalendar | None = None,
) -> dt.timedelta:
    """The working time inside [a, b]; negative when b is before a (e.g. how far past a deadline).
    Inverse of `add_working_time`: between(s, add_working_time(s, d).due_at) == d for every d > 0.
    `provisional_years_between` says whether the answer rests on a fallback year."""
    local_a, local_b = _to_local(a, "a"), _to_local(b, "b")
    if local_b < local_a:
        return -working_time_between(b, a, area_code=area_code, calendar=calendar)
    cal = calendar or WorkCalendar.load()
    total = dt.timedelta(0)
    day = local_a.date()
    while day <= local_b.date():
        for period_start, period_end in cal.working_intervals(day, area_code):
            low, high = max(period_start, local_a), min(period_end, local_b)
            if high > low:
                total += high - low
        day += ONE_DAY
    return total


def provisional_years_between(
    a: dt.datetime, b: dt.datetime, *, calendar: WorkCalendar | None = None
) -> tuple[int, ...]:
    """The years between `a` and `b` (either order) that have no official schedule yet."""
    first, last = sorted((_to_local(a, "a").date(), _to_local(b, "b").date()))
    return (calendar or WorkCalendar.load()).provisional_years(first, last)


_COMPUTERS = {
    Deadline.Kind.WORKING_HOURS: lambda start, amount, area, cal: add_working_hours(
        start, amount, area_code=area, calendar=cal
    ),
    Deadline.Kind.WORKING_DAYS: lambda start, amount, area, cal: add_working_days(
        start, amount, area_code=area, calendar=cal
    ),
    Deadline.Kind.CALENDAR_DAYS: lambda start, amount, area, cal: add_calendar_days(
        start, amount, area_code=area, calendar=cal
    ),
    Deadline.Kind.CLOCK_HOURS: lambda start, amount, area, cal: add_clock_hours(start, amount),
}


def deadline_compute(
    *,
    kind: str,
    start: dt.datetime,
    amount: Number,
    area_code: str = "",
    calendar: WorkCalendar | None = None,
) -> DeadlineResult:
    """Dispatch on `kind` (a `Deadline.Kind` value); `amount` is in hours or days accordingly."""
    if kind not in Deadline.Kind.values:
        raise ValueError(f"unknown deadline kind {kind!r}; expected one of {Deadline.Kind.values}")
    return _COMPUTERS[Deadline.Kind(kind)](start, amount, area_code, calendar)


# --- services ----------------------------------------------------------------------------------------


def _deadline_state(deadline: Deadline) -> dict[str, Any]:
    return {"due_at": deadline.due_at.isoformat(), "provisional": deadline.provisional}


@transaction.atomic
def deadline_create(
    *,
    kind: str,
    start: dt.datetime,
    amount: Number,
    area_code: str = "",
    purpose: str = "",
    actor: Any | None = None,
    calendar: WorkCalendar | None = None,
    audit: bool = True,
) -> Deadline:
    """Compute and store a deadline; the caller keeps a foreign key to it. A caller that records the
    deadline in its own audit entry (a case action) passes `audit=False` to avoid a second entry."""
    stored_amount = _decimal(amount, "amount").quantize(AMOUNT_QUANTUM)
    # Compute from the stored amount so that a later recomputation starts from exactly the same input.
    result = deadline_compute(
        kind=kind, start=start, amount=stored_amount, area_code=area_code, calendar=calendar
    )
    deadline = Deadline.objects.create(
        kind=kind,
        start=start,
        amount=stored_amount,
        area_code=area_code,
        due_at=result.due_at,
        provisional=result.provisional,
        computed_at=timezone.now(),
        purpose=purpose,
    )
    if audit:
        audit_record(actor=actor, action="deadline.create", obj=deadline, after=model_snapshot(deadline))
    return deadline


def _touches_official_year(cal: WorkCalendar, deadline: Deadline, year: int | None) -> bool:
    first, last = _to_local(deadline.start).year, _to_local(deadline.due_at).year
    if year is not None:
        return first <= year <= last and cal.year_is_official(year)
    return any(cal.year_is_official(y) for y in range(first, last + 1))


@transaction.atomic
def deadline_recompute_provisional(*, year: int | None = None, actor: Any | None = None) -> int:
    """Recompute every provisional deadline whose period touches `year` (or any year) that is now
    official, e.g. after its schedule was entered or the library was upgraded. Returns how many
    deadlines changed; each change (old and new `due_at`) goes to the audit log."""
    cal = WorkCalendar.load()
    queryset = Deadline.objects.filter(provisional=True)
    if year is not None:
        tz = _tz()
        queryset = queryset.filter(
            start__lt=dt.datetime(year + 1, 1, 1, tzinfo=tz), due_at__gte=dt.datetime(year, 1, 1, tzinfo=tz)
        )
    changed = 0
    for deadline in queryset.select_for_update().order_by("pk"):
        if not _touches_official_year(cal, deadline, year):
            continue
        result = deadline_compute(
            kind=deadline.kind,
            start=deadline.start,
            amount=deadline.amount,
            area_code=deadline.area_code,
            calendar=cal,
        )
        if result.due_at == deadline.due_at and result.provisional == deadline.provisional:
            continue
        before = _deadline_state(deadline)
        deadline.due_at = result.due_at
        deadline.provisional = result.provisional
        deadline.computed_at = timezone.now()
        deadline.save(update_fields=["due_at", "provisional", "computed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="deadline.recompute",
            obj=deadline,
            before=before,
            after=_deadline_state(deadline),
            note="official holiday schedule entered",
        )
        changed += 1
    if changed:
        logger.info("recomputed %d provisional deadlines (year=%s)", changed, year)
    return changed


@transaction.atomic
def calendar_year_mark_official(*, year: int, actor: Any | None = None) -> int:
    """Record that `year`'s State Council schedule has been entered as overrides, then recompute the
    provisional deadlines that touch it. Returns how many deadlines changed."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise ValueError(f"year must be an integer, not {year!r}")
    if not year_in_range(year):
        _in_window(dt.date(max(1, min(year, 9999)), 1, 1), "year")
    from .access import require_city_wide

    # One calendar serves every district's deadlines.
    require_city_wide(actor, "core.change_calendaryear")
    row, created = CalendarYear.objects.select_for_update().get_or_create(year=year)
    before = None if created else model_snapshot(row)
    row.official_schedule_entered = True
    row.entered_at = timezone.now()
    row.save()
    audit_record(
        actor=actor, action="calendar_year.mark_official", obj=row, before=before, after=model_snapshot(row)
    )
    return deadline_recompute_provisional(year=year, actor=actor)


_WARN_CURRENT = _(
    "No official holiday schedule for {year}: deadlines in {year} are computed with Saturday and Sunday "
    "as the only rest days and marked provisional. Enter the State Council schedule for {year} as "
    "calendar overrides and mark the year official."
)
_WARN_NEXT = _(
    "The official holiday schedule for {year} has not been entered yet: deadlines reaching into {year} "
    "are provisional. Enter the State Council schedule for {year} as calendar overrides and mark the "
    "year official."
)


def calendar_warnings(today: dt.date | None = None) -> list[str]:
    """Warnings for administrators, in the active language: the current year has no official schedule,
    or (from 1 December on) next year has none yet."""
    today = today or timezone.localdate()
    marked = set(CalendarYear.objects.filter(official_schedule_entered=True).values_list("year", flat=True))

    def official(year: int) -> bool:
        return library_covers(year) or year in marked

    warnings = []
    if not official(today.year):
        warnings.append(str(_WARN_CURRENT).format(year=today.year))
    if today.month == 12 and not official(today.year + 1):
        warnings.append(str(_WARN_NEXT).format(year=today.year + 1))
    return warnings


_shared_calendar: list[Any] = [None, 0.0]


def _forget_shared_calendar(sender, **kwargs) -> None:
    _shared_calendar[0] = None


for _model in (CalendarOverride, CalendarYear, WorkSchedule):
    post_save.connect(
        _forget_shared_calendar, sender=_model, dispatch_uid=f"worktime-shared-{_model.__name__}"
    )
    post_delete.connect(
        _forget_shared_calendar, sender=_model, dispatch_uid=f"worktime-shared-del-{_model.__name__}"
    )
