"""A tiny synthetic test city for tests of any app: one district, two streets, three communities and
a 4×3 block of square unit grids (about 100 m × 100 m) near 赛罕区. Synthetic, for tests only."""

from __future__ import annotations

from datetime import UTC, datetime

from shapely.geometry import box

from .geometry import METRES_PER_DEGREE_LAT, area_m2, geometry_columns, metres_per_degree_lon
from .models import AdminArea, GridRevision, UnitGrid

ORIGIN_LON = 111.70
ORIGIN_LAT = 40.80
STEP_LAT = 100 / METRES_PER_DEGREE_LAT
STEP_LON = 100 / metres_per_degree_lon(ORIGIN_LAT)
VALID_FROM = datetime(2026, 1, 1, tzinfo=UTC)


def grid_box(col: int, row: int):
    """Cell (col, row): col grows eastwards, row grows southwards from the north-west corner."""
    west = ORIGIN_LON + col * STEP_LON
    north = ORIGIN_LAT - row * STEP_LAT
    return box(west, north - STEP_LAT, west + STEP_LON, north)


def cell_centre(col: int, row: int) -> tuple[float, float]:
    c = grid_box(col, row).centroid
    return c.x, c.y


def build_test_city() -> dict[str, AdminArea]:
    """Create the test city and return its areas by code. Grid layout (codes' last 6 digits):

    row 0: 001001 001002 | 002001 002002      (community 001 of street 001 | community 002 of street 001)
    row 1: 001003 001004 | 002003 002004
    row 2: 003001 003002   003003 003004      (community 003 of street 002)
    """
    region = AdminArea.objects.create(code="150000", name="内蒙古自治区", level="region")
    city = AdminArea.objects.create(code="150100", name="呼和浩特市", level="city", parent=region)
    district = AdminArea.objects.create(code="150105", name="赛罕区", level="district", parent=city)
    street1 = AdminArea.objects.create(code="150105001", name="测试街道一", level="street", parent=district)
    street2 = AdminArea.objects.create(code="150105002", name="测试街道二", level="street", parent=district)
    communities = {
        "001": AdminArea.objects.create(
            code="150105001001", name="测试社区一", level="community", parent=street1
        ),
        "002": AdminArea.objects.create(
            code="150105001002", name="测试社区二", level="community", parent=street1
        ),
        "003": AdminArea.objects.create(
            code="150105002003", name="测试社区三", level="community", parent=street2
        ),
    }
    layout = {
        (0, 0): ("001", "001"), (1, 0): ("001", "002"), (2, 0): ("002", "001"), (3, 0): ("002", "002"),
        (0, 1): ("001", "003"), (1, 1): ("001", "004"), (2, 1): ("002", "003"), (3, 1): ("002", "004"),
        (0, 2): ("003", "001"), (1, 2): ("003", "002"), (2, 2): ("003", "003"), (3, 2): ("003", "004"),
    }  # fmt: skip
    revision = GridRevision.objects.create(note="test city", grid_count=len(layout))
    for (col, row), (community_part, serial) in layout.items():
        community = communities[community_part]
        geom = grid_box(col, row)
        UnitGrid.objects.create(
            code=f"{community.code}{serial}",
            community=community,
            area_m2=area_m2(geom),
            valid_from=VALID_FROM,
            revision=revision,
            synthetic=True,
            **geometry_columns(geom),
        )
    for area in [district, street1, street2, *communities.values()]:
        grids = UnitGrid.objects.filter(code__startswith=area.code)
        from shapely import union_all

        from .geometry import from_geojson

        geom = union_all([from_geojson(g.geometry) for g in grids])
        for key, value in geometry_columns(geom).items():
            setattr(area, key, value)
        area.save()
    return {a.code: a for a in AdminArea.objects.all()}
