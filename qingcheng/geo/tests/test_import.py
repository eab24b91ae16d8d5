import copy
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping

from qingcheng.core.models import AuditEntry
from qingcheng.geo import selectors, spatial
from qingcheng.geo.models import AdminArea, UnitGrid
from qingcheng.geo.selectors import grids_as_geojson
from qingcheng.geo.services import areas_import_geojson, grids_import_geojson
from qingcheng.geo.testing import STEP_LON, cell_centre, grid_box

T2 = datetime(2026, 6, 1, tzinfo=UTC)


def _collection(features):
    return {"type": "FeatureCollection", "features": features}


def _grid_feature(code, geom, **props):
    return {"type": "Feature", "properties": {"code": code, **props}, "geometry": mapping(geom)}


def _current_layer():
    # Through JSON, as a file would be: lists, not tuples.
    return json.loads(
        json.dumps(grids_as_geojson(UnitGrid.objects.filter(valid_to__isnull=True).order_by("code")))
    )


def _snapshot():
    return list(UnitGrid.objects.order_by("pk").values_list("pk", "code", "geometry", "valid_to"))


def test_reimporting_the_export_changes_nothing(test_city):
    report = grids_import_geojson(data=_current_layer(), actor=None, valid_from=T2)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.retired, report.unchanged) == (0, 0, 0, 12)


def test_planted_overlap_and_gap_are_reported_with_their_places_and_nothing_is_written(test_city):
    layer = _current_layer()
    before = _snapshot()
    audit_before = AuditEntry.objects.count()
    features = {f["properties"]["code"]: f for f in layer["features"]}
    # Overlap: grow 001001 25 m into its eastern neighbour 001002.
    a = grid_box(0, 0)
    features["150105001001001"]["geometry"] = mapping(
        box(a.bounds[0], a.bounds[1], a.bounds[2] + STEP_LON / 4, a.bounds[3])
    )
    # Gap: shrink 003004 (bottom right, community 003) by 20 m on its west side, away from the outer edge.
    b = grid_box(3, 2)
    features["150105002003004"]["geometry"] = mapping(
        box(b.bounds[0] + STEP_LON / 5, b.bounds[1], b.bounds[2], b.bounds[3])
    )
    report = grids_import_geojson(data=layer, actor=None, valid_from=T2, allow_gaps=False)
    assert not report.ok
    overlaps = [f for f in report.errors if f.kind == "overlap"]
    gaps = [f for f in report.errors if f.kind == "gap"]
    assert len(overlaps) == 1 and set(overlaps[0].codes) == {"150105001001001", "150105001001002"}
    assert 2300 < overlaps[0].area_m2 < 2700  # 25 m × 100 m
    overlap_lon, overlap_lat = overlaps[0].lon, overlaps[0].lat
    assert grid_box(1, 0).contains(
        box(overlap_lon - 1e-9, overlap_lat - 1e-9, overlap_lon + 1e-9, overlap_lat + 1e-9)
    )
    assert gaps, report.errors
    gap = gaps[0]
    assert 1800 < gap.area_m2 < 2200  # 20 m × 100 m
    assert b.bounds[0] < gap.lon < b.bounds[0] + STEP_LON / 5
    assert b.bounds[1] < gap.lat < b.bounds[3]
    assert _snapshot() == before
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    "mutate,kind",
    [
        (lambda f: f["geometry"]["coordinates"][0].pop(), "unclosed_ring"),
        (
            lambda f: f.__setitem__(
                "geometry",
                {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [111.70, 40.80],
                            [111.701, 40.801],
                            [111.701, 40.80],
                            [111.70, 40.801],
                            [111.70, 40.80],
                        ]
                    ],
                },
            ),
            "invalid_geometry",
        ),
        (lambda f: f["properties"].__setitem__("code", "15010500100100"), "bad_code"),
        (lambda f: f["properties"].__setitem__("code", "150105001009001"), "parent_mismatch"),
        (lambda f: f["properties"].__setitem__("community_code", "150105002003"), "parent_mismatch"),
        (lambda f: f["properties"].__setitem__("land_use", "Q"), "bad_value"),
    ],
)
def test_row_errors_name_the_row_and_reject_the_file(test_city, mutate, kind):
    layer = _current_layer()
    before = _snapshot()
    mutate(layer["features"][4])
    report = grids_import_geojson(data=layer, actor=None, valid_from=T2)
    assert not report.ok
    finding = next(f for f in report.errors if f.kind == kind)
    assert finding.row == 5
    assert finding.message_zh and finding.message_en
    if kind == "invalid_geometry":
        assert finding.lon is not None and abs(finding.lon - 111.7005) < 1e-3  # the self-intersection point
    assert _snapshot() == before


def test_duplicate_codes_are_reported(test_city):
    layer = _current_layer()
    layer["features"].append(copy.deepcopy(layer["features"][0]))
    report = grids_import_geojson(data=layer, actor=None, valid_from=T2)
    assert any(f.kind == "duplicate_code" and f.row == 13 for f in report.errors)


def test_redrawn_grid_gets_a_new_version_and_old_cases_keep_the_old_one(test_city):
    old = UnitGrid.objects.get(code="150105001001001", valid_to__isnull=True)
    # Move the shared edge between 001001 and 001002 20 m east.
    layer = _current_layer()
    features = {f["properties"]["code"]: f for f in layer["features"]}
    a, b = grid_box(0, 0), grid_box(1, 0)
    shift = STEP_LON / 5
    features["150105001001001"]["geometry"] = mapping(
        box(a.bounds[0], a.bounds[1], a.bounds[2] + shift, a.bounds[3])
    )
    features["150105001001002"]["geometry"] = mapping(
        box(b.bounds[0] + shift, b.bounds[1], b.bounds[2], b.bounds[3])
    )
    point = (a.bounds[2] + shift / 2, (a.bounds[1] + a.bounds[3]) / 2)  # in the moved strip
    assert selectors.locate(*point).grid_code == "150105001001002"
    revision_before = spatial.get_index().revision_id
    report = grids_import_geojson(data=layer, actor=None, valid_from=T2)
    assert report.ok and (report.updated, report.unchanged) == (2, 10)
    old.refresh_from_db()
    assert old.valid_to == T2
    current = UnitGrid.objects.get(code="150105001001001", valid_to__isnull=True)
    assert current.pk != old.pk and current.valid_from == T2
    assert spatial.get_index().revision_id != revision_before
    assert selectors.locate(*point).grid_code == "150105001001001"
    superuser = type("Root", (), {"is_authenticated": True, "is_active": True, "is_superuser": True})()
    assert (
        selectors.grid_get(actor=superuser, code="150105001001001", at=datetime(2026, 3, 1, tzinfo=UTC)).pk
        == old.pk
    )
    assert selectors.grid_get(actor=superuser, code="150105001001001").pk == current.pk
    assert AuditEntry.objects.filter(action="geo.grids_imported").count() == 1


def test_grids_missing_from_the_file_are_retired(test_city):
    layer = _current_layer()
    layer["features"] = [f for f in layer["features"] if f["properties"]["code"] != "150105002003004"]
    report = grids_import_geojson(data=layer, actor=None, valid_from=T2)
    assert report.retired == 1
    assert not UnitGrid.objects.filter(code="150105002003004", valid_to__isnull=True).exists()
    with pytest.raises(spatial.OutsideCoverage):
        selectors.locate(*cell_centre(3, 2))


def test_not_geojson_is_a_clear_error(test_city):
    from qingcheng.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        grids_import_geojson(data={"type": "Feature"}, actor=None)
    assert caught.value.code == "not_geojson"


def test_area_import_checks_codes_against_parents(db):
    features = [
        {
            "type": "Feature",
            "properties": {"code": "150000", "name": "内蒙古自治区", "level": "region"},
            "geometry": None,
        },
        {
            "type": "Feature",
            "properties": {"code": "150100", "name": "呼和浩特市", "level": "city", "parent_code": "150000"},
            "geometry": None,
        },
        {
            "type": "Feature",
            "properties": {"code": "150105", "name": "赛罕区", "level": "district", "parent_code": "150100"},
            "geometry": None,
        },
        {
            "type": "Feature",
            "properties": {
                "code": "150102001",
                "name": "错误街道",
                "level": "street",
                "parent_code": "150105",
            },
            "geometry": None,
        },
        {
            "type": "Feature",
            "properties": {
                "code": "1501050010",
                "name": "位数错",
                "level": "community",
                "parent_code": "150105001",
            },
            "geometry": None,
        },
    ]
    report = areas_import_geojson(data=_collection(features), actor=None)
    assert [(f.row, f.kind) for f in report.errors] == [
        (4, "parent_mismatch"),
        (5, "bad_code"),
        (5, "parent_mismatch"),
    ]
    assert AdminArea.objects.count() == 0
    report = areas_import_geojson(data=_collection(features[:3]), actor=None)
    assert report.ok and report.created == 3
    assert AdminArea.objects.get(code="150105").parent.code == "150100"


def test_import_command_reports_rows_and_exits_non_zero(test_city, tmp_path, capsys):
    layer = _current_layer()
    layer["features"][2]["properties"]["code"] = "bad"
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(layer), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing written"):
        call_command("import_geo", "grids", str(path))
    assert "row 3" in capsys.readouterr().out


def test_export_command_writes_geojson(test_city, tmp_path):
    out = tmp_path / "grids.geojson"
    call_command("export_geo", "grids", "--output", str(out), "--area", "150105001")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == 8
    assert all(f["properties"]["code"].startswith("150105001") for f in data["features"])
    out_areas = tmp_path / "areas.geojson"
    call_command("export_geo", "areas", "--output", str(out_areas))
    assert {f["properties"]["level"] for f in json.loads(out_areas.read_text())["features"]} >= {
        "district",
        "community",
    }


def test_validate_grids_command(test_city, capsys):
    call_command("validate_grids")
    assert "valid" in capsys.readouterr().out
