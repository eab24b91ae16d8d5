import json
import re

import numpy as np
import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingcheng.accounts.services import department_create
from qingcheng.core.errors import ValidationFailed
from qingcheng.geo import spatial
from qingcheng.geo.geometry import METRES_PER_DEGREE_LAT, from_geojson, metres_per_degree_lon
from qingcheng.geo.models import Responsibility, UnitGrid
from qingcheng.geo.selectors import locate
from qingcheng.geo.testing import ORIGIN_LAT, ORIGIN_LON, STEP_LAT, STEP_LON, cell_centre


def test_point_inside_a_grid_gives_all_levels(test_city):
    location = locate(*cell_centre(1, 1))
    assert location.grid_code == "150105001001004"
    assert re.fullmatch(r"\d{15}", location.grid_code)
    assert location.community_code == "150105001001" and location.community_name == "测试社区一"
    assert location.street_code == "150105001" and location.street_name == "测试街道一"
    assert location.district_code == "150105" and location.district_name == "赛罕区"
    assert not location.snapped


def test_shared_edge_resolves_to_the_lowest_code(test_city):
    # The edge between columns 1 and 2 separates community 001 (west) from 002 (east); take its
    # coordinates from the stored (rounded) geometry so the point is exactly on it.
    west_cell = from_geojson(UnitGrid.objects.get(code="150105001001002").geometry)
    min_lon, min_lat, max_lon, max_lat = west_cell.bounds
    on_edge = (max_lon, (min_lat + max_lat) / 2)
    assert locate(*on_edge).grid_code == "150105001001002"
    corner = (min_lon, min_lat)  # shared by 001001, 001002, 001003, 001004
    assert locate(*corner).grid_code == "150105001001001"
    # Batch lookup agrees with single lookup.
    index = spatial.get_index()
    batch = index.lookup_many(np.array([on_edge[0], corner[0]]), np.array([on_edge[1], corner[1]]))
    assert [index.codes[i] for i in batch] == ["150105001001002", "150105001001001"]


def test_point_slightly_outside_snaps_and_says_so(test_city):
    lon = ORIGIN_LON - 30 / metres_per_degree_lon(ORIGIN_LAT)  # 30 m west of the western edge
    lat = ORIGIN_LAT - 0.5 * STEP_LAT
    location = locate(lon, lat)
    assert location.snapped is True
    assert location.grid_code == "150105001001001"
    assert 29.0 < location.snap_distance_m < 31.0


def test_point_beyond_tolerance_is_a_clear_error(test_city):
    lat = ORIGIN_LAT + 80 / METRES_PER_DEGREE_LAT  # 80 m north of the northern edge
    with pytest.raises(spatial.OutsideCoverage) as caught:
        locate(ORIGIN_LON + STEP_LON / 2, lat)
    assert caught.value.status == 400
    assert 79 < caught.value.details["nearest_grid_m"] < 81
    # A larger tolerance snaps it.
    assert locate(ORIGIN_LON + STEP_LON / 2, lat, snap_m=100).snapped


@pytest.mark.parametrize("lon,lat", [(200.0, 40.0), (111.0, -95.0), (float("nan"), 40.0)])
def test_impossible_coordinates_are_rejected(test_city, lon, lat):
    with pytest.raises(ValidationFailed):
        locate(lon, lat)


def test_no_grids_is_an_error_not_a_crash(db):
    with pytest.raises(spatial.NoGrids):
        locate(111.7, 40.8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fx=st.floats(min_value=-0.3, max_value=4.3),
    fy=st.floats(min_value=-0.3, max_value=3.3),
    snap_to_lattice=st.booleans(),
)
def test_single_and_batch_lookup_agree_with_brute_force(test_city, fx, fy, snap_to_lattice):
    if snap_to_lattice:  # put many points exactly on edges and corners
        fx, fy = round(fx * 2) / 2, round(fy * 2) / 2
    lon = ORIGIN_LON + fx * STEP_LON
    lat = ORIGIN_LAT - fy * STEP_LAT
    index = spatial.get_index()
    import shapely

    covering = [i for i, g in enumerate(index.geoms) if shapely.intersects_xy(g, lon, lat)]
    expected = min(covering) if covering else spatial.EMPTY
    assert index.lookup(lon, lat) == expected
    assert int(index.lookup_many(np.array([lon]), np.array([lat]))[0]) == expected


def test_responsibility_specific_matter_beats_general_and_street_is_fallback(test_city, make_user):
    street_office = department_create(
        actor=None, code="150105001", name="测试街道一办事处", kind="street", area_code="150105001"
    )
    municipal = department_create(actor=None, code="SZ", name="市政", kind="professional", area_code="150105")
    greening = department_create(actor=None, code="YL", name="园林", kind="professional", area_code="150105")
    chief = make_user(["supervisor"], display_name="网格长甲")
    Responsibility.objects.create(
        area_code="150105", matter_type="01", role="department", department=municipal
    )
    Responsibility.objects.create(
        area_code="150105001001", matter_type="", role="department", department=greening
    )
    Responsibility.objects.create(area_code="150105001001001", matter_type="", role="grid_chief", user=chief)
    point = cell_centre(0, 0)
    manhole = locate(*point, with_responsible="0101").responsible
    assert [(p.role, p.department_name, p.fallback) for p in manhole if p.role == "department"] == [
        ("department", "市政", False)
    ]
    assert any(p.role == "grid_chief" and p.user_id == chief.pk for p in manhole)
    other = locate(*point, with_responsible="0305").responsible
    assert [p.department_name for p in other if p.role == "department"] == ["园林"]
    # A grid in street 002 has nothing named: the street office of 001 is not its fallback; none exists.
    far = locate(*cell_centre(0, 2), with_responsible="0305").responsible
    assert far == []
    near = locate(*cell_centre(2, 0), with_responsible="9999").responsible
    assert [(p.department_id, p.fallback) for p in near] == [(street_office.pk, True)]


def test_locate_command_prints_one_json_object(test_city, capsys):
    call_command("locate", *[str(v) for v in cell_centre(3, 2)])
    data = json.loads(capsys.readouterr().out)
    assert data["grid_code"] == "150105002003004"
    assert {"grid_code", "community_code", "street_code", "district_code"} <= set(data)


def test_responsibility_changes_are_seen_by_the_next_lookup(test_city):
    municipal = department_create(
        actor=None, code="SZ2", name="市政二", kind="professional", area_code="150105"
    )
    point = cell_centre(0, 0)
    assert locate(*point, with_responsible="C0101").responsible == []
    Responsibility.objects.create(
        area_code="150105", matter_type="C01", role="department", department=municipal
    )
    assert [p.department_name for p in locate(*point, with_responsible="C0101").responsible] == ["市政二"]
