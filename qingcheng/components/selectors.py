"""Reads of the components domain (部件): lists with filters, detail by code, map features, classes.

Every read for a user goes through `scope_queryset` on the component's grid code and needs the
`components.view_component` permission; `component_filter` without an actor is for system tasks
(command-line export) only.
"""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Q, QuerySet

from qingcheng.core.access import Actor, get_visible_or_404, require_permission
from qingcheng.core.errors import ValidationFailed
from qingcheng.core.scope import digit_prefix_q, scope_queryset

from .codes import STATE_ZH, parse_state
from .models import Component, ComponentClass

MAP_FEATURE_LIMIT = 5000
BBox = tuple[float, float, float, float]


def parse_bbox(text: str | None) -> BBox | None:
    """`min_lon,min_lat,max_lon,max_lat` in WGS-84 degrees; None when absent."""
    if text is None or text.strip() == "":
        return None
    bad = ValidationFailed(
        "bbox 格式应为 最小经度,最小纬度,最大经度,最大纬度",
        "bbox must be min_lon,min_lat,max_lon,max_lat in WGS-84 degrees",
        field="bbox",
        code="invalid_bbox",
    )
    parts = text.split(",")
    if len(parts) != 4:
        raise bad
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise bad from None
    values = (min_lon, min_lat, max_lon, max_lat)
    if not all(math.isfinite(v) for v in values):
        raise bad
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise bad
    return values


def _check_class_prefix(prefix: str) -> None:
    if not (prefix.isascii() and prefix.isdigit() and len(prefix) <= 4):
        raise ValidationFailed(
            "部件类别代码须为1–4位数字",
            "class code must be 1–4 digits",
            field="class_code",
            code="invalid_class_code",
        )


def _check_area_prefix(prefix: str) -> None:
    if not (prefix.isascii() and prefix.isdigit() and len(prefix) <= 15):
        raise ValidationFailed(
            "区域或网格代码须为1–15位数字",
            "area or grid code must be 1–15 digits",
            field="area",
            code="invalid_area_code",
        )


def component_filter(
    queryset: QuerySet[Component] | None = None,
    *,
    class_code: str | None = None,
    state: str | None = None,
    area_code: str | None = None,
    bbox: BBox | None = None,
    q: str | None = None,
    synthetic: bool | None = None,
) -> QuerySet[Component]:
    """Apply the list filters: class code prefix (大类 "01" or 小类 "0101"), state, grid/area code prefix,
    bounding box, and `q`: digits are a code prefix, anything else a part of the name."""
    qs = Component.objects.all() if queryset is None else queryset
    if class_code:
        _check_class_prefix(class_code)
        # Characters 7–10 of the code are the class, so a class prefix is a pattern on the unique code.
        qs = qs.filter(component_class__code__startswith=class_code)
    if state:
        qs = qs.filter(state=parse_state(state))
    if area_code:
        _check_area_prefix(area_code)
        qs = qs.filter(digit_prefix_q("grid_code", area_code))
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        qs = qs.filter(lon__gte=min_lon, lon__lte=max_lon, lat__gte=min_lat, lat__lte=max_lat)
    if q:
        q = q.strip()
        qs = (
            qs.filter(Q(code__startswith=q) | Q(name__icontains=q))
            if q.isdigit()
            else qs.filter(name__icontains=q)
        )
    if synthetic is not None:
        qs = qs.filter(synthetic=synthetic)
    return qs


VIEW = "components.view_component"


def component_list(*, actor: Actor, **filters: Any) -> QuerySet[Component]:
    """Components in the actor's area, filtered (see `component_filter`), ordered by code."""
    require_permission(actor, VIEW)
    qs = scope_queryset(Component.objects.all(), actor, "grid_code")
    qs = component_filter(qs, **filters)
    return qs.select_related("component_class", "competent_department", "maintenance_department").order_by(
        "code"
    )


def component_get(*, actor: Actor, code: str) -> Component:
    """One component by its 16-digit code; outside the actor's area it does not exist (404)."""
    require_permission(actor, VIEW)
    component = get_visible_or_404(
        Component.objects.select_related("component_class", "competent_department", "maintenance_department"),
        actor,
        field="grid_code",
        what_zh="部件",
        what_en="component",
        code=code,
    )
    return component


def component_features(
    *, actor: Actor, bbox: BBox, limit: int = MAP_FEATURE_LIMIT, **filters: Any
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the components in a bounding box for the map, at most `limit`
    features; `truncated` says there were more (the map then asks the user to zoom in)."""
    qs = component_list(actor=actor, bbox=bbox, **filters)
    rows = list(
        qs.values_list(
            "code",
            "name",
            "lon",
            "lat",
            "state",
            "component_class__code",
            "component_class__name",
            "grid_code",
        )[: limit + 1]
    )
    truncated = len(rows) > limit
    features = [
        {
            "type": "Feature",
            "id": code,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "code": code,
                "name": name,
                "state": state,
                "state_zh": STATE_ZH.get(state, state),
                "class_code": class_code,
                "class_name": class_name,
                "grid_code": grid_code,
            },
        }
        for code, name, lon, lat, state, class_code, class_name, grid_code in rows[:limit]
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": truncated, "limit": limit}


def class_list(*, major: str | None = None, verified: bool | None = None) -> QuerySet[ComponentClass]:
    """The class table is public reference data (the standard), so it is not scoped."""
    qs = ComponentClass.objects.select_related("parent").order_by("code")
    if major:
        _check_class_prefix(major)
        qs = qs.filter(code__startswith=major)
    if verified is not None:
        qs = qs.filter(verified=verified)
    return qs
