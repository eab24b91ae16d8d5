"""JSON API of the geography domain: areas, grids (GeoJSON), locate, beats."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from qingcheng.core.errors import ValidationFailed
from qingcheng.core.inputs import SaneDatetime
from qingcheng.core.masking import is_staff_viewer, mask_name, person_label
from qingcheng.core.pagination import PageNumberPagination

from . import selectors
from .crs import to_wgs84
from .geometry import from_geojson
from .selectors import areas_as_geojson, grids_as_geojson

router = Router(tags=["geo"])

MAX_GRID_FEATURES = 5000


class AreaOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = Field(None, alias="parent.code")
    area_km2: float | None
    centroid_lon: float | None
    centroid_lat: float | None
    synthetic_boundary: bool
    synthetic_name: bool


class ResponsiblePartyOut(Schema):
    role: str
    department_id: int | None
    department_name: str | None
    user_id: int | None
    user_name: str | None
    fallback: bool


class LocationOut(Schema):
    lon: float
    lat: float
    input_lon: float
    input_lat: float
    crs: str
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
    responsible: list[ResponsiblePartyOut]


class GridOut(Schema):
    code: str
    community_code: str
    area_m2: float
    land_use: str
    management_level: str
    valid_from: datetime
    valid_to: datetime | None
    synthetic: bool
    geometry: dict[str, Any]
    responsible: list[ResponsiblePartyOut]


class BeatOut(Schema):
    code: str
    name: str
    area_code: str
    grid_count: int
    supervisors: list[str] = Field(
        description="Display names of the beat's supervisors for staff; empty for the public (never login names)"
    )


def parse_bbox(bbox: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in bbox.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not (parts[0] < parts[2] and parts[1] < parts[3]):
        raise ValidationFailed(
            "bbox 格式应为 最小经度,最小纬度,最大经度,最大纬度",
            "bbox must be min_lon,min_lat,max_lon,max_lat with min < max",
            field="bbox",
            code="invalid_bbox",
        )
    min_lon, min_lat, max_lon, max_lat = parts
    if max_lon - min_lon > 2 or max_lat - min_lat > 2:
        raise ValidationFailed(
            "bbox 范围过大（最多2度）",
            "bbox too large (at most 2 degrees)",
            field="bbox",
            code="bbox_too_large",
        )
    return min_lon, min_lat, max_lon, max_lat


@router.get("/areas", response=list[AreaOut], summary="Administrative areas in my scope (and its parents)")
@paginate(PageNumberPagination)
def list_areas(request: HttpRequest, level: str | None = None, parent: str | None = None):
    return selectors.area_list(actor=request.user, level=level, parent_code=parent).select_related("parent")


@router.get("/areas/features", summary="Areas as a GeoJSON FeatureCollection (for maps)")
def area_features(request: HttpRequest, level: str = "district", parent: str | None = None):
    areas = (
        selectors.area_list(actor=request.user, level=level, parent_code=parent)
        .select_related("parent")
        .exclude(geometry="")
    )
    return areas_as_geojson(areas[:2000])


@router.get("/areas/{code}/feature", summary="One area as a GeoJSON Feature")
def area_feature(request: HttpRequest, code: str):
    area = selectors.area_get(actor=request.user, code=code)
    return areas_as_geojson([area])["features"][0]


@router.get("/areas/{code}", response=AreaOut)
def get_area(request: HttpRequest, code: str):
    return selectors.area_get(actor=request.user, code=code)


@router.get("/grids", summary="Current unit grids in a bounding box, as GeoJSON")
def grid_features(request: HttpRequest, bbox: str, simplify_m: float = 0.0, area: str | None = None):
    box = parse_bbox(bbox)
    grids = selectors.grid_list(actor=request.user, bbox=box, area_code=area)
    rows = list(grids[: MAX_GRID_FEATURES + 1])
    data = grids_as_geojson(rows[:MAX_GRID_FEATURES], simplify_m=max(0.0, min(simplify_m, 50.0)))
    data["truncated"] = len(rows) > MAX_GRID_FEATURES
    return data


@router.get("/grids/{code}", response=GridOut, summary="One unit grid, current or as valid at `at`")
def get_grid(request: HttpRequest, code: str, at: SaneDatetime | None = None, matter: str = ""):
    grid = selectors.grid_get(actor=request.user, code=code, at=at)
    return {
        "code": grid.code,
        "community_code": grid.code[:12],
        "area_m2": grid.area_m2,
        "land_use": grid.land_use,
        "management_level": grid.management_level,
        "valid_from": grid.valid_from,
        "valid_to": grid.valid_to,
        "synthetic": grid.synthetic,
        "geometry": from_geojson(grid.geometry).__geo_interface__,
        "responsible": _parties_for(request.user, selectors.responsible_parties(grid.code, matter)),
    }


@router.get("/locate", response=LocationOut, summary="Grid, community, street, district and beat of a point")
def locate_point(request: HttpRequest, lon: float, lat: float, crs: str = "wgs84", matter: str = ""):
    selectors.validate_lonlat(lon, lat)
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    location = selectors.locate(wgs_lon, wgs_lat, with_responsible=matter)
    location.responsible = _parties_for(request.user, location.responsible)
    return {**location.as_dict(), "input_lon": lon, "input_lat": lat, "crs": crs}


@router.get("/beats", response=list[BeatOut], summary="Supervision beats in my scope")
@paginate(PageNumberPagination)
def list_beats(request: HttpRequest, area: str | None = None):
    viewer = request.user
    beats = selectors.beat_list(actor=viewer, area=area)
    # The public sees the beat, not the people on it; staff see display names, never login names.
    staff = is_staff_viewer(viewer)
    return [
        {
            "code": b.code,
            "name": b.name,
            "area_code": b.area_code,
            "grid_count": len(b.grid_codes),
            "supervisors": [person_label(s, viewer=viewer) for s in b.supervisors.all()] if staff else [],
        }
        for b in beats
    ]


def _parties_for(viewer: Any, parties: list[selectors.ResponsibleParty]) -> list[selectors.ResponsibleParty]:
    """The responsible people as `viewer` may see them: named to staff, masked (张*) and without an id for
    the public."""
    if is_staff_viewer(viewer):
        return parties
    return [replace(p, user_id=None, user_name=mask_name(p.user_name) or None) for p in parties]
