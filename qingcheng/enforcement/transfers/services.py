"""Transfer of suspected crimes to the police (行刑衔接, 国务院令第310号): the writes, the deadline sweep and
the read-only selectors the procuratorate's supervision (检察监督) uses.

Whether a step exists, who may take it and which period it meets or starts is decided by
`transfer_workflow.py` alone. Every step is one `TransferEvent` with the deadline it starts stored on it
(`next_due_at`, `next_deadline`) and `late` set when it came after the running period's due time, plus an
entry in the hash-chained audit log. The procuratorate, leaders and auxiliaries hold no write permission
here, so every service refuses them; the selectors let them read within their area, with personal data
masked unless they may see it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from qingcheng.core import clock, inputs
from qingcheng.core.access import (
    Actor,
    get_visible_or_404,
    has_permission,
    outside_area,
    require_in_scope,
    require_permission,
)
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.core.inputs import date_in_range, text
from qingcheng.core.masking import mask_name, mask_personal_text
from qingcheng.core.models import AuditEntry
from qingcheng.core.numbering import create_numbered, yearly_stem
from qingcheng.core.scope import scope_queryset
from qingcheng.core.workflow import InvalidTransition
from qingcheng.core.worktime import deadline_create

from ..common import GuardFailed, officers_present
from ..models import CrimeTransfer, PenaltyCase, PenaltyDocument, TransferEvent
from ..penalty import workflow as penalty_workflow
from ..penalty.services import penalty_case_system_act
from .workflow import (
    CREATE,
    PACKAGE,
    PACKAGE_REQUIRED,
    PENDING_STATES,
    PERIODS,
    TABLE,
    TERMINAL_STATES,
    TransferTransition,
    transition,
)

T = CrimeTransfer.Status
MAX_GOODS = 200
# The sweep tells the team this long before a running period falls due.
DUE_SOON = dt.timedelta(hours=12)


# ------------------------------------------------------------------------------------------ helpers


def _lock(transfer: CrimeTransfer | int) -> CrimeTransfer:
    pk = transfer.pk if isinstance(transfer, CrimeTransfer) else transfer
    found = CrimeTransfer.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound("移送案件", "transfer")
    return found


def _last_event(transfer: CrimeTransfer) -> TransferEvent | None:
    return TransferEvent.objects.filter(transfer=transfer).order_by("-at", "-pk").first()


def _goods(value: Any) -> list[dict[str, str]]:
    """The list of goods involved (涉案物品清单, 第四条): name, quantity and an optional note per item."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise ValidationFailed("涉案物品清单格式无效", "goods_list must be a list", field="goods_list")
    if len(value) > MAX_GOODS:
        raise ValidationFailed(
            f"涉案物品清单最多 {MAX_GOODS} 项", f"at most {MAX_GOODS} goods", field="goods_list"
        )
    items = []
    for item in value:
        if not isinstance(item, dict):
            raise ValidationFailed("涉案物品清单格式无效", "each good must be an object", field="goods_list")
        items.append(
            {
                "name": text(item.get("name"), "goods_list", "物品名称", "name of the good", max_length=100),
                "quantity": text(
                    item.get("quantity"), "goods_list", "物品数量", "quantity", required=False, max_length=30
                ),
                "note": text(
                    item.get("note"), "goods_list", "物品备注", "note", required=False, max_length=200
                ),
            }
        )
    return items


def _documents(value: Any) -> list[str]:
    keys = [str(v) for v in (value or [])] if isinstance(value, list | tuple | set) else []
    unknown = sorted(set(keys) - set(PACKAGE))
    if unknown:
        raise ValidationFailed(
            "移送材料类型无效",
            "unknown package document",
            field="documents",
            details={"allowed": list(PACKAGE)},
        )
    missing = [k for k in PACKAGE_REQUIRED if k not in keys]
    if missing:
        raise ValidationFailed(
            "移送须附涉嫌犯罪案件移送书、情况调查报告和涉案物品清单（国务院令第310号第六条）",
            "a transfer must include the transfer letter, the investigation report and the goods list (Art. 6)",
            field="documents",
            code="package_incomplete",
            details={"missing": missing},
        )
    return [k for k in PACKAGE if k in keys]


def _external_at(value: Any, after: dt.datetime | None, current: dt.datetime) -> dt.datetime:
    """When the police's or the procuratorate's notice reached the agency: not in the future and not
    before the previous step (so the order of the timeline is the order of the steps)."""
    if value in (None, ""):
        return current
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationFailed("时间格式无效", "invalid time", field="at") from None
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise ValidationFailed("时间须包含时区", "the time must be an aware datetime", field="at")
    date_in_range(value, "at", "时间", "the time")
    if value > current:
        raise ValidationFailed("时间不能晚于现在", "the time cannot be in the future", field="at")
    if after is not None and value < after:
        raise ValidationFailed(
            "时间不能早于上一步骤", "the time cannot be before the previous step", field="at"
        )
    return value


def _transferable(case: PenaltyCase | None) -> bool:
    return case is None or penalty_workflow.transition(case.status, "transfer") is not None


_GUARDS: dict[str, tuple[Any, str, str]] = {
    "penalty_case_transferable": (
        lambda tr, case: _transferable(case),
        "该处罚案件当前状态不能移送（须在调查、审查或决定前移送）",
        "the penalty case cannot be transferred in its present state (before the decision only)",
    ),
    "no_open_transfer": (
        lambda tr, case: (
            case is None
            or not CrimeTransfer.objects.filter(penalty_case=case)
            .exclude(status__in=TERMINAL_STATES)
            .exists()
        ),
        "该处罚案件已有未办结的移送",
        "the penalty case already has a transfer in progress",
    ),
    "not_reconsidered": (
        lambda tr, case: tr.reconsideration_requested_at is None,
        "已提请过复议；对复议决定仍有异议的，应建议检察院立案监督",
        "reconsideration was already requested; ask the procuratorate instead",
    ),
}


def _check(step: TransferTransition, transfer: CrimeTransfer | None, case: PenaltyCase | None) -> None:
    for name in step.guards:
        test, zh, en = _GUARDS[name]
        if not test(transfer, case):
            raise GuardFailed(name, zh, en)


def _start(step: TransferTransition, transfer: CrimeTransfer, at: dt.datetime, actor: Actor):
    if not step.starts:
        return None
    period = PERIODS[step.starts]
    return deadline_create(
        kind=period.kind,
        start=at,
        amount=period.amount,
        area_code=transfer.area_code,
        purpose=f"enforcement.transfer.{step.starts}",
        actor=actor,
        audit=False,  # the step's own audit entry carries it
    )


def _record(
    *,
    transfer: CrimeTransfer,
    step: TransferTransition,
    actor: Actor,
    from_status: str,
    at: dt.datetime,
    note: str,
    late: bool,
    officers: Iterable[Any] = (),
    data: dict[str, Any] | None = None,
) -> TransferEvent:
    deadline = _start(step, transfer, at, actor)
    event = TransferEvent.objects.create(
        transfer=transfer,
        action=step.action,
        from_status=from_status,
        to_status=transfer.status,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        note=note,
        next_due_at=deadline.due_at if deadline else None,
        next_deadline=deadline,
        late=late,
    )
    audit_record(
        actor=actor,
        action=f"enforcement.transfer.{step.action}",
        obj=transfer,
        before={"status": from_status} if from_status else None,
        after={
            "status": transfer.status,
            "event_id": event.pk,
            "at": at.isoformat(),
            "next_due_at": deadline.due_at.isoformat() if deadline else None,
            "late": late,
            "officers": sorted(getattr(o, "pk", o) for o in officers),
            **(data or {}),
        },
        # ID and mobile numbers never reach the log.
        note=mask_personal_text(note)[:500],
    )
    return event


# ------------------------------------------------------------------------------------------- services


@transaction.atomic
def transfer_report(
    *,
    actor: Actor,
    suspected_offence: str,
    summary: str,
    officer_ids: Iterable[Any] = (),
    penalty_case: PenaltyCase | int | None = None,
    area_code: str | None = None,
    goods_list: Any = None,
    note: str = "",
) -> CrimeTransfer:
    """The task team's written report (书面报告, 第五条): at least two officers of the area, the actor among
    them. The head's decision falls due 3 days after the report."""
    require_permission(actor, CREATE.permission)
    case = None
    if penalty_case is not None:
        pk = penalty_case.pk if isinstance(penalty_case, PenaltyCase) else penalty_case
        case = get_visible_or_404(
            PenaltyCase.objects.select_for_update(), actor, what_zh="案件", what_en="case", pk=pk
        )
        area = case.area_code
    else:
        area = inputs.area_code(area_code or getattr(actor, "area_code", "") or "")
        require_in_scope(actor, area, refusal=outside_area())
    team = officers_present(actor, officer_ids, area)
    _check(CREATE, None, case)
    at = clock.now()
    transfer = create_numbered(
        CrimeTransfer,
        stem=yearly_stem(f"{area[:6]}刑移"),
        width=5,
        penalty_case=case,
        area_code=area,
        status=CREATE.target,
        suspected_offence=text(
            suspected_offence, "suspected_offence", "涉嫌罪名", "suspected offence", max_length=120
        ),
        summary=text(summary, "summary", "涉嫌犯罪事实", "summary of facts", max_length=8000),
        reported_at=at,
        goods_list=_goods(goods_list),
    )
    transfer.team.set(team)
    _record(
        transfer=transfer,
        step=CREATE,
        actor=actor,
        from_status="",
        at=at,
        note=text(note, "note", "备注", "note", required=False, max_length=4000),
        late=False,
        officers=team,
        data={"penalty_case": getattr(case, "number", "")},
    )
    return transfer


@transaction.atomic
def transfer_act(
    *,
    actor: Actor,
    transfer: CrimeTransfer | int,
    action: str,
    officer_ids: Iterable[Any] = (),
    note: str = "",
    at: Any = None,
    **params: Any,
) -> CrimeTransfer:
    """Take one step of the transfer. `at` is only for steps that record the police's or the
    procuratorate's act: when their written notice reached the agency (default now).

    Parameters by step: refuse, police_refused, reconsideration_upheld, procuratorate_upheld and
    police_send_back need `reasons`; send needs `police_unit` and `documents` (keys of
    `transfer_workflow.PACKAGE`) and may carry `goods_list`; police_forwarded needs `police_unit`;
    hand_over may carry `goods_list` (what was actually handed over)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDeniedError()
    transfer = _lock(transfer)
    require_in_scope(actor, transfer.area_code, what_zh="移送案件", what_en="transfer")
    step = transition(transfer.status, action)
    if step is None:
        raise InvalidTransition(transfer.status, action, what_zh="移送", what_en="transfer")
    require_permission(actor, step.permission)
    case = None
    if transfer.penalty_case_id is not None:
        case = PenaltyCase.objects.select_for_update().get(pk=transfer.penalty_case_id)
    _check(step, transfer, case)
    officers = officers_present(actor, officer_ids, transfer.area_code) if step.two_officers else []
    for name in step.requires:
        if name in ("reasons", "police_unit"):
            zh, en = {"reasons": ("理由", "reasons"), "police_unit": ("公安机关名称", "police unit")}[name]
            params[name] = text(params.get(name), name, zh, en, max_length=4000 if name == "reasons" else 120)
    note = text(note, "note", "备注", "note", required=False, max_length=4000)
    current = clock.now()
    last = _last_event(transfer)
    if step.external:
        when = _external_at(at, last.at if last else None, current)
    elif at not in (None, ""):
        raise ValidationFailed(
            "本机关的步骤以登记时间为准，不能另填时间",
            "the agency's own steps take the time they are recorded",
            field="at",
            code="time_not_allowed",
        )
    else:
        when = current
    running_due = last.next_due_at if last is not None else None
    late = bool(step.meets and running_due is not None and when > running_due)
    before = transfer.status
    data, extra_note = RECORDERS[step.action](StepTaken(transfer, step, actor, params, when, case))
    transfer.status = step.target
    transfer.save()
    _record(
        transfer=transfer,
        step=step,
        actor=actor,
        from_status=before,
        at=when,
        note="\n".join(filter(None, [note, extra_note])),
        late=late,
        officers=officers,
        data=data,
    )
    if step.effect and case is not None:
        EFFECTS[step.effect](transfer, step, case)
    return transfer


def _effect_penalty_transfer(transfer: CrimeTransfer, step: TransferTransition, case: PenaltyCase) -> None:
    penalty_case_system_act(case=case, action="transfer", note=f"{transfer.number} 批准移送公安机关")


def _effect_take_back(transfer: CrimeTransfer, step: TransferTransition, case: PenaltyCase) -> None:
    # A case the head never approved is still in its own procedure: nothing to take back.
    if case.status == PenaltyCase.Status.TRANSFERRED:
        penalty_case_system_act(case=case, action="take_back", note=f"{transfer.number} {step.label_zh}")


# The transfer table's effects on the penalty case (`transfer_workflow.TRANSITIONS`), by name.
EFFECTS: dict[str, Callable[[CrimeTransfer, TransferTransition, PenaltyCase], None]] = {
    "penalty_transfer": _effect_penalty_transfer,
    "take_back": _effect_take_back,
}


@dataclass(frozen=True)
class StepTaken:
    """One step being taken on a transfer, as its recorder reads it (`params` already checked)."""

    transfer: CrimeTransfer
    step: TransferTransition
    actor: Actor
    params: dict[str, Any]
    at: dt.datetime
    case: PenaltyCase | None


# What a step writes on the transfer itself beside its status: (data for the audit entry, text for the
# timeline).
Recorder = Callable[[StepTaken], tuple[dict[str, Any], str]]


def _stamp(field: str, *, by: str = "", reasons_field: str = "", reasons_label: str = "理由") -> Recorder:
    """The step's time into `field` (and the actor into `by`); a step that requires reasons keeps them in
    `reasons_field`, where it has one, and on the timeline."""

    def record(taken: StepTaken) -> tuple[dict[str, Any], str]:
        setattr(taken.transfer, field, taken.at)
        if by:
            setattr(taken.transfer, by, taken.actor)
        if "reasons" not in taken.step.requires:
            return {}, ""
        reasons = taken.params["reasons"]
        if reasons_field:
            setattr(taken.transfer, reasons_field, reasons)
        return {}, f"{reasons_label}：{reasons}"

    return record


def _record_send(taken: StepTaken) -> tuple[dict[str, Any], str]:
    transfer, params, at = taken.transfer, taken.params, taken.at
    documents = _documents(params.get("documents"))
    if "goods_list" in params:
        transfer.goods_list = _goods(params.get("goods_list"))
    transfer.police_unit = params["police_unit"]
    transfer.transferred_at = at
    if taken.case is not None:
        # The package is part of the penalty case's file (一案一卷) as well.
        for key in documents:
            PenaltyDocument.objects.create(
                case=taken.case,
                kind=PenaltyDocument.Kind.OTHER,
                number=transfer.number if key == "transfer_letter" else "",
                issued_at=at,
                issued_by=taken.actor,
                fields={
                    "title": PACKAGE[key],
                    "package_item": key,
                    "transfer": transfer.number,
                    "police_unit": transfer.police_unit,
                    **({"goods": transfer.goods_list} if key == "goods_list" else {}),
                },
            )
    data = {"police_unit": transfer.police_unit, "documents": documents}
    return data, "移送材料：" + "；".join(PACKAGE[k] for k in documents)


def _record_forwarded(taken: StepTaken) -> tuple[dict[str, Any], str]:
    transfer, params = taken.transfer, taken.params
    data = {"from_unit": transfer.police_unit, "police_unit": params["police_unit"]}
    extra = f"转送：{transfer.police_unit} → {params['police_unit']}"
    transfer.police_unit = params["police_unit"]
    return data, extra


def _record_hand_over(taken: StepTaken) -> tuple[dict[str, Any], str]:
    transfer, params = taken.transfer, taken.params
    if "goods_list" in params:
        transfer.goods_list = _goods(params.get("goods_list"))
    transfer.handed_over_at = taken.at
    return {"goods": len(transfer.goods_list)}, ""


def _record_nothing(taken: StepTaken) -> tuple[dict[str, Any], str]:
    return {}, ""


_returned = _stamp("returned_at")

# Every step of the table after the report (which creates the transfer), by action.
RECORDERS: dict[str, Recorder] = {
    "approve": _stamp("decided_at", by="decided_by"),
    "refuse": _stamp(
        "decided_at", by="decided_by", reasons_field="refusal_reasons", reasons_label="不批准理由"
    ),
    "send": _record_send,
    "police_receipt": _stamp("receipt_at"),
    "police_forwarded": _record_forwarded,
    "police_filed": _stamp("police_decided_at"),
    "police_refused": _stamp(
        "police_decided_at", reasons_field="police_reasons", reasons_label="不予立案理由"
    ),
    "request_reconsideration": _stamp("reconsideration_requested_at"),
    "reconsideration_filed": _stamp("reconsideration_answered_at"),
    "reconsideration_upheld": _stamp(
        "reconsideration_answered_at", reasons_field="police_reasons", reasons_label="复议维持理由"
    ),
    "request_procuratorate": _stamp("procuratorate_requested_at"),
    "procuratorate_filed": _record_nothing,
    "procuratorate_upheld": _returned,
    "hand_over": _record_hand_over,
    "return_to_admin": _returned,
    "police_send_back": _returned,
}


# ---------------------------------------------------------------------------------------------- sweep


def _current_due() -> Subquery:
    return Subquery(
        TransferEvent.objects.filter(transfer=OuterRef("pk")).order_by("-at", "-pk").values("next_due_at")[:1]
    )


def transfer_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Find transfers whose running period is past due (for the jobs loop). Each overdue step is written
    to the audit log once, naming the period and whose it is (the agency's or the police's); returns
    counts: open transfers with a running period, due within `DUE_SOON`, overdue, newly overdue."""
    at = now or clock.now()
    rows = (
        CrimeTransfer.objects.exclude(status__in=TERMINAL_STATES)
        .annotate(current_due=_current_due())
        .filter(current_due__isnull=False)
    )
    counts = {"running": 0, "due_soon": 0, "overdue": 0, "newly_overdue": 0}
    for transfer in rows.iterator():
        counts["running"] += 1
        if transfer.current_due >= at:
            counts["due_soon"] += int(transfer.current_due - at <= DUE_SOON)
            continue
        counts["overdue"] += 1
        event = _last_event(transfer)
        marker = f'"event_id":{event.pk},'
        with transaction.atomic():
            if AuditEntry.objects.filter(
                object_type="enforcement.crimetransfer",
                object_id=str(transfer.pk),
                action="enforcement.transfer.overdue",
                changes__contains=marker,
            ).exists():
                continue
            purpose = event.next_deadline.purpose.rsplit(".", 1)[-1] if event.next_deadline_id else ""
            period = PERIODS.get(purpose)
            audit_record(
                actor=None,
                action="enforcement.transfer.overdue",
                obj=transfer,
                after={
                    "event_id": event.pk,
                    "purpose": purpose,
                    "due_at": event.next_due_at.isoformat(),
                    "police": bool(period and period.police),
                    "window": bool(period and period.window),
                },
                note=period.label_zh if period else "",
            )
            counts["newly_overdue"] += 1
    return counts


# ------------------------------------------------------------------------------------------ selectors


def transfer_pending(case: PenaltyCase) -> bool:
    """A transfer of this penalty case awaits the head's decision, so the case is still in its own
    procedure: it may not be decided meanwhile (第十一条: 不得以行政处罚代替移送). Once approved, the case is
    TRANSFERRED and the penalty workflow itself allows no decision."""
    return CrimeTransfer.objects.filter(penalty_case=case, status__in=PENDING_STATES).exists()


def transfer_list(
    *, actor: Actor, status: str | None = None, overdue: bool | None = None, query: str = ""
) -> QuerySet[CrimeTransfer]:
    """Transfers in the actor's area, newest report first, each with `current_due` (the due time of the
    period running now, or None)."""
    require_permission(actor, "enforcement.view_crimetransfer")
    rows = scope_queryset(CrimeTransfer.objects.all(), actor).annotate(current_due=_current_due())
    if status:
        rows = rows.filter(status=status)
    if overdue is not None:
        late = Q(current_due__lt=clock.now()) & ~Q(status__in=TERMINAL_STATES)
        rows = rows.filter(late) if overdue else rows.exclude(late)
    query = (query or "").strip()[:60]
    if query:
        rows = rows.filter(
            Q(number__icontains=query)
            | Q(suspected_offence__icontains=query)
            | Q(penalty_case__number__icontains=query)
        )
    return rows.select_related("penalty_case").order_by("-reported_at", "-pk")


def transfer_get(*, actor: Actor, transfer_id: int) -> CrimeTransfer:
    """One transfer in the actor's area (out-of-scope ones are reported like missing ones)."""
    require_permission(actor, "enforcement.view_crimetransfer")
    return get_visible_or_404(
        CrimeTransfer.objects.select_related("penalty_case", "decided_by"),
        actor,
        what_zh="移送案件",
        what_en="transfer",
        pk=transfer_id,
    )


def transfer_actions_for(*, actor: Actor, transfer: CrimeTransfer) -> list[TransferTransition]:
    """The steps this actor may offer now (none for the procuratorate, leaders and auxiliaries)."""
    return [t for t in TABLE.actions_from(transfer.status) if has_permission(actor, t.permission)]


def transfer_view(*, actor: Actor, transfer: CrimeTransfer) -> dict[str, Any]:
    """The read-only supervision view (检察监督): status, the running period, every step with its deadline
    and whether it was late. The summary and notes are masked unless the actor may see party data."""
    require_permission(actor, "enforcement.view_crimetransfer")
    require_in_scope(actor, transfer.area_code, what_zh="移送案件", what_en="transfer")
    unmasked = has_permission(actor, "enforcement.view_party_data")
    case = transfer.penalty_case

    def clean(value: str) -> str:
        if unmasked:
            return value
        value = mask_personal_text(value)
        if case is not None and case.party_kind == "individual" and case.party_name:
            value = value.replace(case.party_name, mask_name(case.party_name))
        return value

    events = list(transfer.events.select_related("actor").order_by("at", "pk"))
    current = events[-1].next_due_at if events and transfer.status not in TERMINAL_STATES else None
    at = clock.now()
    return {
        "id": transfer.pk,
        "number": transfer.number,
        "status": transfer.status,
        "status_label": transfer.get_status_display(),
        "suspected_offence": transfer.suspected_offence,
        "summary": clean(transfer.summary),
        "penalty_case": getattr(case, "number", ""),
        "police_unit": transfer.police_unit,
        "team": [str(u) for u in transfer.team.order_by("pk")],
        "reported_at": transfer.reported_at,
        "current_due_at": current,
        "overdue": bool(current and current < at),
        "goods_list": transfer.goods_list,
        "events": [
            {
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": str(e.actor) if e.actor else "",
                "at": e.at,
                "note": clean(e.note),
                "next_due_at": e.next_due_at,
                "late": e.late,
            }
            for e in events
        ],
        "late_steps": sum(1 for e in events if e.late),
        "actions": [t.action for t in transfer_actions_for(actor=actor, transfer=transfer)],
    }
