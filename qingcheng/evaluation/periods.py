"""Evaluation periods: a calendar month, quarter or year, or a custom range of days, in local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from qingcheng.core.inputs import MAX_YEAR, MIN_YEAR, year_in_range
from qingcheng.core.worktime import shift_months

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, zone())


@dataclass(frozen=True)
class Period:
    """[start, end) between local midnights. `label` is what the user typed, normalised."""

    kind: str  # month | quarter | year | range
    first_day: date
    last_day: date  # inclusive

    @property
    def start(self) -> datetime:
        return _midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return _midnight(self.last_day + timedelta(days=1))

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first_day:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first_day.year}-Q{(self.first_day.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.first_day.year}"
        return f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> Period:
        """The period of the same kind just before (a custom range: as many days, ending the day before)."""
        if self.kind in {"month", "quarter", "year"}:
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            start = shift_months(self.first_day, -months)
            return _calendar_period(self.kind, start.year, start.month, months)
        last = self.first_day - timedelta(days=1)
        return Period("range", last - timedelta(days=self.days - 1), last)


def _calendar_period(kind: str, year: int, month: int, months: int) -> Period:
    first_day = date(year, month, 1)
    return Period(kind, first_day, shift_months(first_day, months) - timedelta(days=1))


def parse_period(text: str) -> Period:
    """`2026-10` (month), `2026-Q4` (quarter), `2026` (year) or `2026-10-01..2026-10-15` (days, both
    included). Raises ValueError."""
    text = (text or "").strip()
    period = _parse(text)
    # Outside the window the indicators' date arithmetic overflows (year 1 has no previous period).
    if not (year_in_range(period.first_day.year) and year_in_range(period.last_day.year)):
        raise ValueError(f"a period must lie between the years {MIN_YEAR} and {MAX_YEAR}")
    return period


def _parse(text: str) -> Period:
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"no month {month}")
        return _calendar_period("month", year, month, 1)
    if m := _QUARTER.match(text):
        year, quarter = int(m.group(1)), int(m.group(2))
        return _calendar_period("quarter", year, 3 * quarter - 2, 3)
    if m := _YEAR.match(text):
        return _calendar_period("year", int(m.group(1)), 1, 12)
    if m := _RANGE.match(text):
        first, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        if last < first:
            raise ValueError("the range ends before it starts")
        if (last - first).days > 366 * 5:
            raise ValueError("the range is longer than five years")
        return Period("range", first, last)
    raise ValueError(f"not a period: {text!r} (use 2026-10, 2026-Q4, 2026 or 2026-10-01..2026-10-15)")


def month_of(moment: datetime) -> Period:
    local = moment.astimezone(zone())
    return _calendar_period("month", local.year, local.month, 1)
