"""Case states on the wire: GeoReport's `open`/`closed` and FixMyStreet's extended statuses.

`open` is every state of the workflow's OPEN_STATES, `closed` every terminal one (结案, 不予立案/作废,
已合并). The extended statuses keep that split: open states map to FixMyStreet's open-type statuses and
terminal states to its closed-type ones, so a client that understands both never sees them disagree.

`REOPEN` is accepted from clients (FixMyStreet sends it for a reporter's reopening when `mark_reopen` is
set) but never sent: FixMyStreet's map_state knows no such state and would leave its copy "fixed". A
reopened case is sent as the open status of the state it went back to, marked `reopened` in `extras`.
"""

from __future__ import annotations

from qingcheng.cases.models import Case
from qingcheng.cases.workflow import TERMINAL_STATES

S = Case.Status

# FixMyStreet's extended statuses (perllib/Open311.pm map_state), upper case on the wire: what a client
# may post in an update.
EXTENDED_STATUSES = (
    "OPEN",
    "INVESTIGATING",
    "IN_PROGRESS",
    "ACTION_SCHEDULED",
    "FIXED",
    "CLOSED",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
    "FOR_TRIAGE",
    "CANCELLED",
    "REOPEN",
)
# What this server sends: every state a FixMyStreet client maps to one of its own.
OUTBOUND_STATUSES = tuple(s for s in EXTENDED_STATUSES if s != "REOPEN")

EXTENDED = {
    S.REPORTED: "OPEN",  # 待受理
    S.VERIFYING: "INVESTIGATING",  # 核实中
    S.VERIFIED: "INVESTIGATING",  # 待立案
    S.OPENED: "ACTION_SCHEDULED",  # 已立案/待派遣
    S.DISPATCHED: "ACTION_SCHEDULED",  # 已派遣/待签收
    S.HANDLING: "IN_PROGRESS",
    S.RETURN_REQUESTED: "IN_PROGRESS",
    S.EXTENSION_REQUESTED: "IN_PROGRESS",
    S.PARK_REQUESTED: "IN_PROGRESS",
    S.PARKED: "ACTION_SCHEDULED",  # 挂账: acknowledged, to be done later
    S.DEFERRED: "ACTION_SCHEDULED",  # 缓办
    S.FEEDBACK: "IN_PROGRESS",  # handled, awaiting the on-site check
    S.CHECKING: "IN_PROGRESS",
    S.CHECK_PASSED: "IN_PROGRESS",  # checked on site, awaiting 结案
    S.SELF_HANDLED: "IN_PROGRESS",  # fixed by the supervisor, awaiting 结案
    S.CLOSED: "FIXED",  # 结案: the closing criteria are met
    S.CANCELLED: "NO_FURTHER_ACTION",  # 不予立案/作废
    S.MERGED: "DUPLICATE",  # 已合并
}
TRANSFERRED_TO_POLICE = "已移交110"


def simple_status(status: str) -> str:
    return "closed" if status in TERMINAL_STATES else "open"


def is_reopening(*, action: str, from_status: str, status: str) -> bool:
    """A timeline entry by which an unsatisfied reporter (call-back, rating, Open311 update) sent a
    closed case back for handling."""
    return action == "callback" and from_status == S.CLOSED and status != S.CLOSED


def extended_status(status: str, *, action: str = "", from_status: str = "", reason: str = "") -> str:
    """The FixMyStreet status of a state, refined by the timeline entry that led to it when known."""
    if is_reopening(action=action, from_status=from_status, status=status):
        # Back with the unit (处置中) is IN_PROGRESS; back before dispatch is OPEN. Both reopen a report
        # that FixMyStreet shows as fixed.
        return "IN_PROGRESS" if EXTENDED.get(status) == "IN_PROGRESS" else "OPEN"
    if status == S.CANCELLED and reason.startswith(TRANSFERRED_TO_POLICE):
        return "NOT_COUNCILS_RESPONSIBILITY"
    if action == "approve_return":
        return "INTERNAL_REFERRAL"
    return EXTENDED.get(status, "OPEN")


def status_filter(values: set[str]) -> set[str]:
    """The case states behind a set of `open`/`closed` filter values."""
    states: set[str] = set()
    if "open" in values:
        states |= {s for s in S.values if s not in TERMINAL_STATES}
    if "closed" in values:
        states |= set(TERMINAL_STATES)
    return states
