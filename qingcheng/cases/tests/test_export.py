"""The case export: columns, formats, filters, the as-of view and the command."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from qingcheng.cases.export import COLUMNS, HEADER, write_cases_csv
from qingcheng.core import clock

TZ = ZoneInfo("Asia/Shanghai")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
REQUIRED = [
    "case_number", "source", "subclass_code", "district_code", "street_code", "community_code", "grid_code",
    "handling_unit", "status", "reported_at", "opened_at", "dispatched_at", "feedback_at", "closed_at",
    "handle_deadline", "rework_count", "deferred", "parked", "cancelled", "merged_into",
]  # fmt: skip


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def history(loop, photo, settings, tmp_path):
    """Four cases with known times: one closed after a rework, one cancelled, one merged, one in November."""
    from qingcheng.cases.services import case_act, case_report

    settings.MEDIA_ROOT = tmp_path
    u = loop["users"]
    lon, lat = loop["point"]

    def act(case, instant, actor, action, **kwargs):
        with clock.at(at(instant)):
            return case_act(case_id=case.pk, actor=u[actor], action=action, **kwargs)

    def report(instant, **kwargs):
        with clock.at(at(instant)):
            return case_report(
                actor=u["supervisor"],
                source="supervisor",
                lon=lon,
                lat=lat,
                description="暴露垃圾",
                photos=[photo()],
                **kwargs,
            ).case

    closed = report("2026-10-12T09:00:00", category_code="E0102")
    act(closed, "2026-10-12T09:10:00", "receiver", "open")
    act(closed, "2026-10-12T09:20:00", "dispatcher", "dispatch")
    act(closed, "2026-10-12T09:40:00", "handler", "accept")
    act(closed, "2026-10-12T10:30:00", "handler", "feedback", photos=[photo("after")])
    act(closed, "2026-10-12T10:40:00", "receiver", "send_check")
    act(closed, "2026-10-12T11:00:00", "supervisor", "check", data={"passed": False})
    act(closed, "2026-10-12T15:00:00", "handler", "feedback", photos=[photo("after")])
    act(closed, "2026-10-12T15:10:00", "receiver", "send_check")
    act(closed, "2026-10-12T15:30:00", "supervisor", "check", data={"passed": True})
    act(closed, "2026-10-12T16:00:00", "shift_leader", "close")
    cancelled = report("2026-10-13T10:00:00", category_code="E0201")
    act(cancelled, "2026-10-13T10:05:00", "receiver", "cancel", data={"reason": "现场无此问题"})
    merged = report("2026-10-13T11:00:00", category_code="E0201")
    duplicate = report("2026-10-13T11:30:00", category_code="E0201")
    act(duplicate, "2026-10-13T11:40:00", "receiver", "merge", data={"target_id": merged.pk})
    november = report("2026-11-02T09:00:00", category_code="E0102")
    for case in (closed, cancelled, merged, duplicate):
        case.refresh_from_db()
    return {
        "closed": closed,
        "cancelled": cancelled,
        "merged": merged,
        "duplicate": duplicate,
        "november": november,
    }


def rows(**filters) -> dict[str, dict[str, str]]:
    out = io.StringIO()
    count = write_cases_csv(out, bom=False, **filters)
    parsed = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(parsed) == count
    return {row["case_number"]: row for row in parsed}


@pytest.mark.django_db
def test_one_row_per_case_with_the_documented_columns(history):
    exported = rows()
    assert len(exported) == 5
    assert HEADER[: len(REQUIRED)] == REQUIRED
    closed = exported[history["closed"].number]
    assert (
        closed["status"] == "closed"
        and closed["source"] == "supervisor"
        and closed["subclass_code"] == "E0102"
    )
    assert closed["grid_code"] == history["closed"].grid_code
    assert (closed["district_code"], closed["street_code"], closed["community_code"]) == (
        "150105",
        "150105001",
        "150105001001",
    )
    assert closed["handling_unit"] == history["closed"].owner_department.code
    assert closed["reported_at"] == "2026-10-12T09:00:00+08:00"
    assert closed["dispatched_at"] == "2026-10-12T09:20:00+08:00"
    assert closed["feedback_at"] == "2026-10-12T15:00:00+08:00"
    assert closed["closed_at"] == "2026-10-12T16:00:00+08:00"
    assert ISO.match(closed["handle_deadline"])
    assert (
        closed["rework_count"] == "1" and closed["cancelled"] == "false" and closed["self_handled"] == "false"
    )
    cancelled = exported[history["cancelled"].number]
    assert (
        cancelled["cancelled"] == "true" and cancelled["opened_at"] == "" and cancelled["handling_unit"] == ""
    )
    duplicate = exported[history["duplicate"].number]
    assert duplicate["status"] == "merged" and duplicate["merged_into"] == history["merged"].number
    for row in exported.values():
        for column in COLUMNS:
            value = row[column.name]
            if column.type == "datetime":
                assert value == "" or ISO.match(value), (column.name, value)
            elif column.type == "boolean":
                assert value in {"true", "false"}, (column.name, value)
            elif column.type == "integer":
                assert value == "" or value.isdigit(), (column.name, value)


@pytest.mark.django_db
def test_period_and_since_until_filter_by_report_time(history):
    from qingcheng.cases.export import parse_instant, period_bounds

    since, until = period_bounds("2026-10")
    assert set(rows(since=since, until=until)) == {
        history[k].number for k in ("closed", "cancelled", "merged", "duplicate")
    }
    assert set(
        rows(since=parse_instant("2026-10-13"), until=parse_instant("2026-10-13", end_of_day=True))
    ) == {history[k].number for k in ("cancelled", "merged", "duplicate")}
    assert period_bounds("2026-12")[1] == at("2027-01-01T00:00:00")


@pytest.mark.django_db
def test_as_of_rebuilds_the_case_from_its_timeline(history):
    # Between the failed check and the second feedback: the case is being reworked.
    exported = rows(as_of=at("2026-10-12T12:00:00"))
    assert set(exported) == {history["closed"].number}
    row = exported[history["closed"].number]
    assert row["status"] == "handling"
    assert row["feedback_at"] == "" and row["closed_at"] == "" and row["rework_count"] == "1"
    assert row["dispatched_at"] == "2026-10-12T09:20:00+08:00" and row["handling_unit"]
    # Before the first feedback the deadline is the one set at dispatch.
    row = rows(as_of=at("2026-10-12T10:00:00"))[history["closed"].number]
    assert row["status"] == "handling" and row["rework_count"] == "0"
    dispatch = history["closed"].events.get(action="dispatch")
    assert (
        row["handle_deadline"]
        == datetime.fromisoformat(dispatch.data["handle_due_at"]).astimezone(TZ).isoformat()
    )
    # After everything: the same as the plain export.
    assert rows(as_of=at("2026-12-01T00:00:00")) == rows()
    # The duplicate was not merged yet at 11:35.
    row = rows(as_of=at("2026-10-13T11:35:00"))[history["duplicate"].number]
    assert row["status"] == "reported" and row["merged_into"] == ""


@pytest.mark.django_db
def test_the_command_writes_csv_with_a_bom(history, tmp_path):
    target = tmp_path / "cases.csv"
    call_command("export_cases", format="csv", output=str(target), period="2026-10", verbosity=0)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == HEADER and len(lines) == 5


def test_the_data_dictionary_documents_every_column():
    text = (Path(__file__).resolve().parents[3] / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"`{column.name}`" in text, column.name


HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "＝1+1", "'=already quoted"]


def test_no_cell_can_run_as_a_formula(loop, photo, make_department, settings, tmp_path):
    """Finding 7: a unit named `=HYPERLINK(…)` came out as a cell starting with `=`. Every text cell that a
    spreadsheet would evaluate carries a leading apostrophe; the value behind it is the name as written."""
    from qingcheng.accounts.models import Department
    from qingcheng.cases.models import CaseCategory
    from qingcheng.cases.services import case_act, case_report
    from qingcheng.core.exports import FORMULA_STARTS, restore_cell

    settings.MEDIA_ROOT = tmp_path
    u = loop["users"]
    lon, lat = loop["point"]
    for name in HOSTILE:
        unit = make_department(area_code="150105", name="unit")
        Department.objects.filter(pk=unit.pk).update(name=name)  # as if renamed in the back office
        case = case_report(
            actor=u["supervisor"], source="supervisor", lon=lon, lat=lat, description="x",
            photos=[photo()], category_code="E0102",
        ).case  # fmt: skip
        case_act(case_id=case.pk, actor=u["receiver"], action="open")
        case_act(case_id=case.pk, actor=u["dispatcher"], action="dispatch", data={"department_id": unit.pk})
    CaseCategory.objects.filter(code="E0102").update(name="-2+3 暴露垃圾")
    out = io.StringIO()
    assert write_cases_csv(out, bom=False) == len(HOSTILE)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == HEADER
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    records = [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]
    assert sorted(restore_cell(r["handling_unit_name"]) for r in records) == sorted(HOSTILE)
    assert all(r["handling_unit_name"].startswith("'") for r in records)
    assert {r["subclass_name"] for r in records} == {"'-2+3 暴露垃圾"}
    # Counters stay plain numbers.
    assert {r["rework_count"] for r in records} == {"0"}
