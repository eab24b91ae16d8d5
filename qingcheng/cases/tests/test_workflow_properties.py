"""Random action sequences by random roles through the workflow table (hypothesis)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingcheng.cases.models import Case, CaseEvent
from qingcheng.cases.services import PhotoUpload, case_act, case_report
from qingcheng.cases.workflow import ACTIONS, TABLE, TERMINAL_STATES, actions_from, required_permission
from qingcheng.core.audit import audit_verify
from qingcheng.core.errors import DomainError
from qingcheng.core.models import AuditEntry
from qingcheng.testing import jpeg_bytes

ROLES = [
    "supervisor",
    "receiver",
    "dispatcher",
    "shift_leader",
    "handler",
    "unit_manager",
    "other_handler",
    "leader",
    "hotline_agent",
    "auxiliary",
    "procuratorate",
    "citizen",
    "outsider_dispatcher",
]
NEVER_ACT = {"auxiliary", "procuratorate", "citizen", "outsider_dispatcher"}
REACHED: set[str] = set()


def _data(action, flag, unit, ctx):
    return {
        "genuine": flag,
        "passed": flag,
        "satisfied": flag,
        "score": 5 if flag else 2,
        "reason": "测试理由",
        "unit": unit,
        "amount": 2,
        "department_id": ctx["unit"].pk,
        "category_code": "E0102",
        "target_id": ctx["target"].pk,
    }


@pytest.mark.django_db
@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source=st.sampled_from(["supervisor", "hotline_12319", "self_handled"]),
    length=st.integers(min_value=1, max_value=40),
    data=st.data(),
)
def test_random_walks_keep_the_invariants(loop, settings, tmp_path, source, length, data):
    settings.MEDIA_ROOT = tmp_path
    users = loop["users"]
    lon, lat = loop["point"]
    if "target" not in loop:
        loop["target"] = case_report(
            actor=users["supervisor"],
            source="supervisor",
            lon=lon,
            lat=lat,
            description="合并目标",
            category_code="E0102",
        ).case
    photos = [PhotoUpload(jpeg_bytes(), "before"), PhotoUpload(jpeg_bytes(colour=(1, 2, 3)), "after")]
    if source == "self_handled":
        case = case_report(
            actor=users["supervisor"],
            source="supervisor",
            lon=lon,
            lat=lat,
            description="自行处置",
            category_code="E0102",
            self_handled=True,
            photos=photos,
        ).case
    elif source == "supervisor":
        case = case_report(
            actor=users["supervisor"],
            source="supervisor",
            lon=lon,
            lat=lat,
            description="暴露垃圾",
            category_code="E0102",
        ).case
    else:
        case = case_report(
            actor=users["hotline_agent"],
            source="hotline_12319",
            lon=lon,
            lat=lat,
            description="市民来电反映垃圾",
            reporter_name="张三",
            reporter_phone="13812345678",
        ).case
    succeeded = []
    statuses = [case.status]
    extensions = 0
    for _ in range(length):
        before = Case.objects.get(pk=case.pk).status
        # Mostly an action the table allows now (so walks go deep), sometimes any action at all.
        allowed = sorted(t.action for t in actions_from(before))
        onward = [a for a in allowed if a not in {"cancel", "merge", "supervise"}]
        if onward and data.draw(st.integers(0, 4), label="onward") > 0:
            allowed = onward
        if allowed and data.draw(st.integers(0, 3), label="pick") > 0:
            action = data.draw(st.sampled_from(allowed), label="action")
        else:
            action = data.draw(st.sampled_from(sorted(ACTIONS)), label="action")
        transition = TABLE.lookup(before, action)
        entitled = [
            r
            for r in ROLES
            if transition
            and users[r].has_perm(required_permission(transition, Case(extension_count=extensions)))
        ]
        if entitled and data.draw(st.integers(0, 3), label="pick_role") > 0:
            role = data.draw(st.sampled_from(entitled), label="role")
        else:
            role = data.draw(st.sampled_from(ROLES), label="role")
        flag = data.draw(st.booleans(), label="flag")
        unit = data.draw(st.sampled_from(["working_hours", "working_days"]), label="unit")
        try:
            updated = case_act(
                case_id=case.pk,
                actor=users[role],
                action=action,
                data=_data(action, flag, unit, loop),
                photos=[PhotoUpload(jpeg_bytes(), "after")] if action == "feedback" else None,
            )
        except DomainError:
            assert Case.objects.get(pk=case.pk).status == before  # a refused action changes nothing
            continue
        transition = TABLE.lookup(before, action)
        assert transition is not None, f"{action} succeeded from {before}"
        assert role not in NEVER_ACT, f"{role} performed {action}"
        assert users[role].has_perm(required_permission(transition, Case(extension_count=extensions)))
        assert updated.status in transition.possible_targets()
        succeeded.append(action)
        statuses.append(updated.status)
        extensions = updated.extension_count
    case.refresh_from_db()
    REACHED.update(statuses)
    assert case.status in Case.Status.values
    # Every closed case was dispatched, handled and checked, or handled on the spot by a supervisor.
    if case.status == Case.Status.CLOSED:
        if source == "self_handled":
            assert statuses[0] == Case.Status.SELF_HANDLED
        else:
            assert case.dispatched_at and case.feedback_at and case.checked_at
            assert {"dispatch", "feedback", "check", "close"} <= set(succeeded)
    if case.status in TERMINAL_STATES - {Case.Status.CLOSED}:
        assert succeeded and succeeded[-1] in {"cancel", "merge"}
    # The timeline and the audit log hold every step.
    events = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))
    assert events == ["report", *succeeded]
    audited = list(
        AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert audited == ["case.report", *(f"case.{a}" for a in succeeded)]
    assert case.version == 1 + len(succeeded)


def test_the_walks_reached_every_state():
    # Runs after the property test in this module: the walks must have gone deep enough to matter.
    if not REACHED:
        pytest.skip("run together with test_random_walks_keep_the_invariants")
    assert set(Case.Status.values) - {Case.Status.MERGED, Case.Status.CANCELLED} <= REACHED, sorted(
        set(Case.Status.values) - REACHED
    )


@pytest.mark.django_db
def test_audit_chain_intact_after_a_walk(loop, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    users = loop["users"]
    case = case_report(
        actor=users["supervisor"],
        source="supervisor",
        lon=loop["point"][0],
        lat=loop["point"][1],
        description="x",
        category_code="E0102",
    ).case
    for role, action in [("receiver", "open"), ("dispatcher", "dispatch"), ("handler", "accept")]:
        case_act(case_id=case.pk, actor=users[role], action=action, data={"department_id": loop["unit"].pk})
    assert audit_verify().ok
