"""The seven-step case workflow (案件处置流程) as one table on the workflow kernel (`core.workflow`):
(state, action) → permission, next state, deadline effect.

Services consult this table and nothing else to decide whether an action is allowed; the property test
walks random action sequences through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from qingcheng.core.workflow import Transition, TransitionTable

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
class CaseTransition(Transition):
    # With target None the handler decides between `targets` from the action's data (a check passes or
    # fails).
    targets: frozenset[str] = frozenset()
    unit_bound: bool = False  # the actor must belong to the case's handling unit (or a unit above it)
    clock: str = ""  # what the step does to the deadlines (documentation; the handler applies it)

    def possible_targets(self) -> frozenset[str]:
        return frozenset({self.target}) if self.target else self.targets


def _t(action, sources, target, permission, label_zh, *, unit_bound=False, clock="", targets=()):
    # Every case action has its own handler (`services.actions.HANDLERS`), named by the action.
    return CaseTransition(
        action=action,
        sources=frozenset(sources),
        target=target,
        permission=f"cases.{permission}",
        label_zh=label_zh,
        effect=action,
        targets=frozenset(targets),
        unit_bound=unit_bound,
        clock=clock,
    )


TRANSITIONS: tuple[CaseTransition, ...] = (
    _t(
        "send_verification",
        {S.REPORTED},
        S.VERIFYING,
        "accept_report_case",
        "派发核实",
        clock="start_verify",
    ),
    _t("verify", {S.VERIFYING}, S.VERIFIED, "field_task_case", "核实反馈", clock="stop_verify"),
    _t("open", {S.REPORTED, S.VERIFIED}, S.OPENED, "accept_report_case", "立案", clock="start_dispatch"),
    _t(
        "cancel",
        {S.REPORTED, S.VERIFYING, S.VERIFIED},
        S.CANCELLED,
        "accept_report_case",
        "不予立案/作废",
        clock="stop_all",
    ),
    _t(
        "merge",
        {S.REPORTED, S.VERIFYING, S.VERIFIED},
        S.MERGED,
        "accept_report_case",
        "合并",
        clock="stop_all",
    ),
    _t("dispatch", {S.OPENED}, S.DISPATCHED, "dispatch_case", "派遣", clock="start_handle"),
    _t("accept", {S.DISPATCHED}, S.HANDLING, "handle_case", "签收", unit_bound=True),
    _t(
        "request_return",
        {S.DISPATCHED, S.HANDLING},
        S.RETURN_REQUESTED,
        "apply_case",
        "申请回退",
        unit_bound=True,
    ),
    _t("approve_return", {S.RETURN_REQUESTED}, S.OPENED, "approve_case", "同意回退", clock="stop_handle"),
    _t("reject_return", {S.RETURN_REQUESTED}, S.HANDLING, "approve_case", "驳回回退"),
    _t("request_extension", {S.HANDLING}, S.EXTENSION_REQUESTED, "apply_case", "申请延期", unit_bound=True),
    _t(
        "approve_extension",
        {S.EXTENSION_REQUESTED},
        S.HANDLING,
        "approve_case",
        "批准延期",
        clock="extend_handle",
    ),
    _t("reject_extension", {S.EXTENSION_REQUESTED}, S.HANDLING, "approve_case", "驳回延期"),
    _t("request_park", {S.HANDLING}, S.PARK_REQUESTED, "apply_case", "申请挂账", unit_bound=True),
    _t("approve_park", {S.PARK_REQUESTED}, S.PARKED, "approve_case", "批准挂账", clock="stop_handle"),
    _t("reject_park", {S.PARK_REQUESTED}, S.HANDLING, "approve_case", "驳回挂账"),
    _t(
        "defer",
        {S.OPENED, S.DISPATCHED, S.HANDLING},
        S.DEFERRED,
        "approve_case",
        "缓办",
        clock="stop_handle",
    ),
    _t(
        "resume",
        {S.PARKED, S.DEFERRED},
        None,
        "approve_case",
        "恢复处置",
        clock="restart_handle",
        targets={S.HANDLING, S.OPENED},
    ),
    _t("feedback", {S.HANDLING}, S.FEEDBACK, "handle_case", "处理反馈", unit_bound=True, clock="stop_handle"),
    _t("send_check", {S.FEEDBACK}, S.CHECKING, "accept_report_case", "派发核查", clock="start_check"),
    _t(
        "check",
        {S.CHECKING},
        None,
        "field_task_case",
        "核查反馈",
        clock="check",
        targets={S.CHECK_PASSED, S.HANDLING},
    ),
    _t("close", {S.CHECK_PASSED, S.SELF_HANDLED}, S.CLOSED, "close_case", "结案", clock="stop_all"),
    _t(
        "callback",
        {S.CLOSED},
        None,
        "callback_case",
        "回访",
        clock="callback",
        targets={S.CLOSED, S.HANDLING},
    ),
    _t("supervise", OPEN_STATES, None, "supervise_case", "督办", targets=OPEN_STATES),
)

TABLE: TransitionTable[CaseTransition] = TransitionTable(TRANSITIONS)
ACTIONS: dict[str, CaseTransition] = TABLE.by_action()
transition_for = TABLE.lookup
actions_from = TABLE.actions_from


def required_permission(transition: CaseTransition, case: Case) -> str:
    """A second extension is decided by a leader, not the shift leader (延期 rules)."""
    if transition.action == "approve_extension" and case.extension_count >= 1:
        return "cases.approve_second_extension_case"
    return transition.permission
