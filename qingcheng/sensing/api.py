"""The platform's JSON API for sensing (mounted at /api/sensing/): devices, readings, alarms, counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from qingcheng.accounts.auth import api_auth
from qingcheng.core.inputs import SaneDatetime

from . import selectors, services

router = Router(tags=["sensing"], auth=api_auth)


class DeviceOut(Schema):
    device_id: str
    device_type: str
    name: str
    lon: float
    lat: float
    grid_code: str
    status: str
    health: str
    synthetic: bool
    last_observed_at: datetime | None
    last_values: dict[str, Any]
    battery: float | None


def _device(d: Any) -> dict[str, Any]:
    return {
        "device_id": d.device_id,
        "device_type": d.device_type,
        "name": d.name,
        "lon": d.lon,
        "lat": d.lat,
        "grid_code": d.area_code,
        "status": d.status,
        "health": selectors.health(d),
        "synthetic": d.synthetic,
        "last_observed_at": d.last_observed_at,
        "last_values": d.last_values or {},
        "battery": d.battery,
    }


class ReadingOut(Schema):
    observed_at: datetime
    values: dict[str, Any]


class AlarmOut(Schema):
    id: int
    device_id: str
    rule: str
    kind: str
    severity: str
    status: str
    value: str
    message: str
    observed_at: datetime
    raised_at: datetime
    acknowledged_at: datetime | None
    recovered_at: datetime | None
    closed_at: datetime | None
    case_number: str | None


def _alarm(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "device_id": a.device.device_id,
        "rule": a.rule.name,
        "kind": a.rule.kind,
        "severity": a.severity,
        "status": a.status,
        "value": a.value,
        "message": a.message,
        "observed_at": a.observed_at,
        "raised_at": a.raised_at,
        "acknowledged_at": a.acknowledged_at,
        "recovered_at": a.recovered_at,
        "closed_at": a.closed_at,
        "case_number": a.case.number if a.case_id else None,
    }


class NoteIn(Schema):
    note: str = Field("", max_length=500)


@router.get("/devices", response=list[DeviceOut], summary="Devices in the caller's area")
def devices(
    request: HttpRequest,
    device_type: str | None = None,
    limit: int = Query(200, ge=1, le=2000),
    offset: int = Query(0, ge=0, le=10**9),
):
    actor = request.user
    return [
        _device(d) for d in selectors.device_list(actor, device_type=device_type)[offset : offset + limit]
    ]


@router.get("/devices/{device_id}", response=DeviceOut)
def device(request: HttpRequest, device_id: str):
    return _device(selectors.device_get(request.user, device_id))


@router.get("/devices/{device_id}/readings", response=list[ReadingOut], summary="Time series of one device")
def readings(
    request: HttpRequest,
    device_id: str,
    since: SaneDatetime | None = None,
    until: SaneDatetime | None = None,
    attrs: str = "",
    limit: int = Query(1000, ge=1, le=10000),
):
    _, rows = selectors.readings_series(
        request.user,
        device_id,
        since=since,
        until=until,
        attrs=[a for a in attrs.split(",") if a],
        limit=limit,
    )
    return rows


@router.get("/alarms", response=list[AlarmOut])
def alarms(
    request: HttpRequest,
    open_only: bool = False,
    status: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
):
    return [_alarm(a) for a in selectors.alarm_list(request.user, open_only=open_only, status=status)[:limit]]


@router.post("/alarms/{alarm_id}/acknowledge", response=AlarmOut)
def acknowledge(request: HttpRequest, alarm_id: int, payload: NoteIn):
    services.alarm_acknowledge(actor=request.user, alarm_id=alarm_id, note=payload.note)
    return _alarm(selectors.alarm_list(request.user).get(pk=alarm_id))


@router.post("/alarms/{alarm_id}/close", response=AlarmOut)
def close(request: HttpRequest, alarm_id: int, payload: NoteIn):
    services.alarm_close(actor=request.user, alarm_id=alarm_id, note=payload.note)
    return _alarm(selectors.alarm_list(request.user).get(pk=alarm_id))


@router.get(
    "/counters", response=dict[str, int], summary="Ingestion outcomes per reason (stored, malformed, ...)"
)
def counters(request: HttpRequest):
    return selectors.ingest_counters(request.user)
