"""The report command and files: the JSON agrees with `export_cases` for the same period and as-of time;
XLSX and PDF open and carry the numbers; the pages and downloads obey the permission."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import zlib
from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.core.management import call_command

from qingcheng.cases.export import parse_instant
from qingcheng.core.worktime import working_time_between

from .instants import T_TEXT

pytestmark = pytest.mark.django_db

HANDLING = {"dispatched", "handling", "return_requested", "extension_requested", "park_requested"}
START, END = (
    datetime.fromisoformat("2026-10-01T00:00:00+08:00"),
    datetime.fromisoformat("2026-11-01T00:00:00+08:00"),
)


def _t(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _pct(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    value = Fraction(numerator, denominator) * 100
    return float(
        (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    )


def _two(value: float | Fraction | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return float(
        Decimal(repr(value) if isinstance(value, float) else value).quantize(Decimal("0.01"), ROUND_HALF_UP)
    )


def expected_from_export(rows: list[dict], key: str, as_of: datetime, *, department: bool) -> dict[str, dict]:
    """Indicators recomputed from the exported CSV alone, following docs/evaluation.md."""
    acc: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    spans: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        opened, reported = _t(row["opened_at"]), _t(row["reported_at"])
        if not department and START <= reported < END:
            acc[row[key]]["reports_received"] += 1
            if opened or row["self_handled"] == "true":
                acc[row[key]]["reports_valid"] += 1
        if not (opened and START <= opened < END and opened <= as_of):
            continue
        if row["cancelled"] == "true" or row["merged_into"]:
            continue
        if department and not row[key]:
            continue
        a = acc[row[key]]
        status, due = row["status"], _t(row["handle_deadline"])
        feedback, closed_at = _t(row["feedback_at"]), _t(row["closed_at"])
        reworks = int(row["rework_count"])
        deferred = status in ("deferred", "parked")
        closed = status == "closed"
        closed_on_time = closed and due is not None and closed_at <= due
        handled = feedback is not None
        handled_on_time = handled and due is not None and feedback <= due
        a["n"] += 1
        a["deferred"] += deferred
        a["closed"] += closed
        a["closed_on_time"] += closed_on_time
        a["handled"] += handled
        a["handled_on_time"] += handled_on_time
        a["handled_late"] += handled and due is not None and feedback > due
        a["reached_feedback"] += handled or reworks > 0
        a["reworked"] += reworks > 0
        a["reworks"] += reworks
        a["repeat_reworked"] += reworks >= 3
        a["overdue"] += due is not None and (
            (feedback is not None and feedback > due)
            or (feedback is None and status in HANDLING and due < as_of)
        )
        urgent = row["urgency"] == "urgent"
        a["urgent_due"] += urgent and not deferred
        a["urgent_closed_on_time"] += urgent and closed_on_time
        a["urgent_handled_on_time"] += urgent and handled_on_time
        a["extended"] += int(row["extension_count"]) > 0
        a["extensions"] += int(row["extension_count"])
        if row["satisfaction"]:
            a["rated"] += 1
            a["satisfied"] += int(row["satisfaction"]) >= 3
            a["satisfaction_sum"] += int(row["satisfaction"])
        start, end = (
            (_t(row["dispatched_at"]), feedback) if department else (opened, closed_at if closed else None)
        )
        if end is not None:
            spans[row[key]].append(
                working_time_between(start, end, area_code=row["grid_code"]).total_seconds()
            )
    result = {}
    for code, a in acc.items():
        base = a["n"] - a["deferred"]
        hours = _two(sum(spans[code]) / len(spans[code]) / 3600) if spans[code] else None
        common = {
            "deferred": a["deferred"],
            "closed": a["closed"],
            "reached_feedback": a["reached_feedback"],
            "reworked": a["reworked"],
            "rework_rate": _pct(a["reworked"], a["reached_feedback"]),
            "reworks": a["reworks"],
            "repeat_reworked": a["repeat_reworked"],
            "overdue": a["overdue"],
            "urgent_due": a["urgent_due"],
            "mean_handling_hours": hours,
            "rated": a["rated"],
            "satisfaction_mean": _two(Fraction(a["satisfaction_sum"], a["rated"])) if a["rated"] else None,
            "satisfaction_rate": _pct(a["satisfied"], a["rated"]),
        }
        if department:
            result[code] = {
                **common,
                "assigned": a["n"],
                "handled": a["handled"],
                "handled_on_time": a["handled_on_time"],
                "handled_late": a["handled_late"],
                "handle_rate": _pct(a["handled"], base),
                "on_time_handle_rate": _pct(a["handled_on_time"], base),
                "late_rate": _pct(a["handled_late"], a["handled"]),
                "extended": a["extended"],
                "extensions": a["extensions"],
                "extension_rate": _pct(a["extended"], a["n"]),
                "urgent_handled_on_time": a["urgent_handled_on_time"],
                "urgent_on_time_handle_rate": _pct(a["urgent_handled_on_time"], a["urgent_due"]),
            }
        else:
            result[code] = {
                **common,
                "reports_received": a["reports_received"],
                "reports_valid": a["reports_valid"],
                "valid_report_rate": _pct(a["reports_valid"], a["reports_received"]),
                "due": a["n"],
                "closed_on_time": a["closed_on_time"],
                "close_rate": _pct(a["closed"], base),
                "on_time_close_rate": _pct(a["closed_on_time"], base),
                "urgent_closed_on_time": a["urgent_closed_on_time"],
                "urgent_on_time_close_rate": _pct(a["urgent_closed_on_time"], a["urgent_due"]),
            }
    return result


def _run(*args) -> bytes:
    out = io.BytesIO()

    class Stdout:
        buffer = out

        @staticmethod
        def flush():
            pass

    import sys

    saved = sys.stdout
    sys.stdout = Stdout  # the command writes bytes to sys.stdout.buffer
    try:
        call_command(*args)
    finally:
        sys.stdout = saved
    return out.getvalue()


@pytest.mark.parametrize("as_of_text", [T_TEXT, "2026-11-20"])
@pytest.mark.parametrize(
    ("level", "column"),
    [
        ("district", "district_code"),
        ("street", "street_code"),
        ("community", "community_code"),
        ("grid", "grid_code"),
        ("department", "handling_unit"),
    ],
)
def test_json_report_agrees_with_export_cases(world, tmp_path, level, column, as_of_text):
    export = tmp_path / "cases.csv"
    call_command("export_cases", "--output", str(export), "--as-of", as_of_text, verbosity=0)
    with open(export, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    data = json.loads(
        _run(
            "evaluation_report",
            "--period",
            "2026-10",
            "--level",
            level,
            "--format",
            "json",
            "--as-of",
            as_of_text,
        )
    )
    as_of = parse_instant(as_of_text, end_of_day=True)
    assert datetime.fromisoformat(data["as_of"]) == as_of
    assert data["period"]["label"] == "2026-10" and data["level"] == level
    expected = expected_from_export(rows, column, as_of, department=level == "department")
    got = {o["code"]: o for o in data["objects"]}
    assert expected, "the export has cases of the period"
    for code, indicators in expected.items():
        assert code in got, code
        for name, value in indicators.items():
            assert got[code]["indicators"][name] == value, (code, name)
    for o in data["objects"]:
        assert {"code", "name", "score", "grade", "rank", "indicators"} <= set(o)
        if o["code"] not in expected:  # objects without cases in the export have nothing due
            assert o["indicators"].get("due", o["indicators"].get("assigned")) == 0


def test_xlsx_opens_and_holds_the_numbers_and_a_chart(world):
    from openpyxl import load_workbook

    data = _run(
        "evaluation_report",
        "--period",
        "2026-10",
        "--level",
        "district",
        "--format",
        "xlsx",
        "--as-of",
        T_TEXT,
    )
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    rows = {row[1]: row for row in values if row and row[1] in ("150105", "150102")}
    assert rows["150105"][2] == "赛罕区" and rows["150105"][3] == pytest.approx(37.91)
    assert rows["150105"][0] == 1 and rows["150102"][3] == pytest.approx(13.33)
    header = next(row for row in values if any(isinstance(c, str) and "应结案数" in c for c in row))
    due_column = next(i for i, c in enumerate(header) if isinstance(c, str) and "应结案数" in c)
    assert rows["150105"][due_column] == 19 and rows["150102"][due_column] == 3
    assert len(sheet._charts) == 1
    assert len(workbook.worksheets) == 2


def _pdf_text(data: bytes) -> bytes:
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        raw = match.group(1).strip()
        if raw.endswith(b"~>"):  # reportlab writes ASCII85 over Flate
            raw = base64.a85decode(raw[:-2])
        try:
            chunks.append(zlib.decompress(raw))
        except zlib.error:
            chunks.append(raw)
    return b"\n".join(chunks)


def test_pdf_is_a_pdf_with_pages_a_chart_and_the_numbers(world, tmp_path):
    output = tmp_path / "report.pdf"
    call_command(
        "evaluation_report", "--period", "2026-10", "--level", "street", "--format", "pdf", "--as-of", T_TEXT,
        "--output", str(output), verbosity=0,
    )  # fmt: skip
    data = output.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type /Page[^s]", data))
    assert pages == 3  # one page per block of eight indicators (22 indicators)
    text = _pdf_text(data)
    for number in (b"46.96", b"30.00", b"13.33", b"150105001"):
        assert number in text
    assert b"STSong-Light" in data


@pytest.mark.parametrize("level", ["department", "supervisor", "receiver", "dispatcher", "grid"])
def test_every_level_renders_in_every_format(world, level):
    from qingcheng.evaluation.exports import render
    from qingcheng.evaluation.periods import parse_period
    from qingcheng.evaluation.selectors import evaluation_report

    report = evaluation_report(actor=None, period=parse_period("2026-10"), level=level)
    assert json.loads(render(report, "json"))["objects"]
    assert render(report, "xlsx")[:2] == b"PK"
    assert render(report, "pdf").startswith(b"%PDF")


def test_reports_page_and_downloads_need_the_permission(world, client, make_user):
    leader = world["users"]["L"]
    client.force_login(leader)
    page = client.get("/evaluation/", {"period": "2026-10", "level": "district", "as_of": T_TEXT})
    assert page.status_code == 200
    html = page.content.decode()
    assert "赛罕区" in html and "37.91" in html and "13.33" in html
    assert 'data-format="pdf"' in html
    for fmt, start in (("json", b"{"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        response = client.get(
            "/evaluation/download/", {"period": "2026-10", "level": "street", "as_of": T_TEXT, "format": fmt}
        )
        assert response.status_code == 200, fmt
        assert response.content.startswith(start)
        assert f"evaluation-2026-10-street.{fmt}" in response["Content-Disposition"]
    bad = client.get("/evaluation/", {"period": "2026-13"})
    assert bad.status_code == 400 and "is-invalid" in bad.content.decode()
    assert client.get("/evaluation/download/", {"period": "2026-10", "format": "doc"}).status_code == 400

    client.force_login(world["users"]["S1"])
    assert client.get("/evaluation/").status_code == 403
    assert client.get("/evaluation/download/", {"period": "2026-10", "format": "json"}).status_code == 403
    client.logout()
    assert client.get("/evaluation/").status_code == 302


def test_command_centre_pages(world, client):
    from qingcheng.core import clock

    from .instants import at

    client.force_login(world["users"]["L"])
    assert client.get("/command-centre/").status_code == 200
    with clock.at(at("2026-11-03T11:00")):
        data = client.get("/command-centre/data.json").json()
    # Today (3 November): C22 closed, C23 reopened; overdue: C8, C11, C27 (due 2 November 14:40) and P2
    # (since September); C23's restarted deadline (16:30) has not passed yet.
    assert data["counters"] == {
        "reported_today": 0,
        "opened_today": 0,
        "closed_today": 1,
        "overdue": 4,
        "open": 11,
    }
    # open: C4, C5, C8, C11, C15, C16, C18, C23, C24, C27 and P2; on the map also C22, closed today
    assert len(data["markers"]) == 12
    assert sum(1 for m in data["markers"] if m[3]) == 4
    assert len(data["trend"]["days"]) == 30 and data["trend"]["days"][-1] == "2026-11-03"
    assert data["month"] == "2026-11"
    client.force_login(world["users"]["R"])
    assert client.get("/command-centre/").status_code == 403
    assert client.get("/command-centre/data.json").status_code == 403


def test_bad_arguments_of_the_command(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("evaluation_report", "--period", "2026-13", "--format", "json")
    with pytest.raises(CommandError):
        call_command("evaluation_report", "--period", "2026-10", "--as-of", "yesterday")
