"""JSON API of the case loop for staff: lists, details with timeline, and the workflow actions."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict

from qingcheng.core.inputs import SaneDatetime
from qingcheng.core.pagination import MappedRows, PageNumberPagination

from . import selectors, services
from .catalogue import current_version
from .models import Case, CaseCategory
from .workflow import ACTIONS

router = Router(tags=["cases"])


class CaseSummaryOut(Schema):
    id: int
    number: str
    source: str
    status: str
    status_label: str
    category_code: str | None
    category_name: str | None
    grid_code: str
    address: str
    urgency: str
    owner_department: str | None
    reported_at: datetime
    handle_due_at: datetime | None
    overdue: bool
    supervised: bool
    version: int


class CaseEventOut(Schema):
    seq: int
    at: datetime
    action: str
    actor: str
    from_status: str
    to_status: str
    note: str
    data: dict[str, Any]


class PhotoOut(Schema):
    id: int
    kind: str
    sha256: str
    content_type: str
    width: int
    height: int


class CaseDetailOut(CaseSummaryOut):
    description: str
    lon: float
    lat: float
    community_code: str
    street_code: str
    district_code: str
    external_number: str
    handling_type: str
    suggested_department_id: int | None
    owner_department_id: int | None
    opened_at: datetime | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    feedback_at: datetime | None
    closed_at: datetime | None
    rework_count: int
    return_count: int
    extension_count: int
    merged_into: str | None
    pending_request: dict[str, Any]
    satisfaction: int | None
    reporters: list[dict[str, Any]]
    timeline: list[CaseEventOut]
    photos: list[PhotoOut]
    allowed_actions: list[str]
    duplicates: list[str]


class CaseActionData(Schema):
    """The fields the workflow handlers read (`cases.services.actions.HANDLERS`); which one an action needs is said
    per field. Unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")

    department_id: int | None = Field(
        None,
        ge=1,
        description="dispatch: the handling unit (default: the suggested one); it must cover the case",
    )
    assignee_id: int | None = Field(
        None,
        ge=1,
        description="send_verification, send_check: the supervisor (default: the beat's); must work in the case's area",
    )
    category_code: str | None = Field(
        None, max_length=20, description="open: the subclass, if not set at report"
    )
    urgency: Case.Urgency | None = Field(None, description="open")
    handling_type: str | None = Field(None, max_length=30, description="open")
    reason: str | None = Field(
        None,
        max_length=2000,
        description="required by cancel, defer, request_return, request_extension, request_park",
    )
    unit: str | None = Field(None, description="request_extension: working_hours or working_days (default)")
    amount: Decimal | None = Field(None, description="request_extension: more than 0, at most 60")
    target_id: int | None = Field(None, ge=1, description="merge: the case to merge into (or target_number)")
    target_number: str | None = Field(None, max_length=20, description="merge: the case number to merge into")
    genuine: bool | None = Field(None, description="required by verify")
    passed: bool | None = Field(None, description="required by check")
    satisfied: bool | None = Field(None, description="required by callback")
    score: int | None = Field(None, description="callback: satisfaction 1–5")
    note: str | None = Field(None, max_length=2000, description="kept with the verify or check result")


class CaseActionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(
        ...,
        description="one of the workflow actions",
        json_schema_extra={"enum": list(ACTIONS)},
    )
    data: CaseActionData = Field(default_factory=CaseActionData)
    note: str = Field("", max_length=2000)
    expected_version: int | None = Field(None, description="optimistic locking: the version you saw")


class CategoryOut(Schema):
    code: str
    name: str
    kind: str
    parent_code: str | None
    opening_criteria: str
    closing_criteria: str


class CaseFilters(Schema):
    status: list[str] | None = None
    source: str | None = None
    category: str | None = None
    area: str | None = None
    number: str | None = None
    overdue: bool | None = None
    supervised: bool | None = None
    mine: bool = False
    reported_from: SaneDatetime | None = None
    reported_to: SaneDatetime | None = None


def _summary(case: Case, text: Callable[[str], str]) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "source": case.source,
        "status": case.status,
        "status_label": str(Case.Status(case.status).label),
        "category_code": case.category.code if case.category else None,
        "category_name": case.category.name if case.category else None,
        "grid_code": case.grid_code,
        "address": text(case.address),
        "urgency": case.urgency,
        "owner_department": case.owner_department.name if case.owner_department else None,
        "reported_at": case.reported_at,
        "handle_due_at": case.handle_due_at,
        "overdue": selectors.is_overdue_now(case),
        "supervised": case.supervised,
        "version": case.version,
    }


def _detail(request: HttpRequest, case: Case) -> dict[str, Any]:
    actor = request.user
    text = selectors.personal_text_for(actor)
    open_duplicates = (
        [c.number for c in selectors.find_duplicates(case)]
        if case.category and case.status in {"reported", "verifying", "verified"}
        else []
    )
    return {
        **_summary(case, text),
        "description": text(case.description),
        "lon": case.lon,
        "lat": case.lat,
        "community_code": case.grid_code[:12],
        "street_code": case.grid_code[:9],
        "district_code": case.grid_code[:6],
        "external_number": case.external_number,
        "handling_type": case.handling_type,
        "suggested_department_id": case.suggested_department_id,
        "owner_department_id": case.owner_department_id,
        "opened_at": case.opened_at,
        "dispatched_at": case.dispatched_at,
        "accepted_at": case.accepted_at,
        "feedback_at": case.feedback_at,
        "closed_at": case.closed_at,
        "rework_count": case.rework_count,
        "return_count": case.return_count,
        "extension_count": case.extension_count,
        "merged_into": case.merged_into.number if case.merged_into_id else None,
        "pending_request": selectors.personal_data_for(actor, case.pending_request),
        "satisfaction": case.satisfaction,
        "reporters": selectors.case_reporters(actor=actor, case=case),
        "timeline": [
            {
                "seq": e.seq,
                "at": e.at,
                "action": e.action,
                "actor": selectors.event_actor_label(e, viewer=actor),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": text(e.note),
                "data": selectors.personal_data_for(actor, e.data),
            }
            for e in selectors.case_timeline(case=case)
        ],
        "photos": list(
            case.photos.order_by("pk").values("id", "kind", "sha256", "content_type", "width", "height")
        ),
        "allowed_actions": selectors.allowed_actions(actor=actor, case=case),
        "duplicates": open_duplicates,
    }


@router.get("/categories", response=list[CategoryOut], summary="Subclasses of the current catalogue")
def list_categories(request: HttpRequest, kind: str | None = None):
    version = current_version()
    qs = CaseCategory.objects.filter(version=version, active=True).select_related("parent").order_by("code")
    if kind:
        qs = qs.filter(kind=kind)
    return [
        {
            "code": c.code,
            "name": c.name,
            "kind": c.kind,
            "parent_code": c.parent.code if c.parent else None,
            "opening_criteria": c.opening_criteria,
            "closing_criteria": c.closing_criteria,
        }
        for c in qs
    ]


@router.get("/", response=list[CaseSummaryOut], summary="Cases in my area or dispatched to my unit")
@paginate(PageNumberPagination)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]):
    text = selectors.personal_text_for(request.user)
    return MappedRows(
        selectors.case_list(actor=request.user, **filters.model_dump()), lambda case: _summary(case, text)
    )


@router.get("/tasks/mine", summary="My open verification and check tasks")
def my_tasks(request: HttpRequest):
    text = selectors.personal_text_for(request.user)
    return [
        {
            "id": t.id,
            "kind": t.kind,
            "case_id": t.case_id,
            "case_number": t.case.number,
            "category": t.case.category.name if t.case.category else None,
            "lon": t.case.lon,
            "lat": t.case.lat,
            "address": text(t.case.address),
            "due_at": t.due_at,
        }
        for t in selectors.tasks_for(actor=request.user)
    ]


@router.get(
    "/{case_id}", response=CaseDetailOut, summary="One case with timeline, photos and allowed actions"
)
def get_case(request: HttpRequest, case_id: int):
    return _detail(request, selectors.case_get(actor=request.user, case_id=case_id))


@router.post("/{case_id}/actions", response=CaseDetailOut, summary="Perform a workflow action")
def act(request: HttpRequest, case_id: int, payload: CaseActionIn):
    from qingcheng.core.errors import ValidationFailed

    if payload.action not in ACTIONS:
        raise ValidationFailed(
            "未知的操作", f"unknown action {payload.action!r}", field="action", code="unknown_action"
        )
    # Look the case up through the actor's scope first so an outsider gets 404, not a permission hint.
    selectors.case_get(actor=request.user, case_id=case_id)
    case = services.case_act(
        case_id=case_id,
        actor=request.user,
        action=payload.action,
        data=payload.data.model_dump(exclude_none=True),
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return _detail(request, case)
