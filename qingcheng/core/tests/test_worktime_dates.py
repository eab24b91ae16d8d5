"""The shared date helpers of core.worktime: month arithmetic (plain and as a legal period) and the
next working day on the real 2026 schedule from chinesecalendar."""

from __future__ import annotations

import datetime as dt

import pytest

from qingcheng.core.errors import ValidationFailed
from qingcheng.core.models import CalendarOverride
from qingcheng.core.worktime import WorkCalendar, add_months, next_workday, shift_months

d = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-01-31", 1, "2026-02-28"),  # no 31 February: the month's last day
        ("2024-01-31", 1, "2024-02-29"),  # a leap year
        ("2026-03-31", -1, "2026-02-28"),
        ("2026-12-15", 1, "2027-01-15"),  # over the year end
        ("2026-01-15", -1, "2025-12-15"),
        ("2026-08-31", 6, "2027-02-28"),
        ("2026-05-31", 0, "2026-05-31"),
        ("2200-12-01", 1, "2201-01-01"),  # plain arithmetic has no window
    ],
)
def test_shift_months_lands_on_the_month_end_when_the_day_is_missing(day, months, expected):
    assert shift_months(d(day), months) == d(expected)


def test_shift_months_past_year_9999_is_a_value_error():
    with pytest.raises(ValueError):
        shift_months(d("9999-12-01"), 1)


def test_add_months_is_shift_months_inside_the_window_and_refuses_outside():
    assert add_months(d("2026-01-31"), 1) == shift_months(d("2026-01-31"), 1)
    with pytest.raises(ValidationFailed) as refused:
        add_months(d("2200-12-01"), 1)
    assert refused.value.code == "date_out_of_range"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-06-19", "2026-06-22"),  # Dragon Boat Festival on a Friday, then the weekend: Monday
        ("2026-05-01", "2026-05-06"),  # Labour Day holiday Friday 1 May to Tuesday 5 May
        ("2026-10-01", "2026-10-08"),  # National Day holidays 1 to 7 October
        ("2026-10-10", "2026-10-10"),  # a Saturday made a working day (调休) is worked
        ("2026-10-11", "2026-10-12"),  # an ordinary Sunday
        ("2026-03-11", "2026-03-11"),  # an ordinary Wednesday
    ],
)
def test_next_workday_on_the_2026_schedule(day, expected):
    assert next_workday(d(day)) == d(expected)


@pytest.mark.django_db
def test_next_workday_honours_calendar_overrides():
    CalendarOverride.objects.create(
        date=d("2026-06-22"), kind=CalendarOverride.Kind.HOLIDAY, name="local holiday"
    )
    assert next_workday(d("2026-06-19"), calendar=WorkCalendar.load()) == d("2026-06-23")
