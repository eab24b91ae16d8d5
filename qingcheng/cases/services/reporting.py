"""Reporting a problem (上报): `case_report` takes a report from any channel, locates it, files the case with
its reporter and photos, starts the clock for opening it and finds the likely duplicates. A retried
request with the same Idempotency-Key returns the first result.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from qingcheng.core import clock, idempotency
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.errors import ValidationFailed
from qingcheng.geo.crs import to_wgs84
from qingcheng.geo.selectors import locate

from .. import photos as photo_store
from ..catalogue import category_subclass
from ..models import Case, CasePhoto, CaseReporter, IdempotencyRecord
from ..selectors import MACHINE_SOURCES, PUBLIC_SOURCES, find_duplicates, suggested_unit_id
from .records import PhotoUpload, audit_case, record_event, save_photos, step_deadline

S = Case.Status


@dataclass
class ReportResult:
    case: Case
    created: bool
    duplicates: list[Case] = field(default_factory=list)
    tracking_secret: str | None = None


def case_report(
    *,
    actor: Actor,
    source: str,
    lon: float,
    lat: float,
    description: str,
    category_code: str | None = None,
    crs: str = "wgs84",
    address: str = "",
    urgency: str = Case.Urgency.NORMAL,
    handling_type: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    external_number: str = "",
    photos: list[PhotoUpload] | None = None,
    self_handled: bool = False,
    reported_at: datetime | None = None,
    idempotency_key: str | None = None,
    idempotency_scope: str = "",
    idempotency_client: str = "",
    tracking_secret: str | None = None,
) -> ReportResult:
    """Take in a report from any channel. With an Idempotency-Key a retried request returns the first
    result; bad input raises before anything is written. `idempotency_client` (a hash of who is asking,
    for scopes shared by many clients such as anonymous public reports) binds the key to its client:
    the same key from another client is a conflict (409), never the first answer."""
    photos = photos or []
    payload = {
        "source": source,
        "lon": lon,
        "lat": lat,
        "crs": crs,
        "description": description,
        "category_code": category_code,
        "address": address,
        "urgency": urgency,
        "external_number": external_number,
        "self_handled": self_handled,
        "handling_type": handling_type,
        "reported_at": reported_at,
    }
    # Everything the client sent is part of the idempotency fingerprint; the payload passed on is not.
    fingerprint = {**payload, "reporter": [reporter_name, reporter_phone, anonymous]}
    idempotency_key = idempotency.check_key(idempotency_key)
    if idempotency_key:
        scope = idempotency_scope or f"report:{getattr(actor, 'pk', 'anon')}"
        request_hash = idempotency.request_hash(fingerprint, (p.data for p in photos))

        def create() -> ReportResult:
            result = _case_report(
                actor=actor,
                photos=photos,
                reporter=(reporter_name, reporter_phone, anonymous),
                tracking_secret=tracking_secret,
                **payload,
            )
            IdempotencyRecord.objects.create(
                scope=scope,
                key=idempotency_key,
                request_hash=request_hash,
                client_hash=idempotency_client,
                case=result.case,
            )
            return result

        return idempotency.once(
            replay=lambda: _replay(scope, idempotency_key, request_hash, idempotency_client), create=create
        )
    with transaction.atomic():
        return _case_report(
            actor=actor,
            photos=photos,
            reporter=(reporter_name, reporter_phone, anonymous),
            tracking_secret=tracking_secret,
            **payload,
        )


def _replay(scope: str, key: str, request_hash: str, client: str = "") -> ReportResult | None:
    record = IdempotencyRecord.objects.filter(scope=scope, key=key).select_related("case").first()
    if record is None:
        return None
    idempotency.check_replay(
        stored_hash=record.request_hash,
        request_hash=request_hash,
        stored_client=record.client_hash,
        client=client,
    )
    return ReportResult(case=record.case, created=False)


def _case_report(
    *,
    actor: Actor,
    source: str,
    lon: float,
    lat: float,
    crs: str,
    description: str,
    category_code: str | None,
    address: str,
    urgency: str,
    handling_type: str,
    external_number: str,
    self_handled: bool,
    photos: list[PhotoUpload],
    reported_at: datetime | None,
    reporter: tuple[str, str, bool],
    tracking_secret: str | None,
) -> ReportResult:
    if source not in Case.Source.values:
        raise ValidationFailed(
            "未知的案件来源", f"unknown source {source!r}", field="source", code="invalid_source"
        )
    # Without a person (None) only the public and machine channels report: anonymous reports, alarms.
    require_permission(actor, "cases.report_case", allow_system=source in PUBLIC_SOURCES | MACHINE_SOURCES)
    description = (description or "").strip()
    if not description:
        raise ValidationFailed("请描述问题", "description is required", field="description", code="required")
    if len(description) > 4000:
        raise ValidationFailed(
            "问题描述不能超过4000字",
            "description is longer than 4,000 characters",
            field="description",
            code="too_long",
        )
    if urgency not in Case.Urgency.values:
        raise ValidationFailed("紧急程度无效", "unknown urgency", field="urgency", code="invalid_urgency")
    category = category_subclass(category_code)
    if category is None and (source in MACHINE_SOURCES or source == Case.Source.SUPERVISOR):
        raise ValidationFailed(
            "请选择问题小类",
            "a subclass is required for this channel",
            field="category_code",
            code="required",
        )
    if self_handled:
        if source != Case.Source.SUPERVISOR:
            raise ValidationFailed(
                "只有监督员可以自行处置", "only supervisors self-handle", field="self_handled", code="invalid"
            )
        kinds = {p.kind for p in photos}
        if not {"before", "after"} <= kinds:
            raise ValidationFailed(
                "自行处置须同时上传处置前后照片",
                "self-handling needs a before and an after photo",
                field="photos",
                code="photos_required",
            )
    checked = [(photo_store.check_photo(p.data, name=p.name), p.kind) for p in photos]
    for _, kind in checked:
        if kind not in CasePhoto.Kind.values:
            raise ValidationFailed(
                "照片类型无效", f"unknown photo kind {kind!r}", field="photos", code="invalid"
            )
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    location = locate(wgs_lon, wgs_lat)
    citizen = actor is not None and actor.staff_category == "public"
    if not citizen:
        # Staff report within their area; a citizen (and the public, None) anywhere in the city.
        require_in_scope(actor, location.grid_code, refusal=outside_area(location=True), allow_system=True)
    now = clock.now()
    reporter_name, reporter_phone, anonymous = reporter
    case = Case(
        number=f"TMP{secrets.token_hex(8)}",
        source=source,
        external_number=external_number[:40],
        category=category,
        handling_type=handling_type[:30],
        urgency=urgency,
        status=S.SELF_HANDLED if self_handled else S.REPORTED,
        lon=wgs_lon,
        lat=wgs_lat,
        grid_id=location.grid_id,
        grid_code=location.grid_code,
        address=address[:200],
        description=description,
        reported_by=actor if getattr(actor, "pk", None) else None,
        reported_at=reported_at or now,
    )
    if source in PUBLIC_SOURCES:
        # A caller that derives the secret from its Idempotency-Key can hand it out again on a retry.
        tracking_secret = tracking_secret or secrets.token_urlsafe(9)
        case.public_tracking_hash = hashlib.sha256(tracking_secret.encode()).hexdigest()
    if category is not None:
        case.suggested_department_id = suggested_unit_id(location.grid_code, category.code)
    case.save()
    # The number is the report day plus the row id: unique without a counter row that every intake would lock.
    case.number = f"{timezone.localtime(case.reported_at):%Y%m%d}{case.pk:06d}"
    if not self_handled:
        case.open_deadline = step_deadline(case, "open", start=case.reported_at)
    Case.objects.filter(pk=case.pk).update(number=case.number, open_deadline=case.open_deadline)
    CaseReporter.objects.create(
        case=case,
        channel=source,
        name="" if anonymous else reporter_name[:60],
        phone="" if anonymous else reporter_phone[:32],
        user=actor if getattr(actor, "pk", None) else None,
        anonymous=anonymous,
        external_number=external_number[:40],
        original_case_number=case.number,
    )
    save_photos(case, checked, actor)
    record_event(case, action="report", actor=actor, from_status="", data={"source": source}, public=True)
    duplicates = find_duplicates(case) if category is not None and not self_handled else []
    audit_case(case, actor=actor, action="report", before={})
    return ReportResult(case=case, created=True, duplicates=duplicates, tracking_secret=tracking_secret)
