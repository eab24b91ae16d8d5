"""What every enforcement service needs beside the kernel (permission and scope checks are core.access,
the time is core.clock): the two-officer rule, the guard error and the timeline entry chained into the
audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model

from qingcheng.core import clock
from qingcheng.core.access import Actor, has_permission
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import Conflict, ValidationFailed
from qingcheng.core.masking import mask_address, mask_id_number, mask_name, mask_personal_text, mask_phone
from qingcheng.core.scope import in_scope

from .models import Party, PenaltyCase, PenaltyEvent

OFFICER_PERMISSION = "enforcement.investigate_penaltycase"


class GuardFailed(Conflict):
    """A legal precondition of the step does not hold (e.g. the statements period is still running)."""

    def __init__(self, guard: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"precondition_{guard}", message_zh, message_en, details={"guard": guard})


def party_redactor(
    case: PenaltyCase, *, unmasked: bool, whole_organisation_name: bool = True
) -> Callable[[str], str]:
    """A function that masks the party's (当事人) personal data wherever it appears in free text (facts,
    notes, document fields, evidence titles) for a reader who may not see it; ID and mobile numbers of
    anyone are masked too. An organisation's name is not personal data and stays whole, except where a
    caller asks otherwise (the case archive has always masked every party name)."""
    if unmasked:
        return lambda text: text
    pairs = [
        (case.party_id_number, mask_id_number(case.party_id_number)),
        (case.party_phone, mask_phone(case.party_phone)),
        (case.party_address, mask_address(case.party_address)),
        (case.party_representative, mask_name(case.party_representative)),
    ]
    if case.party_kind == Party.INDIVIDUAL or not whole_organisation_name:
        pairs.append((case.party_name, mask_name(case.party_name)))
    # Longer values first: a name inside an address is masked with the address.
    pairs = sorted(((v, m) for v, m in pairs if v), key=lambda p: -len(p[0]))

    def redact(text: str) -> str:
        text = str(text or "")
        for value, masked in pairs:
            text = text.replace(value, masked)
        return mask_personal_text(text)

    return redact


def officers_present(actor: Actor, officer_ids: Iterable[Any] | None, area_code: str) -> list[Any]:
    """The officers acting together on an investigative step (行政处罚法 第四十二条: 不得少于两人): at least
    two distinct active users who hold the officer permission in this area, the actor among them. An
    auxiliary can never hold the permission, so can never be one of them."""
    try:
        ids = {int(i) for i in (officer_ids or [])}
    except (TypeError, ValueError):
        raise ValidationFailed(
            "执法人员编号无效", "officer ids must be integers", field="officer_ids"
        ) from None
    if actor is not None and getattr(actor, "pk", None):
        ids.add(actor.pk)
    users = list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk"))
    qualified = [u for u in users if has_permission(u, OFFICER_PERMISSION) and in_scope(u, area_code)]
    if len(qualified) != len(ids):
        raise ValidationFailed(
            "在场人员中有人不是本辖区持证执法人员（协管员不得从事执法）",
            "someone present is not a certified enforcement officer of this area (auxiliaries may not enforce)",
            field="officer_ids",
            code="not_an_officer",
        )
    if len(qualified) < 2:
        raise ValidationFailed(
            "执法人员不得少于两人（行政处罚法第四十二条）",
            "at least two enforcement officers must act together (Administrative Penalty Law Art. 42)",
            field="officer_ids",
            code="two_officers_required",
        )
    return qualified


def record_event(
    *,
    case: PenaltyCase,
    action: str,
    actor: Actor,
    from_status: str = "",
    to_status: str = "",
    officers: Iterable[Any] = (),
    note: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> PenaltyEvent:
    """One timeline entry plus its audit entry (the audit log is hash-chained, so a changed step shows)."""
    officer_ids = sorted(getattr(o, "pk", o) for o in officers)
    entry = audit_record(
        actor=actor,
        action=f"enforcement.{action}",
        obj=case,
        before={"status": from_status} if from_status else None,
        after={"status": to_status or from_status, "officers": officer_ids, **(data or {})},
        note=mask_personal_text(note)[:500],
    )
    return PenaltyEvent.objects.create(
        case=case,
        action=action,
        from_status=from_status,
        to_status=to_status or from_status,
        actor=actor if getattr(actor, "pk", None) else None,
        officer_ids=officer_ids,
        at=at or clock.now(),
        note=note,
        data=data or {},
        audit_entry_id=entry.pk,
    )
