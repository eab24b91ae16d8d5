"""The Hohhot demo gazetteer (地理编码数据): roads, points of interest and door plates (门牌).

`data/hohhot-gazetteer.json` says row by row what is real and what is not:

- road names are real; their centre lines are approximate (`synthetic: true`), sketched from general
  knowledge and anchored where the row says so (Wikipedia metro-station coordinates, district boundaries
  that follow the road); nobody surveyed them;
- points of interest are real places; each coordinate carries its source and a confidence;
- door plates are SYNTHETIC: numbers every 40–80 m along each road, odd on the left and even on the right
  of the numbering direction (west→east, north→south), 15 m off the centre line, with the district the
  point falls in according to `hohhot-districts.geojson`.

`load_demo_gazetteer()` loads the file into Road/Place idempotently. `regenerate()` (run
`python -m qingcheng.demo.gazetteer`) rebuilds the door plates and area codes in the file from its roads,
its points of interest and the district polygons; it needs no database.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Point, shape
from shapely.prepared import prep

from qingcheng.geo.geometry import METRES_PER_DEGREE_LAT, metres_per_degree_lon

DATA = Path(__file__).parent / "data"
GAZETTEER_FILE = DATA / "hohhot-gazetteer.json"
DISTRICTS_FILE = DATA / "hohhot-districts.geojson"
CITY_PREFIX = "呼和浩特市"
DOORPLATE_SOURCE = "合成门牌（演示）synthetic demo door plate"
PLATE_OFFSET_M = 15.0
PLATE_STEP_M = (40.0, 80.0)
PLATE_FIRST_M = (15.0, 45.0)
# Some numbers are left out on purpose, as on real streets (a compound takes several numbers), so that
# geocoding has gaps to interpolate across.
PLATE_GAP_PROBABILITY = 0.12


# ---------------------------------------------------------------------- generation (no database)


def _districts() -> list[tuple[str, str, Any]]:
    data = json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))
    return [
        (f["properties"]["code"], f["properties"]["name"], prep(shape(f["geometry"])))
        for f in sorted(data["features"], key=lambda f: f["properties"]["code"])
    ]


def _district_of(lon: float, lat: float, districts: list[tuple[str, str, Any]]) -> str | None:
    point = Point(lon, lat)
    for code, _name, polygon in districts:
        if polygon.covers(point):
            return code
    return None


def _seed(text: str) -> int:
    # Not hash(): that is salted per process, and the file must come out the same on every run.
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16)


def _numbering_order(coords: list[list[float]]) -> list[list[float]]:
    """Door plates are numbered west→east on east-west roads and north→south on north-south roads."""
    (x0, y0), (x1, y1) = coords[0], coords[-1]
    dx = (x1 - x0) * metres_per_degree_lon((y0 + y1) / 2)
    dy = (y1 - y0) * METRES_PER_DEGREE_LAT
    if abs(dx) >= abs(dy):
        return coords if dx >= 0 else coords[::-1]
    return coords if dy <= 0 else coords[::-1]


def generate_doorplates(
    road: dict[str, Any], districts: list[tuple[str, str, Any]], reserved: set[int]
) -> list[list[Any]]:
    """Synthetic door plates [number, lon, lat, district code] along one road, deterministic per name.

    Numbers in `reserved` (real addresses of points of interest on the road) are skipped, so a synthetic
    plate never claims a real address."""
    coords = _numbering_order(road["coordinates"])
    lon0, lat0 = coords[0]
    mx, my = metres_per_degree_lon(lat0), METRES_PER_DEGREE_LAT
    line = LineString([((x - lon0) * mx, (y - lat0) * my) for x, y in coords])
    rng = random.Random(_seed(road["name"]))
    plates: list[list[Any]] = []
    for first_number, side in ((1, 1.0), (2, -1.0)):  # odd on the left, even on the right
        position = rng.uniform(*PLATE_FIRST_M)
        number = first_number
        while position < line.length - 10.0:
            ahead = line.interpolate(min(position + 1.0, line.length))
            behind = line.interpolate(max(position - 1.0, 0.0))
            tx, ty = ahead.x - behind.x, ahead.y - behind.y
            norm = math.hypot(tx, ty) or 1.0
            centre = line.interpolate(position)
            x = centre.x - side * ty / norm * PLATE_OFFSET_M
            y = centre.y + side * tx / norm * PLATE_OFFSET_M
            lon, lat = round(lon0 + x / mx, 6), round(lat0 + y / my, 6)
            district = _district_of(lon, lat, districts)
            if district and number not in reserved and rng.random() >= PLATE_GAP_PROBABILITY:
                plates.append([number, lon, lat, district])
            position += rng.uniform(*PLATE_STEP_M)
            number += 2
    plates.sort(key=lambda p: p[0])
    return plates


def _midpoint(coords: list[list[float]]) -> tuple[float, float]:
    lon0, lat0 = coords[0]
    mx, my = metres_per_degree_lon(lat0), METRES_PER_DEGREE_LAT
    line = LineString([((x - lon0) * mx, (y - lat0) * my) for x, y in coords])
    mid = line.interpolate(0.5, normalized=True)
    return lon0 + mid.x / mx, lat0 + mid.y / my


def regenerate(path: Path = GAZETTEER_FILE) -> dict[str, int]:
    """Recompute road and POI district codes and the synthetic door plates in the gazetteer file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    districts = _districts()
    names = {code: name for code, name, _ in districts}
    data["districts"] = names
    reserved: dict[str, set[int]] = {}
    for poi in data["pois"]:
        poi["area_code"] = _district_of(poi["lon"], poi["lat"], districts) or ""
        claimed = poi.get("district_claimed")
        if claimed:
            poi["district_check"] = "agrees" if claimed == poi["area_code"] else "differs"
        if poi.get("road") and str(poi.get("house_number", "")).isdigit():
            reserved.setdefault(poi["road"], set()).add(int(poi["house_number"]))
    plates: dict[str, list[list[Any]]] = {}
    for road in data["roads"]:
        mid_lon, mid_lat = _midpoint(road["coordinates"])
        road["area_code"] = _district_of(mid_lon, mid_lat, districts) or ""
        plates[road["name"]] = generate_doorplates(road, districts, reserved.get(road["name"], set()))
    data["doorplates"]["rows"] = plates
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # One road or POI per line keeps diffs of the hand-written parts readable.
    for key in ('{"name":', '"doorplates":'):
        text = text.replace(key, "\n" + key)
    text = text.replace('],"', '],\n"').replace('"rows":{', '"rows":{\n')
    path.write_text(text + "\n", encoding="utf-8")
    return {
        "roads": len(data["roads"]),
        "pois": len(data["pois"]),
        "doorplates": sum(len(rows) for rows in plates.values()),
    }


# ---------------------------------------------------------------------- loading into the database


def _clip(text: str, length: int = 200) -> str:
    # Place.source holds 200 characters; the file keeps the full citation.
    return text if len(text) <= length else text[: length - 1] + "…"


def _plate_address(district_name: str, road: str, number: int) -> str:
    return f"{CITY_PREFIX}{district_name}{road}{number}号"


def load_demo_gazetteer(*, path: Path = GAZETTEER_FILE, actor: Any = None) -> dict[str, int]:
    """Load the demo roads, POIs and door plates (idempotent: a second run changes nothing).

    Area codes come from the district polygons in the file; once unit grids exist, a place whose grid
    lies in the same district gets the finer community code, so area-scoped queries find it."""
    # Imported here so that `regenerate()` runs without a configured Django.
    from django.db import transaction

    from qingcheng.core.audit import audit_record
    from qingcheng.geo import gazetteer

    data = json.loads(path.read_text(encoding="utf-8"))
    with transaction.atomic():
        counts = _load(data, gazetteer.normalize_address)
        audit_record(
            actor=actor,
            action="geo.gazetteer_load",
            object_type="geo.place",
            area_code="150100",
            after=counts,
            note=f"demo gazetteer {path.name}",
        )
    gazetteer.clear_cache()
    return counts


def _community_codes(points: list[tuple[float, float]]) -> list[str | None]:
    """The community code of the current grid under each point, or None (no grids, or outside them)."""
    import numpy as np

    from qingcheng.geo import spatial

    index = spatial.get_index(force_check=True)
    if not len(index) or not points:
        return [None] * len(points)
    found = index.lookup_many(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    return [None if i == spatial.EMPTY else str(index.codes[i])[:12] for i in found]


def _load(data: dict[str, Any], normalize: Any) -> dict[str, int]:
    from django.utils import timezone

    from qingcheng.geo.geometry import geometry_columns
    from qingcheng.geo.models import Place, Road

    names: dict[str, str] = data["districts"]
    counts = {
        "roads_created": 0,
        "roads_updated": 0,
        "places_created": 0,
        "places_updated": 0,
        "places_removed": 0,
    }

    roads = {r.name: r for r in Road.objects.filter(name__in=[r["name"] for r in data["roads"]])}
    for row in data["roads"]:
        values = {
            "aliases": row.get("aliases", []),
            "area_code": row["area_code"],
            "synthetic": bool(row.get("synthetic", True)),
            "source": _clip(row["source"]),
            **geometry_columns(LineString(row["coordinates"]), precision=6),
        }
        road = roads.get(row["name"])
        if road is None:
            roads[row["name"]] = Road.objects.create(name=row["name"], **values)
            counts["roads_created"] += 1
        elif any(getattr(road, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(road, key, value)
            road.save()
            counts["roads_updated"] += 1

    wanted: list[Place] = []
    for row in data["pois"]:
        district = names.get(row["area_code"], "")
        address = row.get("address_text") or f"{CITY_PREFIX}{district}{row['name']}"
        road = roads.get(row.get("road") or "")
        wanted.append(
            Place(
                kind=Place.Kind.POI,
                name=row["name"],
                address_text=address,
                normalized=normalize(address),
                road=road,
                house_number=str(row.get("house_number") or ""),
                aliases=row.get("aliases", []),
                lon=row["lon"],
                lat=row["lat"],
                area_code=row["area_code"],
                synthetic=False,
                source=_clip(f"{row['confidence']}: {row['source']}"),
            )
        )
    for road_name, rows in data["doorplates"]["rows"].items():
        road = roads[road_name]
        for number, lon, lat, district_code in rows:
            address = _plate_address(names[district_code], road_name, number)
            wanted.append(
                Place(
                    kind=Place.Kind.DOORPLATE,
                    name=f"{road_name}{number}号",
                    address_text=address,
                    normalized=normalize(address),
                    road=road,
                    house_number=str(number),
                    lon=lon,
                    lat=lat,
                    area_code=district_code,
                    synthetic=True,
                    source=DOORPLATE_SOURCE,
                )
            )
    for place, community in zip(wanted, _community_codes([(p.lon, p.lat) for p in wanted]), strict=True):
        if community and community[:6] == place.area_code:
            place.area_code = community

    fields = ["address_text", "normalized", "road_id", "house_number", "aliases", "lon", "lat", "area_code"]
    fields += ["synthetic", "source"]
    demo_roads = [r.pk for r in roads.values()]
    existing = {
        (p.kind, p.name): p
        for p in Place.objects.filter(
            kind=Place.Kind.POI, name__in=[p.name for p in wanted if p.kind == "poi"]
        )
    }
    existing.update(
        {(p.kind, p.name): p for p in Place.objects.filter(kind=Place.Kind.DOORPLATE, road__in=demo_roads)}
    )
    create, update = [], []
    for place in wanted:
        current = existing.pop((place.kind, place.name), None)
        if current is None:
            create.append(place)
        elif any(getattr(current, f) != getattr(place, f) for f in fields):
            for f in fields:
                setattr(current, f, getattr(place, f))
            update.append(current)
    now = timezone.now()
    for place in update:
        # bulk_update skips auto_now; other processes see changed rows through updated_at.
        place.updated_at = now
    Place.objects.bulk_create(create, batch_size=1000)
    Place.objects.bulk_update(update, [*fields, "updated_at"], batch_size=1000)
    # Door plates of a previous version of the file that this version no longer has.
    stale = [p.pk for p in existing.values() if p.kind == Place.Kind.DOORPLATE and p.synthetic]
    Place.objects.filter(pk__in=stale).delete()
    counts.update(places_created=len(create), places_updated=len(update), places_removed=len(stale))
    counts["roads"] = len(data["roads"])
    counts["pois"] = len(data["pois"])
    counts["doorplates"] = sum(len(rows) for rows in data["doorplates"]["rows"].values())
    return counts


if __name__ == "__main__":
    print(regenerate())
