"""Names that are formulas or PDF markup: the XLSX holds them as inert text, the PDF prints them literally
and embeds nothing (finding 7 of the external test: `=HYPERLINK(…)` became a live formula, `<img src=…>`
embedded a local file, `<img onerror>` made the PDF export fail)."""

from __future__ import annotations

import io
import re

import pytest

from qingcheng.core.exports import FORMULA_STARTS, restore_cell
from qingcheng.core.tests.pdf import pdf_text

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "＝1+1"]
MARKUP = [
    '<img src="/etc/passwd" width=10 height=10/>',
    "<img src=x onerror=alert(1)>",
    "<font name=x>",
    '<a href="javascript:x">',
    "&",
    "<",
    "A & B <b>",
]


def _rename(names: list[str]) -> None:
    """One active handling unit per name, so each is an object of the department report."""
    from qingcheng.accounts.models import Department

    for n, name in enumerate(names):
        Department.objects.create(code=f"HOSTILE-{n}", name=name, kind="professional", area_code="150105")


def _report():
    from qingcheng.evaluation.periods import parse_period
    from qingcheng.evaluation.selectors import evaluation_report

    return evaluation_report(actor=None, period=parse_period("2026-10"), level="department")


def test_xlsx_cells_are_never_formulas(world):
    from openpyxl import load_workbook

    from qingcheng.evaluation.exports import render
    from qingcheng.evaluation.models import ScoringScheme

    _rename(FORMULAS)
    ScoringScheme.objects.filter(is_active=True).update(name="=1+1")
    workbook = load_workbook(io.BytesIO(render(_report(), "xlsx")))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [t for t in texts if t.startswith(FORMULA_STARTS)]
    for name in [*FORMULAS, "=1+1"]:
        assert "'" + name in texts, name
        assert restore_cell("'" + name) == name
    # Numbers, negative changes included, are still numbers.
    numbers = [cell.value for cell in cells if cell.data_type == "n" and cell.value is not None]
    assert numbers


def test_pdf_prints_markup_literally_and_embeds_nothing(world, client, make_user):
    from qingcheng.evaluation.exports import render

    _rename(MARKUP)
    data = render(_report(), "pdf")
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # No image XObject (an <img> would embed one; every page names the /ImageB… procsets regardless).
    assert not re.search(rb"/Subtype\s*/Image", data) and b"/XObject" not in data
    assert b"/URI" not in data and b"javascript" not in data
    # The names wrap inside their table cells: compare without the spaces where lines break.
    text = re.sub(r"\s", "", pdf_text(data))
    for name in MARKUP:
        assert re.sub(r"\s", "", name) in text, name
    # Through the download page as well: 200 and a PDF.
    leader = make_user(["leader"], area_code="150105")
    client.force_login(leader)
    response = client.get(
        "/evaluation/download/", {"level": "department", "period": "2026-10", "format": "pdf"}
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert not re.search(rb"/Subtype\s*/Image", response.content)
