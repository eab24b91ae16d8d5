"""The evaluation report as JSON (for machines), XLSX (for analysis) and PDF (for printing), with charts."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from qingcheng.core.exports import sheet_append
from qingcheng.core.pdf import para

from .models import SCHEME_FIELDS
from .periods import zone
from .scoring import GRADES
from .selectors import ObjectResult, Report

FORMATS = ("json", "xlsx", "pdf")
CONTENT_TYPES = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
GRADE_COLOURS = {"green": "2B8A3E", "yellow": "F0B400", "red": "C92A2A"}
CHART_LIMIT = 30


def _local(value: datetime) -> str:
    return value.astimezone(zone()).isoformat(timespec="seconds")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def file_name(report: Report, fmt: str) -> str:
    label = report.period.label.replace("..", "_")
    return f"evaluation-{label}-{report.level}.{fmt}"


def level_label(level: str) -> str:
    return {
        "district": _("District"),
        "street": _("Street"),
        "community": _("Community"),
        "grid": _("Grid"),
        "department": _("Handling unit"),
        "supervisor": _("Supervisors"),
        "receiver": _("Receivers"),
        "dispatcher": _("Dispatchers"),
    }[level]


def grade_label(grade: str | None) -> str:
    return str(GRADES[grade]) if grade else ""


# ---------------------------------------------------------------------------------------- JSON


def _object_json(o: ObjectResult) -> dict[str, Any]:
    return {
        "code": o.code,
        "name": o.name,
        "rank": o.rank,
        "score": _plain(o.score),
        "grade": o.grade,
        "previous_score": _plain(o.previous_score),
        "score_change": _plain(o.score_change),
        "previous_rank": o.previous_rank,
        "rank_change": o.rank_change,
        "indicators": {key: _plain(value) for key, value in o.indicators.items()},
    }


def report_json(report: Report) -> dict[str, Any]:
    scheme = report.scheme
    return {
        "report": "evaluation",
        "standard": "GB/T 30428.4",
        "level": report.level,
        "object_kind": report.kind,
        "period": {
            "label": report.period.label,
            "kind": report.period.kind,
            "start": _local(report.period.start),
            "end": _local(report.period.end),
        },
        "previous_period": report.previous_period.label if report.previous_period else None,
        "as_of": _local(report.as_of),
        "generated_at": _local(report.generated_at),
        "scheme": {
            "name": scheme.name,
            "max_points": float(report.max_points),
            **{name: _plain(getattr(scheme, name)) for name in SCHEME_FIELDS},
        },
        "indicators": [
            {"key": i.key, "label": str(i.label), "kind": i.kind} for i in report.indicators
        ],
        "objects": [_object_json(o) for o in report.objects],
        "total": None if report.total is None else {
            "score": _plain(report.total.score),
            "grade": report.total.grade,
            "indicators": {k: _plain(v) for k, v in report.total.indicators.items()},
        },
    }  # fmt: skip


# ---------------------------------------------------------------------------------------- XLSX


def _title(report: Report) -> str:
    return _("Evaluation report (综合评价) %(period)s · %(level)s") % {
        "period": report.period.label,
        "level": level_label(report.level),
    }


def _headline(report: Report) -> list[str]:
    return [
        _("As of %(as_of)s") % {"as_of": report.as_of.astimezone(zone()).strftime("%Y-%m-%d %H:%M")},
        _("Scoring scheme: %(name)s (full points %(points)s)")
        % {"name": report.scheme.name, "points": _number(report.max_points)},
    ]


def _number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Results")
    sheet_append(sheet, [_title(report)])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in _headline(report):
        sheet_append(sheet, [line])
    sheet_append(sheet, [])
    fixed = [_("Rank"), _("Code"), _("Name"), _("Score"), _("Grade"), _("Since previous period")]
    header = [*fixed, *[str(i.label) for i in report.indicators]]
    sheet_append(sheet, header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    first_data = header_row + 1
    for o in report.objects:
        sheet_append(
            sheet,
            [o.rank, o.code, o.name, _plain(o.score), grade_label(o.grade), _plain(o.score_change)]
            + [_plain(o.indicators[i.key]) for i in report.indicators],
        )
        if o.grade:
            sheet.cell(sheet.max_row, 5).fill = PatternFill("solid", fgColor=GRADE_COLOURS[o.grade])
            sheet.cell(sheet.max_row, 5).font = Font(color="FFFFFF", bold=True)
    last_data = sheet.max_row
    if report.total is not None:
        t = report.total
        sheet_append(
            sheet,
            ["", "", _("Total"), _plain(t.score), grade_label(t.grade), None]
            + [_plain(t.indicators[i.key]) for i in report.indicators],
        )
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for column in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 28 if column == 3 else 14
    sheet.freeze_panes = sheet.cell(first_data, 4)

    scored = [o for o in report.objects if o.score is not None][:CHART_LIMIT]
    if scored:
        chart = BarChart()
        chart.type = "col"
        chart.title = _("Score by object")
        chart.y_axis.title = _("Score")
        chart.height, chart.width = 9, 24
        rows = first_data + len(scored) - 1
        chart.add_data(Reference(sheet, min_col=4, min_row=header_row, max_row=rows), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=3, min_row=first_data, max_row=rows))
        chart.legend = None
        sheet.add_chart(chart, f"A{max(last_data, first_data) + 4}")

    notes = workbook.create_sheet(_("Definitions"))
    sheet_append(notes, [_("Indicator"), _("Key")])
    for indicator in report.indicators:
        sheet_append(notes, [str(indicator.label), indicator.key])
    sheet_append(notes, [])
    sheet_append(notes, [_("Scoring scheme"), report.scheme.name])
    for name in SCHEME_FIELDS:
        sheet_append(
            notes,
            [str(report.scheme._meta.get_field(name).verbose_name), _plain(getattr(report.scheme, name))],
        )
    notes.column_dimensions["A"].width = 60
    notes.column_dimensions["B"].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------- PDF

PDF_FONT = "STSong-Light"  # Adobe's CID font built into every PDF reader: no font file needed
NUMBER_FONT = "Helvetica"
PDF_CHUNK = 8  # indicator columns per table on a landscape A4 page


def report_pdf(report: Report) -> bytes:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, SimpleDocTemplate, Spacer, Table, TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    title_style = ParagraphStyle("title", fontName=PDF_FONT, fontSize=16, leading=22, spaceAfter=4)
    text_style = ParagraphStyle("text", fontName=PDF_FONT, fontSize=9, leading=13)
    cell_style = ParagraphStyle("cell", fontName=PDF_FONT, fontSize=7, leading=9)

    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_title(report),
        author="Qingcheng",
    )
    story: list[Any] = [para(_title(report), title_style)]
    for line in _headline(report):
        story.append(para(line, text_style))
    story.append(Spacer(1, 4 * mm))

    scored = [o for o in report.objects if o.score is not None][:CHART_LIMIT]
    if scored:
        width, height = page[0] - 24 * mm, 70 * mm
        drawing = Drawing(width, height)
        chart = VerticalBarChart()
        chart.x, chart.y = 30, 30
        chart.width, chart.height = width - 50, height - 50
        chart.data = [[float(o.score) for o in scored]]
        chart.categoryAxis.categoryNames = [o.name[:8] for o in scored]
        chart.categoryAxis.labels.fontName = PDF_FONT
        chart.categoryAxis.labels.fontSize = 6
        chart.categoryAxis.labels.angle = 30
        chart.categoryAxis.labels.boxAnchor = "ne"
        chart.valueAxis.valueMin = 0
        chart.valueAxis.valueMax = float(report.max_points) or 100
        chart.valueAxis.labels.fontName = NUMBER_FONT
        chart.valueAxis.labels.fontSize = 7
        chart.bars[0].fillColor = colors.HexColor("#1f3b73")
        for index, o in enumerate(scored):
            chart.bars[(0, index)].fillColor = colors.HexColor(
                "#" + GRADE_COLOURS.get(o.grade or "", "1f3b73")
            )
        drawing.add(chart)
        drawing.add(String(30, height - 12, _("Score by object"), fontName=PDF_FONT, fontSize=9))
        story.append(drawing)
        story.append(Spacer(1, 4 * mm))

    rows = [*report.objects]
    indicators = list(report.indicators)
    chunks = [indicators[i : i + PDF_CHUNK] for i in range(0, len(indicators), PDF_CHUNK)] or [[]]
    for number, chunk in enumerate(chunks):
        if number:
            story.append(PageBreak())
        header = [_("Rank"), _("Code"), _("Name"), _("Score"), _("Grade"), _("Since previous period")]
        header += [str(i.label) for i in chunk]
        data: list[list[Any]] = [[para(h, cell_style) for h in header]]
        for o in rows:
            data.append(
                [
                    _number(o.rank),
                    o.code,
                    para(o.name, cell_style),
                    _number(o.score),
                    para(grade_label(o.grade), cell_style),
                    _number(o.score_change),
                ]
                + [_number(o.indicators[i.key]) for i in chunk]
            )
        if report.total is not None:
            t = report.total
            data.append(
                [
                    "",
                    "",
                    para(_("Total"), cell_style),
                    _number(t.score),
                    para(grade_label(t.grade), cell_style),
                    "",
                ]
                + [_number(t.indicators[i.key]) for i in chunk]
            )
        fixed_widths = [12 * mm, 30 * mm, 42 * mm, 14 * mm, 16 * mm, 14 * mm]
        rest = (page[0] - 24 * mm - sum(fixed_widths)) / max(1, len(chunk))
        table = Table(data, colWidths=[*fixed_widths, *([rest] * len(chunk))], repeatRows=1)
        style = [
            ("FONTNAME", (0, 0), (-1, -1), NUMBER_FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 7),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
        ]
        for row_index, o in enumerate(rows, start=1):
            if o.grade:
                style.append(
                    (
                        "BACKGROUND",
                        (4, row_index),
                        (4, row_index),
                        colors.HexColor("#" + GRADE_COLOURS[o.grade]),
                    )
                )
        table.setStyle(TableStyle(style))
        story.append(table)
    doc.build(story)
    return buffer.getvalue()


def render(report: Report, fmt: str) -> bytes:
    if fmt == "json":
        import json

        return json.dumps(report_json(report), ensure_ascii=False, indent=2).encode("utf-8")
    if fmt == "xlsx":
        return report_xlsx(report)
    if fmt == "pdf":
        return report_pdf(report)
    raise ValueError(f"unknown format {fmt!r}")
