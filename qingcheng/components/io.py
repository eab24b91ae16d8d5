"""Import and export of the component inventory (部件数据导入导出) as CSV, XLSX and GeoJSON.

Columns (the Suzhou parts-exchange field names of GB/T 30428.2 data where one exists; header matching
ignores case, and the Chinese names in brackets are accepted too):

=========== ======================================== ==================================================
Column      Meaning                                  Import rule
=========== ======================================== ==================================================
ObjID       16-digit code 标识码                     blank = next serial of (county, class); keep as text
ObjName     name 名称                                optional, ≤ 100 characters
ClassCode   4-digit minor class 小类代码, e.g. 0101   required unless ObjID is given; must agree with it
ClassName   class name 小类名称                      export only (ignored on import)
DeptCode1   code of 主管部门 (competent department)   optional; must name an existing department
DeptName1   name of 主管部门                         used when DeptCode1 is blank; must be unambiguous
DeptName2   权属单位 (owner unit), free text          optional, ≤ 100 characters
DeptCode3   code of 养护单位 (maintenance unit)      optional; as DeptCode1
DeptName3   name of 养护单位                         as DeptName1
BGID        15-digit unit grid 所在单元网格           optional; must equal the grid the point lies in
ObjState    部件状态 完好/破损/丢失/废弃               blank = 完好; English values accepted
Accuracy    positioning class A/B/C 定位精度          blank = the class default
ORDate      初始日期 YYYY-MM-DD                      optional (also YYYY/MM/DD, YYYYMMDD, Excel dates)
CHDate      变更日期 YYYY-MM-DD                      optional
DataSource  数据来源, e.g. 实测                      optional, ≤ 40 characters
Photo       photo path or URL 照片 (IMGURL)         optional, ≤ 200 characters
Note        备注                                     optional, ≤ 200 characters
lon, lat    WGS-84 经度/纬度                         required (GeoJSON: the Point geometry instead)
Synthetic   1 = synthetic demo data 合成数据         optional; keeps the label through a round trip
=========== ======================================== ==================================================

A file is imported all or nothing: if any row fails, nothing is written and every failing row is
reported (row = spreadsheet line with the header as line 1; for GeoJSON, the feature number from 1),
unless `skip_errors` writes the good rows. CSV is read as UTF-8 (with or without BOM) or GB18030, and
written as UTF-8 with a BOM so Excel shows the Chinese correctly.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from qingcheng.accounts.models import Department
from qingcheng.core.access import Actor, is_in_scope, require_permission
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import Conflict, DomainError, ValidationFailed
from qingcheng.core.exports import SafeDictWriter, restore_cell, sheet_append
from qingcheng.core.inputs import date_in_range
from qingcheng.core.scope import area_covers
from qingcheng.geo import spatial

from .codes import (
    MAX_SERIAL,
    STATE_ZH,
    component_code,
    max_serial,
    parse_accuracy,
    parse_component_code,
    parse_state,
    validate_class_code,
)
from .models import Component, ComponentClass
from .services import COORD_DIGITS, local_today

FORMATS = ("csv", "xlsx", "geojson")
COLUMNS = (
    "ObjID",
    "ObjName",
    "ClassCode",
    "ClassName",
    "DeptCode1",
    "DeptName1",
    "DeptName2",
    "DeptCode3",
    "DeptName3",
    "BGID",
    "ObjState",
    "Accuracy",
    "ORDate",
    "CHDate",
    "DataSource",
    "Photo",
    "Note",
    "lon",
    "lat",
    "Synthetic",
)
ALIASES = {
    "标识码": "ObjID",
    "部件编码": "ObjID",
    "名称": "ObjName",
    "部件名称": "ObjName",
    "小类代码": "ClassCode",
    "smallclass": "ClassCode",
    "小类名称": "ClassName",
    "主管部门代码": "DeptCode1",
    "主管部门": "DeptName1",
    "权属单位": "DeptName2",
    "养护单位代码": "DeptCode3",
    "养护单位": "DeptName3",
    "所在单元网格": "BGID",
    "单元网格": "BGID",
    "部件状态": "ObjState",
    "状态": "ObjState",
    "定位精度": "Accuracy",
    "初始日期": "ORDate",
    "变更日期": "CHDate",
    "数据来源": "DataSource",
    "照片": "Photo",
    "imgurl": "Photo",
    "备注": "Note",
    "经度": "lon",
    "longitude": "lon",
    "x": "lon",
    "纬度": "lat",
    "latitude": "lat",
    "y": "lat",
    "合成数据": "Synthetic",
}
_CANONICAL = {name.lower(): name for name in COLUMNS} | {key.lower(): value for key, value in ALIASES.items()}
MAX_LENGTHS = {"ObjName": 100, "DeptName2": 100, "DataSource": 40, "Photo": 200, "Note": 200}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "t"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "f"}
WRITE_BATCH = 2000

# ---------------------------------------------------------------------- report


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    code: str
    message_zh: str
    message_en: str
    value: str = ""

    def line(self) -> str:
        shown = f" 值/value: {self.value!r}" if self.value else ""
        return f"第 {self.row} 行 row {self.row} [{self.field}] {self.code}: {self.message_zh} / {self.message_en}{shown}"


@dataclass
class ImportReport:
    fmt: str
    total_rows: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    skip_errors: bool = False
    codes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def failed_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})

    def summary(self) -> str:
        failed = len(self.failed_rows)
        if self.dry_run:
            what_zh, what_en = "试运行，未写入", "dry run, nothing written"
        elif failed and not self.skip_errors:
            what_zh, what_en = "有错误，未写入任何行", "errors found, nothing written"
        else:
            what_zh, what_en = f"已导入 {self.imported} 行", f"{self.imported} rows imported"
        return (
            f"共 {self.total_rows} 行，{failed} 行有错误；{what_zh}。"
            f" {self.total_rows} rows, {failed} with errors; {what_en}."
        )


# ---------------------------------------------------------------------- reading


def _canonical(header: Any) -> str | None:
    return _CANONICAL.get(str(header or "").strip().lower())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets hand back integral numbers (codes typed without a leading apostrophe) as floats.
        return str(int(value))
    # Our exports put an apostrophe before a text that would run as a formula; take it off again.
    return restore_cell(str(value).strip())


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        "无法识别文件编码（应为 UTF-8 或 GB18030）",
        "cannot decode the file: use UTF-8 or GB18030",
        code="invalid_file",
    )


def _normalise_rows(
    header: Iterable[Any], body: Iterable[tuple[int, Iterable[Any]]]
) -> Iterator[tuple[int, dict]]:
    names = [_canonical(h) for h in header]
    _check_columns({n for n in names if n}, geometry_in_columns=True)
    for number, values in body:
        row = {name: value for name, value in zip(names, values, strict=False) if name}
        if all(_text(v) == "" for v in row.values()):
            continue  # blank lines at the end of spreadsheets are not rows
        yield number, row


def _check_columns(present: set[str], *, geometry_in_columns: bool) -> None:
    missing = []
    if geometry_in_columns:
        missing = [name for name in ("lon", "lat") if name not in present]
    if "ObjID" not in present and "ClassCode" not in present:
        missing.append("ObjID/ClassCode")
    if missing:
        raise ValidationFailed(
            f"缺少必需的列：{', '.join(missing)}",
            f"required columns missing: {', '.join(missing)}",
            code="missing_columns",
            details={"missing": missing},
        )


def _read_csv(data: bytes) -> list[tuple[int, dict]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    header = next(reader, None)
    if header is None:
        raise ValidationFailed("文件为空", "the file is empty", code="invalid_file")
    # csv.reader's line_num counts physical lines, which is what a user sees in an editor.
    body = ((reader.line_num, values) for values in reader)
    return list(_normalise_rows(header, body))


def _read_xlsx(data: bytes) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise ValidationFailed(
            "无法读取 XLSX 文件", f"cannot read the XLSX file: {exc}", code="invalid_file"
        ) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ValidationFailed("文件为空", "the file is empty", code="invalid_file")
        return list(_normalise_rows(header, ((n, values) for n, values in enumerate(rows, start=2))))
    finally:
        workbook.close()


def _read_geojson(data: bytes) -> list[tuple[int, dict]]:
    try:
        document = json.loads(_decode(data))
    except json.JSONDecodeError as exc:
        raise ValidationFailed("GeoJSON 格式错误", f"invalid GeoJSON: {exc}", code="invalid_file") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ValidationFailed(
            "GeoJSON 须为 FeatureCollection", "GeoJSON must be a FeatureCollection", code="invalid_file"
        )
    features = document.get("features") or []
    present: set[str] = set()
    rows = []
    for number, feature in enumerate(features, start=1):
        feature = feature if isinstance(feature, dict) else {}
        props = feature.get("properties") or {}
        row = {
            name: value
            for key, value in props.items()
            if (name := _canonical(key)) and name not in ("lon", "lat")
        }
        present.update(row)
        geometry = feature.get("geometry") or {}
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (
            isinstance(geometry, dict)
            and geometry.get("type") == "Point"
            and isinstance(coords, list)
            and len(coords) >= 2
        ):
            row["lon"], row["lat"] = coords[0], coords[1]
        else:
            row["lon"] = row["lat"] = None
            row["_geometry_error"] = True
        rows.append((number, row))
    if rows:
        _check_columns(present, geometry_in_columns=False)
    return rows


READERS = {"csv": _read_csv, "xlsx": _read_xlsx, "geojson": _read_geojson}


def guess_format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    fmt = {"json": "geojson", "xls": "xlsx"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise ValidationFailed(
            f"无法从文件名判断格式，请指定 {'/'.join(FORMATS)}",
            f"cannot tell the format from the file name; give one of {'/'.join(FORMATS)}",
            code="invalid_format",
        )
    return fmt


# ---------------------------------------------------------------------- validating


@dataclass
class _Prepared:
    row: int
    values: dict[str, Any]
    class_code: str = ""
    county: str = ""
    serial: int | None = None


class _Lookups:
    """Everything the row checks need, loaded once per file rather than once per row."""

    def __init__(self) -> None:
        self.classes = {c.code: c for c in ComponentClass.objects.filter(parent__isnull=False)}
        self.departments_by_code: dict[str, Department] = {}
        self.departments_by_name: dict[str, list[Department]] = {}
        for department in Department.objects.filter(is_active=True):
            self.departments_by_code[department.code] = department
            self.departments_by_name.setdefault(department.name, []).append(department)

    def department(self, code: str, name: str, column: str) -> Department | None:
        if code:
            found = self.departments_by_code.get(code)
            if found is None:
                raise ValidationFailed(
                    f"单位代码 {code} 不存在",
                    f"no department with code {code}",
                    field=column,
                    code="unknown_department",
                )
            return found
        if name:
            matches = self.departments_by_name.get(name, [])
            if len(matches) != 1:
                what_zh = "不存在" if not matches else "对应多个单位，请填写单位代码"
                what_en = "does not exist" if not matches else "is ambiguous; give the department code"
                raise ValidationFailed(
                    f"单位“{name}”{what_zh}",
                    f"department '{name}' {what_en}",
                    field=column,
                    code="unknown_department",
                )
            return matches[0]
        return None


def _parse_date(value: Any, column: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S"):
        try:
            day = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return date_in_range(day, column, f"日期“{text}”", f"the date '{text}'")
    raise ValidationFailed(
        f"日期“{text}”无效，应为 YYYY-MM-DD",
        f"invalid date '{text}': use YYYY-MM-DD",
        field=column,
        code="invalid_date",
    )


def _parse_float(value: Any, column: str) -> float:
    try:
        number = float(_text(value)) if not isinstance(value, int | float) else float(value)
    except ValueError:
        number = math.nan
    limit = 180 if column == "lon" else 90
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ValidationFailed(
            f"{'经度' if column == 'lon' else '纬度'}“{_text(value)}”无效",
            f"invalid {'longitude' if column == 'lon' else 'latitude'} '{_text(value)}'",
            field=column,
            code="invalid_coordinates",
        )
    return number


def _error(row: int, exc: DomainError, column: str, value: Any = "") -> RowError:
    return RowError(
        row=row,
        field=exc.details.get("field") or column,
        code=exc.code,
        message_zh=exc.message_zh,
        message_en=exc.message_en,
        value=_text(value)[:60],
    )


def _check_row(
    number: int, raw: dict[str, Any], lookups: _Lookups, actor: Actor
) -> tuple[_Prepared, list[RowError]]:
    """Check the fields of one row that need no other row; location and codes come after, in bulk."""
    errors: list[RowError] = []
    prepared = _Prepared(row=number, values={})
    values = prepared.values

    def attempt(column: str, func, *args):
        try:
            return func(*args)
        except DomainError as exc:
            errors.append(_error(number, exc, column, raw.get(column)))
            return None

    if raw.get("_geometry_error"):
        errors.append(
            RowError(
                number,
                "geometry",
                "invalid_geometry",
                "要素须为点（Point）几何",
                "the feature must be a Point",
            )
        )
    else:
        values["lon"] = attempt("lon", _parse_float, raw.get("lon"), "lon")
        values["lat"] = attempt("lat", _parse_float, raw.get("lat"), "lat")

    obj_id = _text(raw.get("ObjID"))
    class_code = _text(raw.get("ClassCode"))
    if class_code.isdigit() and len(class_code) == 3:
        class_code = "0" + class_code  # spreadsheets drop the leading zero of 0101
    parsed = None
    if obj_id:
        parsed = attempt(
            "ObjID", lambda: parse_component_code(obj_id, known_classes=lookups.classes, field="ObjID")
        )
        if parsed is not None:
            prepared.county, prepared.serial = parsed.county, parsed.serial
            values["code"] = obj_id
    if class_code:
        checked = attempt(
            "ClassCode",
            lambda: validate_class_code(class_code, known_classes=lookups.classes, field="ClassCode"),
        )
        if checked and parsed is not None and parsed.class_code != class_code:
            errors.append(
                RowError(
                    number,
                    "ClassCode",
                    "class_mismatch",
                    f"小类 {class_code} 与标识码中的小类 {parsed.class_code} 不一致",
                    f"class {class_code} differs from the class {parsed.class_code} in ObjID",
                    class_code,
                )
            )
        prepared.class_code = class_code
    elif parsed is not None:
        prepared.class_code = parsed.class_code
    elif not obj_id:
        errors.append(RowError(number, "ClassCode", "required", "缺少小类代码", "ClassCode is required"))

    component_class = lookups.classes.get(prepared.class_code)
    state = _text(raw.get("ObjState"))
    values["state"] = (
        attempt("ObjState", lambda: parse_state(state, field="ObjState")) if state else Component.State.INTACT
    )
    accuracy = (
        _text(raw.get("Accuracy")) or (component_class.default_accuracy if component_class else "") or "B"
    )
    values["accuracy"] = attempt("Accuracy", lambda: parse_accuracy(accuracy, field="Accuracy"))
    values["first_recorded"] = attempt("ORDate", _parse_date, raw.get("ORDate"), "ORDate")
    values["changed_on"] = attempt("CHDate", _parse_date, raw.get("CHDate"), "CHDate")
    values["competent_department"] = attempt(
        "DeptCode1", lookups.department, _text(raw.get("DeptCode1")), _text(raw.get("DeptName1")), "DeptCode1"
    )
    values["maintenance_department"] = attempt(
        "DeptCode3", lookups.department, _text(raw.get("DeptCode3")), _text(raw.get("DeptName3")), "DeptCode3"
    )
    for column, attr in (
        ("ObjName", "name"),
        ("DeptName2", "owner_unit"),
        ("DataSource", "data_source"),
        ("Photo", "photo"),
        ("Note", "note"),
    ):
        text = _text(raw.get(column))
        if len(text) > MAX_LENGTHS[column]:
            errors.append(
                RowError(
                    number,
                    column,
                    "too_long",
                    f"{column} 超过 {MAX_LENGTHS[column]} 个字符",
                    f"{column} is longer than {MAX_LENGTHS[column]} characters",
                    text,
                )
            )
        values[attr] = text
    synthetic = _text(raw.get("Synthetic")).lower()
    if synthetic not in TRUE_WORDS | FALSE_WORDS:
        errors.append(
            RowError(
                number,
                "Synthetic",
                "invalid_flag",
                "合成数据标记应为 0 或 1",
                "Synthetic must be 0 or 1",
                synthetic,
            )
        )
    values["synthetic"] = synthetic in TRUE_WORDS
    values["bgid"] = _text(raw.get("BGID"))
    return prepared, errors


def _locate_rows(prepared: list[_Prepared], errors: list[RowError], actor: Actor) -> None:
    """Find every row's grid in one vectorised pass; misses get the same snapping as `locate`."""
    placed = [p for p in prepared if p.values.get("lon") is not None and p.values.get("lat") is not None]
    if not placed:
        return
    index = spatial.get_index(force_check=True)
    if not len(index):
        raise spatial.NoGrids()
    lons = np.array([p.values["lon"] for p in placed], dtype=float)
    lats = np.array([p.values["lat"] for p in placed], dtype=float)
    found = index.lookup_many(lons, lats)
    for p, hit in zip(placed, found, strict=True):
        if hit == spatial.EMPTY:
            try:
                hit = index.resolve(p.values["lon"], p.values["lat"], settings.GEO_SNAP_METRES).index
            except DomainError as exc:
                errors.append(_error(p.row, exc, "lon", f"{p.values['lon']},{p.values['lat']}"))
                continue
        grid_code = str(index.codes[hit])
        p.values["grid_code"] = grid_code
        bgid = p.values["bgid"]
        if bgid and bgid != grid_code:
            errors.append(
                RowError(
                    p.row,
                    "BGID",
                    "grid_mismatch",
                    f"该点位于网格 {grid_code}，与 BGID 不一致",
                    f"the point lies in grid {grid_code}, not in BGID",
                    bgid,
                )
            )
        if not is_in_scope(actor, grid_code, allow_system=True):  # the import command runs as the system
            errors.append(
                RowError(
                    p.row,
                    "lon",
                    "outside_scope",
                    "该位置不在您的管辖区域内",
                    "the location is outside your area",
                )
            )
        for column, key in (("DeptCode1", "competent_department"), ("DeptCode3", "maintenance_department")):
            unit = p.values.get(key)
            if unit is not None and not area_covers(unit.area_code, grid_code):
                errors.append(
                    RowError(
                        p.row,
                        column,
                        "outside_area",
                        "所选单位不负责该区域",
                        "the chosen unit does not cover this area",
                        unit.code,
                    )
                )
        if p.county and p.county != grid_code[:6]:
            errors.append(
                RowError(
                    p.row,
                    "ObjID",
                    "county_mismatch",
                    f"标识码的区县 {p.county} 与所在网格的区县 {grid_code[:6]} 不一致",
                    f"the code's county {p.county} differs from the grid's county {grid_code[:6]}",
                    p.values.get("code", ""),
                )
            )
        elif not p.county:
            p.county = grid_code[:6]


def _check_codes(prepared: list[_Prepared], errors: list[RowError]) -> None:
    """Duplicates inside the file and against the database, then serials for rows without ObjID."""
    first_row: dict[str, int] = {}
    for p in prepared:
        code = p.values.get("code")
        if not code:
            continue
        if code in first_row:
            errors.append(
                RowError(
                    p.row,
                    "ObjID",
                    "duplicate_in_file",
                    f"标识码与第 {first_row[code]} 行重复",
                    f"ObjID repeats row {first_row[code]}",
                    code,
                )
            )
        else:
            first_row[code] = p.row
    given = list(first_row)
    existing: set[str] = set()
    for start in range(0, len(given), 900):  # stay under SQLite's limit on query parameters
        existing.update(
            Component.objects.filter(code__in=given[start : start + 900]).values_list("code", flat=True)
        )
    for p in prepared:
        code = p.values.get("code")
        if code in existing and first_row.get(code) == p.row:
            errors.append(
                RowError(p.row, "ObjID", "duplicate_code", "标识码已存在", "ObjID already exists", code)
            )


def _assign_serials(prepared: list[_Prepared], errors: list[RowError]) -> None:
    """Codes for rows without ObjID: serials continue after the highest one in the database or in the
    file for each (county, class). Failed rows get none, so skipping them leaves no gaps."""
    failed = {e.row for e in errors}
    top: dict[tuple[str, str], int] = {}
    for p in prepared:
        if p.values.get("code"):
            key = (p.county, p.class_code)
            top[key] = max(top.get(key, 0), p.serial or 0)
    read_from_db: set[tuple[str, str]] = set()
    for p in prepared:
        if p.values.get("code") or p.row in failed:
            continue
        key = (p.county, p.class_code)
        if key not in read_from_db:
            top[key] = max(top.get(key, 0), max_serial(*key))
            read_from_db.add(key)
        top[key] += 1
        if top[key] > MAX_SERIAL:
            errors.append(
                RowError(
                    p.row,
                    "ObjID",
                    "serials_exhausted",
                    "该区县该小类的流水号已用尽",
                    "no serials left for this class",
                )
            )
            continue
        p.values["code"] = component_code(p.county, p.class_code, top[key])


# ---------------------------------------------------------------------- importing


def _read_bytes(source: str | Path | IO) -> tuple[bytes, str]:
    if isinstance(source, str | Path):
        path = Path(source)
        return path.read_bytes(), path.name
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data, str(getattr(source, "name", "") or "")


def _progress(iterable: Iterable, *, enabled: bool, total: int, desc: str, unit: str = "行") -> Iterable:
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=True)


def import_components(
    source: str | Path | IO,
    *,
    fmt: str | None = None,
    actor: Actor = None,
    dry_run: bool = False,
    skip_errors: bool = False,
    progress: bool = False,
) -> ImportReport:
    """Check every row of a CSV, XLSX or GeoJSON file and, if all pass (or `skip_errors`), create the
    components in one transaction with one audit record for the file (its SHA-256, the row count and the
    code range). File-level problems (unreadable file, missing columns) raise ValidationFailed."""
    require_permission(actor, "components.add_component", allow_system=True)
    data, name = _read_bytes(source)
    fmt = (fmt or guess_format(name)).lower()
    if fmt not in READERS:
        raise ValidationFailed(
            f"不支持的格式 {fmt}", f"unsupported format {fmt}; use {'/'.join(FORMATS)}", code="invalid_format"
        )
    rows = READERS[fmt](data)
    report = ImportReport(fmt=fmt, total_rows=len(rows), dry_run=dry_run, skip_errors=skip_errors)
    lookups = _Lookups()
    prepared: list[_Prepared] = []
    for number, raw in _progress(rows, enabled=progress, total=len(rows), desc="检查 checking"):
        item, row_errors = _check_row(number, raw, lookups, actor)
        prepared.append(item)
        report.errors.extend(row_errors)
    _locate_rows(prepared, report.errors, actor)
    _check_codes(prepared, report.errors)
    _assign_serials(prepared, report.errors)
    report.errors.sort(key=lambda e: (e.row, COLUMNS.index(e.field) if e.field in COLUMNS else len(COLUMNS)))
    if dry_run or (report.errors and not skip_errors):
        return report
    failed = set(report.failed_rows)
    good = [p for p in prepared if p.row not in failed]
    today = local_today()
    components = [
        Component(
            code=p.values["code"],
            component_class=lookups.classes[p.class_code],
            name=p.values["name"],
            grid_code=p.values["grid_code"],
            lon=round(p.values["lon"], COORD_DIGITS),
            lat=round(p.values["lat"], COORD_DIGITS),
            competent_department=p.values["competent_department"],
            owner_unit=p.values["owner_unit"],
            maintenance_department=p.values["maintenance_department"],
            state=p.values["state"],
            accuracy=p.values["accuracy"],
            first_recorded=p.values["first_recorded"] or today,
            changed_on=p.values["changed_on"],
            data_source=p.values["data_source"],
            photo=p.values["photo"],
            note=p.values["note"],
            synthetic=p.values["synthetic"],
        )
        for p in good
    ]
    try:
        with transaction.atomic():
            batches = range(0, len(components), WRITE_BATCH)
            for start in _progress(
                batches, enabled=progress, total=len(batches), desc="写入 writing", unit="批"
            ):
                Component.objects.bulk_create(components[start : start + WRITE_BATCH])
            codes = sorted(c.code for c in components)
            audit_record(
                actor=actor,
                action="component.import",
                object_type="components.component",
                object_id=name[:100],
                # The area all of them lie in: the codes' common prefix (codes, not paths).
                area_code=os.path.commonprefix([c.grid_code for c in components]),  # noqa: RUF071
                after={
                    "format": fmt,
                    "file": name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "rows": len(rows),
                    "imported": len(components),
                    "skipped_rows": sorted(failed),
                    "first_code": codes[0] if codes else None,
                    "last_code": codes[-1] if codes else None,
                },
            )
    except IntegrityError:
        # Another writer took one of the codes between the check and the write; nothing was kept.
        raise Conflict(
            "duplicate_code",
            "导入期间部件编码被占用，请重新导入",
            "a code was taken during the import; run it again",
        ) from None
    report.imported = len(components)
    report.codes = [c.code for c in components]
    return report


# ---------------------------------------------------------------------- exporting


def _export_row(c: Component) -> dict[str, Any]:
    return {
        "ObjID": c.code,
        "ObjName": c.name,
        "ClassCode": c.component_class.code,
        "ClassName": c.component_class.name,
        "DeptCode1": c.competent_department.code if c.competent_department_id else "",
        "DeptName1": c.competent_department.name if c.competent_department_id else "",
        "DeptName2": c.owner_unit,
        "DeptCode3": c.maintenance_department.code if c.maintenance_department_id else "",
        "DeptName3": c.maintenance_department.name if c.maintenance_department_id else "",
        "BGID": c.grid_code,
        "ObjState": STATE_ZH.get(c.state, c.state),
        "Accuracy": c.accuracy,
        "ORDate": c.first_recorded.isoformat() if c.first_recorded else "",
        "CHDate": c.changed_on.isoformat() if c.changed_on else "",
        "DataSource": c.data_source,
        "Photo": c.photo,
        "Note": c.note,
        "lon": c.lon,
        "lat": c.lat,
        "Synthetic": 1 if c.synthetic else 0,
    }


def _iter_export(queryset: QuerySet[Component]) -> Iterator[dict[str, Any]]:
    qs = queryset.select_related(
        "component_class", "competent_department", "maintenance_department"
    ).order_by("code")
    for component in qs.iterator(chunk_size=2000):
        yield _export_row(component)


class _BinaryTarget:
    """A path or an open file (text or binary) to write to, always fed bytes or text as it expects."""

    def __init__(self, target: str | Path | IO) -> None:
        self.owned = isinstance(target, str | Path)
        # Closed in close(); the export streams into it row by row.
        self.handle = Path(target).open("wb") if self.owned else target  # noqa: SIM115
        self.binary = self.owned or not isinstance(self.handle, io.TextIOBase)

    def write(self, text: str) -> None:
        self.handle.write(text.encode("utf-8") if self.binary else text)

    def write_bytes(self, data: bytes) -> None:
        if self.binary:
            self.handle.write(data)
        else:
            raise ValidationFailed("XLSX 须写入二进制文件", "XLSX needs a binary file", code="invalid_target")

    def close(self) -> None:
        if self.owned:
            self.handle.close()


def export_components(queryset: QuerySet[Component], fmt: str, file: str | Path | IO) -> int:
    """Write the components of `queryset` in the import column set (so an export imports back
    unchanged); returns the number written. The caller chooses the rows, e.g. via a selector."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValidationFailed(
            f"不支持的格式 {fmt}", f"unsupported format {fmt}; use {'/'.join(FORMATS)}", code="invalid_format"
        )
    target = _BinaryTarget(file)
    count = 0
    try:
        if fmt == "csv":
            buffer = io.StringIO()
            writer = SafeDictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
            target.write("\ufeff")  # BOM, so Excel opens the Chinese text as UTF-8
            writer.writeheader()
            for row in _iter_export(queryset):
                writer.writerow(row)
                count += 1
                if count % 2000 == 0:
                    target.write(buffer.getvalue())
                    buffer.seek(0)
                    buffer.truncate()
            target.write(buffer.getvalue())
        elif fmt == "xlsx":
            from openpyxl import Workbook

            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("部件 components")
            sheet_append(sheet, COLUMNS)
            for row in _iter_export(queryset):
                # Codes stay text cells: Excel keeps only 15 significant digits of a number.
                sheet_append(sheet, [row[name] for name in COLUMNS])
                count += 1
            out = io.BytesIO()
            workbook.save(out)
            target.write_bytes(out.getvalue())
        else:
            target.write('{"type":"FeatureCollection","features":[\n')
            for row in _iter_export(queryset):
                lon, lat = row.pop("lon"), row.pop("lat")
                feature = {
                    "type": "Feature",
                    "id": row["ObjID"],
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": row,
                }
                target.write(("" if count == 0 else ",\n") + json.dumps(feature, ensure_ascii=False))
                count += 1
            target.write("\n]}\n")
    finally:
        target.close()
    return count
