"""The transfer of a suspected crime to the police (行刑衔接, 国务院令第310号《行政执法机关移送涉嫌犯罪案件的
规定》, revised 2020-08-07) as one explicit table: (state, action) → permission, next state, the deadline
the step meets and the deadline it starts.

The services in `transfers.py` consult this table (on the workflow kernel, `core.workflow`) and nothing
else, and apply its effects through `transfers.EFFECTS`; the property test walks random action
sequences through it. Steps marked `external` record what the police or the procuratorate did (the
agency learns of it from their written notice), so they may carry the time that notice arrived.

Periods (all counted from the step that starts them, the start day not counted):
- 第五条第二款: the head decides within 3 days of receiving the written report; an approved case goes to
  the police within 24 hours.
- 第八条: the police review within 3 days of accepting the case.
- 第九条: the agency may ask the police to reconsider within 3 days of the refusal notice; the police
  answer within 3 days; if the agency still disagrees it asks the procuratorate for 立案监督 within 3
  days of the answer.
- 第十二条: goods and files are handed over within 3 days of the police filing notice (立案通知书).

"3日" is counted here as calendar days whose last day rolls to the next working day when it is a rest day
(`core.worktime.add_calendar_days`); "24小时" is clock time (`add_clock_hours`). The regulation does not
say whether its "3日" are working days (行政处罚法 第八十五条 covers only that law), so this reading is
[UNVERIFIED]: local rules may count working days, and then these deadlines are early, never late.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from qingcheng.core.models import Deadline
from qingcheng.core.workflow import Transition, TransitionTable

from ..models import CrimeTransfer
from ..penalty.workflow import table_row

T = CrimeTransfer.Status
K = Deadline.Kind

INVESTIGATE = "enforcement.investigate_penaltycase"
DECIDE = "enforcement.decide_crimetransfer"
REPORT = "enforcement.add_crimetransfer"
VIEW = "enforcement.view_crimetransfer"


@dataclass(frozen=True)
class Period:
    kind: str
    amount: int
    basis: str
    label_zh: str
    police: bool = False  # a period the police must keep (the agency only records it)
    window: bool = False  # a right of the agency that lapses, not a duty


PERIODS: dict[str, Period] = {
    "head_decision": Period(K.CALENDAR_DAYS, 3, "国务院令第310号 第五条第二款", "负责人审批（3日）"),
    "transfer": Period(K.CLOCK_HOURS, 24, "国务院令第310号 第五条第二款", "批准后移送公安机关（24小时）"),
    "police_review": Period(K.CALENDAR_DAYS, 3, "国务院令第310号 第八条", "公安机关审查（3日）", police=True),
    "reconsideration_request": Period(
        K.CALENDAR_DAYS, 3, "国务院令第310号 第九条第一款", "提请复议（3日）", window=True
    ),
    "police_answer": Period(
        K.CALENDAR_DAYS, 3, "国务院令第310号 第九条第二款", "公安机关复议决定（3日）", police=True
    ),
    "procuratorate_request": Period(
        K.CALENDAR_DAYS, 3, "国务院令第310号 第九条第二款", "建议检察院立案监督（3日）", window=True
    ),
    "hand_over": Period(K.CALENDAR_DAYS, 3, "国务院令第310号 第十二条", "移交涉案物品及材料（3日）"),
}

# The package sent with the case (第六条). The first three always go; a test report only when there is one.
PACKAGE: dict[str, str] = {
    "transfer_letter": "涉嫌犯罪案件移送书",
    "investigation_report": "涉嫌犯罪案件情况的调查报告",
    "goods_list": "涉案物品清单",
    "test_report": "有关检验报告或者鉴定结论",
    "other": "其他有关涉嫌犯罪的材料",
}
PACKAGE_REQUIRED = ("transfer_letter", "investigation_report", "goods_list")


@dataclass(frozen=True)
class TransferTransition(Transition):
    two_officers: bool = False  # at least two officers act, the actor among them (第五条: 2名以上)
    meets: bool = False  # the step is the one the running period waits for; late if after its due time
    starts: str = ""  # the period (PERIODS key) that runs from this step
    requires: tuple[str, ...] = ()  # parameters that must be given
    guards: tuple[str, ...] = ()
    external: bool = False  # records the police's or the procuratorate's act


_t = partial(table_row, TransferTransition)


# After the transfer the police may send the case back at any time (第十三条).
AFTER_TRANSFER = frozenset(
    {T.TRANSFERRED, T.POLICE_REVIEWING, T.POLICE_FILED, T.HANDED_OVER, T.RECONSIDERATION, T.PROCURATORATE}
)
TERMINAL_STATES = frozenset({T.RETURNED})
# Awaiting the head: the penalty case is still in its own procedure but may not be decided meanwhile
# (第十一条: no penalty in place of a transfer). From the approval on, the penalty case is TRANSFERRED.
PENDING_STATES = frozenset({T.REPORTED})

TRANSITIONS: tuple[TransferTransition, ...] = (
    # 第五条: a task team of at least two officers writes the report; the head decides within 3 days.
    _t(
        "report",
        (),
        T.REPORTED,
        REPORT,
        "专案组提出移送涉嫌犯罪案件的书面报告",
        two_officers=True,
        starts="head_decision",
        guards=("penalty_case_transferable", "no_open_transfer"),
    ),
    _t(
        "approve",
        {T.REPORTED},
        T.APPROVED,
        DECIDE,
        "负责人批准移送",
        meets=True,
        starts="transfer",
        guards=("penalty_case_transferable",),
        effect="penalty_transfer",
    ),
    _t(
        "refuse",
        {T.REPORTED},
        T.NOT_APPROVED,
        DECIDE,
        "负责人不批准移送，理由记录在案",
        meets=True,
        requires=("reasons",),
    ),
    # 第五条、第六条: to the same-level police within 24 hours, with the package.
    _t(
        "send",
        {T.APPROVED},
        T.TRANSFERRED,
        INVESTIGATE,
        "向公安机关移送（附移送书、调查报告、涉案物品清单等）",
        two_officers=True,
        meets=True,
        requires=("police_unit", "documents"),
    ),
    # 第七条: the police sign the receipt; a unit without jurisdiction forwards it and tells the agency.
    _t(
        "police_receipt",
        {T.TRANSFERRED},
        T.POLICE_REVIEWING,
        INVESTIGATE,
        "公安机关在移送书回执上签字",
        starts="police_review",
        external=True,
    ),
    _t(
        "police_forwarded",
        {T.POLICE_REVIEWING},
        T.POLICE_REVIEWING,
        INVESTIGATE,
        "公安机关转送有管辖权的机关并书面告知",
        starts="police_review",
        requires=("police_unit",),
        external=True,
    ),
    # 第八条: the police decide within 3 days and notify in writing.
    _t(
        "police_filed",
        {T.POLICE_REVIEWING},
        T.POLICE_FILED,
        INVESTIGATE,
        "公安机关决定立案（立案通知书）",
        meets=True,
        starts="hand_over",
        external=True,
    ),
    _t(
        "police_refused",
        {T.POLICE_REVIEWING},
        T.POLICE_REFUSED,
        INVESTIGATE,
        "公安机关不予立案（不予立案通知书）",
        meets=True,
        starts="reconsideration_request",
        requires=("reasons",),
        external=True,
    ),
    # 第九条: reconsideration by the police, then the procuratorate's supervision.
    _t(
        "request_reconsideration",
        {T.POLICE_REFUSED},
        T.RECONSIDERATION,
        DECIDE,
        "提请公安机关复议",
        meets=True,
        starts="police_answer",
        guards=("not_reconsidered",),
    ),
    _t(
        "reconsideration_filed",
        {T.RECONSIDERATION},
        T.POLICE_FILED,
        INVESTIGATE,
        "复议决定：立案",
        meets=True,
        starts="hand_over",
        external=True,
    ),
    _t(
        "reconsideration_upheld",
        {T.RECONSIDERATION},
        T.POLICE_REFUSED,
        INVESTIGATE,
        "复议决定：维持不予立案",
        meets=True,
        starts="procuratorate_request",
        requires=("reasons",),
        external=True,
    ),
    _t(
        "request_procuratorate",
        {T.POLICE_REFUSED},
        T.PROCURATORATE,
        DECIDE,
        "建议人民检察院进行立案监督",
        meets=True,
    ),
    _t(
        "procuratorate_filed",
        {T.PROCURATORATE},
        T.POLICE_FILED,
        INVESTIGATE,
        "立案监督：公安机关立案",
        starts="hand_over",
        external=True,
    ),
    _t(
        "procuratorate_upheld",
        {T.PROCURATORATE},
        T.RETURNED,
        INVESTIGATE,
        "立案监督：不予立案，退回行政处理",
        requires=("reasons",),
        effect="take_back",
        external=True,
    ),
    # 第十二条: goods and files within 3 days of the filing notice.
    _t(
        "hand_over",
        {T.POLICE_FILED},
        T.HANDED_OVER,
        INVESTIGATE,
        "移交涉案物品及有关材料，办结交接手续",
        two_officers=True,
        meets=True,
    ),
    # 第十条: after a refusal (or the head's non-approval) the agency handles the case itself.
    _t(
        "return_to_admin",
        {T.NOT_APPROVED, T.POLICE_REFUSED},
        T.RETURNED,
        DECIDE,
        "依法作出行政处理",
        effect="take_back",
    ),
    # 第十三条: the police send back a case that needs only administrative liability.
    _t(
        "police_send_back",
        AFTER_TRANSFER,
        T.RETURNED,
        INVESTIGATE,
        "公安机关移送回行政执法机关（仅需追究行政责任）",
        requires=("reasons",),
        effect="take_back",
        external=True,
    ),
)

TABLE: TransitionTable[TransferTransition] = TransitionTable(TRANSITIONS)
ACTIONS: tuple[str, ...] = TABLE.actions
CREATE = next(t for t in TRANSITIONS if not t.sources)
# Every (from, to) pair a recorded step may show; ("", REPORTED) is the report that creates the transfer.
PAIRS: frozenset[tuple[str, str]] = frozenset(
    {("", CREATE.target)} | {(s, t.target) for t in TRANSITIONS for s in t.sources}
)
transition = TABLE.lookup
actions_from = TABLE.actions_from
