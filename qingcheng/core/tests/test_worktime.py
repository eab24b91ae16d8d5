"""Working time on real dates: the 2026 schedule from chinesecalendar, overrides, office hours by area and
season, the legal counting rules, and the provisional fallback for 2027 (not yet in the library)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from qingcheng.core import jobs
from qingcheng.core.models import AuditEntry, CalendarOverride, CalendarYear, Deadline, WorkSchedule
from qingcheng.core.worktime import (
    add_calendar_days,
    add_clock_hours,
    add_months,
    add_working_days,
    add_working_hours,
    add_working_time,
    calendar_warnings,
    calendar_year_mark_official,
    day_kind,
    deadline_compute,
    deadline_create,
    deadline_recompute_provisional,
    is_workday,
    library_covers,
    provisional_years_between,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


def enter_2027_schedule() -> None:
    """A stand-in for the State Council's 2027 schedule (not published when this was written): New Year
    on Friday 1 January with no make-up day, and a make-up Saturday later in the year."""
    CalendarOverride.objects.create(date=dt.date(2027, 1, 1), kind="holiday", name="元旦")
    CalendarOverride.objects.create(date=dt.date(2027, 2, 20), kind="workday", name="春节")


# --- which days are worked --------------------------------------------------------------------------


def test_library_coverage_is_probed():
    assert library_covers(2004) and library_covers(2026)
    assert not library_covers(2003) and not library_covers(2027)


@pytest.mark.parametrize("day", [dt.date(2026, 10, 10), dt.date(2026, 2, 28), dt.date(2026, 2, 14)])
def test_make_up_saturdays_are_workdays(day):
    assert day.weekday() == 5
    info = day_kind(day)
    assert info.is_workday and info.source == "official" and not info.provisional
    assert info.name in {"国庆节", "春节"}


def test_spring_festival_and_national_day_are_holidays():
    for offset in range(9):
        info = day_kind(dt.date(2026, 2, 15) + dt.timedelta(days=offset))
        assert not info.is_workday and info.name == "春节"
    for offset in range(7):
        assert not is_workday(dt.date(2026, 10, 1) + dt.timedelta(days=offset))
    assert is_workday(dt.date(2026, 2, 24)) and is_workday(dt.date(2026, 10, 8))


def test_ordinary_weekend_and_weekday():
    saturday = day_kind(dt.date(2026, 3, 7))
    assert not saturday.is_workday and saturday.name == "" and saturday.source == "official"
    assert day_kind(dt.date(2026, 3, 9)).is_workday


def test_aware_datetime_is_taken_as_its_local_date():
    # 2026-10-09 17:00 UTC is already Saturday 10 October (a make-up workday) in Shanghai.
    assert day_kind(dt.datetime(2026, 10, 9, 17, 0, tzinfo=dt.UTC)).is_workday
    assert not day_kind(dt.datetime(2026, 10, 9, 15, 0, tzinfo=dt.UTC)).name


def test_override_beats_library():
    CalendarOverride.objects.create(date=dt.date(2026, 3, 2), kind="holiday", name="城市纪念日")
    CalendarOverride.objects.create(date=dt.date(2026, 10, 10), kind="holiday", name="取消调休")
    CalendarOverride.objects.create(date=dt.date(2026, 3, 7), kind="workday", name="加班")
    info = day_kind(dt.date(2026, 3, 2))
    assert (info.is_workday, info.name, info.source, info.provisional) == (
        False,
        "城市纪念日",
        "override",
        False,
    )
    assert not is_workday(dt.date(2026, 10, 10))
    assert is_workday(dt.date(2026, 3, 7))


def test_uncovered_year_falls_back_to_weekends_and_is_provisional():
    new_year = day_kind(dt.date(2027, 1, 1))
    assert new_year.is_workday and new_year.source == "fallback" and new_year.provisional
    assert not is_workday(dt.date(2027, 1, 2))
    enter_2027_schedule()
    overridden = day_kind(dt.date(2027, 1, 1))
    # Entering overrides is not enough: the year stays provisional until marked official.
    assert not overridden.is_workday and overridden.source == "override" and overridden.provisional
    calendar_year_mark_official(year=2027)
    assert not day_kind(dt.date(2027, 1, 1)).provisional
    plain = day_kind(dt.date(2027, 1, 4))
    assert plain.is_workday and plain.source == "official" and not plain.provisional


# --- working hours ------------------------------------------------------------------------------------


def test_working_hours_skip_lunch_and_night():
    assert add_working_hours(at(2026, 3, 2, 11), 2).due_at == at(2026, 3, 2, 15, 30)
    # Exactly using up the morning is due at noon, not at the start of the afternoon.
    assert add_working_hours(at(2026, 3, 2, 10), 2).due_at == at(2026, 3, 2, 12)
    assert add_working_hours(at(2026, 3, 2, 17), 1).due_at == at(2026, 3, 2, 18)
    assert add_working_hours(at(2026, 3, 2, 17), 2).due_at == at(2026, 3, 3, 9, 30)


def test_working_hours_start_outside_working_time():
    assert add_working_hours(at(2026, 3, 7, 10), 1).due_at == at(2026, 3, 9, 9, 30)  # Saturday
    assert add_working_hours(at(2026, 3, 6, 19), 1).due_at == at(2026, 3, 9, 9, 30)  # Friday evening
    assert add_working_hours(at(2026, 3, 2, 12, 30), 1).due_at == at(2026, 3, 2, 15, 30)  # lunch
    assert add_working_hours(at(2026, 3, 2, 6), 1).due_at == at(2026, 3, 2, 9, 30)  # early morning


def test_working_hours_cross_national_day_and_count_make_up_saturday():
    result = add_working_hours(at(2026, 9, 30, 17), 2)
    assert result.due_at == at(2026, 10, 8, 9, 30) and not result.provisional
    # Friday 9 October 17:00 + 2 h: the make-up Saturday 10 October is worked.
    assert add_working_hours(at(2026, 10, 9, 17), 2).due_at == at(2026, 10, 10, 9, 30)


def test_working_hours_amount_units():
    start = at(2026, 3, 2, 9)
    assert add_working_hours(start, Decimal("0.333333")).due_at == at(2026, 3, 2, 9, 20)
    assert add_working_hours(start, 0.5).due_at == at(2026, 3, 2, 9, 30)
    assert add_working_hours(start, 0).due_at == start
    assert add_working_time(start, dt.timedelta(microseconds=1)).due_at == start + dt.timedelta(
        microseconds=1
    )


def test_results_are_in_shanghai_time_whatever_the_input_zone():
    result = add_working_hours(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC), 1)  # 09:00 in Shanghai
    assert result.due_at == at(2026, 3, 2, 10) and result.due_at.utcoffset() == dt.timedelta(hours=8)


def test_working_time_between():
    assert working_time_between(at(2026, 3, 2, 8), at(2026, 3, 2, 20)) == hours(7)
    assert working_time_between(at(2026, 3, 2, 20), at(2026, 3, 2, 8)) == -hours(7)
    assert working_time_between(at(2026, 3, 2, 11), at(2026, 3, 2, 15)) == hours(1.5)
    # Spring Festival: Friday 13 Feb and the make-up Saturday 14 Feb, then nothing until Tuesday 24 Feb.
    assert working_time_between(at(2026, 2, 13), at(2026, 2, 24, 23)) == hours(21)
    assert working_time_between(at(2026, 3, 7, 9), at(2026, 3, 8, 17)) == dt.timedelta(0)


def test_elapsed_into_an_uncovered_year_says_so():
    assert provisional_years_between(at(2026, 12, 28), at(2027, 1, 5)) == (2027,)
    assert provisional_years_between(at(2026, 1, 5), at(2026, 12, 28)) == ()


# --- working days ---------------------------------------------------------------------------------


def test_working_days_cross_spring_festival():
    # Thu 12 Feb: Fri 13 (1), make-up Sat 14 (2), holiday 15-23, Tue 24 (3).
    result = add_working_days(at(2026, 2, 12, 10), 3)
    assert result.due_at == at(2026, 2, 24, 18) and not result.provisional


def test_working_days_do_not_count_the_start_day():
    assert add_working_days(at(2026, 3, 2, 8), 1).due_at == at(2026, 3, 3, 18)
    assert add_working_days(at(2026, 3, 2, 23), 1).due_at == at(2026, 3, 3, 18)
    assert add_working_days(at(2026, 3, 7, 10), 1).due_at == at(2026, 3, 9, 18)  # from a Saturday
    assert add_working_days(at(2026, 3, 2, 10), 0).due_at == at(2026, 3, 2, 18)
    assert add_working_days(at(2026, 3, 7, 10), 0).due_at == at(2026, 3, 9, 18)


# --- calendar days ----------------------------------------------------------------------------------


def test_calendar_days_ending_on_a_holiday_roll_to_the_next_working_day():
    # 28 Sep + 3 days = 1 Oct (National Day) → the period ends on Thursday 8 October.
    result = add_calendar_days(at(2026, 9, 28, 15), 3)
    assert result.due_at == at(2026, 10, 8, 23, 59, 59) and not result.provisional
    # Ending on an ordinary Sunday rolls to Monday.
    assert add_calendar_days(at(2026, 3, 1, 9), 7).due_at == at(2026, 3, 9, 23, 59, 59)


def test_calendar_days_count_holidays_inside_the_period():
    # 30 Sep + 10 days = Saturday 10 Oct, a make-up workday: no roll although 1-7 Oct are holidays.
    assert add_calendar_days(at(2026, 9, 30, 9), 10).due_at == at(2026, 10, 10, 23, 59, 59)
    assert add_calendar_days(at(2026, 3, 2, 9), 0).due_at == at(2026, 3, 2, 23, 59, 59)


def test_clock_hours_never_roll_and_are_never_provisional():
    result = add_clock_hours(at(2026, 9, 30, 17), 24)
    assert result.due_at == at(2026, 10, 1, 17) and not result.provisional
    assert not add_clock_hours(at(2026, 12, 31, 12), 48).provisional


# --- office hours by area and season ------------------------------------------------------------------


@pytest.fixture
def schedules():
    t = dt.time
    WorkSchedule.objects.create(
        name="夏季作息", valid_from_month_day="05-01", valid_to_month_day="09-30",
        morning_start=t(8), morning_end=t(12), afternoon_start=t(15), afternoon_end=t(18, 30),
    )  # fmt: skip
    WorkSchedule.objects.create(
        name="冬季作息", valid_from_month_day="10-01", valid_to_month_day="04-30",
        morning_start=t(8, 30), morning_end=t(12), afternoon_start=t(14, 30), afternoon_end=t(18),
    )  # fmt: skip
    WorkSchedule.objects.create(
        area_code="150105", name="赛罕区冬季作息", valid_from_month_day="10-01", valid_to_month_day="04-30",
        morning_start=t(9), morning_end=t(12), afternoon_start=t(13, 30), afternoon_end=t(17, 30),
    )  # fmt: skip
    WorkSchedule.objects.create(
        area_code="150105", name="赛罕区单班", valid_from_month_day="10-01", valid_to_month_day="04-30",
        morning_start=t(9), morning_end=t(17), priority=-1,
    )  # fmt: skip


def test_schedule_by_area_prefix_and_season(schedules):
    # Winter in 赛罕区 (the longest prefix wins; priority picks the two-period row).
    assert add_working_days(at(2026, 1, 5, 10), 1, area_code="150105001").due_at == at(2026, 1, 6, 17, 30)
    # Winter elsewhere: the general winter row; the season wraps over the new year.
    assert add_working_days(at(2026, 1, 5, 10), 1, area_code="150102").due_at == at(2026, 1, 6, 18)
    assert add_working_days(at(2026, 11, 2, 10), 1, area_code="150102").due_at == at(2026, 11, 3, 18)
    # Summer in 赛罕区: it has no summer row, so the general summer row applies.
    assert add_working_days(at(2026, 7, 6, 10), 1, area_code="150105").due_at == at(2026, 7, 7, 18, 30)
    assert add_working_hours(at(2026, 7, 6, 11), 2, area_code="150105").due_at == at(2026, 7, 6, 16)
    # Season boundaries are inclusive.
    assert add_working_days(at(2026, 4, 29, 10), 1).due_at == at(2026, 4, 30, 18)
    assert add_working_days(at(2026, 9, 29, 10), 1).due_at == at(2026, 9, 30, 18, 30)


def test_default_periods_when_no_schedule_matches():
    WorkSchedule.objects.create(
        area_code="150105", name="夏季", valid_from_month_day="06-01", valid_to_month_day="08-31",
        morning_start=dt.time(8), morning_end=dt.time(12),
    )  # fmt: skip
    assert add_working_days(at(2026, 3, 2, 10), 1, area_code="150105").due_at == at(2026, 3, 3, 18)
    assert add_working_days(at(2026, 7, 6, 10), 1, area_code="150105").due_at == at(2026, 7, 7, 12)


def test_schedule_validation():
    bad = WorkSchedule(
        name="x", morning_start=dt.time(12), morning_end=dt.time(8), valid_from_month_day="01-01",
        valid_to_month_day="12-31",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        bad.full_clean()
    half = WorkSchedule(
        name="x", morning_start=dt.time(8), morning_end=dt.time(12), afternoon_start=dt.time(14),
        valid_from_month_day="01-01", valid_to_month_day="12-31",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        half.full_clean()
    with pytest.raises(ValidationError):
        WorkSchedule(
            name="x", morning_start=dt.time(8), morning_end=dt.time(12), valid_from_month_day="13-01",
            valid_to_month_day="12-31",
        ).full_clean()  # fmt: skip


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: add_working_hours(naive, 1),
        lambda naive: add_working_time(naive, hours(1)),
        lambda naive: add_working_days(naive, 1),
        lambda naive: add_calendar_days(naive, 1),
        lambda naive: add_clock_hours(naive, 1),
        lambda naive: working_time_between(naive, at(2026, 3, 2)),
        lambda naive: working_time_between(at(2026, 3, 2), naive),
        lambda naive: deadline_compute(kind="working_days", start=naive, amount=1),
        lambda naive: day_kind(naive),
    ],
)
def test_naive_datetime_is_refused(call):
    with pytest.raises(ValueError, match="naive"):
        call(dt.datetime(2026, 3, 2, 10))


def test_bad_amounts_are_refused():
    start = at(2026, 3, 2, 10)
    with pytest.raises(ValueError):
        add_working_hours(start, -1)
    with pytest.raises(ValueError):
        add_working_days(start, Decimal("1.5"))
    with pytest.raises(ValueError):
        add_calendar_days(start, -1)
    with pytest.raises(ValueError):
        add_working_hours(start, float("nan"))
    with pytest.raises(ValueError):
        deadline_compute(kind="fortnights", start=start, amount=1)
    with pytest.raises(TypeError):
        add_working_days(dt.date(2026, 3, 2), 1)


def test_deadline_compute_dispatches_on_kind():
    start = at(2026, 3, 2, 10)
    assert deadline_compute(kind="working_hours", start=start, amount=3).due_at == at(2026, 3, 2, 15, 30)
    assert deadline_compute(kind="working_days", start=start, amount=1).due_at == at(2026, 3, 3, 18)
    assert deadline_compute(kind="calendar_days", start=start, amount=5).due_at == at(2026, 3, 9, 23, 59, 59)
    assert deadline_compute(kind=Deadline.Kind.CLOCK_HOURS, start=start, amount=3).due_at == at(
        2026, 3, 2, 13
    )


# --- the year the library does not cover ------------------------------------------------------------


def test_five_working_days_from_2026_12_28_is_provisional_then_recomputed():
    deadline = deadline_create(
        kind="working_days", start=at(2026, 12, 28, 10), amount=5, area_code="150105", purpose="case.handle"
    )
    # Tue 29, Wed 30, Thu 31, Fri 1 Jan (a workday under the weekend-only fallback), Mon 4 Jan.
    assert deadline.provisional and deadline.due_at == at(2027, 1, 4, 18)
    within_2026 = deadline_create(kind="working_days", start=at(2026, 12, 1, 10), amount=5)
    assert not within_2026.provisional
    into_2028 = deadline_create(kind="calendar_days", start=at(2026, 12, 28, 10), amount=370)
    assert into_2028.provisional and into_2028.due_at == at(2028, 1, 3, 23, 59, 59)

    enter_2027_schedule()
    assert deadline_recompute_provisional(year=2027) == 0  # overrides alone do not make 2027 official
    assert calendar_year_mark_official(year=2027) == 1

    deadline.refresh_from_db()
    assert not deadline.provisional and deadline.due_at == at(2027, 1, 5, 18)
    into_2028.refresh_from_db()
    assert into_2028.provisional  # 2028 has no official schedule yet
    entry = AuditEntry.objects.get(action="deadline.recompute")
    assert entry.object_id == str(deadline.pk) and entry.area_code == "150105"
    changes = json.loads(entry.changes)
    assert dt.datetime.fromisoformat(changes["before"]["due_at"]) == at(2027, 1, 4, 18)
    assert dt.datetime.fromisoformat(changes["after"]["due_at"]) == at(2027, 1, 5, 18)
    assert changes["before"]["provisional"] and not changes["after"]["provisional"]
    assert AuditEntry.objects.filter(action="calendar_year.mark_official").count() == 1
    # Nothing provisional left that touches 2027 alone: a second run changes nothing.
    assert deadline_recompute_provisional(year=2027) == 0


@pytest.fixture
def library_with_2027(monkeypatch):
    """What upgrading chinesecalendar to a version with 2027 data looks like to the module."""

    def install():
        monkeypatch.setitem(chinese_calendar.constants.holidays, dt.date(2027, 1, 1), "New Year's Day")
        library_covers.cache_clear()

    yield install
    monkeypatch.undo()
    library_covers.cache_clear()


def test_library_upgrade_makes_provisional_deadlines_official(library_with_2027):
    deadline = deadline_create(kind="working_hours", start=at(2026, 12, 31, 17), amount=2)
    assert deadline.provisional and deadline.due_at == at(2027, 1, 1, 9, 30)
    assert jobs.provisional_deadline_sweep() == 0
    library_with_2027()
    assert library_covers(2027) and calendar_warnings(today=dt.date(2026, 12, 5)) == []
    assert jobs.provisional_deadline_sweep() == 1
    deadline.refresh_from_db()
    assert not deadline.provisional and deadline.due_at == at(2027, 1, 4, 9, 30)


def test_calendar_warnings_from_december():
    assert calendar_warnings(today=dt.date(2026, 11, 30)) == []
    with translation.override("en"):
        warnings = calendar_warnings(today=dt.date(2026, 12, 5))
    assert len(warnings) == 1 and "2027" in warnings[0] and isinstance(warnings[0], str)
    current = calendar_warnings(today=dt.date(2027, 3, 1))
    assert len(current) == 1 and "2027" in current[0]
    calendar_year_mark_official(year=2027)
    assert calendar_warnings(today=dt.date(2026, 12, 5)) == []
    assert calendar_warnings(today=dt.date(2027, 3, 1)) == []
    assert CalendarYear.objects.get(year=2027).entered_at is not None


def test_coverage_job_logs_each_warning(caplog):
    with (
        time_machine.travel(at(2026, 12, 5, 10), tick=False),
        caplog.at_level(logging.WARNING, "qingcheng.worktime"),
    ):
        assert jobs.calendar_coverage_sweep() == 1
    assert any("2027" in record.getMessage() for record in caplog.records)
    with time_machine.travel(at(2026, 11, 26, 10), tick=False):
        assert jobs.calendar_coverage_sweep() == 0


# --- admin ------------------------------------------------------------------------------------------


def test_admin_pages_and_mark_official_action(admin_client):
    deadline = deadline_create(kind="working_days", start=at(2026, 12, 28, 10), amount=5)
    CalendarOverride.objects.create(date=dt.date(2027, 1, 1), kind="holiday", name="元旦")
    year = CalendarYear.objects.create(year=2027)
    for name in ("calendaroverride", "calendaryear", "workschedule", "deadline"):
        assert admin_client.get(f"/admin/core/{name}/").status_code == 200
    assert admin_client.get("/admin/core/calendaroverride/?year=2027&kind=holiday").status_code == 200
    response = admin_client.post(
        "/admin/core/calendaryear/", {"action": "mark_official", "_selected_action": [year.pk]}
    )
    assert response.status_code == 302
    deadline.refresh_from_db()
    assert not deadline.provisional and deadline.due_at == at(2027, 1, 5, 18)
    assert admin_client.get(f"/admin/core/deadline/{deadline.pk}/change/").status_code == 200


def test_admin_edit_of_an_override_is_audited(admin_client):
    response = admin_client.post(
        "/admin/core/calendaroverride/add/",
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "note": ""},
    )
    assert response.status_code == 302
    assert CalendarOverride.objects.filter(date=dt.date(2027, 1, 1)).exists()
    assert AuditEntry.objects.filter(action="calendar_override.create").count() == 1


def test_deadline_endpoint_crosses_the_spring_festival(client, make_user):
    client.force_login(make_user(["dispatcher"]))
    response = client.get(
        "/api/core/worktime/deadline",
        {"kind": "working_days", "start": "2026-02-13T10:00:00+08:00", "amount": "3"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # Start day not counted; 02-14 (Sat) is a make-up workday, 02-15..02-23 the Spring Festival holiday.
    assert body["provisional"] is False
    assert body["due_at"] == "2026-02-25T18:00:00+08:00"


def test_deadline_endpoint_rejects_bad_input(client, make_user):
    client.force_login(make_user(["dispatcher"]))
    naive = client.get(
        "/api/core/worktime/deadline", {"kind": "working_days", "start": "2026-02-13T10:00:00", "amount": "3"}
    )
    assert naive.status_code == 400 and naive.json()["error"]["code"] == "naive_datetime"
    bad_kind = client.get(
        "/api/core/worktime/deadline",
        {"kind": "fortnights", "start": "2026-02-13T10:00:00+08:00", "amount": "3"},
    )
    assert bad_kind.status_code == 422 and bad_kind.json()["error"]["code"] == "invalid_input"


# --- years outside the window ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: day_kind(dt.date(9999, 12, 31)),
        lambda: day_kind(dt.date(1, 1, 1)),
        lambda: is_workday(dt.date(1948, 12, 31)),
        lambda: add_calendar_days(at(9999, 12, 31, 10), 5),
        lambda: add_working_days(dt.datetime(9999, 12, 31, 10, tzinfo=dt.UTC), 1),
        lambda: add_working_hours(dt.datetime(1, 1, 1, 10, tzinfo=dt.UTC), 4),
        lambda: add_clock_hours(at(2201, 1, 1), 1),
        lambda: working_time_between(at(2026, 3, 2), at(9999, 1, 1)),
        lambda: deadline_compute(kind="calendar_days", start=at(1, 1, 2), amount=1),
        lambda: calendar_year_mark_official(year=9999),
        lambda: calendar_year_mark_official(year=1),
    ],
)
def test_years_outside_the_window_are_refused_with_a_domain_error(call):
    from qingcheng.core.errors import DomainError

    with pytest.raises(DomainError) as info:
        call()
    assert info.value.code == "date_out_of_range" and info.value.status == 400
    assert "1949" in info.value.message_zh and "2200" in info.value.message_en


def test_years_at_the_edges_of_the_window_still_compute():
    assert day_kind(dt.date(1949, 10, 1)).provisional is True
    assert add_calendar_days(at(2200, 12, 20), 3).due_at.date() == dt.date(2200, 12, 23)
    assert add_months(dt.date(2200, 11, 30), 1) == dt.date(2200, 12, 30)


def test_worktime_api_refuses_far_dates_with_the_error_model(client, make_user):
    client.force_login(make_user(["receiver"]))
    for start in ("9999-12-31T10:00:00+08:00", "0001-01-01T00:00:00+14:00", "2026-03-02T10:00:00+15:00"):
        response = client.get(
            "/api/core/worktime/deadline", {"kind": "calendar_days", "start": start, "amount": "5"}
        )
        assert response.status_code in (400, 422), (start, response.content)
        assert set(response.json()["error"]) >= {"code", "message_zh", "message_en"}
