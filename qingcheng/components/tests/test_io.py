"""Import and export: CSV, XLSX and GeoJSON, the per-row error report, all-or-nothing, round trips."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from qingcheng.components import services
from qingcheng.components.io import COLUMNS, export_components, import_components
from qingcheng.components.models import Component
from qingcheng.core.errors import ValidationFailed
from qingcheng.core.models import AuditEntry

HEADER = "ObjID,ObjName,ClassCode,DeptName1,DeptName2,BGID,ObjState,ORDate,CHDate,DataSource,Note,lon,lat"


def _csv(lines: list[str]) -> io.BytesIO:
    data = io.BytesIO("\n".join([HEADER, *lines]).encode("utf-8"))
    data.name = "components.csv"
    return data


@pytest.fixture
def rows(centre):
    a, b, c = centre(0, 0), centre(1, 1), centre(3, 2)
    return [
        f"1501050101000001,上水井盖1,0101,,供水单位,150105001001001,完好,2024-05-01,,实测,,{a[0]},{a[1]}",
        f",污水井盖,0102,,,,破损,2024/05/02,2025-01-03,实测,井盖破裂,{b[0]},{b[1]}",
        f",路灯,118,,,,,,,,,{c[0]},{c[1]}",  # leading zero lost by a spreadsheet
    ]


def test_csv_happy_path(city, rows):
    report = import_components(_csv(rows), fmt="csv")
    assert report.ok and report.total_rows == 3 and report.imported == 3
    assert report.codes == ["1501050101000001", "1501050102000001", "1501050118000001"]
    sewer = Component.objects.get(code="1501050102000001")
    assert sewer.state == "damaged" and sewer.grid_code == "150105001001004"
    assert sewer.first_recorded.isoformat() == "2024-05-02" and sewer.note == "井盖破裂"
    assert Component.objects.get(code="1501050118000001").accuracy == "A"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "component.import" and '"imported":3' in entry.changes


def test_gb18030_csv_is_read(city, rows):
    data = io.BytesIO("\n".join([HEADER, *rows]).encode("gb18030"))
    assert import_components(data, fmt="csv").imported == 3


def test_three_bad_rows_reported_and_nothing_written(city, rows, centre):
    a = centre(0, 1)
    bad = [
        rows[0],
        f",井盖,0101,,,,坏了,,,,,{a[0]},{a[1]}",  # row 3: state
        rows[1],
        ",井盖,0101,,,,,,,,,112.9,41.9",  # row 5: outside every grid
        f",井盖,9999,,,,,2024-13-01,,,,{a[0]},{a[1]}",  # row 6: class and date
    ]
    before = (Component.objects.count(), AuditEntry.objects.count())
    report = import_components(_csv(bad), fmt="csv")
    assert not report.ok and report.imported == 0
    assert report.failed_rows == [3, 5, 6]
    found = {(e.row, e.field, e.code) for e in report.errors}
    assert (3, "ObjState", "invalid_state") in found
    assert (5, "lon", "outside_coverage") in found
    assert (6, "ClassCode", "unknown_class") in found and (6, "ORDate", "invalid_date") in found
    assert all(e.message_zh and e.message_en for e in report.errors)
    assert "第 3 行" in report.errors[0].line()
    assert (Component.objects.count(), AuditEntry.objects.count()) == before
    # With skip_errors the two good rows go in.
    partial = import_components(_csv(bad), fmt="csv", skip_errors=True)
    assert partial.imported == 2 and Component.objects.count() == 2


def test_duplicates_grid_mismatch_and_county_checked(city, rows, centre):
    services.component_create(actor=None, class_code="0101", lon=centre(2, 2)[0], lat=centre(2, 2)[1])
    a = centre(0, 0)
    lines = [
        rows[0].replace("1501050101000001", "1501050101000001"),  # already in the database
        f"1501050102000009,,0102,,,,,,,,,{a[0]},{a[1]}",
        f"1501050102000009,,0102,,,,,,,,,{a[0]},{a[1]}",  # repeats row 3
        f",,0102,,,150105001001002,,,,,,{a[0]},{a[1]}",  # BGID is not where the point is
        f"1501020102000001,,0102,,,,,,,,,{a[0]},{a[1]}",  # code of 新城区 in 赛罕区
    ]
    report = import_components(_csv(lines), fmt="csv")
    found = {(e.row, e.code) for e in report.errors}
    assert found == {
        (2, "duplicate_code"),
        (4, "duplicate_in_file"),
        (5, "grid_mismatch"),
        (6, "county_mismatch"),
    }


def test_missing_columns_is_a_file_error(city):
    data = io.BytesIO(b"ObjName,lon\nx,111.7\n")
    with pytest.raises(ValidationFailed) as info:
        import_components(data, fmt="csv")
    assert info.value.code == "missing_columns"


def test_dry_run_writes_nothing(city, rows):
    report = import_components(_csv(rows), fmt="csv", dry_run=True)
    assert report.ok and report.imported == 0 and Component.objects.count() == 0


def test_actor_scope_applies_to_rows(city, rows, make_user):
    admin = make_user(["admin"], area_code="150105002")
    report = import_components(_csv(rows), fmt="csv", actor=admin)
    assert {e.code for e in report.errors} == {"outside_scope"}
    assert report.failed_rows == [2, 3]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_export_then_import_into_an_empty_inventory(city, rows, make_department, fmt):
    make_department(area_code="150105", name="赛罕区市政")
    lines = [rows[0].replace(",,供水单位", ",赛罕区市政,供水单位"), *rows[1:]]
    import_components(_csv(lines), fmt="csv")
    Component.objects.filter(code="1501050118000001").update(synthetic=True)
    fields = [
        f.attname
        for f in Component._meta.concrete_fields
        if f.attname not in ("id", "created_at", "updated_at")
    ]
    before = list(Component.objects.order_by("code").values(*fields))
    out = io.BytesIO()
    assert export_components(Component.objects.all(), fmt, out) == 3
    Component.objects.all().delete()
    out.seek(0)
    report = import_components(out, fmt=fmt)
    assert report.ok, [e.line() for e in report.errors]
    assert list(Component.objects.order_by("code").values(*fields)) == before


def test_export_formats_look_right(city, rows):
    import_components(_csv(rows), fmt="csv")
    text = io.StringIO()
    export_components(Component.objects.all(), "csv", text)
    header = text.getvalue().lstrip("\ufeff").splitlines()[0]
    assert header.split(",") == list(COLUMNS)
    assert "完好" in text.getvalue()
    geo = io.StringIO()
    export_components(Component.objects.all(), "geojson", geo)
    document = json.loads(geo.getvalue())
    assert document["type"] == "FeatureCollection" and len(document["features"]) == 3
    assert document["features"][0]["geometry"]["type"] == "Point"


def test_geojson_non_point_feature_reported(city, centre):
    lon, lat = centre(0, 0)
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"ClassCode": "0101"},
            },
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": []},
                "properties": {"ClassCode": "0101"},
            },
        ],
    }
    report = import_components(io.BytesIO(json.dumps(document).encode()), fmt="geojson")
    assert report.failed_rows == [2] and report.errors[0].code == "invalid_geometry"


def test_commands(city, rows, tmp_path, centre):
    good = tmp_path / "good.csv"
    good.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    out = io.StringIO()
    call_command("import_components", str(good), stdout=out, stderr=io.StringIO(), verbosity=0)
    assert "已导入 3 行" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([HEADER, ",x,0101,,,,坏了,,,,,111.70,40.79"]), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_components", str(bad), stdout=io.StringIO(), stderr=err, verbosity=0)
    assert info.value.returncode == 1 and "第 2 行" in err.getvalue()
    target = tmp_path / "out.xlsx"
    call_command("export_components", "--output", str(target), "--area", "150105001", stdout=io.StringIO())
    report = import_components(target, dry_run=True)
    assert report.total_rows == 2  # the third component lies in street 002


HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "＠x", "'=quoted"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_cells_never_run_as_formulas_and_import_back_unchanged(city, centre, fmt):
    """Finding 7: names, owner units and notes starting with = + - @ (or a tab) come out as inert text
    with a leading apostrophe; importing the export gives the values back exactly."""
    from openpyxl import load_workbook

    from qingcheng.core.exports import FORMULA_STARTS

    for n, value in enumerate(HOSTILE):
        point = centre(n % 4, n // 4)
        services.component_create(
            actor=None,
            class_code="0101",
            lon=point[0],
            lat=point[1],
            name=value,
            owner_unit=value,
            note=value,
        )
    before = sorted(Component.objects.values_list("name", "owner_unit", "note"))
    out = io.BytesIO()
    assert export_components(Component.objects.all(), fmt, out) == len(HOSTILE)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
        texts = [v for row in rows for v in row.values()]
    else:
        sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert all(cell.data_type != "f" for cell in cells)
        texts = [cell.value for cell in cells if isinstance(cell.value, str)]
        header = [cell.value for cell in next(sheet.iter_rows())]
        rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert not [t for t in texts if t.startswith(FORMULA_STARTS)]
    assert sorted(row["ObjName"] for row in rows) == sorted("'" + v for v in HOSTILE)
    assert all(isinstance(row["lon"], float) or float(row["lon"]) for row in rows)  # numbers stay numbers
    Component.objects.all().delete()
    out.seek(0)
    report = import_components(out, fmt=fmt)
    assert report.ok, [e.line() for e in report.errors]
    assert sorted(Component.objects.values_list("name", "owner_unit", "note")) == before


def test_a_row_naming_a_unit_of_another_district_is_reported(city, rows, make_department):
    make_department(area_code="150102", name="新城区市政")
    make_department(area_code="150100", name="呼和浩特市市政")
    lines = [
        rows[0].replace(",,供水单位", ",新城区市政,供水单位"),
        rows[1].replace(",污水井盖,0102,,", ",污水井盖,0102,呼和浩特市市政,"),
    ]
    report = import_components(_csv(lines), fmt="csv")
    assert [(e.row, e.field, e.code) for e in report.errors] == [(2, "DeptCode1", "outside_area")]
    assert Component.objects.count() == 0
