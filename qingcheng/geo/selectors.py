"""Reads of the geography domain: locating points, areas, grids, responsibility."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from shapely.geometry import mapping

from qingcheng.core.access import Actor, get_visible_or_404
from qingcheng.core.errors import NotFound, ValidationFailed
from qingcheng.core.scope import actor_scope, digit_prefix_q, scope_queryset

from . import spatial
from .geometry import METRES_PER_DEGREE_LAT, from_geojson
from .models import AdminArea, Responsibility, SupervisionBeat, UnitGrid
from .validation import Finding, find_gaps, find_overlaps


@dataclass(frozen=True)
class ResponsibleParty:
    role: str
    department_id: int | None
    department_name: str | None
    user_id: int | None
    user_name: str | None
    fallback: bool = False


@dataclass(slots=True)
class Location:
    """Where a point lies: its unit grid and the areas above it."""

    lon: float
    lat: float
    grid_id: int
    grid_code: str
    community_code: str
    community_name: str
    street_code: str
    street_name: str
    district_code: str
    district_name: str
    beat_code: str | None
    snapped: bool
    snap_distance_m: float
    responsible: list[ResponsibleParty] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_lonlat(lon: float, lat: float) -> None:
    # NaN fails every comparison, so it is rejected here too.
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValidationFailed(
            "经纬度超出范围", "longitude/latitude out of range", code="invalid_coordinates"
        )


def locate(
    lon: float, lat: float, *, snap_m: float | None = None, with_responsible: str | None = None
) -> Location:
    """The grid, community, street, district and beat of a WGS-84 point.

    A point slightly outside every grid (within `snap_m`, default settings.GEO_SNAP_METRES) snaps to the
    nearest grid and says so; a point farther out raises OutsideCoverage. `with_responsible` (a matter type,
    "" for any) adds the responsible parties."""
    validate_lonlat(lon, lat)
    index = spatial.get_index()
    if not len(index):
        raise spatial.NoGrids()
    found = index.lookup(lon, lat)
    if found >= 0:
        hit = spatial.Hit(found)
    else:
        hit = index.resolve(lon, lat, settings.GEO_SNAP_METRES if snap_m is None else snap_m)
    code = index.code_list[hit.index]
    names = index.area_names
    return Location(
        lon=lon,
        lat=lat,
        grid_id=index.id_list[hit.index],
        grid_code=code,
        community_code=code[:12],
        community_name=names.get(code[:12], ""),
        street_code=code[:9],
        street_name=names.get(code[:9], ""),
        district_code=code[:6],
        district_name=names.get(code[:6], ""),
        beat_code=index.beat_of_grid.get(code),
        snapped=hit.snapped,
        snap_distance_m=round(hit.distance_m, 2),
        responsible=[] if with_responsible is None else responsible_parties(code, with_responsible),
    )


# Intake asks who is responsible for every report. The rows are few compared with reports and change
# rarely, so each process keeps them in memory and re-reads them when a cheap fingerprint (row count and
# newest change of responsibilities and street offices) differs, checked at most every _CHECK_SECONDS and
# at once after a save in this process.
_CHECK_SECONDS = 30.0


@dataclass
class _ResponsibilityTable:
    fingerprint: tuple
    checked_at: float
    by_area: dict[str, list[Responsibility]]
    street_offices: dict[str, Any]


_table: list[_ResponsibilityTable | None] = [None]


def forget_responsibilities(*args: Any, **kwargs: Any) -> None:
    _table[0] = None


def _fingerprint() -> tuple:
    from django.db.models import Count, Max

    from qingcheng.accounts.models import Department

    r = Responsibility.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    d = Department.objects.filter(kind=Department.Kind.STREET).aggregate(
        n=Count("id"), last=Max("updated_at")
    )
    return (r["n"], r["last"], d["n"], d["last"])


def _responsibility_table() -> _ResponsibilityTable:
    from qingcheng.accounts.models import Department

    table = _table[0]
    now = time.monotonic()
    if table is not None and now - table.checked_at < _CHECK_SECONDS:
        return table
    fingerprint = _fingerprint()
    if table is not None and table.fingerprint == fingerprint:
        table.checked_at = now
        return table
    by_area: dict[str, list[Responsibility]] = {}
    for row in Responsibility.objects.select_related("department", "user").order_by("id"):
        by_area.setdefault(row.area_code, []).append(row)
    offices: dict[str, Any] = {}
    for office in Department.objects.filter(kind=Department.Kind.STREET, is_active=True).order_by("code"):
        offices.setdefault(office.area_code, office)
    table = _ResponsibilityTable(fingerprint, now, by_area, offices)
    _table[0] = table
    return table


def responsible_parties(grid_code: str, matter_type: str = "") -> list[ResponsibleParty]:
    """Who answers for `matter_type` in a grid. Departments: the rows with the most specific matter type,
    then the most specific area; people (grid chief, members): the most specific area that names any.
    Where no department is named, the street office (属地兜底)."""
    table = _responsibility_table()
    prefixes = [grid_code[:n] for n in (6, 9, 12, 15) if len(grid_code) >= n]
    rows = sorted(
        (
            r
            for prefix in prefixes
            for r in table.by_area.get(prefix, ())
            if matter_type.startswith(r.matter_type)
        ),
        key=lambda r: r.pk,
    )
    departments = [r for r in rows if r.role == Responsibility.Role.DEPARTMENT and r.department_id]
    if departments:
        best = max((len(r.matter_type), len(r.area_code)) for r in departments)
        departments = [r for r in departments if (len(r.matter_type), len(r.area_code)) == best]
    people = [r for r in rows if r.role != Responsibility.Role.DEPARTMENT]
    if people:
        deepest = max(len(r.area_code) for r in people)
        people = [r for r in people if len(r.area_code) == deepest]
    parties = [
        ResponsibleParty(
            role=r.role,
            department_id=r.department_id,
            department_name=r.department.name if r.department else None,
            user_id=r.user_id,
            # The display name, never the login name; the API masks it for the public.
            user_name=(r.user.display_name or None) if r.user else None,
        )
        for r in [*people, *departments]
    ]
    if not departments:
        street = table.street_offices.get(grid_code[:9])
        if street is not None:
            parties.append(
                ResponsibleParty(
                    role=Responsibility.Role.DEPARTMENT,
                    department_id=street.pk,
                    department_name=street.name,
                    user_id=None,
                    user_name=None,
                    fallback=True,
                )
            )
    return parties


# ---------------------------------------------------------------------- areas and grids


def ancestor_codes(code: str) -> list[str]:
    """Codes of the areas above `code`: 150105001 → 150000, 150100, 150105."""
    candidates = [code[:2] + "0000", code[:4] + "00", code[:6], code[:9]]
    return [c for c, n in zip(candidates, (2, 4, 6, 9), strict=True) if len(code) > n and c != code]


def area_list(
    *, actor: Actor, level: str | None = None, parent_code: str | None = None
) -> QuerySet[AdminArea]:
    """Areas in the actor's scope, plus the ancestors of the scope (so a district user sees its city)."""
    qs = AdminArea.objects.all()
    scope = actor_scope(actor)
    if scope is None:
        return qs.none()
    if scope:
        qs = qs.filter(digit_prefix_q("code", scope) | Q(code__in=ancestor_codes(scope)))
    if level:
        qs = qs.filter(level=level)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    return qs.order_by("code")


def area_get(*, actor: Actor, code: str) -> AdminArea:
    area = area_list(actor=actor).filter(code=code).first()
    if area is None:
        raise NotFound("行政区域", "area")
    return area


def grid_list(
    *,
    actor: Actor,
    bbox: tuple[float, float, float, float] | None = None,
    area_code: str | None = None,
    current: bool = True,
) -> QuerySet[UnitGrid]:
    qs = scope_queryset(UnitGrid.objects.all(), actor, "code")
    if current:
        qs = qs.filter(valid_to__isnull=True)
    if area_code:
        qs = qs.filter(digit_prefix_q("code", area_code))
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        qs = qs.filter(max_lon__gte=min_lon, min_lon__lte=max_lon, max_lat__gte=min_lat, min_lat__lte=max_lat)
    return qs.order_by("code")


def grid_get(*, actor: Actor, code: str, at=None) -> UnitGrid:
    """The grid with this code, current or (with `at`) valid at that instant."""
    qs = UnitGrid.objects.select_related("community")
    if at is None:
        qs = qs.filter(valid_to__isnull=True)
    else:
        qs = qs.filter(valid_from__lte=at).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
    return get_visible_or_404(qs, actor, field="code", what_zh="单元网格", what_en="grid", code=code)


def beat_list(*, actor: Actor, area: str | None = None) -> QuerySet[SupervisionBeat]:
    """Supervision beats (监督责任区) in the actor's scope, optionally under an area, by code."""
    beats = scope_queryset(SupervisionBeat.objects.prefetch_related("supervisors"), actor)
    if area:
        beats = beats.filter(area_code__startswith=area)
    return beats.order_by("code")


# ------------------------------------------------------------------ layers as GeoJSON, layer checks


def grids_as_geojson(grids, *, simplify_m: float = 0.0) -> dict[str, Any]:
    """A FeatureCollection of grid rows (code, community, land use, level, validity, area)."""
    features = []
    for grid in grids:
        geometry = from_geojson(grid.geometry)
        if simplify_m:
            geometry = geometry.simplify(simplify_m / METRES_PER_DEGREE_LAT, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": grid.code,
                    "community_code": grid.code[:12],
                    "land_use": grid.land_use,
                    "management_level": grid.management_level,
                    "area_m2": grid.area_m2,
                    "valid_from": grid.valid_from.isoformat(),
                    "valid_to": grid.valid_to.isoformat() if grid.valid_to else None,
                    "synthetic": grid.synthetic,
                },
                "geometry": mapping(geometry),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def areas_as_geojson(areas) -> dict[str, Any]:
    features = []
    for area in areas:
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "parent_code": area.parent.code if area.parent_id else None,
                    "synthetic_boundary": area.synthetic_boundary,
                    "source": area.source,
                },
                "geometry": from_geojson(area.geometry).__geo_interface__ if area.geometry else None,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def validate_grid_layer(*, area_code: str = "") -> list[Finding]:
    """Check the current grids under `area_code` for overlaps and gaps (against community boundaries)."""
    grids = list(
        UnitGrid.objects.filter(valid_to__isnull=True, code__startswith=area_code).values_list(
            "code", "geometry"
        )
    )
    codes = [c for c, _ in grids]
    geoms = [from_geojson(g) for _, g in grids]
    findings = find_overlaps(codes, geoms)
    communities = {
        a.code: from_geojson(a.geometry)
        for a in AdminArea.objects.filter(
            level=AdminArea.Level.COMMUNITY, code__startswith=area_code[:12]
        ).exclude(geometry="")
        if a.code.startswith(area_code) or area_code.startswith(a.code)
    }
    findings.extend(find_gaps(codes, geoms, communities))
    return findings
