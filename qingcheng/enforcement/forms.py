"""The form behind each step of the penalty procedure (行政处罚程序) on the case page: its label, which
fields it asks for, and how the posted form becomes the parameters `services.penalty_case_act` takes.

Money is typed in yuan and becomes integer fen here; more than two decimals is refused rather than
rounded. Steps that two officers take together (第四十二条) get the "officers present" choice from the
transition table, not from this file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingcheng.core.errors import ValidationFailed
from qingcheng.core.inputs import date_in_range
from qingcheng.core.money import parse_yuan

from .models import Evidence
from .penalty.services import HEAVY_PENALTIES, SERVICE_METHODS, SUSPENSION_GROUNDS

MAX_ID = 2**31 - 1
MAX_OFFICERS = 20


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    # text, textarea, yuan, check, select, datetime, number, bank, level
    kind: str
    required: bool = False
    choices: tuple[tuple[str, Any], ...] = ()
    help: Any = ""


@dataclass(frozen=True)
class ActionForm:
    label: Any
    style: str  # Bootstrap button colour
    fields: tuple[Field, ...] = ()


OTHER_PENALTY_CHOICES: tuple[tuple[str, Any], ...] = (
    ("", _("None")),
    (
        "confiscate_large",
        _("Confiscation of large illegal gains or property (没收较大数额违法所得或非法财物)"),
    ),
    ("lower_qualification", _("Lowering of the qualification grade (降低资质等级)")),
    ("revoke_licence", _("Revocation of the licence (吊销许可证件)")),
    ("suspend_business", _("Suspension of production or business, closure (责令停产停业、责令关闭)")),
    ("restrict_practice", _("Restriction of practice (限制从业)")),
    ("other_heavy", _("Other heavier penalty (其他较重的行政处罚)")),
)
SERVICE_METHOD_CHOICES: tuple[tuple[str, Any], ...] = (
    ("direct", _("In person (直接送达)")),
    ("left_at_residence", _("Left at the residence (留置送达)")),
    ("post", _("By post (邮寄送达)")),
    ("electronic", _("Electronically, with the party's consent (电子送达)")),
    ("entrusted", _("Through another agency (委托送达)")),
    ("announcement", _("By public announcement (公告送达)")),
)
SUSPENSION_CHOICES: tuple[tuple[str, Any], ...] = (
    ("awaiting_other_case", _("Awaiting the outcome of a related case or decision")),
    ("awaiting_interpretation", _("Awaiting an interpretation of the law by the competent organ")),
    ("force_majeure", _("Force majeure prevents the investigation")),
    ("party_missing", _("The party cannot be found")),
    ("other", _("Another ground for suspending the investigation")),
)
# The choices above must be exactly the services' (a renamed key would post an invalid value).
assert {k for k, _label in OTHER_PENALTY_CHOICES if k} == set(HEAVY_PENALTIES)
assert {k for k, _label in SERVICE_METHOD_CHOICES} == set(SERVICE_METHODS)
assert {k for k, _label in SUSPENSION_CHOICES} == set(SUSPENSION_GROUNDS)

NOTE = Field("note", _("Note"), "textarea")
WARNING = Field("warning", _("Warning (警告)"), "check")
FINE = Field("fine_yuan", _("Fine (yuan)"), "yuan", help=_("At most two decimals, e.g. 200 or 150.50."))
CONFISCATION = Field("confiscation_yuan", _("Confiscated illegal gains (yuan)"), "yuan")
OTHER = Field("other_penalty", _("Heavier penalty"), "select", choices=OTHER_PENALTY_CHOICES)
LEVEL = Field("discretion_level_id", _("Discretion benchmark"), "level")
OPINION = Field("opinion_text", _("Review opinion"), "textarea", required=True)

ACTION_FORMS: dict[str, ActionForm] = {
    "approve_filing": ActionForm(_("Approve the filing (批准立案)"), "primary", (NOTE,)),
    "reject_filing": ActionForm(
        _("Refuse to file (不予立案)"), "outline-danger", (Field("note", _("Reason"), "textarea", True),)
    ),
    "extend_filing": ActionForm(
        _("Extend the filing decision by 10 working days (延长立案核查期限)"),
        "outline-warning",
        (
            Field(
                "note",
                _("Reason"),
                "textarea",
                True,
                help=_("Once only, for a complex case (住建部令第55号 第十五条)."),
            ),
        ),
    ),
    "record_investigation": ActionForm(
        _("Record an investigation (制作调查笔录)"),
        "outline-primary",
        (Field("record", _("Investigation record"), "textarea", required=True), NOTE),
    ),
    "start_testing": ActionForm(
        _("Send for testing or expert opinion (送检测/鉴定)"),
        "outline-secondary",
        (Field("note", _("What is tested, by whom"), "textarea"),),
    ),
    "end_testing": ActionForm(_("Testing result received (检测/鉴定结果取得)"), "outline-secondary", (NOTE,)),
    "end_investigation": ActionForm(
        _("End the investigation and propose a penalty (调查终结)"),
        "primary",
        (
            WARNING,
            FINE,
            CONFISCATION,
            OTHER,
            LEVEL,
            Field("is_major", _("Major case: needs the collective discussion (重大案件)"), "check"),
            Field("needs_legal_review", _("Needs the legal review (法制审核)"), "check"),
            Field("report", _("Investigation report"), "textarea", required=True),
            NOTE,
        ),
    ),
    "notify": ActionForm(_("Serve the notice of intended penalty (送达告知书)"), "primary", (NOTE,)),
    "record_statement": ActionForm(
        _("Record the party's statement (记录陈述申辩)"),
        "outline-primary",
        (Field("statement", _("Statement and objections"), "textarea", required=True), NOTE),
    ),
    "waive_rights": ActionForm(
        _("The party waived statements and hearing in writing (书面放弃)"), "outline-secondary", (NOTE,)
    ),
    "request_hearing": ActionForm(_("The party asks for a hearing (要求听证)"), "outline-warning", (NOTE,)),
    "proceed": ActionForm(_("Period over: go on to the decision (进入审查决定)"), "primary", (NOTE,)),
    "schedule_hearing": ActionForm(
        _("Serve the hearing notice (送达听证通知书)"),
        "primary",
        (
            Field(
                "scheduled_for",
                _("Hearing time"),
                "datetime",
                required=True,
                help=_("At least 7 working days after the notice is served."),
            ),
            Field("place", _("Hearing place"), "text", required=True),
            Field("public", _("Public hearing"), "check"),
            Field("agents", _("The party's agents (at most two)"), "text"),
            NOTE,
        ),
    ),
    "hold_hearing": ActionForm(
        _("Hold the hearing (举行听证)"),
        "primary",
        (Field("record", _("Hearing record"), "textarea", required=True), NOTE),
    ),
    "hearing_absent": ActionForm(
        _("The party did not come: hearing waived (缺席视为放弃)"), "outline-secondary", (NOTE,)
    ),
    "withdraw_hearing": ActionForm(
        _("The party withdrew the hearing request (撤回听证)"), "outline-secondary", (NOTE,)
    ),
    "request_legal_review": ActionForm(_("Submit for legal review (提交法制审核)"), "primary", (NOTE,)),
    "review_agree": ActionForm(_("Legal review: agree (同意)"), "success", (OPINION, NOTE)),
    "review_correct": ActionForm(_("Legal review: correct (纠正)"), "outline-warning", (OPINION, NOTE)),
    "review_supplement": ActionForm(
        _("Legal review: investigate further (补充调查)"), "outline-warning", (OPINION, NOTE)
    ),
    "review_transfer": ActionForm(
        _("Legal review: suspected crime, transfer (建议移送)"), "outline-danger", (OPINION, NOTE)
    ),
    "record_discussion": ActionForm(
        _("Record the heads' collective discussion (集体讨论)"),
        "outline-primary",
        (
            Field("participants", _("Participants"), "text", required=True),
            Field("conclusion", _("Conclusion"), "textarea", required=True),
            NOTE,
        ),
    ),
    "decide": ActionForm(
        _("Decide the penalty (作出处罚决定)"),
        "success",
        (
            WARNING,
            FINE,
            CONFISCATION,
            OTHER,
            LEVEL,
            Field("bank_id", _("Collecting bank"), "bank"),
            NOTE,
        ),
    ),
    "decide_no_penalty": ActionForm(
        _("Decide not to penalise (不予处罚)"),
        "outline-secondary",
        (Field("note", _("Reason"), "textarea", True),),
    ),
    "serve": ActionForm(
        _("Serve the decision (送达决定书)"),
        "primary",
        (
            Field("service_method", _("Service method"), "select", True, SERVICE_METHOD_CHOICES),
            Field("electronic_consent", _("The party signed the consent to electronic service"), "check"),
            NOTE,
        ),
    ),
    "confirm_execution": ActionForm(_("Confirm the penalty is executed (确认执行完毕)"), "success", (NOTE,)),
    "file_simplified": ActionForm(
        _("File the on-the-spot decision with the agency (备案)"), "primary", (NOTE,)
    ),
    "terminate": ActionForm(
        _("Terminate (终结)"), "outline-danger", (Field("note", _("Reason"), "textarea", True),)
    ),
    "suspend": ActionForm(
        _("Suspend (中止)"),
        "outline-secondary",
        (Field("ground", _("Ground"), "select", True, SUSPENSION_CHOICES), NOTE),
    ),
    "resume": ActionForm(_("Resume (恢复办理)"), "primary", (NOTE,)),
    "extend_decision": ActionForm(
        _("Extend the decision period (延长期限)"),
        "outline-warning",
        (
            Field(
                "days",
                _("Days"),
                "number",
                required=True,
                help=_("First extension at most 30 days; a further one at most 60, after the discussion."),
            ),
            Field("note", _("Reason"), "textarea", True),
        ),
    ),
    "close": ActionForm(_("Close the case (结案)"), "dark", (NOTE,)),
}

# Timeline entries that are not steps of the transition table.
EVENT_LABELS: dict[str, Any] = {
    "open": _("Proposed for filing (提出立案)"),
    "simplified": _("On-the-spot decision (当场处罚)"),
    "transfer": _("Transferred to the judicial organs (移送司法机关)"),
    "take_back": _("Taken back for administrative handling (退回行政处理)"),
    "payment_received": _("Fine paid (罚款缴清)"),
    "collect_evidence": _("Evidence collected (收集证据)"),
    "attach_evidence": _("Monitoring record added to the case (非现场执法记录归入)"),
    "payment_notice": _("Payment notice issued (缴款通知书)"),
    "bank_payment": _("Payment reported by the bank (银行缴款)"),
    "payment_callback_rejected": _("Bank report rejected, to reconcile (银行回执被拒)"),
    "payment_overdue": _("Payment period over (缴款逾期)"),
    "surcharge_suspended": _("Surcharge paused: review or litigation (加处罚款暂停)"),
    "surcharge_resumed": _("Surcharge runs again (加处罚款恢复)"),
    "collected_on_the_spot": _("Fine collected on the spot (当场收缴)"),
    "on_the_spot_handed_in": _("Cash handed in to the agency (交至机关)"),
    "on_the_spot_banked": _("Cash paid into the bank (缴付银行)"),
    "court_reminder": _("Written reminder served (催告)"),
    "court_applied": _("Court asked for compulsory execution (申请强制执行)"),
    "court_accepted": _("Accepted by the court (法院受理)"),
    "court_refused": _("Refused by the court (法院不予受理/执行)"),
    "court_executed": _("Executed by the court (法院执行完毕)"),
    "disclosure_publish": _("Decision published (公示)"),
    "disclosure_withdrawal_request": _("Withdrawal of the publication requested (申请撤回公示)"),
    "disclosure_withdraw": _("Publication withdrawn (撤回公示)"),
    "credit_repair_requested": _("Credit repair requested (申请信用修复)"),
    "credit_repair": _("Credit record repaired (信用修复)"),
    "credit_expired": _("Credit record publication period over (信用信息公示期满)"),
}


def event_label(action: str) -> Any:
    form = ACTION_FORMS.get(action)
    if form is not None:
        return form.label
    return EVENT_LABELS.get(action, action)


# ------------------------------------------------------------------------------------------- parsing


def whole_id(raw: Any, field: str) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationFailed("编号无效", "invalid id", field=field) from None
    if not 0 < value <= MAX_ID:
        raise ValidationFailed("编号无效", "invalid id", field=field)
    return value


def officer_ids(values: list[str]) -> list[int]:
    if len(values) > MAX_OFFICERS:
        raise ValidationFailed(
            f"在场执法人员最多 {MAX_OFFICERS} 人", f"at most {MAX_OFFICERS} officers", field="officer_ids"
        )
    return [whole_id(v, "officer_ids") for v in values if str(v).strip()]


def local_moment(raw: str, field: str) -> dt.datetime:
    """A `datetime-local` input (no offset) read in the bureau's time zone."""
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed("时间格式无效", "invalid date and time", field=field) from None
    date_in_range(moment, field, "时间", "the time")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def parse_action(action: str, post: Any) -> tuple[dict[str, Any], str]:
    """The parameters and the note of a posted step form; bad fields raise ValidationFailed (400).
    Empty optional fields are left out, so the case's own values stand."""
    form = ACTION_FORMS.get(action)
    if form is None:
        raise ValidationFailed("未知的操作", "unknown action", field="action", code="unknown_action")
    params: dict[str, Any] = {}
    note = ""
    for field in form.fields:
        if field.kind == "check":
            # A checkbox that is not ticked is not posted: an unticked box means no.
            params[field.name] = post.get(field.name) in ("on", "1", "true", "yes")
            continue
        raw = (post.get(field.name) or "").strip()
        if field.name == "note":
            note = raw
            continue
        if not raw:
            continue
        if field.kind == "yuan":
            params[field.name.replace("_yuan", "_fen")] = parse_yuan(raw, field.name)
        elif field.kind in ("bank", "level"):
            params[field.name] = whole_id(raw, field.name)
        elif field.kind == "datetime":
            params[field.name] = local_moment(raw, field.name).isoformat()
        elif field.kind == "select":
            if raw not in {value for value, _label in field.choices}:
                raise ValidationFailed("选项无效", "invalid choice", field=field.name)
            params[field.name] = raw
        else:
            params[field.name] = raw
    return params, note


# ------------------------------------------------------------------------------------- opening a case


EVIDENCE_KIND_CHOICES = Evidence.Kind.choices
CASE_OPEN_FIELDS = (
    "source",
    "violation_code",
    "facts",
    "address",
    "area_code",
    "party_kind",
    "party_name",
    "party_id_number",
    "party_address",
    "party_phone",
    "party_representative",
)


def parse_case_open(post: Any) -> dict[str, Any]:
    """The keyword arguments of `services.penalty_case_open` from the "new case" form."""
    data: dict[str, Any] = {name: (post.get(name) or "").strip() for name in CASE_OPEN_FIELDS}
    data["occurred_at"] = local_moment(post.get("occurred_at") or "", "occurred_at")
    if (post.get("discovered_at") or "").strip():
        data["discovered_at"] = local_moment(post.get("discovered_at"), "discovered_at")
    data["officer_ids"] = officer_ids(post.getlist("officer_ids"))
    if (post.get("discretion_level_id") or "").strip():
        data["discretion_level_id"] = whole_id(post.get("discretion_level_id"), "discretion_level_id")
    data.update(_coordinates(post))
    if not data["area_code"]:
        data.pop("area_code")
    return data


def parse_simplified(post: Any) -> dict[str, Any]:
    """The keyword arguments of `services.penalty_case_simplified` from the on-the-spot form."""
    data = parse_case_open(post)
    data.pop("source", None)
    data.pop("discovered_at", None)  # found on the spot: the decision is made when the lead is
    data["form_number"] = (post.get("form_number") or "").strip()
    data["warning"] = post.get("warning") in ("on", "1", "true", "yes")
    raw = (post.get("fine_yuan") or "").strip()
    data["fine_fen"] = parse_yuan(raw, "fine_yuan") if raw else 0
    if (post.get("bank_id") or "").strip():
        data["bank_id"] = whole_id(post.get("bank_id"), "bank_id")
    return data


def _coordinates(post: Any) -> dict[str, float]:
    result: dict[str, float] = {}
    for name, low, high in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        raw = (post.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            raise ValidationFailed("经纬度无效", "invalid coordinates", field=name) from None
        if not low <= value <= high:
            raise ValidationFailed("经纬度无效", "invalid coordinates", field=name)
        result[name] = value
    return result


# ------------------------------------------------------------------------------------------ transfers

TRANSFER_LABELS: dict[str, Any] = {
    "report": _("Report a suspected crime (移送书面报告)"),
    "approve": _("Approve the transfer (批准移送)"),
    "refuse": _("Refuse the transfer, with reasons (不批准移送)"),
    "send": _("Send to the police with the package (移送公安机关)"),
    "police_receipt": _("The police signed the receipt (回执)"),
    "police_forwarded": _("The police forwarded it to the competent unit (转送)"),
    "police_filed": _("The police filed the case (立案)"),
    "police_refused": _("The police refused to file (不予立案)"),
    "request_reconsideration": _("Ask the police to reconsider (提请复议)"),
    "reconsideration_filed": _("Reconsideration: filed (复议立案)"),
    "reconsideration_upheld": _("Reconsideration: refusal upheld (复议维持)"),
    "request_procuratorate": _("Ask the procuratorate to supervise (建议立案监督)"),
    "procuratorate_filed": _("Supervision: the police filed (监督立案)"),
    "procuratorate_upheld": _("Supervision: not filed, back to administrative handling (监督不立案)"),
    "hand_over": _("Hand over the goods and files (移交涉案物品)"),
    "return_to_admin": _("Handle it administratively (依法作出行政处理)"),
    "police_send_back": _("The police sent it back (公安移送回)"),
}
PACKAGE_CHOICES: tuple[tuple[str, Any], ...] = (
    ("transfer_letter", _("Transfer letter (涉嫌犯罪案件移送书)")),
    ("investigation_report", _("Investigation report (涉嫌犯罪案件情况的调查报告)")),
    ("goods_list", _("List of goods involved (涉案物品清单)")),
    ("test_report", _("Test report or expert opinion (检验报告或者鉴定结论)")),
    ("other", _("Other materials (其他有关涉嫌犯罪的材料)")),
)


def transfer_label(action: str) -> Any:
    return TRANSFER_LABELS.get(action, action)


def parse_goods(raw: str) -> list[dict[str, str]]:
    """One good a line: "name, quantity, note" (Chinese or Latin commas, or tabs)."""
    goods = []
    for line in (raw or "").splitlines():
        parts = [p.strip() for p in re.split(r"[,，\t]", line, maxsplit=2)]
        if parts and parts[0]:
            goods.append(
                {
                    "name": parts[0],
                    "quantity": parts[1] if len(parts) > 1 else "",
                    "note": parts[2] if len(parts) > 2 else "",
                }
            )
    return goods


def parse_transfer(step: Any, post: Any) -> dict[str, Any]:
    """The keyword arguments of `transfers.transfer_act` (besides actor, transfer and action) from a
    posted transfer step form."""
    data: dict[str, Any] = {"note": (post.get("note") or "").strip()}
    if step.two_officers:
        data["officer_ids"] = officer_ids(post.getlist("officer_ids"))
    for name in step.requires:
        if name == "documents":
            data["documents"] = [v for v in post.getlist("documents") if v]
        else:
            data[name] = (post.get(name) or "").strip()
    if step.action in ("send", "hand_over") and (post.get("goods_list") or "").strip():
        data["goods_list"] = parse_goods(post.get("goods_list"))
    if step.external and (post.get("at") or "").strip():
        data["at"] = local_moment(post.get("at"), "at")
    return data
