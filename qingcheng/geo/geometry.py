"""Geometry helpers: GeoJSON text ⇄ shapely, bounding boxes, areas in square metres.

Areas and distances use a local equirectangular approximation around the geometry (error well under 1%
at city scale), which is what grid sizes and snapping tolerances need; no projection library is needed.
"""

from __future__ import annotations

import json
import math
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180.0


def metres_per_degree_lon(lat: float) -> float:
    return METRES_PER_DEGREE_LAT * math.cos(math.radians(lat))


def from_geojson(text_or_dict: str | dict[str, Any]) -> BaseGeometry:
    data = json.loads(text_or_dict) if isinstance(text_or_dict, str) else text_or_dict
    return shape(data)


def to_geojson(geom: BaseGeometry, precision: int = 7) -> str:
    rounded = shapely.set_precision(geom, 10**-precision) if precision else geom
    return json.dumps(mapping(rounded), separators=(",", ":"))


def area_m2(geom: BaseGeometry) -> float:
    lat0 = geom.centroid.y if not geom.is_empty else 0.0
    return abs(geom.area) * METRES_PER_DEGREE_LAT * metres_per_degree_lon(lat0)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    mid = (lat1 + lat2) / 2
    dx = (lon2 - lon1) * metres_per_degree_lon(mid)
    dy = (lat2 - lat1) * METRES_PER_DEGREE_LAT
    return math.hypot(dx, dy)


def geometry_columns(geom: BaseGeometry, precision: int = 7) -> dict[str, Any]:
    """Values for the GeometryColumns fields of a model."""
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    point = geom.representative_point() if geom.geom_type in {"Polygon", "MultiPolygon"} else geom.centroid
    return {
        "geometry": to_geojson(geom, precision),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "centroid_lon": round(point.x, 7),
        "centroid_lat": round(point.y, 7),
    }
