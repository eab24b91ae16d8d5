"""JSON API of the address gazetteer (地理编码): forward and reverse geocoding. Mounted under /api/geo/."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from . import gazetteer
from .crs import SUPPORTED, from_wgs84, to_wgs84
from .selectors import validate_lonlat

router = Router(tags=["geo"])


class CandidateOut(Schema):
    address_text: str
    name: str
    lon: float
    lat: float
    score: float
    kind: str
    area_code: str
    matched_on: str
    place_id: int | None
    road_id: int | None


class LocatedOut(Schema):
    grid_code: str
    community_code: str
    community_name: str
    street_code: str
    street_name: str
    district_code: str
    district_name: str
    snapped: bool
    snap_distance_m: float


class ReverseOut(Schema):
    text: str
    text_zh: str
    text_en: str
    kind: str
    address_text: str
    distance_m: float | None
    lon: float | None
    lat: float | None
    crs: str
    area_code: str
    place_id: int | None
    road_id: int | None
    location: LocatedOut | None


@router.get(
    "/geocode",
    response=list[CandidateOut],
    summary="Chinese address text → ranked candidate points (地理编码)",
)
def geocode(
    request: HttpRequest,
    q: str = Query("", description="address text, e.g. 赛罕区昭乌达路88号 or 大召寺"),
    limit: int = Query(10, description=f"1 to {gazetteer.MAX_LIMIT}"),
    crs: str = Query("wgs84", description="coordinate system of the returned points: wgs84, gcj02 or bd09"),
):
    if crs.lower() not in SUPPORTED:
        to_wgs84(0.0, 0.0, crs)  # raises the unsupported_crs error of the locate endpoint
    results = []
    for candidate in gazetteer.geocode(q, limit=limit):
        row = candidate.as_dict()
        row["lon"], row["lat"] = from_wgs84(candidate.lon, candidate.lat, crs.lower())
        results.append(row)
    return results


@router.get(
    "/reverse-geocode",
    response=ReverseOut,
    summary="A point → the nearest address text and its grid, street and district (逆地理编码)",
)
def reverse_geocode(
    request: HttpRequest,
    lon: float,
    lat: float,
    radius: float = Query(gazetteer.DEFAULT_RADIUS_M, description="search radius in metres"),
    crs: str = Query(
        "wgs84", description="coordinate system of lon/lat and of the answer: wgs84, gcj02 or bd09"
    ),
):
    validate_lonlat(lon, lat)
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    found = gazetteer.reverse_geocode(wgs_lon, wgs_lat, radius_m=radius)
    out_lon, out_lat = found.lon, found.lat
    if out_lon is not None and out_lat is not None:
        out_lon, out_lat = from_wgs84(out_lon, out_lat, crs.lower())
    return {
        "text": found.text,
        "text_zh": found.text_zh,
        "text_en": found.text_en,
        "kind": found.kind,
        "address_text": found.address_text,
        "distance_m": found.distance_m,
        "lon": out_lon,
        "lat": out_lat,
        "crs": crs.lower(),
        "area_code": found.area_code,
        "place_id": found.place_id,
        "road_id": found.road_id,
        "location": found.location.as_dict() if found.location else None,
    }
