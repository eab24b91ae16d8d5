"""The in-process spatial index behind `locate(lon, lat)`.

Grids are held as prepared shapely polygons, sorted by code. A raster of small cells over the grid
extent answers most points without any geometry test: a cell lying strictly inside one grid stores that
grid; a cell crossed by grid edges stores its candidate grids, tested with `intersects_xy` in code order,
so a point on a shared edge always resolves to the grid with the lowest code. An STRtree serves the
rare points outside every grid (snapping) and bulk candidate tests in batches.

Every process rebuilds its index when the newest GridRevision differs from the one it was built from
(checked at most every GEO_INDEX_CHECK_SECONDS).
"""

from __future__ import annotations

import threading
import time
from array import array
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from shapely.geometry import Point
from shapely.ops import nearest_points

from qingcheng.core.errors import DomainError

from .geometry import METRES_PER_DEGREE_LAT, distance_m, from_geojson, metres_per_degree_lon

EMPTY = -1


class OutsideCoverage(DomainError):
    status = 400

    def __init__(self, lon: float, lat: float, distance: float | None) -> None:
        detail = {"lon": lon, "lat": lat}
        if distance is not None:
            detail["nearest_grid_m"] = round(distance, 1)
        super().__init__(
            "outside_coverage",
            "该位置不在任何单元网格内",
            "The location is outside every unit grid",
            details=detail,
        )


class NoGrids(DomainError):
    status = 503

    def __init__(self) -> None:
        super().__init__("no_grids", "尚未导入单元网格", "No unit grids have been loaded yet")


@dataclass(frozen=True)
class Hit:
    index: int
    snapped: bool = False
    distance_m: float = 0.0


@dataclass
class SpatialIndex:
    revision_id: int
    codes: np.ndarray  # str codes sorted ascending
    ids: np.ndarray  # UnitGrid primary keys, same order
    geoms: np.ndarray  # shapely polygons, prepared
    x0: float = 0.0
    y0: float = 0.0
    dx: float = 1.0
    dy: float = 1.0
    raster: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int32))
    # Candidate grids of each mixed raster cell, as plain tuples: iterating them is what a single lookup does.
    candidates: list[tuple[int, ...]] = field(default_factory=list)
    tree: shapely.STRtree | None = None
    build_seconds: float = 0.0
    area_names: dict[str, str] = field(default_factory=dict)
    beat_of_grid: dict[str, str] = field(default_factory=dict)
    # Plain-Python mirrors of the raster and candidate lists: indexing them is several times faster than
    # indexing numpy arrays one element at a time, which is what a single lookup does.
    _cells: array = field(default_factory=lambda: array("i"))
    # Bounding box of each grid that is an axis-aligned rectangle (most lattice grids), else None: a point
    # test against a rectangle needs no geometry library call.
    _boxes: list[tuple[float, float, float, float] | None] = field(default_factory=list)
    _nx: int = 0
    _ny: int = 0
    code_list: list[str] = field(default_factory=list)
    id_list: list[int] = field(default_factory=list)

    # ------------------------------------------------------------------ build

    @classmethod
    def build(cls, revision_id: int, rows: list[tuple[int, str, str]], cell_m: float = 25.0) -> SpatialIndex:
        started = time.perf_counter()
        rows = sorted(rows, key=lambda r: r[1])
        codes = np.array([r[1] for r in rows], dtype=object)
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        geoms = np.array([from_geojson(r[2]) for r in rows], dtype=object)
        index = cls(revision_id=revision_id, codes=codes, ids=ids, geoms=geoms)
        index.code_list = codes.tolist()
        index.id_list = ids.tolist()
        if len(rows):
            shapely.prepare(geoms)
            index.tree = shapely.STRtree(geoms)
            index._build_raster(cell_m)
        index.build_seconds = time.perf_counter() - started
        return index

    def _build_raster(self, cell_m: float) -> None:
        bounds = shapely.bounds(self.geoms)
        min_x, min_y = bounds[:, 0].min(), bounds[:, 1].min()
        max_x, max_y = bounds[:, 2].max(), bounds[:, 3].max()
        mid_lat = (min_y + max_y) / 2
        self.dx = cell_m / metres_per_degree_lon(mid_lat)
        self.dy = cell_m / METRES_PER_DEGREE_LAT
        self.x0, self.y0 = min_x, min_y
        nx = int(np.floor((max_x - min_x) / self.dx)) + 1
        ny = int(np.floor((max_y - min_y) / self.dy)) + 1
        # Pair every grid with the raster cells its bounding box touches, a chunk of grids at a time so the
        # temporary cell boxes stay small.
        inside_cells, inside_grids, touch_cells, touch_grids = [], [], [], []
        for first in range(0, len(self.geoms), 2000):
            chunk = np.arange(first, min(first + 2000, len(self.geoms)))
            b = bounds[chunk]
            ix0 = np.floor((b[:, 0] - min_x) / self.dx).astype(np.int64)
            ix1 = np.floor((b[:, 2] - min_x) / self.dx).astype(np.int64)
            iy0 = np.floor((b[:, 1] - min_y) / self.dy).astype(np.int64)
            iy1 = np.floor((b[:, 3] - min_y) / self.dy).astype(np.int64)
            counts = (ix1 - ix0 + 1) * (iy1 - iy0 + 1)
            grid_of_pair = np.repeat(chunk, counts)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            widths = np.repeat(ix1 - ix0 + 1, counts)
            pair_ix = np.repeat(ix0, counts) + offsets % widths
            pair_iy = np.repeat(iy0, counts) + offsets // widths
            cell_boxes = shapely.box(
                min_x + pair_ix * self.dx,
                min_y + pair_iy * self.dy,
                min_x + (pair_ix + 1) * self.dx,
                min_y + (pair_iy + 1) * self.dy,
            )
            flat = pair_iy * nx + pair_ix
            touches = shapely.intersects(self.geoms[grid_of_pair], cell_boxes)
            inside = shapely.contains_properly(self.geoms[grid_of_pair], cell_boxes)
            inside_cells.append(flat[inside])
            inside_grids.append(grid_of_pair[inside])
            touch_cells.append(flat[touches & ~inside])
            touch_grids.append(grid_of_pair[touches & ~inside])
            del cell_boxes
        inside_flat = np.concatenate(inside_cells)
        inside_grid = np.concatenate(inside_grids)
        touch_flat = np.concatenate(touch_cells)
        touch_grid = np.concatenate(touch_grids)
        raster = np.full(nx * ny, EMPTY, dtype=np.int32)
        raster[inside_flat] = inside_grid
        # Cells not strictly inside one grid keep a sorted candidate list (stored as -2 - list index).
        mixed = ~np.isin(touch_flat, inside_flat)
        order = np.lexsort((touch_grid[mixed], touch_flat[mixed]))
        mixed_cells = touch_flat[mixed][order]
        mixed_grids = touch_grid[mixed][order]
        unique_cells, starts = np.unique(mixed_cells, return_index=True)
        groups = np.split(mixed_grids, starts[1:]) if len(unique_cells) else []
        self.candidates = [tuple(group.tolist()) for group in groups]
        raster[unique_cells] = -2 - np.arange(len(unique_cells), dtype=np.int32)
        self.raster = raster.reshape(ny, nx)
        self._nx, self._ny = nx, ny
        self._cells = array("i", raster.tolist())
        areas = shapely.area(self.geoms)
        box_areas = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
        vertex_counts = shapely.get_num_coordinates(self.geoms)
        is_box = (vertex_counts == 5) & (np.abs(areas - box_areas) <= 1e-9 * box_areas)
        self._boxes = [
            tuple(b) if flag else None for b, flag in zip(bounds.tolist(), is_box.tolist(), strict=True)
        ]

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self.codes)

    def lookup(self, lon: float, lat: float) -> int:
        """Index of the grid covering the point, or EMPTY. Points on shared edges go to the lowest code."""
        ix = int((lon - self.x0) // self.dx)
        iy = int((lat - self.y0) // self.dy)
        if ix < 0 or iy < 0 or ix >= self._nx or iy >= self._ny:
            return EMPTY
        value = self._cells[iy * self._nx + ix]
        if value >= 0 or value == EMPTY:
            return value
        boxes = self._boxes
        for candidate in self.candidates[-2 - value]:
            bbox = boxes[candidate]
            if bbox is not None:
                if bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]:
                    return candidate
            elif shapely.intersects_xy(self.geoms[candidate], lon, lat):
                return candidate
        return EMPTY

    def nearest(self, lon: float, lat: float, max_m: float) -> Hit | None:
        if self.tree is None:
            return None
        point = Point(lon, lat)
        reach = max_m / min(metres_per_degree_lon(lat), METRES_PER_DEGREE_LAT)
        found = self.tree.query(point.buffer(reach))
        best: Hit | None = None
        for candidate in sorted(int(i) for i in found):
            near = nearest_points(self.geoms[candidate], point)[0]
            d = distance_m(lon, lat, near.x, near.y)
            if d <= max_m and (best is None or d < best.distance_m):
                best = Hit(candidate, snapped=True, distance_m=d)
        return best

    def resolve(self, lon: float, lat: float, snap_m: float) -> Hit:
        found = self.lookup(lon, lat)
        if found != EMPTY:
            return Hit(found)
        near = self.nearest(lon, lat, snap_m)
        if near is None:
            far = self.nearest(lon, lat, 100_000)
            raise OutsideCoverage(lon, lat, far.distance_m if far else None)
        return near

    def lookup_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Vectorised lookup: grid index per point, EMPTY where no grid covers it (no snapping)."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        result = np.full(len(lons), EMPTY, dtype=np.int64)
        if not len(self.codes):
            return result
        ny, nx = self.raster.shape
        ix = np.floor((lons - self.x0) / self.dx).astype(np.int64)
        iy = np.floor((lats - self.y0) / self.dy).astype(np.int64)
        within = (ix >= 0) & (iy >= 0) & (ix < nx) & (iy < ny)
        values = np.full(len(lons), EMPTY, dtype=np.int64)
        values[within] = self.raster[iy[within], ix[within]]
        direct = values >= 0
        result[direct] = values[direct]
        mixed = np.nonzero(values <= -2)[0]
        if len(mixed):
            points = shapely.points(lons[mixed], lats[mixed])
            point_idx, grid_idx = self.tree.query(points, predicate="intersects")
            if len(point_idx):
                # Lowest grid index (= lowest code) per point, as in `lookup`.
                order = np.lexsort((grid_idx, point_idx))
                point_idx, grid_idx = point_idx[order], grid_idx[order]
                first = np.unique(point_idx, return_index=True)[1]
                result[mixed[point_idx[first]]] = grid_idx[first]
        return result


# ---------------------------------------------------------------------- process-wide index

_lock = threading.Lock()
_index: SpatialIndex | None = None
_checked_at = 0.0
# Read once and refreshed when tests change the setting: reading Django settings on every lookup costs
# more than the lookup itself.
_check_interval = [float(getattr(settings, "GEO_INDEX_CHECK_SECONDS", 5.0))]


@receiver(setting_changed)
def _refresh_settings(setting: str, **kwargs) -> None:
    if setting == "GEO_INDEX_CHECK_SECONDS":
        _check_interval[0] = float(getattr(settings, "GEO_INDEX_CHECK_SECONDS", 5.0))


def _latest_revision_id() -> int:
    from .models import GridRevision

    return GridRevision.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _load(revision_id: int) -> SpatialIndex:
    from .models import AdminArea, SupervisionBeat, UnitGrid

    rows = list(UnitGrid.objects.filter(valid_to__isnull=True).values_list("id", "code", "geometry"))
    index = SpatialIndex.build(revision_id, rows, cell_m=getattr(settings, "GEO_INDEX_CELL_M", 25.0))
    index.area_names = dict(AdminArea.objects.values_list("code", "name"))
    for beat_code, grid_codes in SupervisionBeat.objects.values_list("code", "grid_codes"):
        for grid_code in grid_codes or []:
            index.beat_of_grid.setdefault(grid_code, beat_code)
    return index


def get_index(force_check: bool = False) -> SpatialIndex:
    """The current index, rebuilt when the grid revision changed."""
    global _index, _checked_at
    index = _index
    if index is not None and not force_check and time.monotonic() - _checked_at < _check_interval[0]:
        return index
    with _lock:
        latest = _latest_revision_id()
        _checked_at = time.monotonic()
        if _index is None or _index.revision_id != latest:
            _index = _load(latest)
        return _index


def invalidate() -> None:
    global _index
    with _lock:
        _index = None
