"""The periodic sweeps of the case loop, each `<thing>_sweep(*, now=None)`; `cases/jobs.py` says how often
they run. The system acts in them (actor None)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from qingcheng.core import clock

from .. import photos as photo_store
from ..models import Case, CasePhoto
from ..workflow import HANDLING_STATES
from .records import audit_case, audit_state, notify, record_event


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
            before = audit_state(case)
            case.overdue = True
            case.version += 1
            case.save(update_fields=["overdue", "version", "updated_at"])
            notify(
                case=case, kind="overdue", department=case.owner_department, message=f"{case.number} 已超期"
            )
            record_event(
                case,
                action="overdue",
                actor=None,
                from_status=case.status,
                data={"due_at": case.handle_due_at.isoformat()},
            )
            audit_case(case, actor=None, action="overdue", before=before)
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
            before = audit_state(case)
            case.supervised = True
            case.version += 1
            case.save(update_fields=["supervised", "version", "updated_at"])
            notify(
                case=case,
                kind="escalated",
                department=case.owner_department,
                message=f"{case.number} 超期未处置，已自动督办",
            )
            record_event(
                case,
                action="supervise",
                actor=None,
                from_status=case.status,
                note="超期自动督办",
                data={"automatic": True},
            )
            audit_case(case, actor=None, action="escalate", before=before)
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
