"""A case goes only to units and supervisors of its own area: dispatch (and re-dispatch after a return)
to a unit that does not cover the case, or a field task for a supervisor of another district, is refused
with 400 `outside_area` and writes nothing, whether it comes through the service, the JSON API or the
case page. A city-level unit (150100) covers every district of the city."""

from __future__ import annotations

import json

import pytest

from qingcheng.cases.models import Case, CaseEvent, CaseTask
from qingcheng.cases.services import case_act, case_report
from qingcheng.core.errors import ValidationFailed


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def units(loop, make_department, make_user):
    return {
        "city": make_department("150100", name="呼和浩特市市政设施管理处"),
        "neighbour": make_department("150102", name="新城区市政设施管理处"),
        "other_street": make_department("150105002", kind="street", name="另一街道办事处"),
        "neighbour_supervisor": make_user(["supervisor"], area_code="150102", display_name="新城区监督员"),
        "city_dispatcher": make_user(["dispatcher"], area_code="150100"),
    }


@pytest.fixture
def opened_case(loop) -> Case:
    """A 赛罕区 case reported by the supervisor and opened by the receiver, not yet dispatched."""
    lon, lat = loop["point"]
    case = case_report(
        actor=loop["users"]["supervisor"],
        source="supervisor",
        lon=lon,
        lat=lat,
        description="井盖缺失（测试）",
        category_code="E0102",
    ).case
    return case_act(case_id=case.pk, actor=loop["users"]["receiver"], action="open")


@pytest.fixture
def dispatched_case(loop, opened_case) -> Case:
    """The opened case dispatched to the loop's handling unit, which covers it."""
    return case_act(
        case_id=opened_case.pk,
        actor=loop["users"]["dispatcher"],
        action="dispatch",
        data={"department_id": loop["unit"].pk},
    )


@pytest.fixture
def hotline_case(loop) -> Case:
    """A 12319 hotline report registered by the receiver, still reported (no field task yet)."""
    lon, lat = loop["point"]
    return case_report(
        actor=loop["users"]["receiver"],
        source="hotline_12319",
        lon=lon,
        lat=lat,
        description="噪音（测试）",
        category_code="E0102",
        reporter_name="李四",
        reporter_phone="13800001111",
    ).case


def unchanged(case: Case) -> None:
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.version, fresh.status, fresh.owner_department_id) == (case.version, case.status, None)
    assert CaseEvent.objects.filter(case=case).count() == 2  # report and open


def test_dispatch_to_a_unit_that_does_not_cover_the_case_is_refused(loop, units, opened_case):
    case = opened_case
    # Even a city dispatcher, who sees both districts, may not send a 赛罕区 case to 新城区.
    for unit in (units["neighbour"], units["other_street"]):
        with pytest.raises(ValidationFailed) as refused:
            case_act(
                case_id=case.pk,
                actor=units["city_dispatcher"],
                action="dispatch",
                data={"department_id": unit.pk},
            )
        assert refused.value.code == "outside_area" and refused.value.details == {"field": "department_id"}
        unchanged(case)
    case = case_act(
        case_id=case.pk,
        actor=loop["users"]["dispatcher"],
        action="dispatch",
        data={"department_id": units["city"].pk},
    )
    assert case.owner_department == units["city"]


def test_redispatch_after_a_return_is_checked_again(loop, units, dispatched_case):
    case = dispatched_case
    case_act(
        case_id=case.pk,
        actor=loop["users"]["unit_manager"],
        action="request_return",
        data={"reason": "不属本单位"},
    )
    case = case_act(case_id=case.pk, actor=loop["users"]["shift_leader"], action="approve_return")
    assert case.status == "opened" and case.owner_department_id is None
    with pytest.raises(ValidationFailed) as refused:
        case_act(
            case_id=case.pk,
            actor=loop["users"]["dispatcher"],
            action="dispatch",
            data={"department_id": units["neighbour"].pk},
        )
    assert refused.value.code == "outside_area"
    assert Case.objects.get(pk=case.pk).owner_department_id is None


def test_a_field_task_goes_only_to_a_supervisor_of_the_area(loop, units, hotline_case):
    case = hotline_case
    for action in ("send_verification",):
        with pytest.raises(ValidationFailed) as refused:
            case_act(
                case_id=case.pk,
                actor=loop["users"]["receiver"],
                action=action,
                data={"assignee_id": units["neighbour_supervisor"].pk},
            )
        assert refused.value.code == "outside_area" and refused.value.details == {"field": "assignee_id"}
        assert not CaseTask.objects.filter(case=case).exists()
        assert Case.objects.get(pk=case.pk).status == "reported"
    case = case_act(
        case_id=case.pk,
        actor=loop["users"]["receiver"],
        action="send_verification",
        data={"assignee_id": loop["users"]["supervisor"].pk},
    )
    assert CaseTask.objects.get(case=case).assignee == loop["users"]["supervisor"]


def test_check_task_for_another_district_is_refused(loop, units, dispatched_case, photo):
    case = dispatched_case
    case_act(case_id=case.pk, actor=loop["users"]["handler"], action="accept")
    case = case_act(
        case_id=case.pk, actor=loop["users"]["handler"], action="feedback", photos=[photo("after")]
    )
    version = case.version
    with pytest.raises(ValidationFailed) as refused:
        case_act(
            case_id=case.pk,
            actor=loop["users"]["receiver"],
            action="send_check",
            data={"assignee_id": units["neighbour_supervisor"].pk},
        )
    assert refused.value.code == "outside_area"
    assert Case.objects.get(pk=case.pk).version == version
    assert not CaseTask.objects.filter(case=case, kind="check").exists()


def test_the_api_refuses_another_districts_unit_and_writes_nothing(loop, units, opened_case, api_client_for):
    case = opened_case
    client = api_client_for(units["city_dispatcher"])
    response = client.post(
        f"/api/cases/{case.pk}/actions",
        json.dumps({"action": "dispatch", "data": {"department_id": units["neighbour"].pk}}),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "outside_area"
    unchanged(case)


def test_the_case_page_offers_and_accepts_only_covering_units(loop, units, opened_case, client):
    case = opened_case
    client.force_login(units["city_dispatcher"])
    page = client.get(f"/cases/{case.number}/")
    offered = set(page.context["departments"])
    assert {loop["unit"], loop["street"], units["city"]} <= offered
    assert not offered & {units["neighbour"], units["other_street"]}
    refused = client.post(
        f"/cases/{case.number}/act/", {"action": "dispatch", "department_id": units["neighbour"].pk}
    )
    assert refused.status_code == 400 and refused.context["error"].code == "outside_area"
    unchanged(case)


def test_the_case_page_offers_only_supervisors_of_the_area(loop, units, hotline_case, client):
    case = hotline_case
    client.force_login(loop["users"]["receiver"])
    page = client.get(f"/cases/{case.number}/")
    offered = [u for u, _name in page.context["supervisors"]]
    assert loop["users"]["supervisor"] in offered and units["neighbour_supervisor"] not in offered
    refused = client.post(
        f"/cases/{case.number}/act/",
        {"action": "send_verification", "assignee_id": units["neighbour_supervisor"].pk},
    )
    assert refused.status_code == 400 and refused.context["error"].code == "outside_area"
    assert not CaseTask.objects.filter(case=case).exists()
