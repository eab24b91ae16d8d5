"""Spreadsheet cells that cannot become formulas (CSV/formula injection, OWASP "CSV Injection").

Excel, LibreOffice and WPS run a cell that starts with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(…)`
sends the reader's data to a web site, `@SUM(…)` and `-2+3` compute), and also one whose leading tab or
carriage return hides such a start; Chinese input methods type the full-width `＝＋－＠`, which some
versions treat the same way. Every text cell of every CSV and XLSX file we write goes through
`safe_cell`, which puts an apostrophe in front of such a text, as OWASP recommends: the sheet shows the
text as written, with the apostrophe, and never evaluates it. Numbers stay numbers (a genuine -12.5 is
written as a number, or as a text that is only a number), so sums and sorting keep working.

The apostrophe is reversible: `restore_cell` takes it off again, so an export that is meant to be
imported back (components) round-trips. A text that itself starts with apostrophes before a formula
character gets one more, so nothing is lost either way.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _needs_quote(text: str) -> bool:
    rest = text.lstrip("'")
    if not rest.startswith(FORMULA_STARTS):
        return False
    # A bare number ("-12.5") is not a formula; it is quoted only when apostrophes are in front, which
    # `restore_cell` must be able to tell apart.
    return len(rest) != len(text) or not _NUMBER.fullmatch(text)


def safe_cell(value: Any) -> Any:
    """The value to write into a CSV or XLSX cell: a text that a spreadsheet would run as a formula gets
    a leading apostrophe; every other value (numbers, dates, None, plain text) is returned unchanged."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


def restore_cell(value: Any) -> Any:
    """The inverse of `safe_cell`, for importers reading back a file we wrote."""
    if isinstance(value, str) and value.startswith("'") and value[1:].lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SafeWriter:
    """`csv.writer` whose every row goes through `safe_row`."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """`csv.DictWriter` whose every value goes through `safe_cell` (the header is ours, but goes too)."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writeheader(self) -> Any:
        return super().writerow({name: safe_cell(name) for name in self.fieldnames})


def sheet_append(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet (normal or write-only) with every text cell neutralised.
    openpyxl stores any text that starts with "=" as a formula; after `safe_cell` none does."""
    sheet.append(safe_row(values))
