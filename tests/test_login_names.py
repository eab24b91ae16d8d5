"""Login names are half a credential: no page or API answer shows them to anyone who may not manage
accounts. People are named by their display name (or a neutral label when they have none), masked for
the public; only account managers see login names."""

from __future__ import annotations

import pytest

from qingcheng.cases.services import case_act, case_report

LOGINS = ("login-recv-7", "login-disp-7", "login-sup-7")


@pytest.fixture
def people(loop, make_user):
    return {
        "receiver": make_user(
            ["receiver"], area_code="150105", username="login-recv-7", display_name="受理员王芳"
        ),
        "dispatcher": make_user(["dispatcher"], area_code="150105", username="login-disp-7"),
        "supervisor": make_user(["supervisor"], area_code="150105", username="login-sup-7"),
        "leader": make_user(["leader"], area_code="150105"),
        "procuratorate": make_user(["procuratorate"], area_code="150105"),
        "unit_manager": make_user(["unit_manager"], area_code="150105"),
    }


@pytest.fixture
def case(loop, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lon, lat = loop["point"]
    made = case_report(
        actor=people["supervisor"],
        source="supervisor",
        lon=lon,
        lat=lat,
        description="井盖缺失（测试）",
        category_code="E0102",
    ).case
    case_act(case_id=made.pk, actor=people["receiver"], action="open")
    return case_act(
        case_id=made.pk,
        actor=people["dispatcher"],
        action="dispatch",
        data={"department_id": loop["unit"].pk},
    )


def _no_login(text: str) -> None:
    assert not [login for login in LOGINS if login in text]


def test_case_timeline_names_actors_without_login_names(case, people, api_client_for, client):
    detail = api_client_for(people["leader"]).get(f"/api/cases/{case.pk}")
    assert detail.status_code == 200
    actors = [e["actor"] for e in detail.json()["timeline"]]
    assert actors == [str(people["supervisor"]), "受理员王芳", str(people["dispatcher"])]
    _no_login(detail.content.decode())
    client.force_login(people["leader"])
    page = client.get(f"/cases/{case.number}/")
    assert page.status_code == 200 and "受理员王芳" in page.content.decode()
    _no_login(page.content.decode())


def test_user_list_shows_login_names_only_to_account_managers(people, api_client_for):
    for viewer in ("procuratorate",):
        client = api_client_for(people[viewer])
        listing = client.get("/api/accounts/users").json()
        assert listing["items"] and all(row["username"] is None for row in listing["items"])
        # Nor can the search be used to find login names out.
        assert client.get("/api/accounts/users", {"q": "login-disp"}).json()["count"] == 0
        assert client.get("/api/accounts/users", {"q": "王芳"}).json()["count"] == 1
    manager = api_client_for(people["unit_manager"]).get("/api/accounts/users", {"q": "login-disp"}).json()
    assert [row["username"] for row in manager["items"]] == ["login-disp-7"]


def test_case_page_supervisor_choice_and_tasks_without_login_names(case, people, loop, client):
    lon, lat = loop["point"]
    hotline = case_report(
        actor=people["receiver"],
        source="hotline_12319",
        lon=lon,
        lat=lat,
        description="噪音（测试）",
        category_code="E0102",
        reporter_name="李四",
        reporter_phone="13800001111",
    ).case
    case_act(
        case_id=hotline.pk,
        actor=people["receiver"],
        action="send_verification",
        data={"assignee_id": people["supervisor"].pk},
    )
    client.force_login(people["receiver"])
    page = client.get(f"/cases/{hotline.number}/").content.decode()
    assert str(people["supervisor"]) in page
    _no_login(page)
