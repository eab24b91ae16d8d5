"""The scope-isolation matrix: every role, inside and outside the record's area, against every GET
endpoint of the JSON API, the staff pages, and the workflow's write endpoints.

Oracles, independent of how each endpoint is written:
- nothing answers 5xx;
- a user outside the record's area never receives its marker text (description, hotline content);
- a user inside the area who may view cases reads the case (API and page);
- writes by anyone outside the area, by the procuratorate observer, auxiliaries and citizens are refused
  and change nothing; leaders write nothing but supervision (督办).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qingcheng.accounts.roles import ROLES
from qingcheng.cases.workflow import ACTIONS
from tests._rows import row_counts

MARKER = "SCOPE-MARKER-7f3a"
INSIDE, OUTSIDE = "150105", "150102"
NEVER_WRITE = {"procuratorate", "auxiliary", "citizen"}
WATCHED_APPS = {"accounts", "cases", "intake", "open311", "evaluation", "sensing", "emergency", "geo"}


def _fingerprint() -> dict[str, int]:
    return row_counts(WATCHED_APPS)


@pytest.fixture
def world(loop, make_user, make_department):
    from qingcheng.cases.services import case_report
    from qingcheng.intake.services import hotline_order_create

    unit = loop["unit"]
    outside_unit = make_department(area_code=OUTSIDE, name="区外单位")
    case = case_report(
        actor=loop["users"]["supervisor"],
        source="supervisor",
        lon=loop["point"][0],
        lat=loop["point"][1],
        description=f"暴露垃圾 {MARKER}",
        category_code="E0102",
    ).case
    order = hotline_order_create(
        actor=loop["users"]["hotline_agent"],
        channel="12319",
        kind="suggestion",
        content=f"建议增设垃圾桶 {MARKER}",
        caller_name="钱七",
        caller_phone="13600001111",
    ).order
    users = {}
    for role in ROLES:
        for where, area, department in ((True, INSIDE, unit), (False, OUTSIDE, outside_unit)):
            extra = {"department": department} if role.key in {"handler", "unit_manager"} else {}
            if role.key == "auxiliary":
                extra["staff_category"] = "auxiliary"
            users[(role.key, where)] = make_user([role.key], area_code=area, **extra)
    return {"case": case, "order": order, "users": users}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get_operations(world) -> list[str]:
    """Every GET path of the API with its path parameters filled from the world, or None to skip."""
    from qingcheng.api import api

    fills = {
        "case_id": world["case"].pk,
        "order_id": world["order"].pk,
        "number": world["case"].number,
    }
    urls = []
    for path, methods in api.get_openapi_schema()["paths"].items():
        if "get" not in methods:
            continue
        names = re.findall(r"{(\w+)}", path)
        if any(name not in fills for name in names):
            continue
        urls.append(re.sub(r"{(\w+)}", lambda m: str(fills[m.group(1)]), path))
    return urls


@pytest.mark.django_db
def test_reads_never_leak_outside_the_area(world):
    urls = [
        *_get_operations(world),
        f"/cases/{world['case'].number}/",
        "/cases/",
        f"/hotline/{world['order'].pk}/",
        "/hotline/",
        "/work/",
    ]
    cells = 0
    for (role, inside), user in world["users"].items():
        client = _client(user)
        for url in urls:
            response = client.get(url, follow=True)
            cells += 1
            assert response.status_code < 500, (role, inside, url)
            if not inside:
                assert MARKER.encode() not in response.content, f"{role} outside the area read {url}"
    assert cells >= len(ROLES) * 2 * 12


@pytest.mark.django_db
def test_users_inside_the_area_who_may_view_read_the_case(world):
    case = world["case"]
    for (role, inside), user in world["users"].items():
        if not inside:
            continue
        client = _client(user)
        api_response = client.get(f"/api/cases/{case.pk}")
        page = client.get(f"/cases/{case.number}/")
        if user.has_perm("cases.view_case"):
            assert api_response.status_code == 200 and MARKER in api_response.json()["description"], role
            assert page.status_code == 200, role
        else:
            assert api_response.status_code in (403, 404), role
            assert MARKER.encode() not in page.content, role


@pytest.mark.django_db
def test_refused_writers_change_nothing(world):
    case = world["case"]
    attempts = 0
    for (role, inside), user in world["users"].items():
        client = _client(user)
        for action in ACTIONS:
            refused = (not inside) or role in NEVER_WRITE or (role == "leader" and action != "supervise")
            if not refused:
                continue
            before = _fingerprint()
            api_response = client.post(
                f"/api/cases/{case.pk}/actions",
                {"action": action, "data": {"reason": "x", "genuine": True, "passed": True}},
                content_type="application/json",
            )
            page_response = client.post(f"/cases/{case.number}/act/", {"action": action, "reason": "x"})
            attempts += 2
            assert 400 <= api_response.status_code < 500, (role, inside, action, api_response.status_code)
            assert 400 <= page_response.status_code < 500, (role, inside, action, page_response.status_code)
            assert _fingerprint() == before, (role, inside, action)
        order_response = client.post(
            f"/hotline/{world['order'].pk}/act/", {"action": "close", "answer": "已答复"}
        )
        if not inside or role in NEVER_WRITE or role == "leader":
            attempts += 1
            assert order_response.status_code in (403, 404), (role, inside)
    world["case"].refresh_from_db()
    assert world["case"].status == "reported"
    assert attempts > len(ROLES) * len(ACTIONS)
