"""The penalty procedure (行政处罚程序) as one explicit table on the workflow kernel (`core.workflow`):
(state, action) → permission, next state, guards, effect.

Services consult this table and nothing else to decide whether an action is allowed; the property test
walks random action sequences through it. Guards are names the service evaluates against the case
(`services.GUARDS`); effects are names of the handlers in `services.EFFECTS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from qingcheng.core.workflow import Transition, TransitionTable

from ..models import PenaltyCase

S = PenaltyCase.Status

# States in which the case is still being worked; suspension (中止) is possible from any of them.
ACTIVE_STATES = frozenset(
    {S.INVESTIGATING, S.REVIEWING, S.NOTIFIED, S.HEARING, S.DECIDING, S.LEGAL_REVIEW, S.DECIDED, S.EXECUTING}
)
# States before the decision, in which the 90-day decision period runs.
PRE_DECISION_STATES = frozenset(
    {S.INVESTIGATING, S.REVIEWING, S.NOTIFIED, S.HEARING, S.DECIDING, S.LEGAL_REVIEW}
)
FINAL_STATES = frozenset({S.NOT_FILED, S.CLOSED})


@dataclass(frozen=True)
class PenaltyTransition(Transition):
    two_officers: bool = False  # at least two officers present, the actor among them (第四十二条)
    guards: tuple[str, ...] = ()
    procedure: str = ""  # "" any; otherwise only cases of that procedure


Row = TypeVar("Row", bound=Transition)


def table_row(
    kind: type[Row],
    action: str,
    sources: Iterable[str],
    target: str | None,
    permission: str,
    label_zh: str,
    **kw: Any,
) -> Row:
    """One row of an enforcement table, written positionally as the tables of the law read: action,
    from which states, to which state, whose permission, what the step is called."""
    return kind(
        action=action,
        sources=frozenset(sources),
        target=target,
        permission=permission,
        label_zh=label_zh,
        **kw,
    )


_t = partial(table_row, PenaltyTransition)

INVESTIGATE = "enforcement.investigate_penaltycase"
APPROVE = "enforcement.approve_penaltycase"
REVIEW = "enforcement.review_penaltycase"
PRESIDE = "enforcement.preside_hearing"
G = PenaltyCase.Procedure.GENERAL
SIMPLE = PenaltyCase.Procedure.SIMPLIFIED

TRANSITIONS: tuple[PenaltyTransition, ...] = (
    # 立案: the head decides on the filing form (立案审批表) within 15 working days of the lead, once
    # extendable by 10 with the head's approval (住建部令第55号 第十五条); filing starts the 90-day period.
    _t("approve_filing", {S.PROPOSED}, S.INVESTIGATING, APPROVE, "批准立案", effect="start_decision_period"),
    _t("reject_filing", {S.PROPOSED}, S.NOT_FILED, APPROVE, "不予立案", effect="filing_refused"),
    _t(
        "extend_filing",
        {S.PROPOSED},
        None,
        APPROVE,
        "延长立案核查期限",
        guards=("filing_period_running", "filing_not_extended"),
        effect="extend_filing",
    ),
    # 调查取证: every investigative step by at least two officers.
    _t(
        "record_investigation",
        {S.INVESTIGATING},
        None,
        INVESTIGATE,
        "制作调查笔录",
        two_officers=True,
        effect="investigation_record",
    ),
    _t(
        "start_testing",
        {S.INVESTIGATING},
        None,
        INVESTIGATE,
        "送检测/鉴定",
        two_officers=True,
        effect="exclude_start",
    ),
    _t(
        "end_testing",
        {S.INVESTIGATING},
        None,
        INVESTIGATE,
        "检测/鉴定结果取得",
        two_officers=True,
        guards=("testing_open",),
        effect="exclude_end",
    ),
    _t(
        "end_investigation",
        {S.INVESTIGATING},
        S.REVIEWING,
        INVESTIGATE,
        "调查终结",
        two_officers=True,
        guards=("no_open_exclusion",),  # the intended penalty comes with this step; the effect checks it
        effect="assess_rights",
    ),
    # 告知: the notice of the intended penalty, its facts, reasons, basis and the party's rights.
    _t(
        "notify",
        {S.REVIEWING},
        S.NOTIFIED,
        INVESTIGATE,
        "送达行政处罚告知书",
        two_officers=True,
        guards=("penalty_proposed",),
        effect="start_rights_periods",
    ),
    _t(
        "record_statement",
        {S.NOTIFIED},
        None,
        INVESTIGATE,
        "记录陈述申辩",
        two_officers=True,
        effect="statement",
    ),
    _t(
        "waive_rights",
        {S.NOTIFIED},
        None,
        INVESTIGATE,
        "当事人书面放弃陈述申辩和听证",
        two_officers=True,
        effect="rights_waived",
    ),
    _t(
        "request_hearing",
        {S.NOTIFIED},
        S.HEARING,
        INVESTIGATE,
        "当事人要求听证",
        guards=("hearing_right", "hearing_window_open"),
        effect="hearing_requested",
    ),
    _t(
        "proceed",
        {S.NOTIFIED},
        S.DECIDING,
        INVESTIGATE,
        "陈述申辩期满，进入审查决定",
        guards=("rights_period_over",),
        effect="rights_periods_end",
    ),
    # 听证: presided by someone who did not investigate; notice at least 7 working days ahead.
    _t(
        "schedule_hearing",
        {S.HEARING},
        None,
        PRESIDE,
        "送达听证通知书",
        guards=("not_investigator", "hearing_notice_period"),
        effect="hearing_scheduled",
    ),
    _t(
        "hold_hearing",
        {S.HEARING},
        S.DECIDING,
        PRESIDE,
        "举行听证，制作听证笔录",
        guards=("not_investigator", "hearing_due"),
        effect="hearing_held",
    ),
    _t(
        "hearing_absent",
        {S.HEARING},
        S.DECIDING,
        PRESIDE,
        "当事人无正当理由缺席，视为放弃听证",
        guards=("not_investigator", "hearing_due"),
        effect="hearing_absent",
    ),
    _t(
        "withdraw_hearing",
        {S.HEARING},
        S.DECIDING,
        INVESTIGATE,
        "当事人撤回听证申请",
        two_officers=True,
        effect="hearing_withdrawn",
    ),
    # 法制审核 and 集体讨论 before the decision where required.
    _t(
        "request_legal_review",
        {S.DECIDING},
        S.LEGAL_REVIEW,
        INVESTIGATE,
        "提交法制审核",
        effect="start_legal_review",
    ),
    _t("review_agree", {S.LEGAL_REVIEW}, S.DECIDING, REVIEW, "法制审核：同意", effect="legal_review_done"),
    _t("review_correct", {S.LEGAL_REVIEW}, S.DECIDING, REVIEW, "法制审核：纠正", effect="legal_review_done"),
    _t(
        "review_supplement",
        {S.LEGAL_REVIEW},
        S.INVESTIGATING,
        REVIEW,
        "法制审核：补充调查",
        effect="legal_review_reopen",
    ),
    _t(
        "review_transfer",
        {S.LEGAL_REVIEW},
        S.DECIDING,
        REVIEW,
        "法制审核：涉嫌犯罪，建议移送",
        effect="legal_review_done",
    ),
    _t("record_discussion", {S.DECIDING}, None, APPROVE, "负责人集体讨论", effect="discussion_done"),
    # 决定: only after notice (or waiver), the hearing right honoured, review and discussion done.
    _t(
        "decide",
        {S.DECIDING},
        S.DECIDED,
        APPROVE,
        "作出行政处罚决定",
        guards=(
            "notice_given",
            "hearing_settled",
            "legal_review_settled",
            "discussion_settled",
            "not_heavier_than_notice",
            "no_transfer_pending",
        ),
        effect="decided",
    ),
    _t(
        "decide_no_penalty",
        {S.REVIEWING, S.DECIDING},
        S.NO_PENALTY,
        APPROVE,
        "决定不予行政处罚",
        effect="start_closing",
    ),
    _t("transfer", {S.INVESTIGATING, S.REVIEWING, S.DECIDING}, S.TRANSFERRED, "", "涉嫌犯罪，移送司法机关"),
    _t("take_back", {S.TRANSFERRED}, S.REVIEWING, "", "公安不予立案/退回，依法作出行政处理"),
    # 送达 and 执行.
    _t(
        "serve",
        {S.DECIDED},
        S.EXECUTING,
        INVESTIGATE,
        "送达行政处罚决定书",
        two_officers=True,
        effect="served",
    ),
    _t(
        "confirm_execution",
        {S.EXECUTING},
        S.EXECUTED,
        INVESTIGATE,
        "确认执行完毕",
        two_officers=True,
        guards=("nothing_unpaid",),
        effect="start_closing",
    ),
    _t("payment_received", {S.EXECUTING}, S.EXECUTED, "", "罚款缴清（银行回执）", effect="start_closing"),
    _t(
        "file_simplified",
        {S.EXECUTING, S.EXECUTED},
        None,
        INVESTIGATE,
        "当场处罚决定报所属机关备案",
        guards=("simplified_not_filed",),
        effect="simplified_filed",
        procedure=SIMPLE,
    ),
    _t(
        "terminate",
        ACTIVE_STATES - {S.DECIDED},
        S.TERMINATED,
        APPROVE,
        "终结（终止调查/终结执行）",
        effect="start_closing",
    ),
    # 中止 and the decision period's extensions (住建部令第55号 第二十九、三十条).
    _t("suspend", ACTIVE_STATES, S.SUSPENDED, APPROVE, "中止", effect="suspend"),
    _t("resume", {S.SUSPENDED}, None, APPROVE, "恢复办理", effect="resume"),
    _t(
        "extend_decision",
        PRE_DECISION_STATES,
        None,
        APPROVE,
        "延长决定期限",
        guards=("may_extend",),
        effect="extend",
    ),
    # 结案: closing approval within 15 working days of execution or another ending.
    _t(
        "close",
        {S.EXECUTED, S.NO_PENALTY, S.TERMINATED},
        S.CLOSED,
        APPROVE,
        "结案",
        guards=("simplified_filed_if_simplified",),
        effect="closed",
    ),
)

TABLE: TransitionTable[PenaltyTransition] = TransitionTable(TRANSITIONS)
ACTIONS: tuple[str, ...] = TABLE.actions
SYSTEM_ACTIONS = frozenset(t.action for t in TRANSITIONS if not t.permission)
transition = TABLE.lookup
actions_from = TABLE.actions_from
