"""Properties of working-time arithmetic over 2025-2027 (2027 is a fallback year: not in chinesecalendar),
with overrides and summer/winter office hours in play."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingcheng.core.models import CalendarOverride, WorkSchedule
from qingcheng.core.worktime import (
    WorkCalendar,
    add_calendar_days,
    add_working_days,
    add_working_hours,
    add_working_time,
    library_covers,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

starts = st.datetimes(
    min_value=dt.datetime(2025, 1, 1),
    max_value=dt.datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.just(SHANGHAI),
)
areas = st.sampled_from(["", "150105", "150105001", "150102"])
# Up to about two working weeks, down to the microsecond.
durations = st.integers(min_value=1, max_value=80 * 3600 * 10**6).map(
    lambda us: dt.timedelta(microseconds=us)
)


@pytest.fixture(autouse=True)
def calendar_rows(db):
    t = dt.time
    WorkSchedule.objects.create(
        name="夏季作息", valid_from_month_day="05-01", valid_to_month_day="09-30",
        morning_start=t(8), morning_end=t(12), afternoon_start=t(15), afternoon_end=t(18, 30),
    )  # fmt: skip
    WorkSchedule.objects.create(
        area_code="150105", name="赛罕区冬季作息", valid_from_month_day="10-01", valid_to_month_day="04-30",
        morning_start=t(9), morning_end=t(12), afternoon_start=t(12), afternoon_end=t(17, 30),
    )  # fmt: skip
    CalendarOverride.objects.create(date=dt.date(2026, 3, 2), kind="holiday", name="测试假日")
    CalendarOverride.objects.create(date=dt.date(2025, 3, 8), kind="workday", name="测试调休")
    CalendarOverride.objects.create(date=dt.date(2027, 1, 1), kind="holiday", name="元旦")


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(SHANGHAI).replace(tzinfo=None)


def inside_a_working_period(cal: WorkCalendar, due: dt.datetime, area_code: str) -> bool:
    wall = local(due)
    return any(start < wall <= end for start, end in cal.working_intervals(wall.date(), area_code))


@PROPERTY
@given(start=starts, duration=durations, area_code=areas)
def test_adding_then_measuring_gives_back_the_same_amount(start, duration, area_code):
    result = add_working_time(start, duration, area_code=area_code)
    assert working_time_between(start, result.due_at, area_code=area_code) == duration
    assert working_time_between(result.due_at, start, area_code=area_code) == -duration


@PROPERTY
@given(start=starts, hours=st.integers(min_value=1, max_value=60), area_code=areas)
def test_working_hours_deadline_lies_inside_working_time(start, hours, area_code):
    cal = WorkCalendar.load()
    result = add_working_hours(start, hours, area_code=area_code, calendar=cal)
    assert result.due_at > start
    assert cal.day_info(local(result.due_at).date()).is_workday
    assert inside_a_working_period(cal, result.due_at, area_code)
    # Provisional exactly when the period reaches into 2027, which the library does not cover.
    assert result.provisional == (local(result.due_at).year >= 2027)
    assert result.due_at.utcoffset() == dt.timedelta(hours=8)


@PROPERTY
@given(start=starts, a=durations, b=durations, area_code=areas)
def test_more_working_time_is_never_due_earlier(start, a, b, area_code):
    cal = WorkCalendar.load()
    short, long = sorted((a, b))
    assert (
        add_working_time(start, short, area_code=area_code, calendar=cal).due_at
        <= add_working_time(start, long, area_code=area_code, calendar=cal).due_at
    )


@PROPERTY
@given(start=starts, days=st.integers(min_value=1, max_value=30), area_code=areas)
def test_working_days_end_at_close_of_business_of_the_nth_workday(start, days, area_code):
    cal = WorkCalendar.load()
    result = add_working_days(start, days, area_code=area_code, calendar=cal)
    due = local(result.due_at)
    assert cal.day_info(due.date()).is_workday
    assert due == cal.working_intervals(due.date(), area_code)[-1][1]
    first = local(start).date() + dt.timedelta(days=1)
    counted = [first + dt.timedelta(days=i) for i in range((due.date() - first).days + 1)]
    assert sum(cal.day_info(day).is_workday for day in counted) == days
    assert result.provisional == any(not library_covers(day.year) for day in counted)


@PROPERTY
@given(start=starts, days=st.integers(min_value=0, max_value=60))
def test_calendar_days_end_on_a_workday_and_roll_only_over_rest_days(start, days):
    cal = WorkCalendar.load()
    result = add_calendar_days(start, days, calendar=cal)
    due = local(result.due_at)
    target = local(start).date() + dt.timedelta(days=days)
    assert due.time() == dt.time(23, 59, 59) and due.date() >= target
    assert cal.day_info(due.date()).is_workday
    skipped = [target + dt.timedelta(days=i) for i in range((due.date() - target).days)]
    assert not any(cal.day_info(day).is_workday for day in skipped)


@PROPERTY
@given(start=starts, a=durations, b=durations, area_code=areas)
def test_elapsed_working_time_is_additive(start, a, b, area_code):
    cal = WorkCalendar.load()
    middle, end = start + min(a, b), start + max(a, b) * 3
    assert working_time_between(start, end, area_code=area_code, calendar=cal) == working_time_between(
        start, middle, area_code=area_code, calendar=cal
    ) + working_time_between(middle, end, area_code=area_code, calendar=cal)
