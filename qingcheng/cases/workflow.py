"""The seven-step case workflow as one table: (state, action) → permission, next state, deadline effect.

Services consult this table and nothing else to decide whether an action is allowed; the property test
walks random action sequences through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Case

S = Case.Status

OPEN_STATES = frozenset(
    {
        S.REPORTED,
        S.VERIFYING,
        S.VERIFIED,
        S.OPENED,
        S.DISPATCHED,
        S.HANDLING,
        S.RETURN_REQUESTED,
        S.EXTENSION_REQUESTED,
        S.PARK_REQUESTED,
        S.PARKED,
        S.DEFERRED,
        S.FEEDBACK,
        S.CHECKING,
        S.CHECK_PASSED,
        S.SELF_HANDLED,
    }
)
TERMINAL_STATES = frozenset({S.CANCELLED, S.MERGED, S.CLOSED})
# States in which the handling clock runs against the unit.
HANDLING_STATES = frozenset(
    {S.DISPATCHED, S.HANDLING, S.RETURN_REQUESTED, S.EXTENSION_REQUESTED, S.PARK_REQUESTED}
)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    # None: the service decides between `targets` from the action's data (a check passes or fails).
    target: str | None
    permission: str
    unit_bound: bool = False  # the actor must belong to the case's handling unit (or a unit above it)
    effect: str = ""  # deadline effect, applied by the service
    targets: frozenset[str] = frozenset()
    label_zh: str = ""

    def possible_targets(self) -> frozenset[str]:
        return frozenset({self.target}) if self.target else self.targets


def _t(action, sources, target, permission, label_zh, *, unit_bound=False, effect="", targets=()):
    return Transition(
        action=action,
        sources=frozenset(sources),
        target=target,
        permission=f"cases.{permission}",
        unit_bound=unit_bound,
        effect=effect,
        targets=frozenset(targets),
        label_zh=label_zh,
    )


TRANSITIONS: tuple[Transition, ...] = (
    _t(
        "send_verification",
        {S.REPORTED},
        S.VERIFYING,
        "accept_report_case",
        "派发核实",
        effect="start_verify",
    ),
    _t("verify", {S.VERIFYING}, S.VERIFIED, "field_task_case", "核实反馈", effect="stop_verify"),
    _t("open", {S.REPORTED, S.VERIFIED}, S.OPENED, "accept_report_case", "立案", effect="start_dispatch"),
    _t(
        "cancel",
        {S.REPORTED, S.VERIFYING, S.VERIFIED},
        S.CANCELLED,
        "accept_report_case",
        "不予立案/作废",
        effect="stop_all",
    ),
    _t(
        "merge",
        {S.REPORTED, S.VERIFYING, S.VERIFIED},
        S.MERGED,
        "accept_report_case",
        "合并",
        effect="stop_all",
    ),
    _t("dispatch", {S.OPENED}, S.DISPATCHED, "dispatch_case", "派遣", effect="start_handle"),
    _t("accept", {S.DISPATCHED}, S.HANDLING, "handle_case", "签收", unit_bound=True),
    _t(
        "request_return",
        {S.DISPATCHED, S.HANDLING},
        S.RETURN_REQUESTED,
        "apply_case",
        "申请回退",
        unit_bound=True,
    ),
    _t("approve_return", {S.RETURN_REQUESTED}, S.OPENED, "approve_case", "同意回退", effect="stop_handle"),
    _t("reject_return", {S.RETURN_REQUESTED}, S.HANDLING, "approve_case", "驳回回退"),
    _t("request_extension", {S.HANDLING}, S.EXTENSION_REQUESTED, "apply_case", "申请延期", unit_bound=True),
    _t(
        "approve_extension",
        {S.EXTENSION_REQUESTED},
        S.HANDLING,
        "approve_case",
        "批准延期",
        effect="extend_handle",
    ),
    _t("reject_extension", {S.EXTENSION_REQUESTED}, S.HANDLING, "approve_case", "驳回延期"),
    _t("request_park", {S.HANDLING}, S.PARK_REQUESTED, "apply_case", "申请挂账", unit_bound=True),
    _t("approve_park", {S.PARK_REQUESTED}, S.PARKED, "approve_case", "批准挂账", effect="stop_handle"),
    _t("reject_park", {S.PARK_REQUESTED}, S.HANDLING, "approve_case", "驳回挂账"),
    _t(
        "defer",
        {S.OPENED, S.DISPATCHED, S.HANDLING},
        S.DEFERRED,
        "approve_case",
        "缓办",
        effect="stop_handle",
    ),
    _t(
        "resume",
        {S.PARKED, S.DEFERRED},
        None,
        "approve_case",
        "恢复处置",
        effect="restart_handle",
        targets={S.HANDLING, S.OPENED},
    ),
    _t(
        "feedback", {S.HANDLING}, S.FEEDBACK, "handle_case", "处理反馈", unit_bound=True, effect="stop_handle"
    ),
    _t("send_check", {S.FEEDBACK}, S.CHECKING, "accept_report_case", "派发核查", effect="start_check"),
    _t(
        "check",
        {S.CHECKING},
        None,
        "field_task_case",
        "核查反馈",
        effect="check",
        targets={S.CHECK_PASSED, S.HANDLING},
    ),
    _t("close", {S.CHECK_PASSED, S.SELF_HANDLED}, S.CLOSED, "close_case", "结案", effect="stop_all"),
    _t(
        "callback",
        {S.CLOSED},
        None,
        "callback_case",
        "回访",
        effect="callback",
        targets={S.CLOSED, S.HANDLING},
    ),
    _t("supervise", OPEN_STATES, None, "supervise_case", "督办", targets=OPEN_STATES),
)

TABLE: dict[tuple[str, str], Transition] = {
    (source, t.action): t for t in TRANSITIONS for source in t.sources
}
ACTIONS: dict[str, Transition] = {t.action: t for t in TRANSITIONS}


def required_permission(transition: Transition, case: Case) -> str:
    """A second extension is decided by a leader, not the shift leader (延期 rules)."""
    if transition.action == "approve_extension" and case.extension_count >= 1:
        return "cases.approve_second_extension_case"
    return transition.permission


def transition_for(status: str, action: str) -> Transition | None:
    return TABLE.get((status, action))


def actions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if status in t.sources]
