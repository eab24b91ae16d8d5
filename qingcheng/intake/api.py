"""JSON API of the intake channels.

`router` (mounted at /api/intake/) serves staff and machines: supervisor reports and field tasks,
hotline work orders and call-backs, machine events (API key only). `public_router` (mounted at
/api/public/, no authentication) serves the public: report, track, photos, rating, limited per client
address. Every report endpoint reads an `Idempotency-Key` header.
"""

from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import Field, File, Form, Header, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from ninja.utils import check_csrf

from qingcheng.accounts.auth import ApiKeyAuth
from qingcheng.cases import selectors as case_selectors
from qingcheng.cases.models import Case, CaseTask
from qingcheng.cases.services import PhotoUpload, ReportResult
from qingcheng.core import clock
from qingcheng.core.access import Actor
from qingcheng.core.errors import PermissionDeniedError, ValidationFailed
from qingcheng.core.inputs import SaneDatetime
from qingcheng.core.pagination import MappedRows, PageNumberPagination
from qingcheng.core.throttle import throttle
from qingcheng.geo.geometry import distance_m

from . import reporter, selectors, services
from .models import HotlineOrder

router = Router(tags=["intake"])
public_router = Router(tags=["public"], auth=None)

IDEMPOTENCY_HELP = (
    "Send a fresh key (e.g. a UUID) per report; a retry with the same key returns the first result."
)

# ---------------------------------------------------------------------- shared helpers


class DuplicateOut(Schema):
    number: str
    distance_m: float


class ReportOut(Schema):
    number: str
    status: str
    status_label: str
    source: str
    category_code: str | None
    grid_code: str
    created: bool = Field(..., description="false: an earlier request with this Idempotency-Key made it")
    duplicates: list[DuplicateOut] = Field(
        default_factory=list, description="open cases nearby, nearest first"
    )


def _status_label(status: str) -> str:
    return str(Case.Status(status).label)


def _duplicates_out(case: Case | None, duplicates: list[Case]) -> list[dict[str, Any]]:
    """Open cases near `case` (nearest first, as the service found them) with their distance in metres."""
    if case is None:
        return []
    return [
        {"number": d.number, "distance_m": round(distance_m(case.lon, case.lat, d.lon, d.lat), 1)}
        for d in duplicates
    ]


def _report_out(result: ReportResult) -> dict[str, Any]:
    case = result.case
    return {
        "number": case.number,
        "status": case.status,
        "status_label": _status_label(case.status),
        "source": case.source,
        "category_code": case.category.code if case.category_id else None,
        "grid_code": case.grid_code,
        "created": result.created,
        "duplicates": _duplicates_out(case, result.duplicates),
    }


def _read_photos(files: list[UploadedFile] | None, kind: str) -> list[PhotoUpload]:
    """The uploaded files as photos; an oversized file is refused before it is read into memory."""
    max_bytes = settings.CASE_PHOTO_MAX_BYTES
    photos = []
    for upload in files or []:
        label = (upload.name or "photo")[:60]
        if upload.size is not None and upload.size > max_bytes:
            raise ValidationFailed(
                f"照片 {label} 超过 {max_bytes // 2**20} MB",
                f"photo {label} is larger than {max_bytes // 2**20} MB",
                code="photo_too_large",
                status=413,
            )
        photos.append(PhotoUpload(data=upload.read(), kind=kind, name=label))
    return photos


def _check_photo_count(*groups: list[PhotoUpload]) -> None:
    limit = getattr(settings, "INTAKE_MAX_PHOTOS", 9)
    if sum(len(g) for g in groups) > limit:
        raise ValidationFailed(
            f"每次最多上传 {limit} 张照片",
            f"at most {limit} photos per upload",
            field="photos",
            code="too_many_photos",
        )


# ---------------------------------------------------------------------- supervisors (城管通)


class SupervisorReportIn(Schema):
    lon: float
    lat: float
    crs: str = Field("wgs84", description="wgs84 (GPS), gcj02 (AMap/WeChat) or bd09")
    category_code: str = Field(..., description="the subclass (小类), e.g. E0102 暴露垃圾")
    description: str = Field(..., max_length=4000)
    address: str = Field("", max_length=200)
    urgency: str = "normal"
    handling_type: str = Field("", max_length=30)
    self_handled: bool = Field(False, description="fixed on the spot (自行处置): needs after_photos too")


@router.post(
    "/supervisor/reports",
    response={200: ReportOut, 201: ReportOut},
    summary="A supervisor's report with photos, GPS and subclass (城管通上报)",
)
def supervisor_report(
    request: HttpRequest,
    form: Form[SupervisorReportIn],
    photos: File[list[UploadedFile]] = None,
    after_photos: File[list[UploadedFile]] = None,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_HELP),
):
    before = _read_photos(photos, "before")
    after = _read_photos(after_photos, "after")
    _check_photo_count(before, after)
    result = services.supervisor_report(
        actor=request.user,
        photos=before + after,
        idempotency_key=idempotency_key,
        **form.model_dump(),
    )
    return Status(201 if result.created else 200, _report_out(result))


class TaskCaseOut(Schema):
    number: str
    status: str
    status_label: str
    category_code: str | None
    category_name: str | None
    description: str
    address: str
    lon: float
    lat: float
    grid_code: str
    urgency: str
    reported_at: datetime


class SupervisorTaskOut(Schema):
    id: int
    kind: str
    kind_label: str
    due_at: datetime | None
    overdue: bool
    assigned_to_me: bool
    case: TaskCaseOut


def _task_out(request: HttpRequest, task: CaseTask) -> dict[str, Any]:
    case = task.case
    text = case_selectors.personal_text_for(request.user)
    return {
        "id": task.pk,
        "kind": task.kind,
        "kind_label": str(CaseTask.Kind(task.kind).label),
        "due_at": task.due_at,
        "overdue": bool(task.due_at and task.due_at < clock.now()),
        "assigned_to_me": task.assignee_id == request.user.pk,
        "case": {
            "number": case.number,
            "status": case.status,
            "status_label": _status_label(case.status),
            "category_code": case.category.code if case.category_id else None,
            "category_name": case.category.name if case.category_id else None,
            "description": text(case.description)[:500],
            "address": text(case.address),
            "lon": case.lon,
            "lat": case.lat,
            "grid_code": case.grid_code,
            "urgency": case.urgency,
            "reported_at": case.reported_at,
        },
    }


@router.get(
    "/supervisor/tasks",
    response=list[SupervisorTaskOut],
    summary="My open verification (核实) and check (核查) tasks: assigned to me or unassigned in my area",
)
def supervisor_tasks(request: HttpRequest, kind: str | None = None):
    return [_task_out(request, t) for t in selectors.supervisor_tasks(actor=request.user, kind=kind)[:500]]


class TaskResultIn(Schema):
    result: bool = Field(
        ..., description="verification: the report is genuine (属实); check: handled (已处理)"
    )
    note: str = Field("", max_length=2000)


class TaskResultOut(Schema):
    task_id: int
    kind: str
    result: bool | None
    done_at: datetime | None
    case_number: str
    case_status: str
    case_status_label: str
    replayed: bool


@router.post(
    "/supervisor/tasks/{task_id}/result",
    response=TaskResultOut,
    summary="Report the outcome of a verification or check task, with optional photos",
)
def supervisor_task_result(
    request: HttpRequest,
    task_id: int,
    form: Form[TaskResultIn],
    photos: File[list[UploadedFile]] = None,
):
    uploads = _read_photos(photos, "before")
    _check_photo_count(uploads)
    task, done_now = services.supervisor_task_result(
        actor=request.user, task_id=task_id, result=form.result, note=form.note, photos=uploads
    )
    case = Case.objects.only("number", "status").get(pk=task.case_id)
    return {
        "task_id": task.pk,
        "kind": task.kind,
        "result": task.result,
        "done_at": task.done_at,
        "case_number": case.number,
        "case_status": case.status,
        "case_status_label": _status_label(case.status),
        "replayed": not done_now,
    }


# ---------------------------------------------------------------------- hotline work orders


class HotlineOrderIn(Schema):
    channel: str = Field(..., description="12319 (own call), 12345 or 110 (transferred work order)")
    kind: str = Field(
        ..., description="complaint (投诉), enquiry (咨询, answered on the spot) or suggestion (建议)"
    )
    content: str = Field(..., max_length=4000)
    caller_name: str = Field("", max_length=60)
    caller_phone: str = Field("", max_length=32)
    external_number: str = Field(
        "", max_length=40, description="the 12345/110 order number (required for them)"
    )
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = Field("", max_length=200, description="located through the gazetteer when no coordinates")
    category_code: str | None = None
    urgency: str = "normal"
    answer: str = Field("", max_length=4000, description="the answer given (enquiries)")


class HotlineOrderOut(Schema):
    id: int
    number: str
    channel: str
    kind: str
    status: str
    status_label: str
    external_number: str
    caller_name: str
    caller_phone: str
    content: str
    answer: str
    category_code: str
    address: str
    area_code: str
    case_number: str | None
    case_status: str | None
    transferred_at: datetime | None
    transfer_reason: str
    closed_at: datetime | None
    created_at: datetime


class HotlineCreateOut(HotlineOrderOut):
    created: bool
    duplicates: list[DuplicateOut]


def _order_out(request: HttpRequest, order: HotlineOrder) -> dict[str, Any]:
    case = order.case
    text = case_selectors.personal_text_for(request.user)
    return {
        "id": order.pk,
        "number": order.number,
        "channel": order.channel,
        "kind": order.kind,
        "status": order.status,
        "status_label": order.get_status_display(),
        "external_number": order.external_number,
        **selectors.hotline_caller(actor=request.user, order=order),
        "content": text(order.content),
        "answer": text(order.answer),
        "category_code": order.category_code,
        "address": text(order.address),
        "area_code": order.area_code,
        "case_number": case.number if case else None,
        "case_status": case.status if case else None,
        "transferred_at": order.transferred_at,
        "transfer_reason": text(order.transfer_reason),
        "closed_at": order.closed_at,
        "created_at": order.created_at,
    }


@router.post(
    "/hotline/orders",
    response={200: HotlineCreateOut, 201: HotlineCreateOut},
    summary="Register a 12319 call or a work order transferred from 12345/110 (受理)",
)
def hotline_order_create(
    request: HttpRequest,
    payload: HotlineOrderIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_HELP),
):
    result = services.hotline_order_create(
        actor=request.user, idempotency_key=idempotency_key, **payload.model_dump()
    )
    order = result.order
    body = {
        **_order_out(request, order),
        "created": result.created,
        "duplicates": _duplicates_out(order.case, result.duplicates),
    }
    return Status(201 if result.created else 200, body)


class HotlineFilters(Schema):
    status: str | None = None
    channel: str | None = None
    kind: str | None = None
    number: str | None = None


@router.get(
    "/hotline/orders",
    response=list[HotlineOrderOut],
    summary="Hotline work orders in my area (callers masked unless I may see personal data)",
)
@paginate(PageNumberPagination)
def hotline_orders(request: HttpRequest, filters: Query[HotlineFilters]):
    orders = selectors.hotline_orders(actor=request.user, **filters.model_dump())
    return MappedRows(orders, lambda order: _order_out(request, order))


@router.get("/hotline/orders/{order_id}", response=HotlineOrderOut, summary="One hotline work order")
def hotline_order_get(request: HttpRequest, order_id: int):
    order = selectors.hotline_order_get(actor=request.user, order_id=order_id)
    return _order_out(request, order)


class TransferIn(Schema):
    reason: str = Field(..., max_length=2000)


@router.post(
    "/hotline/orders/{order_id}/transfer-110",
    response=HotlineOrderOut,
    summary="Transfer a police matter to 110 (a case made from it and not yet opened is cancelled)",
)
def hotline_transfer_110(request: HttpRequest, order_id: int, payload: TransferIn):
    order = services.hotline_transfer_110(actor=request.user, order_id=order_id, reason=payload.reason)
    return _order_out(request, order)


class CloseIn(Schema):
    answer: str = Field(..., max_length=4000)


@router.post(
    "/hotline/orders/{order_id}/close",
    response=HotlineOrderOut,
    summary="Close an order that made no case (e.g. a suggestion) with the reply given",
)
def hotline_order_close(request: HttpRequest, order_id: int, payload: CloseIn):
    order = services.hotline_order_close(actor=request.user, order_id=order_id, answer=payload.answer)
    return _order_out(request, order)


class CallbackIn(Schema):
    case_number: str
    satisfied: bool
    score: int | None = Field(None, ge=1, le=5)
    note: str = Field("", max_length=2000)


class CallbackOut(Schema):
    case_number: str
    status: str
    status_label: str
    satisfaction: int | None
    rework_count: int


@router.post(
    "/hotline/callbacks",
    response=CallbackOut,
    summary="The call-back after closure (回访): unsatisfied reopens the case",
)
def hotline_callback(request: HttpRequest, payload: CallbackIn):
    case = services.hotline_callback(actor=request.user, **payload.model_dump())
    return {
        "case_number": case.number,
        "status": case.status,
        "status_label": _status_label(case.status),
        "satisfaction": case.satisfaction,
        "rework_count": case.rework_count,
    }


# ---------------------------------------------------------------------- machines


class MachineEventIn(Schema):
    vendor: str = Field(..., max_length=40, examples=["demo-video"])
    event_id: str | None = Field(
        None, max_length=100, description="the vendor's event id; defaults to the Idempotency-Key"
    )
    event_code: str = Field(..., max_length=60, examples=["garbage_exposed"])
    lon: float
    lat: float
    crs: str = "wgs84"
    occurred_at: SaneDatetime
    device_id: str = Field("", max_length=100)
    description: str = Field("", max_length=1000)
    payload: dict[str, Any] = Field(default_factory=dict)
    snapshot_base64: str | None = Field(None, description="a JPEG/PNG/WebP snapshot, base64")


class MachineEventOut(Schema):
    vendor: str
    event_id: str
    event_code: str
    case_number: str
    case_status: str
    deduplicated: bool = Field(..., description="the event joined an open case of its subclass nearby")
    case_created: bool
    created: bool = Field(..., description="false: this event id was received before")
    duplicates: list[DuplicateOut]


@router.post(
    "/machine/events",
    auth=[ApiKeyAuth()],
    response={200: MachineEventOut, 201: MachineEventOut},
    summary="A sensor alarm or video-analytics event (API key with cases.report_case)",
)
def machine_event(
    request: HttpRequest,
    payload: MachineEventIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_HELP),
):
    data = payload.model_dump()
    data["event_id"] = data["event_id"] or idempotency_key or ""
    result = services.machine_event_ingest(actor=request.auth, **data)
    event = result.event
    case = event.case
    return Status(
        201 if result.created else 200,
        {
            "vendor": event.vendor,
            "event_id": event.event_id,
            "event_code": event.event_code,
            "case_number": case.number,
            "case_status": case.status,
            "deduplicated": event.deduplicated,
            "case_created": result.case_created,
            "created": result.created,
            "duplicates": _duplicates_out(case, result.duplicates),
        },
    )


# ---------------------------------------------------------------------- the public


def _public_actor(request: HttpRequest) -> Actor:
    """A logged-in citizen reports as themselves (with CSRF protection); everyone else is anonymous."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if check_csrf(request) is not None:
        raise PermissionDeniedError("CSRF 校验失败", "CSRF check failed")
    return user


class PublicReportIn(Schema):
    lon: float
    lat: float
    crs: str = Field("wgs84", description="wgs84 (GPS), gcj02 (AMap/WeChat map pin) or bd09")
    description: str = Field(..., max_length=4000)
    category_code: str | None = None
    address: str = Field("", max_length=200)
    name: str = Field("", max_length=60)
    phone: str = Field("", max_length=32)
    anonymous: bool = False


class PublicReportOut(Schema):
    number: str
    status: str
    status_label: str
    created: bool
    tracking_secret: str | None = Field(
        None, description="keep it: with the number it opens the tracking page; it is shown only now"
    )


@public_router.post(
    "/reports",
    auth=None,
    response={200: PublicReportOut, 201: PublicReportOut},
    summary="Report a problem (anonymous or registered): photo and map pin; returns number and secret",
)
def public_report(
    request: HttpRequest,
    form: Form[PublicReportIn],
    photos: File[list[UploadedFile]] = None,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_HELP),
    reporter_token: str | None = Header(
        None,
        alias=reporter.HEADER,
        description=(
            "An app's own random token (16–128 letters, digits, _ or -), made once and kept: a retry with "
            "the same Idempotency-Key gives the tracking secret again only to the same token (or to the "
            "browser holding the public site's qc_reporter cookie); another token gets 409. Without "
            "either, a retry gets the number but no secret."
        ),
    ),
):
    throttle(request, "report", settings.PUBLIC_REPORTS_PER_HOUR)
    uploads = _read_photos(photos, "before")
    _check_photo_count(uploads)
    data = form.model_dump()
    result = services.public_report(
        actor=_public_actor(request),
        # The form's short names are the reporter's.
        reporter_name=data.pop("name"),
        reporter_phone=data.pop("phone"),
        photos=uploads,
        idempotency_key=idempotency_key,
        reporter_token=reporter.reporter_token(request),
        **data,
    )
    case = result.case
    return Status(
        201 if result.created else 200,
        {
            "number": case.number,
            "status": case.status,
            "status_label": _status_label(case.status),
            "created": result.created,
            "tracking_secret": result.tracking_secret,
        },
    )


class TrackIn(Schema):
    number: str = Field(..., max_length=20)
    secret: str = Field(..., max_length=64)


class PublicEventOut(Schema):
    at: datetime
    action: str
    action_label: str
    status: str
    status_label: str
    note: str


class PublicPhotoOut(Schema):
    id: int
    kind: str
    width: int
    height: int


class PublicCaseOut(Schema):
    number: str
    status: str
    status_label: str
    merged: bool
    category_code: str | None
    category_name: str | None
    address: str
    reported_at: datetime
    closed_at: datetime | None
    timeline: list[PublicEventOut]
    photos: list[PublicPhotoOut]
    can_rate: bool
    rating: int | None


@public_router.post(
    "/track",
    auth=None,
    response=PublicCaseOut,
    summary="Follow a report with its number and secret (a wrong secret looks like an unknown number)",
)
def public_track(request: HttpRequest, payload: TrackIn):
    throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
    case = selectors.public_case(number=payload.number, secret=payload.secret)
    return selectors.public_view(case=case)


@public_router.get(
    "/cases/{number}/photos/{photo_id}",
    auth=None,
    summary="A public copy of a photo (orientation applied, no GPS or other metadata)",
)
def public_photo(
    request: HttpRequest,
    number: str,
    photo_id: int,
    secret: str = Header(
        "",
        alias="X-Tracking-Secret",
        description="the report's secret, in this header: never in the URL, which reaches access logs",
    ),
):
    throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
    case = selectors.public_case(number=number, secret=secret)
    photo = selectors.public_photo(case=case, photo_id=photo_id)
    path = Path(settings.MEDIA_ROOT) / photo.public_path
    return FileResponse(path.open("rb"), content_type="image/jpeg")


class RateIn(Schema):
    number: str = Field(..., max_length=20)
    secret: str = Field(..., max_length=64)
    score: int = Field(..., description="1 (very unsatisfied) to 5 (very satisfied)")
    comment: str = Field("", max_length=1000)


@public_router.post(
    "/rate",
    auth=None,
    response=PublicCaseOut,
    summary="Rate the handling of a closed report, once (below 3 reopens the case)",
)
def public_rate(request: HttpRequest, payload: RateIn):
    throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
    services.public_rate(**payload.model_dump())
    return selectors.public_view(case=selectors.public_case(number=payload.number, secret=payload.secret))
