"""Writes of the geography domain: importing area and grid layers (with validation and versioning)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import shapely
from django.db import transaction
from django.utils import timezone
from shapely.geometry.base import BaseGeometry

from qingcheng.core.access import Actor, is_in_scope, require_permission
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import PermissionDeniedError, ValidationFailed

from . import spatial
from .geometry import area_m2, from_geojson, geometry_columns
from .models import AdminArea, GridRevision, UnitGrid
from .validation import (
    Finding,
    check_area_code,
    check_feature_geometry,
    check_grid_code,
    find_duplicates,
    find_gaps,
    find_overlaps,
)


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    dry_run: bool = False
    revision_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "retired": self.retired,
            "unchanged": self.unchanged,
            "errors": [f.as_dict() for f in self.errors],
            "warnings": [f.as_dict() for f in self.warnings],
            "dry_run": self.dry_run,
            "revision_id": self.revision_id,
        }


def _features(data: dict[str, Any]) -> list[dict[str, Any]]:
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise ValidationFailed(
            "文件须为 GeoJSON FeatureCollection",
            "the file must be a GeoJSON FeatureCollection",
            code="not_geojson",
        )
    return data["features"]


def _require_import_permission(actor: Actor, codes: list[str]) -> None:
    require_permission(actor, "geo.add_unitgrid", allow_system=True)  # import_geo runs as the system
    outside = sorted({c for c in codes if not is_in_scope(actor, c, allow_system=True)})
    if outside:
        raise PermissionDeniedError(
            f"导入的数据超出您的管辖区域：{', '.join(outside[:5])}",
            f"the import reaches outside your area: {', '.join(outside[:5])}",
        )


def _progress(iterable, enabled: bool, desc: str, total: int):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit="row")


@transaction.atomic
def areas_import_geojson(
    *, data: dict[str, Any], actor: Actor, dry_run: bool = False, progress: bool = False
) -> ImportReport:
    """Create or update administrative areas from features with properties code, name, level, parent_code.
    All or nothing: any row error leaves the database untouched."""
    features = _features(data)
    report = ImportReport(rows=len(features), dry_run=dry_run)
    existing = {a.code: a for a in AdminArea.objects.all()}
    in_file = {str((f.get("properties") or {}).get("code", "")) for f in features}
    parsed: list[tuple[dict[str, Any], BaseGeometry | None]] = []
    for row, feature in enumerate(_progress(features, progress, "areas", len(features)), start=1):
        props = feature.get("properties") or {}
        code, level = str(props.get("code", "")), str(props.get("level", ""))
        parent_code = str(props.get("parent_code") or "")
        row_errors = check_area_code(code, level, parent_code or None, row)
        if not props.get("name"):
            row_errors.append(Finding("missing_field", "缺少名称", "name is missing", [code], row))
        if parent_code and parent_code not in existing and parent_code not in in_file:
            row_errors.append(
                Finding(
                    "parent_mismatch",
                    f"上级区域 {parent_code} 不存在",
                    f"parent area {parent_code} does not exist",
                    [code],
                    row,
                )
            )
        geom = None
        if feature.get("geometry"):
            geom, geometry_findings = check_feature_geometry(feature["geometry"], row, code)
            row_errors.extend(geometry_findings)
        report.errors.extend(row_errors)
        parsed.append((props, geom))
    _require_import_permission(actor, sorted(in_file))
    if report.errors or dry_run:
        return report
    # Parents first, so each row can link to its parent.
    for props, geom in sorted(parsed, key=lambda item: len(str(item[0]["code"]))):
        code = str(props["code"])
        area = existing.get(code) or AdminArea(code=code)
        created = area.pk is None
        area.name = props["name"]
        area.level = props["level"]
        area.parent = existing.get(str(props.get("parent_code") or "")) if props.get("parent_code") else None
        area.synthetic_boundary = bool(props.get("synthetic_boundary", False))
        area.source = str(props.get("source", ""))[:200]
        if geom is not None:
            for key, value in geometry_columns(geom, precision=6).items():
                setattr(area, key, value)
            area.area_km2 = round(area_m2(geom) / 1e6, 3)
        area.save()
        existing[code] = area
        if created:
            report.created += 1
        else:
            report.updated += 1
    audit_record(
        actor=actor, action="geo.areas_imported", object_type="geo.adminarea", after=report.as_dict()
    )
    transaction.on_commit(spatial.invalidate)
    return report


@transaction.atomic
def grids_import_geojson(
    *,
    data: dict[str, Any],
    actor: Actor,
    valid_from: datetime | None = None,
    dry_run: bool = False,
    progress: bool = False,
    allow_gaps: bool = True,
) -> ImportReport:
    """Import a new version of the grids of every community named in the file.

    Grids whose geometry is unchanged keep their row; changed grids get a new row and the old one is
    closed at `valid_from`; grids of those communities missing from the file are retired. Row errors and
    overlaps reject the whole file; gaps are reported as warnings (errors with allow_gaps=False)."""
    features = _features(data)
    valid_from = valid_from or timezone.now()
    report = ImportReport(rows=len(features), dry_run=dry_run)
    known_areas = set(AdminArea.objects.values_list("code", flat=True))
    codes: list[str] = []
    geoms: list[BaseGeometry] = []
    rows: list[int] = []
    props_by_code: dict[str, dict[str, Any]] = {}
    for row, feature in enumerate(_progress(features, progress, "grids", len(features)), start=1):
        props = feature.get("properties") or {}
        code = str(props.get("code", ""))
        community_code = str(props["community_code"]) if props.get("community_code") else None
        row_errors = check_grid_code(code, row, community_code, known_areas)
        geom, geometry_findings = check_feature_geometry(feature.get("geometry") or {}, row, code)
        row_errors.extend(geometry_findings)
        land_use = props.get("land_use", "")
        if land_use and land_use not in UnitGrid.LandUse.values:
            row_errors.append(
                Finding(
                    "bad_value", f"用地类别 {land_use!r} 无效", f"unknown land use {land_use!r}", [code], row
                )
            )
        level = str(props.get("management_level", UnitGrid.ManagementLevel.GENERAL))
        if level not in UnitGrid.ManagementLevel.values:
            row_errors.append(
                Finding(
                    "bad_value",
                    f"管理等级 {level!r} 无效",
                    f"unknown management level {level!r}",
                    [code],
                    row,
                )
            )
        report.errors.extend(row_errors)
        if geom is not None and not row_errors:
            codes.append(code)
            geoms.append(geom)
            rows.append(row)
            props_by_code[code] = props
    report.errors.extend(find_duplicates(codes, rows))
    _require_import_permission(actor, codes)
    communities = sorted({c[:12] for c in codes})
    # Grids of other communities stay; the new layer must not overlap them either.
    others: list[tuple[str, str]] = []
    if geoms:
        min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(geoms)
        nearby = UnitGrid.objects.filter(
            valid_to__isnull=True,
            max_lon__gte=min_lon,
            min_lon__lte=max_lon,
            max_lat__gte=min_lat,
            min_lat__lte=max_lat,
        ).values_list("code", "geometry")
        community_set = set(communities)
        others = [(c, g) for c, g in nearby if c[:12] not in community_set]
    layer_codes = codes + [c for c, _ in others]
    layer_geoms = geoms + [from_geojson(g) for _, g in others]
    report.errors.extend(f for f in find_overlaps(layer_codes, layer_geoms) if set(f.codes) & set(codes))
    community_shapes = {
        a.code: from_geojson(a.geometry)
        for a in AdminArea.objects.filter(code__in=communities).exclude(geometry="")
    }
    gaps = find_gaps(codes, geoms, community_shapes)
    (report.warnings if allow_gaps else report.errors).extend(gaps)
    if report.errors or dry_run:
        return report
    community_rows = {a.code: a for a in AdminArea.objects.filter(code__in=communities)}
    current = {
        g.code: g
        for g in UnitGrid.objects.select_for_update().filter(
            valid_to__isnull=True, community__code__in=communities
        )
    }
    revision = GridRevision.objects.create(note=f"import of {len(codes)} grids", grid_count=len(codes))
    new_rows = []
    for code, geom in zip(codes, geoms, strict=True):
        props = props_by_code[code]
        columns = geometry_columns(geom)
        old = current.pop(code, None)
        if old is not None and _same_shape(old.geometry, columns["geometry"]):
            changed = {
                k: v
                for k, v in (
                    ("land_use", props.get("land_use", old.land_use)),
                    ("management_level", str(props.get("management_level", old.management_level))),
                )
                if getattr(old, k) != v
            }
            if changed:
                UnitGrid.objects.filter(pk=old.pk).update(**changed)
                report.updated += 1
            else:
                report.unchanged += 1
            continue
        if old is not None:
            UnitGrid.objects.filter(pk=old.pk).update(valid_to=valid_from)
            report.updated += 1
        else:
            report.created += 1
        new_rows.append(
            UnitGrid(
                code=code,
                community=community_rows[code[:12]],
                area_m2=round(area_m2(geom), 1),
                land_use=props.get("land_use", ""),
                management_level=str(props.get("management_level", UnitGrid.ManagementLevel.GENERAL)),
                valid_from=valid_from,
                revision=revision,
                synthetic=bool(props.get("synthetic", False)),
                **columns,
            )
        )
    retired = [g.pk for g in current.values()]
    UnitGrid.objects.filter(pk__in=retired).update(valid_to=valid_from)
    report.retired = len(retired)
    UnitGrid.objects.bulk_create(new_rows, batch_size=2000)
    report.revision_id = revision.pk
    audit_record(
        actor=actor,
        action="geo.grids_imported",
        object_type="geo.gridrevision",
        object_id=str(revision.pk),
        # The area all of them lie in: the codes' common prefix (codes, not paths).
        area_code=os.path.commonprefix(communities),  # noqa: RUF071
        after={k: v for k, v in report.as_dict().items() if k not in {"errors", "warnings"}}
        | {"warnings": len(report.warnings)},
    )
    transaction.on_commit(spatial.invalidate)
    return report


def _same_shape(stored: str, incoming: str) -> bool:
    """Equal as shapes (ring start and orientation may differ after a round trip through other tools)."""
    if stored == incoming:
        return True
    return bool(
        shapely.equals_exact(
            shapely.normalize(from_geojson(stored)), shapely.normalize(from_geojson(incoming)), 1e-9
        )
    )
