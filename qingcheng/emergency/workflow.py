"""The emergency workflows as explicit tables on the workflow kernel (`core.workflow`): (state, action) →
permission, next state, effect.

Services consult these tables and nothing else to decide whether an action is allowed; the effects are
the handlers in `services.dangers.DANGER_EFFECTS` and `services.incidents.INCIDENT_EFFECTS` (the
rectification clock stops in every state outside `DANGER_CLOCK_STATES`); the property test walks random
action sequences through the hidden-danger table.
"""

from __future__ import annotations

from dataclasses import dataclass

from qingcheng.core.workflow import Transition, TransitionTable

from .models import HiddenDanger, Incident

D = HiddenDanger.Status
I = Incident.Status  # noqa: E741


@dataclass(frozen=True)
class EmergencyTransition(Transition):
    unit_bound: bool = False  # the actor must belong to the responsible unit (or a unit above it)
    not_rectifier: bool = False  # the actor must not be the one who rectified


def _t(action, sources, target, permission, label_zh, **kw) -> EmergencyTransition:
    return EmergencyTransition(
        action=action,
        sources=frozenset(sources),
        target=target,
        permission=f"emergency.{permission}" if permission else "",
        label_zh=label_zh,
        **kw,
    )


# Hidden dangers: 待整改 → 整改中 → 待验收 → 已销号; rejection sends it back to 整改中.
DANGER_TRANSITIONS: tuple[EmergencyTransition, ...] = (
    _t("start", {D.PENDING}, D.RECTIFYING, "rectify_hiddendanger", "开始整改", unit_bound=True),
    _t(
        "submit",
        {D.RECTIFYING},
        D.AWAITING_ACCEPTANCE,
        "rectify_hiddendanger",
        "整改完成，申请验收",
        unit_bound=True,
        effect="rectified",
    ),
    _t(
        "accept",
        {D.AWAITING_ACCEPTANCE},
        D.CLOSED,
        "accept_hiddendanger",
        "验收通过，销号",
        not_rectifier=True,
        effect="accepted",
    ),
    _t(
        "reject",
        {D.AWAITING_ACCEPTANCE},
        D.RECTIFYING,
        "accept_hiddendanger",
        "验收不通过",
        not_rectifier=True,
        effect="rejected",
    ),
    _t(
        "supervise",
        {D.PENDING, D.RECTIFYING, D.AWAITING_ACCEPTANCE},
        None,
        "supervise_hiddendanger",
        "挂牌督办",
        effect="supervised",
    ),
    _t(
        "extend",
        {D.PENDING, D.RECTIFYING},
        None,
        "accept_hiddendanger",
        "延长整改期限",
        effect="extend",
    ),
    # The overdue sweep (jobs.py) is the only system action.
    _t("escalate", {D.PENDING, D.RECTIFYING}, None, "", "逾期升级", effect="escalate"),
)
DANGER_OPEN_STATES = frozenset({D.PENDING, D.RECTIFYING, D.AWAITING_ACCEPTANCE})
# States in which the rectification clock runs against the responsible unit.
DANGER_CLOCK_STATES = frozenset({D.PENDING, D.RECTIFYING})

# Incidents: response levels are started, adjusted and ended on record; the incident closes after.
INCIDENT_TRANSITIONS: tuple[EmergencyTransition, ...] = (
    _t(
        "start_response",
        {I.REPORTED, I.RECOVERY},
        I.RESPONDING,
        "command_incident",
        "启动应急响应",
        effect="start_response",
    ),
    _t(
        "adjust_response",
        {I.RESPONDING},
        None,
        "command_incident",
        "调整响应级别",
        effect="adjust_response",
    ),
    _t("end_response", {I.RESPONDING}, I.RECOVERY, "command_incident", "结束应急响应", effect="end_response"),
    _t("close", {I.REPORTED, I.RECOVERY}, I.CLOSED, "command_incident", "关闭事件", effect="closed"),
)
INCIDENT_OPEN_STATES = frozenset({I.REPORTED, I.RESPONDING, I.RECOVERY})

DANGERS: TransitionTable[EmergencyTransition] = TransitionTable(DANGER_TRANSITIONS)
INCIDENTS: TransitionTable[EmergencyTransition] = TransitionTable(INCIDENT_TRANSITIONS)
DANGER_ACTIONS = DANGERS.actions
INCIDENT_ACTIONS = INCIDENTS.actions
danger_transition = DANGERS.lookup
incident_transition = INCIDENTS.lookup
incident_actions_from = INCIDENTS.actions_from


def danger_actions_from(status: str) -> list[EmergencyTransition]:
    """The steps a person may offer (the sweep's escalation is the system's)."""
    return [t for t in DANGERS.actions_from(status) if t.permission]
