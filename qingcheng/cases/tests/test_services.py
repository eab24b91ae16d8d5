"""The case loop's services: deadlines, exceptions, duplicates, scope, sweeps."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from qingcheng.cases.models import Case, CaseReporter, Notification
from qingcheng.cases.selectors import find_duplicates
from qingcheng.cases.services import case_act, case_overdue_sweep, case_report
from qingcheng.core import clock
from qingcheng.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.core.workflow import InvalidTransition
from qingcheng.geo.geometry import METRES_PER_DEGREE_LAT

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def report(
    loop,
    *,
    category="E0102",
    actor="supervisor",
    source="supervisor",
    dy_m=0.0,
    description="测试问题",
    **kwargs,
):
    lon, lat = loop["point"]
    return case_report(
        actor=loop["users"][actor],
        source=source,
        lon=lon,
        lat=lat + dy_m / METRES_PER_DEGREE_LAT,
        description=description,
        category_code=category,
        **kwargs,
    )


def act(loop, case, role, action, **kwargs):
    return case_act(case_id=case.pk, actor=loop["users"][role], action=action, **kwargs)


def to_handling(loop, case, *, at=None):
    act(loop, case, "receiver", "open")
    act(loop, case, "dispatcher", "dispatch", data={"department_id": loop["unit"].pk})
    return act(loop, case, "handler", "accept")


def test_handling_deadline_crosses_national_day_and_the_make_up_workday(loop):
    # 废弃车辆: 5 working days. Dispatched Wed 2026-09-30; 10-01..10-07 are the National Day holiday and
    # Sat 10-10 is a make-up workday: 10-08, 10-09, 10-10, 10-12, 10-13.
    with clock.at(datetime(2026, 9, 30, 10, 0, tzinfo=SH)):
        case = report(loop, category="E0107").case
        act(loop, case, "receiver", "open")
        case = act(loop, case, "dispatcher", "dispatch", data={"department_id": loop["unit"].pk})
    assert case.handle_due_at.astimezone(SH) == datetime(2026, 10, 13, 18, 0, tzinfo=SH)
    assert case.handle_deadline.provisional is False


def test_working_hours_deadline_skips_the_lunch_break_and_the_night(loop):
    # 暴露垃圾: 4 working hours from 16:00 on Thu 2026-11-26 → 2 h that day, 2 h from 08:30 Friday.
    with clock.at(datetime(2026, 11, 26, 16, 0, tzinfo=SH)):
        case = report(loop).case
        act(loop, case, "receiver", "open")
        case = act(loop, case, "dispatcher", "dispatch", data={"department_id": loop["unit"].pk})
    assert case.handle_due_at.astimezone(SH) == datetime(2026, 11, 27, 10, 30, tzinfo=SH)


def test_handling_type_picks_its_own_limit(loop):
    with clock.at(datetime(2026, 11, 26, 9, 0, tzinfo=SH)):
        case = report(loop, category="E0101", handling_type="停工").case
        act(loop, case, "receiver", "open")
        case = act(loop, case, "dispatcher", "dispatch", data={"department_id": loop["unit"].pk})
    # 4 working hours: 09:00–12:00, then 14:30–15:30.
    assert case.handle_due_at.astimezone(SH) == datetime(2026, 11, 26, 15, 30, tzinfo=SH)


def test_extension_moves_the_deadline_and_a_second_needs_a_leader(loop):
    with clock.at(datetime(2026, 11, 26, 9, 0, tzinfo=SH)):
        case = to_handling(loop, report(loop, category="E0103").case)  # 2 working days → Mon 11-30 18:00
        assert case.handle_due_at.astimezone(SH) == datetime(2026, 11, 30, 18, 0, tzinfo=SH)
        act(
            loop,
            case,
            "unit_manager",
            "request_extension",
            data={"reason": "需要协调", "unit": "working_days", "amount": 2},
        )
        case = act(loop, case, "shift_leader", "approve_extension")
        assert case.handle_due_at.astimezone(SH) == datetime(2026, 12, 2, 18, 0, tzinfo=SH)
        assert case.extension_count == 1
        act(
            loop,
            case,
            "unit_manager",
            "request_extension",
            data={"reason": "仍需协调", "unit": "working_hours", "amount": 4},
        )
        with pytest.raises(PermissionDeniedError):
            act(loop, case, "shift_leader", "approve_extension")
        case = act(loop, case, "leader", "approve_extension")
        # 08:30–12:00 is 3.5 h, the last half hour runs 14:30–15:00.
        assert case.handle_due_at.astimezone(SH) == datetime(2026, 12, 3, 15, 0, tzinfo=SH)
        assert case.extension_count == 2


def test_bad_extension_requests_are_refused(loop):
    case = to_handling(loop, report(loop).case)
    for data in (
        {"reason": "", "amount": 2},
        {"reason": "x", "amount": 0},
        {"reason": "x", "amount": 2, "unit": "fortnights"},
    ):
        with pytest.raises(ValidationFailed):
            act(loop, case, "unit_manager", "request_extension", data=data)
    assert Case.objects.get(pk=case.pk).status == Case.Status.HANDLING


def test_overdue_sweep_marks_notifies_and_escalates(loop, settings):
    settings.CASE_ESCALATE_AFTER_HOURS = 4
    with clock.at(datetime(2026, 11, 26, 9, 0, tzinfo=SH)):
        case = to_handling(loop, report(loop).case)  # due 13:00... 4 working hours: 09:00-12:00 + 14:30-15:30
    due = case.handle_due_at
    assert due.astimezone(SH) == datetime(2026, 11, 26, 15, 30, tzinfo=SH)
    assert case_overdue_sweep(now=due - timedelta(minutes=1)) == {"overdue": 0, "escalated": 0}
    assert case_overdue_sweep(now=due + timedelta(minutes=1)) == {"overdue": 1, "escalated": 0}
    case.refresh_from_db()
    assert case.overdue and not case.supervised
    assert Notification.objects.filter(case=case, kind="overdue", department=loop["unit"]).exists()
    assert case_overdue_sweep(now=due + timedelta(hours=5)) == {"overdue": 0, "escalated": 1}
    case.refresh_from_db()
    assert case.supervised
    assert case.events.filter(action="supervise", data__automatic=True).exists()
    assert case_overdue_sweep(now=due + timedelta(hours=6)) == {"overdue": 0, "escalated": 0}


def test_extension_after_overdue_clears_the_flag(loop):
    with clock.at(datetime(2026, 11, 26, 9, 0, tzinfo=SH)):
        case = to_handling(loop, report(loop).case)
    case_overdue_sweep(now=case.handle_due_at + timedelta(minutes=1))
    with clock.at(case.handle_due_at + timedelta(minutes=2)):
        act(
            loop,
            case,
            "unit_manager",
            "request_extension",
            data={"reason": "x", "unit": "working_days", "amount": 1},
        )
        case = act(loop, case, "shift_leader", "approve_extension")
    assert case.overdue is False


def test_duplicates_are_proposed_and_merging_moves_the_reporters(loop):
    first = report(
        loop,
        actor="hotline_agent",
        source="hotline_12319",
        reporter_name="张三",
        reporter_phone="13800000001",
    ).case
    act(loop, first, "receiver", "open", data={"category_code": "E0102"})
    second = report(loop, dy_m=30).case
    assert [c.pk for c in find_duplicates(second)] == [first.pk]
    assert report(loop, dy_m=30).duplicates[0].pk in {first.pk, second.pk}
    far = report(loop, dy_m=80).case
    assert first.pk not in [c.pk for c in find_duplicates(far)]
    other_kind = report(loop, category="E0104", dy_m=10).case
    assert find_duplicates(other_kind) == []
    merged = act(loop, second, "receiver", "merge", data={"target_id": first.pk})
    assert merged.status == Case.Status.MERGED and merged.merged_into_id == first.pk
    assert set(CaseReporter.objects.filter(case=first).values_list("original_case_number", flat=True)) == {
        first.number,
        second.number,
    }
    assert first.events.filter(action="merge_in").exists()


def test_return_and_redispatch_to_another_unit(loop):
    case = to_handling(loop, report(loop).case)
    with pytest.raises(PermissionDeniedError):
        act(loop, case, "other_handler", "feedback")
    act(loop, case, "unit_manager", "request_return", data={"reason": "不属于本单位"})
    case = act(loop, case, "shift_leader", "approve_return")
    assert case.status == Case.Status.OPENED and case.owner_department is None and case.handle_due_at is None
    assert case.return_count == 1
    case = act(loop, case, "dispatcher", "dispatch", data={"department_id": loop["other_unit"].pk})
    assert case.owner_department_id == loop["other_unit"].pk
    act(loop, case, "other_handler", "accept")


def test_park_defer_and_resume(loop):
    case = to_handling(loop, report(loop).case)
    act(loop, case, "unit_manager", "request_park", data={"reason": "季节性施工"})
    case = act(loop, case, "shift_leader", "approve_park")
    assert case.status == Case.Status.PARKED and case.was_parked
    case = act(loop, case, "shift_leader", "resume")
    assert case.status == Case.Status.HANDLING and case.handle_due_at is not None
    case = act(loop, case, "shift_leader", "defer", data={"reason": "等待配合"})
    assert case.status == Case.Status.DEFERRED and case.was_deferred


def test_failed_check_means_rework_and_the_callback_can_reopen(loop, photo):
    case = report(loop, actor="hotline_agent", source="hotline_12319").case
    act(loop, case, "receiver", "open", data={"category_code": "E0102"})
    act(loop, case, "dispatcher", "dispatch", data={"department_id": loop["unit"].pk})
    act(loop, case, "handler", "accept")
    with pytest.raises(ValidationFailed):
        act(loop, case, "handler", "feedback")  # no after photo
    act(loop, case, "handler", "feedback", photos=[photo("after")])
    act(loop, case, "receiver", "send_check")
    case = act(loop, case, "supervisor", "check", data={"passed": False})
    assert case.status == Case.Status.HANDLING and case.rework_count == 1
    act(loop, case, "handler", "feedback", photos=[photo("after", colour=(9, 9, 9))])
    act(loop, case, "receiver", "send_check")
    act(loop, case, "supervisor", "check", data={"passed": True})
    case = act(loop, case, "shift_leader", "close")
    assert case.status == Case.Status.CLOSED
    case = act(loop, case, "hotline_agent", "callback", data={"satisfied": False, "score": 2})
    assert case.status == Case.Status.HANDLING and case.rework_count == 2 and case.closed_at is None


def test_self_handling_needs_both_photos(loop, photo):
    with pytest.raises(ValidationFailed) as caught:
        report(loop, self_handled=True, photos=[photo("before")])
    assert caught.value.code == "photos_required"
    case = report(loop, self_handled=True, photos=[photo("before"), photo("after", colour=(1, 1, 1))]).case
    assert case.status == Case.Status.SELF_HANDLED
    assert act(loop, case, "shift_leader", "close").status == Case.Status.CLOSED


def test_scope_roles_and_invalid_transitions(loop):
    case = report(loop).case
    with pytest.raises(NotFound):
        act(loop, case, "outsider_dispatcher", "open")
    with pytest.raises(PermissionDeniedError):
        act(loop, case, "auxiliary", "open")
    with pytest.raises(PermissionDeniedError):
        act(loop, case, "procuratorate", "open")
    with pytest.raises(InvalidTransition) as caught:
        act(loop, case, "dispatcher", "dispatch", data={"department_id": loop["unit"].pk})
    assert caught.value.status == 409
    with pytest.raises(ValidationFailed):
        act(loop, case, "receiver", "cancel", data={"reason": " "})


def test_stale_version_is_a_conflict(loop):
    case = report(loop).case
    act(loop, case, "receiver", "open", expected_version=1)
    with pytest.raises(Conflict) as caught:
        act(loop, case, "dispatcher", "dispatch", data={"department_id": loop["unit"].pk}, expected_version=1)
    assert caught.value.code == "stale_version"


def test_verification_task_goes_to_the_beat_supervisor(loop):
    case = report(loop, actor="hotline_agent", source="hotline_12319").case
    case = act(loop, case, "receiver", "send_verification")
    task = case.tasks.get()
    assert task.kind == "verify" and task.assignee == loop["users"]["supervisor"]
    case = act(loop, case, "supervisor", "verify", data={"genuine": True})
    assert case.status == Case.Status.VERIFIED
    task.refresh_from_db()
    assert task.done_at is not None and task.result is True


def test_bad_reports_write_nothing(loop, photo):
    from qingcheng.core.models import AuditEntry
    from qingcheng.geo.spatial import OutsideCoverage

    before = (Case.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationFailed):
        report(loop, category="E9999")
    with pytest.raises(OutsideCoverage):
        case_report(
            actor=loop["users"]["supervisor"],
            source="supervisor",
            lon=112.5,
            lat=40.0,
            description="x",
            category_code="E0102",
        )
    with pytest.raises(ValidationFailed):
        report(loop, photos=[type(photo())(data=b"GIF89a not really", kind="before", name="x.jpg")])
    with pytest.raises(ValidationFailed):
        report(loop, description="长" * 4001)
    assert (Case.objects.count(), AuditEntry.objects.count()) == before


def test_a_comment_is_a_timeline_note_that_changes_nothing_else(loop, photo):
    from qingcheng.cases.models import CaseEvent, CasePhoto
    from qingcheng.cases.services import PhotoUpload, case_comment

    case = to_handling(loop, report(loop).case)
    before = Case.objects.filter(pk=case.pk).values().get()
    event = case_comment(case_id=case.pk, actor=None, note="又多了两袋", channel="open311", photos=[photo()])
    after = Case.objects.filter(pk=case.pk).values().get()
    assert after == before  # state, deadlines, rework count, version: all as they were
    assert (event.action, event.from_status, event.to_status, event.public) == (
        "comment",
        Case.Status.HANDLING,
        Case.Status.HANDLING,
        False,
    )
    assert (
        event.data == {"channel": "open311", "photos": 1} and CasePhoto.objects.filter(case=case).count() == 1
    )
    # A bad photo or nothing to say writes nothing; a stranger's comment finds no case.
    events = CaseEvent.objects.count()
    with pytest.raises(ValidationFailed):
        case_comment(
            case_id=case.pk, actor=None, note="x", channel="open311", photos=[PhotoUpload(data=b"GIF89a")]
        )
    with pytest.raises(ValidationFailed):
        case_comment(case_id=case.pk, actor=None, note="  ", channel="open311")
    with pytest.raises(NotFound):
        case_comment(case_id=case.pk, actor=loop["users"]["outsider_dispatcher"], note="x", channel="web")
    assert CaseEvent.objects.count() == events and CasePhoto.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("padding", [0, 485])
def test_the_audit_log_never_holds_phone_or_id_numbers_from_notes(loop, padding):
    """ "Never log ID numbers": an action's note reaches the audit log masked, and masked before it is cut
    to 500 characters (cut first, the end of an ID number at the edge would no longer look like one)."""
    from qingcheng.core.models import AuditEntry

    case = report(loop).case
    note = "x" * padding + "身份证150105199001011234，电话138-1234-5678"
    act(loop, case, "receiver", "open", note=note)
    entry = AuditEntry.objects.filter(action="case.open").latest("pk")
    digits = "".join(c if c.isdigit() else " " for c in entry.changes).split()
    assert max(map(len, digits)) < 7, entry.changes
    assert case.events.get(action="open").note == note  # the timeline keeps it for those who may read it
