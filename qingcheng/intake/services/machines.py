"""Machine events (物联感知与视频分析): sensor alarms and video analytics mapped to subclasses, deduplicated
against open cases nearby."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from qingcheng.cases import photos as photo_store
from qingcheng.cases.catalogue import category_subclass
from qingcheng.cases.models import Case
from qingcheng.cases.services import PhotoUpload, case_report
from qingcheng.core import clock, idempotency, inputs
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import ValidationFailed
from qingcheng.geo.crs import to_wgs84
from qingcheng.geo.selectors import locate

from .. import selectors
from ..models import MachineEvent, MachineEventMapping

MAX_PAYLOAD_BYTES = 16 * 1024
FUTURE_SKEW = timedelta(minutes=5)


@dataclass
class MachineResult:
    event: MachineEvent
    created: bool  # a new event (False: the vendor sent this event id before)
    case_created: bool
    duplicates: list[Case] = field(default_factory=list)


def _decode_snapshot(snapshot_base64: str | None) -> list[PhotoUpload]:
    if not snapshot_base64:
        return []
    try:
        data = base64.b64decode(snapshot_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            "抓拍图片不是有效的 base64",
            "snapshot is not valid base64",
            field="snapshot",
            code="photo_invalid",
        ) from exc
    upload = PhotoUpload(data=data, kind="before", name="snapshot")
    photo_store.check_photo(upload.data, name=upload.name)
    return [upload]


@transaction.atomic
def machine_event_ingest(
    *,
    actor: Actor,
    vendor: str,
    event_id: str,
    event_code: str,
    lon: float,
    lat: float,
    occurred_at: datetime,
    device_id: str = "",
    crs: str = "wgs84",
    description: str = "",
    payload: dict[str, Any] | None = None,
    snapshot_base64: str | None = None,
) -> MachineResult:
    """An event of a sensor or video-analytics system (API-key client). Its vendor code maps to a
    subclass; an open case of that subclass within CASE_DUPLICATE_RADIUS_M whose last report or event is
    within MACHINE_DEDUPE_WINDOW_MINUTES absorbs it, else it becomes a draft case (待受理). The same
    vendor event id again returns the first result.

    Only client applications (`accounts.use_api`, the api_client role) speak for sensors and cameras: a
    person's key that may report (a citizen's, a receiver's) reports through its own channel."""
    require_permission(actor, "cases.report_case")
    require_permission(actor, "accounts.use_api")
    vendor = inputs.text(vendor, "vendor", "厂商", "vendor", max_length=40)
    event_id = inputs.text(event_id, "event_id", "事件编号", "event id", max_length=100)

    def replay() -> MachineResult | None:
        # The vendor's event id is the idempotency key: the same event again answers with the first.
        existing = (
            MachineEvent.objects.filter(vendor=vendor, event_id=event_id).select_related("case").first()
        )
        return None if existing is None else MachineResult(event=existing, created=False, case_created=False)

    return idempotency.once(
        replay=replay,
        create=lambda: _machine_event_create(
            actor=actor,
            vendor=vendor,
            event_id=event_id,
            event_code=event_code,
            lon=lon,
            lat=lat,
            crs=crs,
            occurred_at=occurred_at,
            device_id=device_id,
            description=description,
            payload=payload or {},
            snapshot_base64=snapshot_base64,
        ),
    )


def _machine_event_create(
    *,
    actor: Actor,
    vendor: str,
    event_id: str,
    event_code: str,
    lon: float,
    lat: float,
    crs: str,
    occurred_at: datetime,
    device_id: str,
    description: str,
    payload: dict[str, Any],
    snapshot_base64: str | None,
) -> MachineResult:
    mapping = MachineEventMapping.objects.filter(vendor=vendor, event_code=event_code, active=True).first()
    if mapping is None:
        raise ValidationFailed(
            f"未登记的厂商事件代码 {vendor}:{event_code}",
            f"unknown event code {event_code!r} for vendor {vendor!r}",
            field="event_code",
            code="unknown_event_code",
        )
    category = category_subclass(mapping.category_code or "-")
    if len(json.dumps(payload, default=str)) > MAX_PAYLOAD_BYTES:
        raise ValidationFailed(
            "事件附加数据过大",
            f"payload is larger than {MAX_PAYLOAD_BYTES} bytes",
            field="payload",
            code="payload_too_large",
            status=413,
        )
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    now = clock.now()
    if occurred_at > now + FUTURE_SKEW:
        raise ValidationFailed(
            "事件时间晚于当前时间", "occurred_at is in the future", field="occurred_at", code="invalid_time"
        )
    photos = _decode_snapshot(snapshot_base64)
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    location = locate(wgs_lon, wgs_lat)
    require_in_scope(actor, location.grid_code, refusal=outside_area(location=True))
    event = MachineEvent(
        vendor=vendor,
        event_id=event_id,
        event_code=event_code,
        device_id=(device_id or "")[:100],
        lon=wgs_lon,
        lat=wgs_lat,
        occurred_at=min(occurred_at, now),
        mapping=mapping,
        area_code=location.grid_code,
        payload=payload,
        received_by=actor,
    )
    target = selectors.machine_dedupe_target(
        category=category, lon=wgs_lon, lat=wgs_lat, at=event.occurred_at
    )
    duplicates: list[Case] = []
    if target is not None:
        event.case = target
        event.deduplicated = True
    else:
        text = f"{mapping.name}（{mapping.get_source_display()}：{vendor} {event_code}，设备 {device_id or '-'}）"
        if description.strip():
            text = f"{text}\n{description.strip()[:1000]}"
        result = case_report(
            actor=actor,
            source=mapping.source,
            lon=wgs_lon,
            lat=wgs_lat,
            description=text,
            category_code=category.code,
            urgency=mapping.urgency,
            photos=photos,
            reported_at=event.occurred_at,
        )
        event.case = result.case
        duplicates = result.duplicates
    event.save()
    audit_record(
        actor=actor,
        action="intake.machine_event",
        obj=event,
        area_code=event.area_code,
        before={},
        after={
            "vendor": vendor,
            "event_id": event_id,
            "event_code": event_code,
            "case": event.case.number,
            "deduplicated": event.deduplicated,
        },
    )
    return MachineResult(event=event, created=True, case_created=target is None, duplicates=duplicates)
