import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingcheng.core.exports import (
    FORMULA_STARTS,
    SafeDictWriter,
    SafeWriter,
    restore_cell,
    safe_cell,
    sheet_append,
)

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "＝1",
    "＋1",
    "－1",
    "＠A",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_starts_get_an_apostrophe(value):
    assert safe_cell(value) == "'" + value
    assert restore_cell(safe_cell(value)) == value


@pytest.mark.parametrize("value", ["赛罕区", "", "E0201", "12", "-12.5", "+3", "1e5", 12, -12.5, None, "a=b"])
def test_plain_text_and_numbers_are_unchanged(value):
    assert safe_cell(value) == value
    assert restore_cell(value) == value


@given(st.text(max_size=20))
def test_no_text_starts_a_formula_and_every_text_comes_back(value):
    cell = safe_cell(value)
    assert not (cell.startswith(FORMULA_STARTS) and not _plain_number(cell))
    assert restore_cell(cell) == value


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text


def test_writers():
    out = io.StringIO()
    SafeWriter(out).writerow(["=1+1", -3, "ok"])
    SafeDictWriter(out, fieldnames=["a"]).writerow({"a": "@x"})
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "-3", "ok"], ["'@x"]]


def test_openpyxl_never_stores_a_formula():
    from openpyxl import Workbook

    for workbook in (Workbook(), Workbook(write_only=True)):
        sheet = workbook.active if workbook.worksheets else workbook.create_sheet()
        sheet_append(sheet, ["=1+1", "-2+3", -2.5, "ok"])
        out = io.BytesIO()
        workbook.save(out)
        from openpyxl import load_workbook

        row = next(load_workbook(io.BytesIO(out.getvalue())).worksheets[0].iter_rows())
        assert [c.data_type for c in row] == ["s", "s", "n", "s"]
        assert [c.value for c in row] == ["'=1+1", "'-2+3", -2.5, "ok"]
