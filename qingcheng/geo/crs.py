"""Coordinate reference systems at the edge: inputs in GCJ-02 (AMap, WeChat, Tencent) or BD-09 (Baidu)
are converted to WGS-84, which is what the platform stores."""

from __future__ import annotations

from typing import Literal

import prcoords

from qingcheng.core.errors import ValidationFailed

Crs = Literal["wgs84", "gcj02", "bd09"]
SUPPORTED = ("wgs84", "gcj02", "bd09")


def to_wgs84(lon: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    crs = (crs or "wgs84").lower()
    if crs == "wgs84":
        return lon, lat
    if crs == "gcj02":
        # The iterative inverse: the one-step formula is metres off, too much for a 100 m grid.
        converted = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
    elif crs == "bd09":
        converted = prcoords.bd_wgs_bored(prcoords.Coords(lat, lon))
    else:
        raise ValidationFailed(
            f"不支持的坐标系 {crs!r}（可用：{', '.join(SUPPORTED)}）",
            f"unsupported crs {crs!r} (use one of {', '.join(SUPPORTED)})",
            field="crs",
            code="unsupported_crs",
        )
    return round(converted.lon, 7), round(converted.lat, 7)


def from_wgs84(lon: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    if crs == "gcj02":
        c = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
        return c.lon, c.lat
    if crs == "bd09":
        c = prcoords.wgs_bd(prcoords.Coords(lat, lon))
        return c.lon, c.lat
    return lon, lat
