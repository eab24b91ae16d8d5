"""Work queues of the role workbenches (工作台): which cases each role works on, and in which state.

A queue is a filter over the cases the user may see (cases.selectors.case_list); a user sees the queues
whose permission they hold, so a person with two roles gets both sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from qingcheng.cases.models import Case, CaseEvent
from qingcheng.cases.selectors import CALLBACK_SOURCES, due_soon_q, overdue_now_q
from qingcheng.cases.workflow import HANDLING_STATES, OPEN_STATES
from qingcheng.core import clock
from qingcheng.core.access import Actor, has_permission

S = Case.Status
REQUEST_STATES = (S.RETURN_REQUESTED, S.EXTENSION_REQUESTED, S.PARK_REQUESTED)


@dataclass(frozen=True)
class Queue:
    key: str
    label: Any
    group: Any
    permission: str
    statuses: tuple[str, ...] = ()
    mine: bool = False  # only cases of the user's own handling unit
    extra: str = ""  # a further condition, see _extra()
    hint: Any = ""
    icon: str = "inbox"
    columns: tuple[str, ...] = field(default=("number", "category", "address", "status", "reported_at"))


RECEIVER = _("Receiver (受理员)")
DISPATCHER = _("Dispatcher (派遣员)")
SHIFT_LEADER = _("Shift leader (值班长)")
UNIT = _("Handling unit (处置单位)")
LEADER = _("Leader (领导)")
HOTLINE = _("Hotline (热线)")


def _role_queues(group: Any, permission: str, **defaults: Any):
    """The queues of one role: shown under its workbench heading and needing, unless one says otherwise,
    the permission the role works its cases with."""

    def queue(key: str, label: Any, statuses: tuple[str, ...], **options: Any) -> Queue:
        options = {"permission": permission, **defaults, **options}
        return Queue(key, label, group, statuses=statuses, **options)

    return queue


_receiver_queue = _role_queues(RECEIVER, "cases.accept_report_case")
_dispatcher_queue = _role_queues(DISPATCHER, "cases.dispatch_case")
_shift_leader_queue = _role_queues(SHIFT_LEADER, "cases.approve_case")
_hotline_queue = _role_queues(HOTLINE, "cases.callback_case")
_unit_queue = _role_queues(UNIT, "cases.handle_case", mine=True)  # a unit works only its own cases
_leader_queue = _role_queues(LEADER, "cases.supervise_case")


QUEUES: tuple[Queue, ...] = (
    _receiver_queue(
        "reported",
        _("New reports"),
        (S.REPORTED,),
        hint=_("Open, send for verification, merge with a duplicate, or reject with a reason."),
        icon="inbox",
    ),
    _receiver_queue(
        "verifying",
        _("Being verified"),
        (S.VERIFYING,),
        icon="hourglass-split",
    ),
    _receiver_queue(
        "verified",
        _("Verification results"),
        (S.VERIFIED,),
        hint=_("The supervisor has reported back; open the case or reject it."),
        icon="patch-check",
    ),
    _receiver_queue(
        "feedback",
        _("Feedback to check"),
        (S.FEEDBACK,),
        hint=_("The unit says the problem is fixed; send a check task to the supervisor."),
        icon="clipboard-check",
        columns=("number", "category", "unit", "status", "feedback_at"),
    ),
    _receiver_queue(
        "checking",
        _("Being checked"),
        (S.CHECKING,),
        icon="binoculars",
        columns=("number", "category", "unit", "status", "reported_at"),
    ),
    _dispatcher_queue(
        "to_dispatch",
        _("To dispatch"),
        (S.OPENED,),
        extra="first_dispatch",
        hint=_("Each case shows the suggested unit and the responsibility rule behind it."),
        icon="send",
        columns=("number", "category", "address", "suggested", "opened_at"),
    ),
    _dispatcher_queue(
        "returned",
        _("Returned for re-dispatch"),
        (S.OPENED,),
        extra="returned",
        icon="arrow-return-left",
        columns=("number", "category", "address", "suggested", "returns"),
    ),
    _shift_leader_queue(
        "approvals",
        _("Applications to decide"),
        REQUEST_STATES,
        hint=_("Returns, extensions and parking asked for by handling units."),
        icon="check2-square",
        columns=("number", "category", "unit", "status", "request"),
    ),
    _shift_leader_queue(
        "to_close",
        _("To close"),
        (S.CHECK_PASSED, S.SELF_HANDLED),
        permission="cases.close_case",
        icon="archive",
        columns=("number", "category", "unit", "status", "checked_at"),
    ),
    _shift_leader_queue(
        "on_hold",
        _("Parked and deferred"),
        (S.PARKED, S.DEFERRED),
        icon="pause-circle",
        columns=("number", "category", "unit", "status", "reported_at"),
    ),
    _hotline_queue(
        "to_call_back",
        _("To call back"),
        (S.CLOSED,),
        extra="no_callback",
        hint=_("Closed hotline and public cases whose reporter has not been called back."),
        icon="telephone-outbound",
        columns=("number", "category", "source", "closed_at"),
    ),
    _unit_queue(
        "to_accept",
        _("To accept"),
        (S.DISPATCHED,),
        icon="box-arrow-in-down",
        columns=("number", "category", "address", "urgency", "due"),
    ),
    _unit_queue(
        "in_progress",
        _("In progress"),
        (S.HANDLING,),
        icon="tools",
        columns=("number", "category", "address", "reworks", "due"),
    ),
    _unit_queue(
        "due_soon",
        _("Due within 24 hours"),
        tuple(HANDLING_STATES),
        extra="due_soon",
        icon="alarm",
        columns=("number", "category", "address", "status", "due"),
    ),
    _unit_queue(
        "unit_overdue",
        _("Overdue now"),
        tuple(HANDLING_STATES),
        extra="overdue",
        icon="exclamation-triangle",
        columns=("number", "category", "address", "status", "due"),
    ),
    _unit_queue(
        "applications",
        _("My applications"),
        REQUEST_STATES,
        permission="cases.apply_case",
        icon="envelope-paper",
        columns=("number", "category", "status", "request", "due"),
    ),
    _leader_queue(
        "overdue",
        _("Overdue now"),
        tuple(HANDLING_STATES),
        extra="overdue",
        hint=_("Place a case under supervision (督办) to press its unit."),
        icon="exclamation-octagon",
        columns=("number", "category", "unit", "status", "due"),
    ),
    _leader_queue(
        "supervised",
        _("Under supervision"),
        tuple(OPEN_STATES),
        extra="supervised",
        icon="eye",
        columns=("number", "category", "unit", "status", "due"),
    ),
)
QUEUES_BY_KEY = {q.key: q for q in QUEUES}


def queues_for(user: Actor) -> list[Queue]:
    return [q for q in QUEUES if has_permission(user, q.permission)]


def apply_queue(qs: QuerySet[Case], queue: Queue, user: Actor) -> QuerySet[Case]:
    """Narrow the user's visible cases to one queue."""
    qs = qs.filter(status__in=queue.statuses)
    if queue.mine:
        qs = qs.filter(owner_department_id=user.department_id) if user.department_id else qs.none()
    return qs.filter(_extra(queue.extra))


def _extra(extra: str) -> Q:
    if extra == "first_dispatch":
        return Q(return_count=0)
    if extra == "returned":
        return Q(return_count__gt=0)
    if extra == "overdue":  # overdue now (cases.selectors.overdue_now_q), not the sweep's flag
        return overdue_now_q(clock.now())
    if extra == "supervised":
        return Q(supervised=True)
    if extra == "due_soon":
        return due_soon_q(clock.now())
    if extra == "no_callback":
        called = CaseEvent.objects.filter(case=OuterRef("pk"), action="callback")
        return Q(source__in=CALLBACK_SOURCES) & ~Q(Exists(called))
    return Q()
