"""The periodic sweeps of the case loop, each `<thing>_sweep(*, now=None)`; `cases/jobs.py` says how often
they run. The system acts in them (actor None)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from qingcheng.core import clock

from .. import photos as photo_store
from ..models import Case, CasePhoto
from ..workflow import HANDLING_STATES
from .records import audit_case, audit_state, notify, record_event


def _mark_late(
    case: Case,
    *,
    flag: str,
    notice: str,
    message: str,
    event: str,
    audit_action: str,
    data: dict[str, Any],
    note: str = "",
) -> None:
    """The system marks a late case (超期, or 督办 when later still): the flag and a new version, the
    notice `message` to the unit, the timeline entry `event` and the audit entry."""
    before = audit_state(case)
    setattr(case, flag, True)
    case.version += 1
    case.save(update_fields=[flag, "version", "updated_at"])
    notify(case=case, kind=notice, department=case.owner_department, message=message)
    record_event(case, action=event, actor=None, from_status=case.status, note=note, data=data)
    audit_case(case, actor=None, action=audit_action, before=before)


def case_overdue_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Mark cases past their handling deadline as overdue and notify their unit; escalate to 督办 those
    late by more than CASE_ESCALATE_AFTER_HOURS."""
    now = now or clock.now()
    counts = {"overdue": 0, "escalated": 0}
    late = Case.objects.filter(status__in=HANDLING_STATES, handle_due_at__lt=now, overdue=False).values_list(
        "pk", flat=True
    )
    for pk in list(late[:5000]):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            if (
                case.overdue
                or case.status not in HANDLING_STATES
                or case.handle_due_at is None
                or case.handle_due_at >= now
            ):
                continue
            _mark_late(
                case,
                flag="overdue",
                notice="overdue",
                message=f"{case.number} 已超期",
                event="overdue",
                audit_action="overdue",
                data={"due_at": case.handle_due_at.isoformat()},
            )
            counts["overdue"] += 1
    threshold = now - timedelta(hours=settings.CASE_ESCALATE_AFTER_HOURS)
    late = Case.objects.filter(
        status__in=HANDLING_STATES, overdue=True, supervised=False, handle_due_at__lt=threshold
    ).values_list("pk", flat=True)
    for pk in list(late[:5000]):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            if case.supervised or case.status not in HANDLING_STATES:
                continue
            _mark_late(
                case,
                flag="supervised",
                notice="escalated",
                message=f"{case.number} 超期未处置，已自动督办",
                event="supervise",
                audit_action="escalate",
                data={"automatic": True},
                note="超期自动督办",
            )
            counts["escalated"] += 1
    return counts


def case_public_photo_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Create the GPS-free public copies of photos uploaded since the last run (`now` is unused: every
    sweep takes it)."""
    done = 0
    for photo in CasePhoto.objects.filter(public_path="").order_by("pk")[:limit]:
        photo.public_path = photo_store.make_public_copy(photo.storage_path)
        photo.save(update_fields=["public_path", "updated_at"])
        done += 1
    return done
