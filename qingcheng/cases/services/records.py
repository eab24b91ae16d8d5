"""What every write of the case loop leaves behind: the timeline entry (`CaseEvent`), the audit entry, the
step deadlines, notifications to units and people, and the stored photos.

Shared by reporting, the workflow actions and the sweeps, so that a case's timeline reads the same
whichever of them wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qingcheng.accounts.models import Department
from qingcheng.core import clock
from qingcheng.core.access import Actor
from qingcheng.core.audit import audit_record
from qingcheng.core.masking import mask_personal_text
from qingcheng.core.models import Deadline
from qingcheng.core.worktime import WorkCalendar, deadline_create

from .. import photos as photo_store
from ..catalogue import step_limit
from ..models import Case, CaseEvent, CasePhoto, Notification


@dataclass
class PhotoUpload:
    data: bytes
    kind: str = "before"
    name: str = ""


def _actor_label(actor: Actor) -> str:
    # A snapshot for the record (and the admin) if the user is deleted later: never the login name.
    if actor is None:
        return "system"
    return getattr(actor, "display_name", "") or f"#{actor.pk}"


def record_event(
    case: Case,
    *,
    action: str,
    actor: Actor,
    from_status: str,
    note: str = "",
    data: dict | None = None,
    public: bool = False,
) -> CaseEvent:
    last = (
        0 if action == "report" else case.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    )
    return CaseEvent.objects.create(
        case=case,
        seq=last + 1,
        at=clock.now(),
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor),
        from_status=from_status,
        to_status=case.status,
        note=note[:2000],
        data=data or {},
        public=public,
    )


def audit_case(case: Case, *, actor: Actor, action: str, before: dict, note: str = "") -> None:
    audit_record(
        actor=actor,
        action=f"case.{action}",
        obj=case,
        area_code=case.grid_code,
        before=before,
        after=audit_state(case),
        note=mask_personal_text(note)[:500],
    )


def audit_state(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "owner_department": case.owner_department_id,
        "handle_due_at": case.handle_due_at.isoformat() if case.handle_due_at else None,
        "rework_count": case.rework_count,
        "extension_count": case.extension_count,
        "supervised": case.supervised,
        "version": case.version,
    }


def step_deadline(
    case: Case, step: str, *, start: datetime | None = None, calendar: WorkCalendar | None = None
) -> Deadline:
    unit, amount = step_limit(case.category, step, handling_type=case.handling_type, urgency=case.urgency)
    return deadline_create(
        kind=unit,
        start=start or clock.now(),
        amount=amount,
        area_code=case.grid_code,
        purpose=f"case.{step}",
        calendar=calendar or WorkCalendar.shared(),
        audit=False,  # the case action's own audit entry records the due times
    )


def start_handle_clock(case: Case, *, start: datetime | None = None) -> None:
    deadline = step_deadline(case, "handle", start=start)
    case.handle_deadline = deadline
    case.handle_due_at = deadline.due_at
    case.overdue = deadline.due_at < clock.now()


def notify(
    *, case: Case, kind: str, message: str, department: Department | None = None, user: Any = None
) -> None:
    Notification.objects.create(case=case, kind=kind, message=message[:300], department=department, user=user)


def save_photos(case: Case, checked: list[tuple[photo_store.CheckedPhoto, str]], actor: Actor) -> None:
    for photo, kind in checked:
        CasePhoto.objects.create(
            case=case,
            kind=kind,
            sha256=photo.sha256,
            content_type=photo.content_type,
            size=len(photo.data),
            width=photo.width,
            height=photo.height,
            storage_path=photo_store.store_original(photo),
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
