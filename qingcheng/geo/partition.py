"""Cutting areas into pieces: lattice partitions with slivers merged into their neighbours.

Used to generate synthetic communities and unit grids for the demo city; also useful to a bureau that
draws a first grid layer from street boundaries before surveying.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from .geometry import METRES_PER_DEGREE_LAT, metres_per_degree_lon


def polygons_of(geom: BaseGeometry) -> list[Polygon]:
    if geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type in {"MultiPolygon", "GeometryCollection"}:
        return [p for part in geom.geoms for p in polygons_of(part)]
    return []


def lattice_cut(area: BaseGeometry, cell_m: float, origin: tuple[float, float]) -> list[Polygon]:
    """Cut `area` by a square lattice of `cell_m` metres anchored at `origin` (lon, lat)."""
    ox, oy = origin
    dx = cell_m / metres_per_degree_lon(oy)
    dy = cell_m / METRES_PER_DEGREE_LAT
    min_x, min_y, max_x, max_y = area.bounds
    i0, i1 = math.floor((min_x - ox) / dx), math.floor((max_x - ox) / dx)
    j0, j1 = math.floor((min_y - oy) / dy), math.floor((max_y - oy) / dy)
    ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
    ii, jj = ii.ravel(), jj.ravel()
    cells = shapely.box(ox + ii * dx, oy + jj * dy, ox + (ii + 1) * dx, oy + (jj + 1) * dy)
    shapely.prepare(area)
    hits = shapely.intersects(area, cells)
    inside = shapely.contains_properly(area, cells)
    pieces: list[Polygon] = list(cells[inside])
    partial = cells[hits & ~inside]
    for clipped in shapely.intersection(partial, area):
        pieces.extend(polygons_of(clipped))
    return pieces


def merge_slivers(pieces: list[Polygon], min_area: float) -> list[Polygon]:
    """Merge every piece smaller than `min_area` (in the pieces' own units) into the neighbour with which
    it shares the longest edge, smallest first. Pieces with no neighbour are kept."""
    pieces = list(pieces)
    alive = [True] * len(pieces)
    tree = shapely.STRtree(pieces)
    order = sorted(range(len(pieces)), key=lambda k: pieces[k].area)
    for k in order:
        if not alive[k] or pieces[k].area >= min_area:
            continue
        best, best_len = -1, 0.0
        for n in tree.query(pieces[k]):
            n = int(n)
            if n == k or not alive[n]:
                continue
            shared = pieces[k].boundary.intersection(pieces[n].boundary).length
            if shared > best_len:
                best, best_len = n, shared
        if best < 0:
            continue
        merged = shapely.union(pieces[best], pieces[k])
        polys = polygons_of(merged)
        pieces[best] = max(polys, key=lambda p: p.area) if len(polys) > 1 else polys[0]
        alive[k] = False
        # The tree still holds the old geometry of `best`; its envelope only grew, so later queries that
        # miss it lose at most a candidate neighbour, never correctness of the merge itself.
    return [p for p, keep in zip(pieces, alive, strict=True) if keep]


def order_west_east_north_south(pieces: list[Polygon], row_m: float) -> list[Polygon]:
    """Sort pieces in rows from north to south, west to east inside each row (GB/T 30428.1 numbering)."""
    if not pieces:
        return []
    points = [p.representative_point() for p in pieces]
    north = max(pt.y for pt in points)
    row_deg = row_m / METRES_PER_DEGREE_LAT
    return [
        piece
        for _, piece in sorted(
            zip(points, pieces, strict=True),
            key=lambda item: (math.floor((north - item[0].y) / row_deg), item[0].x),
        )
    ]
