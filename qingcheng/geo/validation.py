"""Validation of area and grid layers (数据检查): each finding says what is wrong and where.

Checks: unclosed rings and invalid (e.g. self-intersecting) polygons, code formats, codes that do not
match their parent, duplicate codes, overlaps between grids, and gaps (无缝拼接): holes inside the
grid layer, and parts of a community that no grid covers.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from .geometry import METRES_PER_DEGREE_LAT, area_m2
from .partition import polygons_of

GRID_CODE_RE = re.compile(r"^\d{15}$")
AREA_CODE_LENGTHS = {"region": 6, "city": 6, "district": 6, "street": 9, "community": 12}
# Overlaps and gaps smaller than this (m²) are float noise from clipping, not drawing errors.
DEFAULT_TOLERANCE_M2 = 1.0


@dataclass
class Finding:
    kind: str  # unclosed_ring, invalid_geometry, bad_code, parent_mismatch, duplicate_code, overlap, gap
    message_zh: str
    message_en: str
    codes: list[str] = field(default_factory=list)
    row: int | None = None
    lon: float | None = None
    lat: float | None = None
    area_m2: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _point(geom: BaseGeometry) -> tuple[float, float]:
    p = geom.representative_point() if not geom.is_empty else geom
    return round(p.x, 7), round(p.y, 7)


def _rings_closed(coordinates: Any, depth: int) -> bool:
    """Check the raw GeoJSON rings: shapely would silently close an open ring."""
    if depth == 2:  # a ring: list of positions
        return len(coordinates) >= 4 and list(coordinates[0]) == list(coordinates[-1])
    return all(_rings_closed(part, depth - 1) for part in coordinates)


def check_feature_geometry(
    geometry: dict[str, Any], row: int | None, code: str
) -> tuple[BaseGeometry | None, list[Finding]]:
    """Parse one GeoJSON geometry; return it (or None) with the findings about its shape."""
    findings: list[Finding] = []
    kind = (geometry or {}).get("type")
    if kind not in {"Polygon", "MultiPolygon"}:
        findings.append(
            Finding(
                "invalid_geometry",
                f"几何类型应为面，实为 {kind}",
                f"geometry must be a polygon, not {kind}",
                [code],
                row,
            )
        )
        return None, findings
    depth = 3 if kind == "Polygon" else 4
    try:
        closed = _rings_closed(geometry.get("coordinates") or [], depth)
    except (TypeError, IndexError):
        closed = False
    if not closed:
        findings.append(Finding("unclosed_ring", "多边形未闭合", "polygon ring is not closed", [code], row))
        return None, findings
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        findings.append(
            Finding(
                "invalid_geometry", f"坐标无法解析：{exc}", f"coordinates cannot be read: {exc}", [code], row
            )
        )
        return None, findings
    if not geom.is_valid:
        reason = explain_validity(geom)
        match = re.search(r"\[([-\d.eE]+) ([-\d.eE]+)\]", reason)
        lon, lat = (float(match.group(1)), float(match.group(2))) if match else _point(geom)
        findings.append(
            Finding(
                "invalid_geometry",
                f"多边形无效（{reason}）",
                f"invalid polygon ({reason})",
                [code],
                row,
                lon,
                lat,
            )
        )
        return None, findings
    return geom, findings


def check_grid_code(
    code: str, row: int | None, community_code: str | None, known_areas: set[str] | None
) -> list[Finding]:
    if not GRID_CODE_RE.match(code or ""):
        return [
            Finding(
                "bad_code",
                f"网格编码须为15位数字：{code!r}",
                f"grid code must be 15 digits: {code!r}",
                [code],
                row,
            )
        ]
    findings = []
    if community_code is not None and code[:12] != community_code:
        findings.append(
            Finding(
                "parent_mismatch",
                f"网格编码 {code} 与所属社区 {community_code} 不符",
                f"grid code {code} does not start with its community code {community_code}",
                [code, community_code],
                row,
            )
        )
    if known_areas is not None:
        for length, what_zh, what_en in (
            (6, "区县", "district"),
            (9, "街道", "street"),
            (12, "社区", "community"),
        ):
            if code[:length] not in known_areas:
                findings.append(
                    Finding(
                        "parent_mismatch",
                        f"网格编码 {code} 的{what_zh}代码 {code[:length]} 不存在",
                        f"grid code {code}: {what_en} {code[:length]} does not exist",
                        [code],
                        row,
                    )
                )
                break
    if code[-3:] == "000":
        findings.append(Finding("bad_code", "网格序号不能为000", "grid serial cannot be 000", [code], row))
    return findings


def check_area_code(code: str, level: str, parent_code: str | None, row: int | None) -> list[Finding]:
    expected = AREA_CODE_LENGTHS.get(level)
    if expected is None:
        return [
            Finding("bad_code", f"未知的区域层级 {level!r}", f"unknown area level {level!r}", [code], row)
        ]
    if not (code.isdigit() and len(code) == expected):
        return [
            Finding(
                "bad_code",
                f"{level} 级区域编码须为{expected}位数字：{code!r}",
                f"{level} code must be {expected} digits: {code!r}",
                [code],
                row,
            )
        ]
    if parent_code:
        # A district belongs to its city (1501xx → 150100), a city to its region (15xxxx → 150000); below
        # the county level the parent's code is a prefix.
        if level in {"street", "community"}:
            ok = code.startswith(parent_code)
        elif level == "district":
            ok = parent_code == code[:4] + "00"
        else:
            ok = parent_code == code[:2] + "0000"
        if not ok:
            return [
                Finding(
                    "parent_mismatch",
                    f"区域编码 {code} 与上级 {parent_code} 不符",
                    f"area code {code} does not match its parent {parent_code}",
                    [code, parent_code],
                    row,
                )
            ]
    return []


def find_overlaps(
    codes: list[str], geoms: list[BaseGeometry], tolerance_m2: float = DEFAULT_TOLERANCE_M2
) -> list[Finding]:
    findings = []
    if not geoms:
        return findings
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        overlap = shapely.intersection(geoms[i], geoms[j])
        if overlap.is_empty or overlap.area == 0:
            continue
        size = area_m2(overlap)
        if size <= tolerance_m2:
            continue
        lon, lat = _point(overlap)
        findings.append(
            Finding(
                "overlap",
                f"网格 {codes[i]} 与 {codes[j]} 重叠 {size:.1f} 平方米",
                f"grids {codes[i]} and {codes[j]} overlap by {size:.1f} m²",
                [codes[i], codes[j]],
                lon=lon,
                lat=lat,
                area_m2=round(size, 1),
            )
        )
    return findings


def find_gaps(
    codes: list[str],
    geoms: list[BaseGeometry],
    communities: dict[str, BaseGeometry] | None = None,
    tolerance_m2: float = DEFAULT_TOLERANCE_M2,
) -> list[Finding]:
    """Holes enclosed by the grid layer, and (given community boundaries) community parts without grids."""
    findings: list[Finding] = []
    if not geoms:
        return findings
    # Grids drawn edge to edge from rounded coordinates leave hairline slits; close them before looking.
    eps = 0.01 / METRES_PER_DEGREE_LAT
    union = shapely.union_all(geoms).buffer(eps, join_style="mitre").buffer(-eps, join_style="mitre")
    for polygon in polygons_of(union):
        for ring in polygon.interiors:
            hole = shapely.Polygon(ring)
            size = area_m2(hole)
            if size > tolerance_m2:
                lon, lat = _point(hole)
                findings.append(
                    Finding(
                        "gap",
                        f"网格之间有 {size:.1f} 平方米的空隙",
                        f"a gap of {size:.1f} m² between grids",
                        lon=lon,
                        lat=lat,
                        area_m2=round(size, 1),
                    )
                )
    if communities:
        by_community: dict[str, list[BaseGeometry]] = {}
        for code, geom in zip(codes, geoms, strict=True):
            by_community.setdefault(code[:12], []).append(geom)
        for community_code, boundary in sorted(communities.items()):
            covered = shapely.union_all(by_community.get(community_code, []))
            uncovered = boundary.difference(covered.buffer(eps)) if not covered.is_empty else boundary
            for piece in polygons_of(uncovered):
                size = area_m2(piece)
                if size > max(tolerance_m2, 10.0):
                    lon, lat = _point(piece)
                    findings.append(
                        Finding(
                            "gap",
                            f"社区 {community_code} 有 {size:.1f} 平方米未划入任何网格",
                            f"{size:.1f} m² of community {community_code} lies in no grid",
                            [community_code],
                            lon=lon,
                            lat=lat,
                            area_m2=round(size, 1),
                        )
                    )
    return findings


def find_duplicates(codes: list[str], rows: list[int | None]) -> list[Finding]:
    seen: dict[str, int | None] = {}
    findings = []
    for code, row in zip(codes, rows, strict=True):
        if code in seen:
            findings.append(
                Finding(
                    "duplicate_code",
                    f"网格编码 {code} 重复（第 {seen[code]} 行）",
                    f"grid code {code} repeats (first at row {seen[code]})",
                    [code],
                    row,
                )
            )
        else:
            seen[code] = row
    return findings
