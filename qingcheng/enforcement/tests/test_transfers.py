"""The transfer of suspected crimes (行刑衔接, 国务院令第310号): steps, deadlines, the penalty case it moves,
and the procuratorate's read-only view."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from qingcheng.core import clock
from qingcheng.core.audit import audit_verify
from qingcheng.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.core.models import AuditEntry
from qingcheng.core.workflow import InvalidTransition
from qingcheng.enforcement.common import GuardFailed
from qingcheng.enforcement.models import CrimeTransfer, PenaltyCase, PenaltyDocument, TransferEvent
from qingcheng.enforcement.transfers.services import (
    RECORDERS,
    transfer_act,
    transfer_get,
    transfer_list,
    transfer_pending,
    transfer_report,
    transfer_sweep,
    transfer_view,
)
from qingcheng.enforcement.transfers.workflow import CREATE, PAIRS, TABLE

pytestmark = pytest.mark.django_db

CST = ZoneInfo("Asia/Shanghai")
T = CrimeTransfer.Status
PACKAGE = ["transfer_letter", "investigation_report", "goods_list"]
GOODS = [{"name": "假冒烟草制品", "quantity": "120条", "note": "已先行登记保存"}]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def report(enf, case=None, when="2026-03-09T09:00", **kw):
    with clock.at(at(when)):
        return transfer_report(
            actor=enf["officer"],
            officer_ids=[enf["officer2"].pk],
            suspected_offence="涉嫌销售伪劣产品罪",
            summary="当事人张三（电话13800001234，身份证150105199001011234）销售假冒烟草，货值约八万元",
            penalty_case=case,
            goods_list=GOODS,
            **kw,
        )


def act(enf, transfer, action, when, role="officer", **kw):
    if action in ("send", "hand_over"):
        kw.setdefault("officer_ids", [enf["officer2"].pk])
    if action == "send":
        kw.setdefault("police_unit", "呼和浩特市公安局赛罕区分局")
        kw.setdefault("documents", PACKAGE)
    with clock.at(at(when)):
        return transfer_act(actor=enf[role], transfer=transfer, action=action, **kw)


def last(transfer) -> TransferEvent:
    return TransferEvent.objects.filter(transfer=transfer).order_by("-at", "-pk").first()


def test_every_step_after_the_report_has_a_recorder_and_every_recorder_a_step():
    assert set(RECORDERS) == set(TABLE.actions) - {CREATE.action}


# ------------------------------------------------------------------------------------------- deadlines


def test_head_decision_due_three_calendar_days_later_rolling_off_a_holiday(enf):
    # Reported Monday 2025-09-29; day 3 is 2 October, inside the National Day holiday (1–8 October), so the
    # last day rolls to the first working day after it, Thursday 9 October.
    transfer = report(enf, when="2025-09-29T10:00")
    event = last(transfer)
    assert (event.action, event.from_status, event.to_status) == ("report", "", T.REPORTED)
    assert event.next_due_at == at("2025-10-09T23:59:59")
    assert event.next_deadline.kind == "calendar_days"
    assert event.next_deadline.purpose == "enforcement.transfer.head_decision"
    assert not event.late


def test_rest_days_inside_the_period_count(enf):
    # Friday + 3 calendar days = Monday (the weekend counts; only the last day would roll).
    transfer = report(enf, when="2026-03-06T16:00")
    assert last(transfer).next_due_at == at("2026-03-09T23:59:59")


def test_transfer_due_24_clock_hours_after_approval_across_midnight_and_late_flag(enf):
    transfer = report(enf, when="2026-03-09T09:00")
    act(enf, transfer, "approve", "2026-03-09T15:30", role="head")
    approved = last(transfer)
    assert approved.next_due_at == at("2026-03-10T15:30")
    assert approved.next_deadline.kind == "clock_hours"
    assert not approved.late  # the head decided the same day, well within 3 days
    act(enf, transfer, "send", "2026-03-10T15:30:01")
    sent = last(transfer)
    assert sent.late is True
    assert sent.next_due_at is None  # nothing runs until the police sign the receipt


def test_sending_exactly_at_the_due_time_is_not_late(enf):
    transfer = report(enf, when="2026-03-09T09:00")
    act(enf, transfer, "approve", "2026-03-09T23:00", role="head")
    act(enf, transfer, "send", "2026-03-10T23:00")
    assert last(transfer).late is False


def test_head_deciding_after_three_days_is_recorded_late(enf):
    transfer = report(enf, when="2026-03-06T16:00")
    act(enf, transfer, "approve", "2026-03-10T00:00:01", role="head")
    assert last(transfer).late is True


def test_police_steps_take_the_time_of_their_notice_and_are_judged_by_it(enf):
    transfer = report(enf, when="2026-03-09T09:00")
    act(enf, transfer, "approve", "2026-03-09T10:00", role="head")
    act(enf, transfer, "send", "2026-03-09T14:00")
    act(enf, transfer, "police_receipt", "2026-03-09T16:00")
    assert last(transfer).next_due_at == at("2026-03-12T23:59:59")
    # The filing notice reached us on the 12th; it is entered on the 16th: on time.
    act(enf, transfer, "police_filed", "2026-03-16T09:00", at=at("2026-03-12T18:00"))
    filed = last(transfer)
    assert filed.at == at("2026-03-12T18:00") and not filed.late
    # Hand-over within 3 days of the filing notice (第十二条): day 3 is Sunday the 15th, so Monday the 16th.
    assert filed.next_due_at == at("2026-03-16T23:59:59")
    transfer.refresh_from_db()
    assert transfer.police_decided_at == at("2026-03-12T18:00")
    with pytest.raises(ValidationFailed):  # a notice cannot arrive in the future
        act(enf, transfer, "police_send_back", "2026-03-16T10:00", at=at("2026-03-17T10:00"), reasons="x")
    with pytest.raises(ValidationFailed) as own:  # the agency's own steps happen when they are recorded
        act(enf, transfer, "hand_over", "2026-03-16T10:00", at=at("2026-03-15T10:00"))
    assert own.value.code == "time_not_allowed"
    assert CrimeTransfer.objects.get(pk=transfer.pk).status == T.POLICE_FILED


def test_a_notice_time_before_the_previous_step_is_refused(enf):
    transfer = report(enf, when="2026-03-09T09:00")
    act(enf, transfer, "approve", "2026-03-09T10:00", role="head")
    act(enf, transfer, "send", "2026-03-09T14:00")
    with pytest.raises(ValidationFailed):
        act(enf, transfer, "police_receipt", "2026-03-09T16:00", at=at("2026-03-09T13:00"))
    assert CrimeTransfer.objects.get(pk=transfer.pk).status == T.TRANSFERRED


def test_police_review_overdue_is_late_and_the_sweep_reports_it_once(enf):
    transfer = report(enf, when="2026-03-09T09:00")
    act(enf, transfer, "approve", "2026-03-09T10:00", role="head")
    act(enf, transfer, "send", "2026-03-09T14:00")
    act(enf, transfer, "police_receipt", "2026-03-09T16:00")
    counts = transfer_sweep(now=at("2026-03-12T12:00"))
    assert counts == {"running": 1, "due_soon": 1, "overdue": 0, "newly_overdue": 0}
    counts = transfer_sweep(now=at("2026-03-13T00:00"))
    assert counts == {"running": 1, "due_soon": 0, "overdue": 1, "newly_overdue": 1}
    assert transfer_sweep(now=at("2026-03-13T08:00"))["newly_overdue"] == 0
    entry = AuditEntry.objects.get(action="enforcement.transfer.overdue")
    after = json.loads(entry.changes)["after"]
    assert after["purpose"] == "police_review" and after["police"] is True
    act(enf, transfer, "police_refused", "2026-03-13T09:00", reasons="不构成犯罪（测试）")
    assert last(transfer).late is True


# ------------------------------------------------------------------------------------------ the paths


def test_filed_path_moves_the_penalty_case_and_files_the_package(enf, make_penalty_case):
    case = make_penalty_case(PenaltyCase.Status.INVESTIGATING)
    transfer = report(enf, case=case)
    assert transfer.area_code == case.area_code
    assert set(transfer.team.values_list("pk", flat=True)) == {enf["officer"].pk, enf["officer2"].pk}
    assert transfer_pending(case)
    act(enf, transfer, "approve", "2026-03-09T10:00", role="head")
    case.refresh_from_db()
    assert case.status == PenaltyCase.Status.TRANSFERRED
    assert not transfer_pending(case)
    act(enf, transfer, "send", "2026-03-09T14:00", documents=[*PACKAGE, "test_report"])
    documents = PenaltyDocument.objects.filter(case=case, kind=PenaltyDocument.Kind.OTHER)
    assert sorted(d.fields["package_item"] for d in documents) == sorted([*PACKAGE, "test_report"])
    assert documents.get(fields__package_item="transfer_letter").number == transfer.number
    assert "涉案物品清单" in last(transfer).note
    act(enf, transfer, "police_receipt", "2026-03-09T16:00")
    act(enf, transfer, "police_filed", "2026-03-11T10:00")
    handed = [{"name": "假冒烟草制品", "quantity": "118条"}]
    act(enf, transfer, "hand_over", "2026-03-12T10:00", goods_list=handed)
    transfer.refresh_from_db()
    assert transfer.status == T.HANDED_OVER
    assert transfer.goods_list == [{"name": "假冒烟草制品", "quantity": "118条", "note": ""}]
    assert transfer.police_unit == "呼和浩特市公安局赛罕区分局"
    assert (transfer.transferred_at, transfer.receipt_at, transfer.handed_over_at) == (
        at("2026-03-09T14:00"),
        at("2026-03-09T16:00"),
        at("2026-03-12T10:00"),
    )
    events = list(TransferEvent.objects.filter(transfer=transfer).order_by("at", "pk"))
    assert [e.action for e in events] == [
        "report",
        "approve",
        "send",
        "police_receipt",
        "police_filed",
        "hand_over",
    ]
    assert all((e.from_status, e.to_status) in PAIRS for e in events)
    assert not any(e.late for e in events)
    case.refresh_from_db()
    assert case.status == PenaltyCase.Status.TRANSFERRED  # the criminal process has it now
    assert audit_verify().ok


def test_refused_path_through_reconsideration_and_procuratorate_back_to_the_penalty_case(
    enf, make_penalty_case
):
    case = make_penalty_case(PenaltyCase.Status.REVIEWING)
    transfer = report(enf, case=case)
    act(enf, transfer, "approve", "2026-03-09T10:00", role="head")
    act(enf, transfer, "send", "2026-03-09T14:00")
    act(enf, transfer, "police_receipt", "2026-03-09T16:00")
    act(enf, transfer, "police_refused", "2026-03-11T10:00", reasons="犯罪事实显著轻微（测试）")
    assert last(transfer).next_due_at == at("2026-03-14T23:59:59") + dt.timedelta(days=2)  # Sat → Mon
    act(enf, transfer, "request_reconsideration", "2026-03-12T10:00", role="head")
    assert last(transfer).next_due_at == at("2026-03-16T23:59:59")  # Sunday rolls to Monday
    act(enf, transfer, "reconsideration_upheld", "2026-03-13T10:00", reasons="维持（测试）")
    with pytest.raises(GuardFailed) as refused:  # one reconsideration only (第九条)
        act(enf, transfer, "request_reconsideration", "2026-03-13T11:00", role="head")
    assert refused.value.code == "precondition_not_reconsidered"
    act(enf, transfer, "request_procuratorate", "2026-03-14T10:00", role="head")
    act(enf, transfer, "procuratorate_upheld", "2026-04-01T10:00", reasons="监督后仍不立案（测试）")
    transfer.refresh_from_db()
    assert transfer.status == T.RETURNED and transfer.returned_at == at("2026-04-01T10:00")
    case.refresh_from_db()
    assert case.status == PenaltyCase.Status.REVIEWING  # taken back for administrative handling (第十条)
    assert case.events.filter(action="take_back").count() == 1


def test_head_refusal_needs_reasons_and_leaves_the_penalty_case_alone(enf, make_penalty_case):
    case = make_penalty_case(PenaltyCase.Status.INVESTIGATING)
    transfer = report(enf, case=case)
    with pytest.raises(ValidationFailed):
        act(enf, transfer, "refuse", "2026-03-09T10:00", role="head", reasons="  ")
    act(enf, transfer, "refuse", "2026-03-09T10:00", role="head", reasons="未达追诉标准（测试）")
    transfer.refresh_from_db()
    assert transfer.status == T.NOT_APPROVED
    assert transfer.refusal_reasons == "未达追诉标准（测试）"
    assert transfer.decided_by == enf["head"]
    act(enf, transfer, "return_to_admin", "2026-03-09T11:00", role="head")
    case.refresh_from_db()
    assert case.status == PenaltyCase.Status.INVESTIGATING
    assert not case.events.filter(action="take_back").exists()


def test_police_send_back_after_hand_over_returns_the_case(enf, make_penalty_case):
    case = make_penalty_case(PenaltyCase.Status.DECIDING)
    transfer = report(enf, case=case)
    for action, when, role in [
        ("approve", "2026-03-09T10:00", "head"),
        ("send", "2026-03-09T14:00", "officer"),
        ("police_receipt", "2026-03-09T16:00", "officer"),
        ("police_filed", "2026-03-10T16:00", "officer"),
        ("hand_over", "2026-03-11T16:00", "officer"),
    ]:
        act(enf, transfer, action, when, role=role)
    act(enf, transfer, "police_send_back", "2026-05-11T16:00", reasons="仅需追究行政责任（测试）")
    case.refresh_from_db()
    assert case.status == PenaltyCase.Status.REVIEWING
    with pytest.raises(InvalidTransition):
        act(enf, transfer, "police_send_back", "2026-05-12T16:00", reasons="再次")


def test_a_decided_case_cannot_be_transferred_and_only_one_transfer_runs(enf, make_penalty_case):
    decided = make_penalty_case(PenaltyCase.Status.DECIDED)
    with pytest.raises(GuardFailed):
        report(enf, case=decided)
    case = make_penalty_case(PenaltyCase.Status.INVESTIGATING)
    report(enf, case=case)
    with pytest.raises(GuardFailed) as second:
        report(enf, case=case)
    assert second.value.code == "precondition_no_open_transfer"


def test_the_package_must_hold_the_letter_the_report_and_the_goods_list(enf):
    transfer = report(enf)
    act(enf, transfer, "approve", "2026-03-09T10:00", role="head")
    with pytest.raises(ValidationFailed) as missing:
        act(enf, transfer, "send", "2026-03-09T11:00", documents=["transfer_letter"])
    assert missing.value.code == "package_incomplete"
    with pytest.raises(ValidationFailed):
        act(enf, transfer, "send", "2026-03-09T11:00", police_unit="")
    with pytest.raises(ValidationFailed):  # two officers take the package (第五条)
        act(enf, transfer, "send", "2026-03-09T11:00", officer_ids=[])
    assert CrimeTransfer.objects.get(pk=transfer.pk).status == T.APPROVED


def test_the_team_is_two_certified_officers_of_the_area(enf):
    with clock.at(at("2026-03-09T09:00")), pytest.raises(ValidationFailed) as alone:
        transfer_report(actor=enf["officer"], suspected_offence="x", summary="y")
    assert alone.value.code == "two_officers_required"
    with clock.at(at("2026-03-09T09:00")), pytest.raises(ValidationFailed) as helper:
        transfer_report(
            actor=enf["officer"], officer_ids=[enf["auxiliary"].pk], suspected_offence="x", summary="y"
        )
    assert helper.value.code == "not_an_officer"
    with clock.at(at("2026-03-09T09:00")), pytest.raises(PermissionDeniedError):
        transfer_report(
            actor=enf["officer"],
            officer_ids=[enf["officer2"].pk],
            suspected_offence="x",
            summary="y",
            area_code="150102",
        )
    assert not CrimeTransfer.objects.exists()


# ----------------------------------------------------------------------------------- who may do what


@pytest.mark.parametrize("role", ["procuratorate", "leader", "auxiliary", "reviewer", "citizen"])
def test_observers_and_auxiliaries_write_nothing(enf, role):
    with clock.at(at("2026-03-09T09:00")), pytest.raises(PermissionDeniedError):
        transfer_report(actor=enf[role], officer_ids=[enf["officer"].pk], suspected_offence="x", summary="y")
    transfer = report(enf)

    def unchanged(attempts):
        before = (list(CrimeTransfer.objects.values()), list(TransferEvent.objects.values()))
        for action, kw in attempts:
            with pytest.raises((PermissionDeniedError, NotFound)):
                act(enf, transfer, action, "2026-03-09T10:00", role=role, **kw)
        assert (list(CrimeTransfer.objects.values()), list(TransferEvent.objects.values())) == before

    unchanged([("approve", {}), ("refuse", {"reasons": "x"})])
    act(enf, transfer, "approve", "2026-03-09T10:00", role="head")
    unchanged([("send", {"officer_ids": [enf["officer"].pk, enf["officer2"].pk]})])


def test_an_officer_of_another_district_cannot_see_or_act(enf):
    transfer = report(enf)
    with pytest.raises(NotFound):
        act(enf, transfer, "police_receipt", "2026-03-09T10:00", role="outside_officer")
    with pytest.raises(NotFound):
        transfer_get(actor=enf["outside_officer"], transfer_id=transfer.pk)
    assert not transfer_list(actor=enf["outside_officer"]).exists()


def test_officers_cannot_decide_and_the_head_decides(enf):
    transfer = report(enf)
    with pytest.raises(PermissionDeniedError):
        act(enf, transfer, "approve", "2026-03-09T10:00", role="officer")
    with pytest.raises(InvalidTransition):
        act(enf, transfer, "police_receipt", "2026-03-09T10:00")
    act(enf, transfer, "approve", "2026-03-09T10:00", role="head")


def test_procuratorate_reads_the_timeline_with_personal_data_masked(enf, make_penalty_case):
    case = make_penalty_case(PenaltyCase.Status.INVESTIGATING)
    transfer = report(enf, case=case)
    act(enf, transfer, "approve", "2026-03-09T10:00", role="head")
    act(enf, transfer, "send", "2026-03-10T11:00")  # 25 hours: late
    observer = enf["procuratorate"]
    rows = transfer_list(actor=observer)
    assert [r.pk for r in rows] == [transfer.pk]
    assert rows[0].current_due is None
    found = transfer_get(actor=observer, transfer_id=transfer.pk)
    with clock.at(at("2026-03-10T12:00")):
        view = transfer_view(actor=observer, transfer=found)
    assert view["status"] == T.TRANSFERRED
    assert "张*" in view["summary"] and "张三" not in view["summary"]
    assert "13800001234" not in view["summary"] and "150105199001011234" not in view["summary"]
    assert [e["action"] for e in view["events"]] == ["report", "approve", "send"]
    assert view["late_steps"] == 1
    assert view["actions"] == []  # nothing to press
    officer_view = transfer_view(actor=enf["officer"], transfer=found)
    assert "张三" in officer_view["summary"]
    assert officer_view["actions"] == ["police_receipt", "police_send_back"]
    with pytest.raises(PermissionDeniedError):
        transfer_list(actor=enf["auxiliary"])
    with pytest.raises(PermissionDeniedError):
        transfer_list(actor=enf["citizen"])


def test_list_filters_by_status_overdue_and_number(enf):
    first = report(enf, when="2026-03-02T09:00")
    second = report(enf, when="2026-03-09T09:00")
    act(enf, second, "approve", "2026-03-09T10:00", role="head")
    observer = enf["procuratorate"]
    assert [r.pk for r in transfer_list(actor=observer)] == [second.pk, first.pk]
    assert [r.pk for r in transfer_list(actor=observer, status=T.REPORTED)] == [first.pk]
    with clock.at(at("2026-03-09T12:00")):
        assert [r.pk for r in transfer_list(actor=observer, overdue=True)] == [first.pk]
        assert [r.pk for r in transfer_list(actor=observer, overdue=False)] == [second.pk]
    assert [r.pk for r in transfer_list(actor=observer, query=second.number)] == [second.pk]


def test_audit_entries_mask_numbers_in_notes(enf):
    transfer = report(enf)
    act(
        enf,
        transfer,
        "refuse",
        "2026-03-09T10:00",
        role="head",
        reasons="当事人身份证150105199001011234已核实",
    )
    changes = AuditEntry.objects.filter(action="enforcement.transfer.refuse").get().changes
    assert "150105199001011234" not in changes
    # The transfer itself keeps the reasons as written (it is not a log).
    assert "150105199001011234" in CrimeTransfer.objects.get(pk=transfer.pk).refusal_reasons


def test_a_step_that_does_not_exist_changes_nothing(enf):
    transfer = report(enf)
    with pytest.raises(InvalidTransition):
        act(enf, transfer, "hand_over", "2026-03-09T10:00")
    with pytest.raises(Conflict):
        act(enf, transfer, "no_such_step", "2026-03-09T10:00")
    assert TransferEvent.objects.filter(transfer=transfer).count() == 1
