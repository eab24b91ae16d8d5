"""Hotline work orders (热线工单): 12319 calls and orders transferred from 12345 and 110, their transfer to
110, closure and the call-back after a case is closed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from qingcheng.cases.catalogue import category_subclass
from qingcheng.cases.models import Case
from qingcheng.cases.services import case_act, case_report
from qingcheng.core import clock, idempotency, inputs
from qingcheng.core.access import Actor, require_permission
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import Conflict, NotFound, ValidationFailed
from qingcheng.core.masking import mask_name, mask_personal_text, mask_phone

from .. import selectors
from ..models import HotlineOrder

CHANNEL_SOURCES = {
    HotlineOrder.Channel.H12319: Case.Source.HOTLINE_12319,
    HotlineOrder.Channel.H12345: Case.Source.HOTLINE_12345,
    HotlineOrder.Channel.P110: Case.Source.POLICE_110,
}


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


def _refuse_unless_status(order: HotlineOrder, statuses: set[str], step_zh: str, step_en: str) -> None:
    if order.status not in statuses:
        raise Conflict(
            "invalid_order_status",
            f"工单当前状态（{order.get_status_display()}）不能{step_zh}",
            f"an order in state {order.status!r} cannot be {step_en}",
        )


def _audit_order(
    order: HotlineOrder, *, actor: Actor, step: str, before: dict[str, Any], note: str = ""
) -> HotlineOrder:
    """One audit entry per change of an order, its caller masked on both sides."""
    audit_record(
        actor=actor,
        action=f"intake.hotline_order.{step}",
        obj=order,
        area_code=order.area_code,
        before=before,
        after=_order_snapshot(order),
        note=note,
    )
    return order


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
    content = inputs.text(content, "content", "来电内容", "content", max_length=4000)
    external_number = inputs.text(
        external_number, "external_number", "原工单号", "external number", required=False, max_length=40
    )
    if channel != HotlineOrder.Channel.H12319 and not external_number:
        raise ValidationFailed(
            f"{channel} 转来的工单须填写原工单号",
            f"an order transferred from {channel} needs its original number",
            field="external_number",
            code="required",
        )
    _refuse_known_external_number(channel, external_number)
    if urgency not in Case.Urgency.values:
        raise ValidationFailed("紧急程度无效", "unknown urgency", field="urgency", code="invalid_urgency")
    category_subclass(category_code)
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
        order.answer = inputs.text(answer, "answer", "答复内容", "the answer", max_length=4000)
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
    _audit_order(order, actor=actor, step="create", before={})
    return HotlineResult(order=order, created=True, duplicates=duplicates)


@transaction.atomic
def hotline_transfer_110(*, actor: Actor, order_id: int, reason: str) -> HotlineOrder:
    """Hand a police matter over to 110 (12345↔110 linkage). A case made from the order and not yet
    opened is cancelled with the transfer as its reason."""
    require_permission(actor, "intake.take_hotline_order")
    order = selectors.hotline_order_get(actor=actor, order_id=order_id, for_update=True)
    reason = inputs.text(reason, "reason", "移交理由", "a reason", max_length=2000)
    _refuse_unless_status(
        order,
        {HotlineOrder.Status.RECEIVED, HotlineOrder.Status.CASE_CREATED},
        "移交110",
        "transferred to 110",
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
    return _audit_order(
        order, actor=actor, step="transfer_110", before=before, note=mask_personal_text(reason)[:500]
    )


@transaction.atomic
def hotline_order_close(*, actor: Actor, order_id: int, answer: str) -> HotlineOrder:
    """Close an order that made no case (a suggestion without a location) with the reply given."""
    require_permission(actor, "intake.take_hotline_order")
    order = selectors.hotline_order_get(actor=actor, order_id=order_id, for_update=True)
    answer = inputs.text(answer, "answer", "答复内容", "the answer", max_length=4000)
    _refuse_unless_status(order, {HotlineOrder.Status.RECEIVED}, "办结", "closed here")
    before = _order_snapshot(order)
    order.answer = answer
    order.status = HotlineOrder.Status.CLOSED
    order.closed_at = clock.now()
    order.save()
    return _audit_order(order, actor=actor, step="close", before=before)


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
        _audit_order(order, actor=actor, step="callback", before=before)
    return case
