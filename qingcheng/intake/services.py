"""Writes of the intake channels: supervisor reports and field-task results (城管通), hotline work orders
(12319 calls, orders transferred from 12345 and 110), public reports with tracking and rating, and machine
events (sensor alarms, video analytics).

Every channel ends in `cases.services.case_report` or `case_act`; bad input raises before anything is
written and every intake accepts an idempotency key (machines: their own event id).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qingcheng.cases import photos as photo_store
from qingcheng.cases.catalogue import category_by_code
from qingcheng.cases.models import Case, CaseCategory, CaseTask
from qingcheng.cases.services import PhotoUpload, ReportResult, case_act, case_report
from qingcheng.core import clock, idempotency
from qingcheng.core.access import Actor, outside_area, require_in_scope, require_permission
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import Conflict, NotFound, ValidationFailed
from qingcheng.core.masking import mask_name, mask_personal_text, mask_phone
from qingcheng.geo.crs import to_wgs84
from qingcheng.geo.selectors import locate

from . import selectors
from .models import HotlineOrder, MachineEvent, MachineEventMapping, PublicRating

CHANNEL_SOURCES = {
    HotlineOrder.Channel.H12319: Case.Source.HOTLINE_12319,
    HotlineOrder.Channel.H12345: Case.Source.HOTLINE_12345,
    HotlineOrder.Channel.P110: Case.Source.POLICE_110,
}
MAX_PAYLOAD_BYTES = 16 * 1024
FUTURE_SKEW = timedelta(minutes=5)


# ---------------------------------------------------------------------- helpers


def _required_text(value: str | None, field_name: str, zh: str, en: str, *, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"请填写{zh}", f"{en} is required", field=field_name, code="required")
    if len(text) > max_length:
        raise ValidationFailed(
            f"{zh}不能超过{max_length}字",
            f"{en} is longer than {max_length} characters",
            field=field_name,
            code="too_long",
        )
    return text


def _subclass(code: str | None) -> CaseCategory | None:
    if not code:
        return None
    category = category_by_code(code)
    if category is None or not category.is_subclass:
        raise ValidationFailed(
            f"未知的问题小类 {code}",
            f"unknown subclass {code!r}",
            field="category_code",
            code="unknown_category",
        )
    return category


# ---------------------------------------------------------------------- supervisors (城管通)


@transaction.atomic
def supervisor_report(
    *,
    actor: Actor,
    lon: float,
    lat: float,
    description: str,
    category_code: str | None,
    crs: str = "wgs84",
    address: str = "",
    urgency: str = Case.Urgency.NORMAL,
    handling_type: str = "",
    photos: list[PhotoUpload] | None = None,
    self_handled: bool = False,
    idempotency_key: str | None = None,
) -> ReportResult:
    """A supervisor's report from the field with photos, GPS and subclass; `self_handled` (自行处置)
    needs a before and an after photo. A retried upload with the same key returns the first case.

    The channel is the supervisors' own (source 监督员上报, self-handling): reporting alone is not enough,
    the actor must be one who walks a beat (`field_task_case`); citizens report through the public site."""
    require_permission(actor, "cases.report_case")
    require_permission(actor, "cases.field_task_case")
    return case_report(
        actor=actor,
        source=Case.Source.SUPERVISOR,
        lon=lon,
        lat=lat,
        crs=crs,
        description=description,
        category_code=category_code,
        address=address,
        urgency=urgency,
        handling_type=handling_type,
        # The supervisor's name as staff know it; their login name is not a name to show on a case.
        reporter_name=(actor.get_full_name() or getattr(actor, "display_name", ""))[:60],
        reporter_phone=getattr(actor, "phone", "") or "",
        photos=list(photos or []),
        self_handled=self_handled,
        idempotency_key=idempotency.check_key(idempotency_key),
        idempotency_scope=f"supervisor:{actor.pk}",
    )


@transaction.atomic
def supervisor_task_result(
    *,
    actor: Actor,
    task_id: int,
    result: bool,
    note: str = "",
    photos: list[PhotoUpload] | None = None,
) -> tuple[CaseTask, bool]:
    """The outcome of a verification (属实?) or check (已处理?) task. Sending the same outcome again is
    answered with the task as it is (a retried upload); a different outcome for a done task is a 409."""
    require_permission(actor, "cases.field_task_case")
    task = selectors.supervisor_task_get(actor=actor, task_id=task_id, for_update=True)
    if task.done_at is not None:
        if task.result == result and task.assignee_id == actor.pk:
            return task, False
        raise Conflict("task_done", "该任务已完成", "this task is already done")
    if task.kind == CaseTask.Kind.VERIFY:
        action, data, kind = "verify", {"genuine": result}, "before"
    else:
        action, data, kind = "check", {"passed": result}, "check"
    data["note"] = note[:2000]
    case_act(
        case_id=task.case_id,
        actor=actor,
        action=action,
        data=data,
        note=note[:2000],
        photos=[PhotoUpload(data=p.data, kind=kind, name=p.name) for p in photos or []],
    )
    task.refresh_from_db()
    return task, True


# ---------------------------------------------------------------------- hotline work orders


@dataclass
class HotlineResult:
    order: HotlineOrder
    created: bool
    duplicates: list[Case] = field(default_factory=list)


def _order_snapshot(order: HotlineOrder) -> dict[str, Any]:
    """The order for the audit log, with the caller's personal data masked."""
    return {
        "number": order.number,
        "channel": order.channel,
        "kind": order.kind,
        "status": order.status,
        "external_number": order.external_number,
        "caller_name": mask_name(order.caller_name),
        "caller_phone": mask_phone(order.caller_phone),
        "case": order.case_id,
    }


@transaction.atomic
def hotline_order_create(
    *,
    actor: Actor,
    channel: str,
    kind: str,
    content: str,
    caller_name: str = "",
    caller_phone: str = "",
    external_number: str = "",
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    category_code: str | None = None,
    urgency: str = Case.Urgency.NORMAL,
    answer: str = "",
    idempotency_key: str | None = None,
) -> HotlineResult:
    """Register a call or a transferred work order (受理). Enquiries are answered on the spot and make no
    case; complaints (which need a location) and suggestions with a location become cases with the
    hotline as source and the 12345/110 number kept."""
    require_permission(actor, "intake.take_hotline_order")
    key = idempotency.check_key(idempotency_key)
    payload = {
        "channel": channel,
        "kind": kind,
        "content": content,
        "caller_name": caller_name,
        "caller_phone": caller_phone,
        "external_number": external_number,
        "lon": lon,
        "lat": lat,
        "crs": crs,
        "address": address,
        "category_code": category_code,
        "urgency": urgency,
        "answer": answer,
    }
    request_hash = idempotency.request_hash(payload)
    try:
        return idempotency.once(
            replay=lambda: _hotline_replay(actor, key, request_hash) if key else None,
            create=lambda: _hotline_order_create(
                actor=actor, key=key or "", request_hash=request_hash, **payload
            ),
        )
    except IntegrityError:
        # Not a concurrent request with the same key: perhaps one with the same 12345/110 order number.
        _refuse_known_external_number(channel, (external_number or "").strip())
        raise


def _hotline_replay(actor: Actor, key: str, request_hash: str) -> HotlineResult | None:
    order = HotlineOrder.objects.filter(created_by=actor, idempotency_key=key).select_related("case").first()
    if order is None:
        return None
    idempotency.check_replay(stored_hash=order.request_hash, request_hash=request_hash)
    return HotlineResult(order=order, created=False)


def _refuse_known_external_number(channel: str, external_number: str) -> None:
    """A 12345/110 order is registered once: the same order sent again is a 409 naming the first."""
    if not external_number:
        return
    earlier = HotlineOrder.objects.filter(channel=channel, external_number=external_number).first()
    if earlier is not None:
        raise Conflict(
            "duplicate_external_number",
            f"{channel} 工单 {external_number} 已登记为 {earlier.number}",
            f"{channel} order {external_number} is already registered as {earlier.number}",
            details={"order": earlier.number},
        )


def _hotline_location(
    lon: float | None, lat: float | None, address: str
) -> tuple[float | None, float | None, str]:
    """(lon, lat, crs-to-use) from the coordinates, or from the address through the gazetteer."""
    if (lon is None) != (lat is None):
        raise ValidationFailed(
            "经度和纬度须同时填写",
            "give both longitude and latitude",
            field="lon",
            code="invalid_coordinates",
        )
    if lon is not None:
        return lon, lat, ""
    if address.strip():
        from qingcheng.geo.gazetteer import geocode

        found = geocode(address, limit=1)
        if not found or found[0].score < 0.5:
            raise ValidationFailed(
                f"无法定位地址“{address[:60]}”，请在地图上选点",
                "the address could not be located; pick the point on the map",
                field="address",
                code="address_not_found",
            )
        return found[0].lon, found[0].lat, "wgs84"
    return None, None, ""


def _hotline_order_create(
    *,
    actor: Actor,
    key: str,
    request_hash: str,
    channel: str,
    kind: str,
    content: str,
    caller_name: str,
    caller_phone: str,
    external_number: str,
    lon: float | None,
    lat: float | None,
    crs: str,
    address: str,
    category_code: str | None,
    urgency: str,
    answer: str,
) -> HotlineResult:
    if channel not in HotlineOrder.Channel.values:
        raise ValidationFailed(
            "未知的热线渠道（12319、12345 或 110）",
            "channel must be 12319, 12345 or 110",
            field="channel",
            code="invalid_channel",
        )
    if kind not in HotlineOrder.Kind.values:
        raise ValidationFailed(
            "工单类型须为投诉、咨询或建议",
            "kind must be complaint, enquiry or suggestion",
            field="kind",
            code="invalid_kind",
        )
    content = _required_text(content, "content", "来电内容", "content", max_length=4000)
    external_number = (external_number or "").strip()
    if channel != HotlineOrder.Channel.H12319 and not external_number:
        raise ValidationFailed(
            f"{channel} 转来的工单须填写原工单号",
            f"an order transferred from {channel} needs its original number",
            field="external_number",
            code="required",
        )
    if len(external_number) > 40:
        raise ValidationFailed(
            "原工单号过长", "external number is too long", field="external_number", code="too_long"
        )
    _refuse_known_external_number(channel, external_number)
    if urgency not in Case.Urgency.values:
        raise ValidationFailed("紧急程度无效", "unknown urgency", field="urgency", code="invalid_urgency")
    _subclass(category_code)
    location_lon, location_lat, geocoded_crs = _hotline_location(lon, lat, address)
    now = clock.now()
    order = HotlineOrder(
        number=f"TMP{secrets.token_hex(8)}",
        channel=channel,
        external_number=external_number,
        kind=kind,
        caller_name=caller_name.strip()[:60],
        caller_phone=caller_phone.strip()[:32],
        content=content,
        category_code=category_code or "",
        address=address[:200],
        created_by=actor,
        area_code=getattr(actor, "area_code", "") or "",
        idempotency_key=key,
        request_hash=request_hash,
    )
    duplicates: list[Case] = []
    if kind == HotlineOrder.Kind.ENQUIRY:
        order.answer = _required_text(answer, "answer", "答复内容", "the answer", max_length=4000)
        order.status = HotlineOrder.Status.ANSWERED
        order.closed_at = now
    elif location_lon is None:
        if kind == HotlineOrder.Kind.COMPLAINT:
            raise ValidationFailed(
                "投诉须有位置（经纬度或地址）",
                "a complaint needs a location (coordinates or an address)",
                field="lon",
                code="location_required",
            )
        order.status = HotlineOrder.Status.RECEIVED
    else:
        result = case_report(
            actor=actor,
            source=CHANNEL_SOURCES[channel],
            lon=location_lon,
            lat=location_lat,
            crs=geocoded_crs or crs,
            description=content,
            category_code=category_code or None,
            address=address,
            urgency=urgency,
            reporter_name=order.caller_name,
            reporter_phone=order.caller_phone,
            external_number=external_number,
        )
        order.case = result.case
        order.lon, order.lat = result.case.lon, result.case.lat
        order.area_code = result.case.grid_code
        order.status = HotlineOrder.Status.CASE_CREATED
        duplicates = result.duplicates
    order.save()
    order.number = f"RX{timezone.localtime(order.created_at):%Y%m%d}{order.pk:06d}"
    HotlineOrder.objects.filter(pk=order.pk).update(number=order.number)
    audit_record(
        actor=actor,
        action="intake.hotline_order.create",
        obj=order,
        area_code=order.area_code,
        before={},
        after=_order_snapshot(order),
    )
    return HotlineResult(order=order, created=True, duplicates=duplicates)


@transaction.atomic
def hotline_transfer_110(*, actor: Actor, order_id: int, reason: str) -> HotlineOrder:
    """Hand a police matter over to 110 (12345↔110 linkage). A case made from the order and not yet
    opened is cancelled with the transfer as its reason."""
    require_permission(actor, "intake.take_hotline_order")
    order = selectors.hotline_order_get(actor=actor, order_id=order_id, for_update=True)
    reason = _required_text(reason, "reason", "移交理由", "a reason", max_length=2000)
    if order.status not in {HotlineOrder.Status.RECEIVED, HotlineOrder.Status.CASE_CREATED}:
        raise Conflict(
            "invalid_order_status",
            f"工单当前状态（{order.get_status_display()}）不能移交110",
            f"an order in state {order.status!r} cannot be transferred to 110",
        )
    before = _order_snapshot(order)
    if order.case_id:
        case = Case.objects.get(pk=order.case_id)
        if case.status not in {Case.Status.REPORTED, Case.Status.VERIFYING, Case.Status.VERIFIED}:
            raise Conflict(
                "case_in_progress",
                f"案卷 {case.number} 已立案处置，不能再移交110",
                f"case {case.number} is already opened and cannot be transferred to 110",
            )
        # The agent may not cancel cases (受理员's right); the transfer does it as the system.
        case_act(case_id=case.pk, actor=None, action="cancel", data={"reason": f"已移交110：{reason}"})
    order.status = HotlineOrder.Status.TRANSFERRED_110
    order.transferred_at = clock.now()
    order.transfer_reason = reason
    order.closed_at = order.transferred_at
    order.save()
    audit_record(
        actor=actor,
        action="intake.hotline_order.transfer_110",
        obj=order,
        area_code=order.area_code,
        before=before,
        after=_order_snapshot(order),
        note=mask_personal_text(reason)[:500],
    )
    return order


@transaction.atomic
def hotline_order_close(*, actor: Actor, order_id: int, answer: str) -> HotlineOrder:
    """Close an order that made no case (a suggestion without a location) with the reply given."""
    require_permission(actor, "intake.take_hotline_order")
    order = selectors.hotline_order_get(actor=actor, order_id=order_id, for_update=True)
    answer = _required_text(answer, "answer", "答复内容", "the answer", max_length=4000)
    if order.status != HotlineOrder.Status.RECEIVED:
        raise Conflict(
            "invalid_order_status",
            f"工单当前状态（{order.get_status_display()}）不能办结",
            f"an order in state {order.status!r} cannot be closed here",
        )
    before = _order_snapshot(order)
    order.answer = answer
    order.status = HotlineOrder.Status.CLOSED
    order.closed_at = clock.now()
    order.save()
    audit_record(
        actor=actor,
        action="intake.hotline_order.close",
        obj=order,
        area_code=order.area_code,
        before=before,
        after=_order_snapshot(order),
    )
    return order


@transaction.atomic
def hotline_callback(
    *, actor: Actor, case_number: str, satisfied: bool, score: int | None = None, note: str = ""
) -> Case:
    """The call-back after closure (回访): satisfied keeps the case closed; unsatisfied reopens it for
    the unit (counted as rework). Orders made from the case follow."""
    case_id = Case.objects.filter(number=case_number).values_list("pk", flat=True).first()
    if case_id is None:
        raise NotFound("案卷", "case")
    case = case_act(
        case_id=case_id,
        actor=actor,
        action="callback",
        data={"satisfied": satisfied, "score": score},
        note=note[:2000],
    )
    status = HotlineOrder.Status.CLOSED if satisfied else HotlineOrder.Status.CASE_CREATED
    for order in HotlineOrder.objects.select_for_update().filter(case=case).exclude(status=status):
        before = _order_snapshot(order)
        order.status = status
        order.closed_at = clock.now() if satisfied else None
        order.save(update_fields=["status", "closed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="intake.hotline_order.callback",
            obj=order,
            area_code=order.area_code,
            before=before,
            after=_order_snapshot(order),
        )
    return case


# ---------------------------------------------------------------------- the public


def _tracking_secret(scope: str, key: str, reporter: str) -> str:
    """The tracking secret of an idempotent public report, derived from its key and its reporter so a
    retry whose first answer was lost gets the same secret again (only its hash is stored), and nobody
    else can have it derived for them."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"qingcheng.intake.tracking|{scope}|{key}|{reporter}".encode(),
        hashlib.sha256,
    ).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


def _reporter_identity(actor: Actor, reporter_token: str | None) -> str:
    """Who may replay a public report's key: the citizen's account, else the browser's or app's token
    (intake.reporter); '' when neither is known."""
    if actor is not None:
        return idempotency.client_hash("user", actor.pk)
    if reporter_token:
        return idempotency.client_hash("token", reporter_token)
    return ""


def _is_citizen(actor: Actor) -> bool:
    return (
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.groups.filter(name="citizen").exists()
    )


@transaction.atomic
def public_report(
    *,
    actor: Actor,
    lon: float,
    lat: float,
    description: str,
    category_code: str | None = None,
    crs: str = "wgs84",
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    photos: list[PhotoUpload] | None = None,
    idempotency_key: str | None = None,
    reporter_token: str | None = None,
) -> ReportResult:
    """A report from the public, anonymous (actor None) or a registered citizen. The result carries the
    tracking secret; it is shown to the reporter and never stored in clear.

    With an Idempotency-Key, a retry from the same reporter (the citizen, or the browser or app whose
    `reporter_token` sent the first request) gets the first number and secret again; the key from
    another reporter is a 409. A reporter known by neither gets the number again but no secret: it
    cannot be told apart from someone replaying the key."""
    if actor is not None and not _is_citizen(actor):
        actor = None  # staff on the public site report as members of the public
    if actor is not None and not anonymous:
        reporter_name = reporter_name or actor.get_full_name()
        reporter_phone = reporter_phone or getattr(actor, "phone", "")
    key = idempotency.check_key(idempotency_key)
    scope = f"public:user:{actor.pk}" if actor is not None else "public:anon"
    reporter = _reporter_identity(actor, reporter_token)
    derived = _tracking_secret(scope, key, reporter) if key and reporter else None
    result = case_report(
        actor=actor,
        source=Case.Source.PUBLIC,
        lon=lon,
        lat=lat,
        crs=crs,
        description=description,
        category_code=category_code or None,
        address=address,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        anonymous=anonymous,
        photos=list(photos or []),
        idempotency_key=key,
        idempotency_scope=scope,
        idempotency_client=reporter,
        tracking_secret=derived,
    )
    if derived is not None:
        result.tracking_secret = derived
    return result


@transaction.atomic
def public_rate(*, number: str, secret: str, score: int, comment: str = "") -> PublicRating:
    """The reporter's satisfaction rating (1–5), once, after closure. 3 or more keeps the case closed;
    less reopens it like an unsatisfied call-back."""
    case = selectors.public_case(number=number, secret=secret, for_update=True)
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationFailed("评分须为1到5", "score must be 1 to 5", field="score", code="invalid_score")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationFailed(
            "评价不能超过1000字", "comment is longer than 1,000 characters", field="comment", code="too_long"
        )
    if PublicRating.objects.filter(case=case).exists():
        raise Conflict("already_rated", "该案卷已评价过", "this case has already been rated")
    if case.status != Case.Status.CLOSED:
        raise Conflict("not_closed", "案卷结案后才能评价", "a case can be rated only after it is closed")
    rating = PublicRating.objects.create(case=case, score=score, comment=comment)
    case_act(
        case_id=case.pk,
        actor=None,
        action="callback",
        data={"satisfied": score >= 3, "score": score},
        note=f"公众评价 {score} 分" + (f"：{comment}" if comment else ""),
    )
    audit_record(
        actor=None,
        action="intake.public_rate",
        obj=rating,
        area_code=case.grid_code,
        before={},
        after={"case": case.number, "score": score},
    )
    return rating


# ---------------------------------------------------------------------- machines (sensors, video)


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
    vendor = _required_text(vendor, "vendor", "厂商", "vendor", max_length=40)
    event_id = _required_text(event_id, "event_id", "事件编号", "event id", max_length=100)
    existing = MachineEvent.objects.filter(vendor=vendor, event_id=event_id).select_related("case").first()
    if existing is not None:
        return MachineResult(event=existing, created=False, case_created=False)
    try:
        with transaction.atomic():
            return _machine_event_create(
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
            )
    except IntegrityError:
        existing = MachineEvent.objects.filter(vendor=vendor, event_id=event_id).first()
        if existing is None:
            raise
        return MachineResult(event=existing, created=False, case_created=False)


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
    category = _subclass(mapping.category_code or "-")
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
