"""A dispatcher scoped to 150102 cannot read or change a record of 150105, through the API or the admin."""

import json

import pytest

from qingcheng.accounts.models import Department
from qingcheng.core.models import AuditEntry


@pytest.fixture
def setting(make_user, make_department):
    xincheng = make_department(area_code="150102", name="新城区测试单位")
    saihan = make_department(area_code="150105", name="赛罕区测试单位")
    dispatcher = make_user(["dispatcher"], area_code="150102")
    return dispatcher, xincheng, saihan


def test_api_reads_only_inside_scope(setting, api_client_for):
    dispatcher, xincheng, saihan = setting
    client = api_client_for(dispatcher)
    listing = client.get("/api/accounts/departments").json()
    codes = {row["area_code"] for row in listing["items"]}
    assert codes == {"150102"}
    assert listing["count"] == 1
    assert client.get(f"/api/accounts/departments/{xincheng.pk}").status_code == 200
    response = client.get(f"/api/accounts/departments/{saihan.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_cannot_change_outside_scope(setting, api_client_for):
    dispatcher, xincheng, saihan = setting
    client = api_client_for(dispatcher)
    before = AuditEntry.objects.count()
    response = client.patch(
        f"/api/accounts/departments/{saihan.pk}",
        json.dumps({"name": "改名"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    saihan.refresh_from_db()
    assert saihan.name == "赛罕区测试单位"
    assert AuditEntry.objects.count() == before
    ok = client.patch(
        f"/api/accounts/departments/{xincheng.pk}",
        json.dumps({"name": "新名字"}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["name"] == "新名字"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "department.update" and entry.area_code == "150102"
    assert "新名字" in entry.changes and "新城区测试单位" in entry.changes


def test_api_rejects_read_only_fields_and_writes_nothing(setting, api_client_for):
    dispatcher, xincheng, _ = setting
    client = api_client_for(dispatcher)
    response = client.patch(
        f"/api/accounts/departments/{xincheng.pk}",
        json.dumps({"kind": "bogus"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and body["message_zh"] and body["message_en"]
    xincheng.refresh_from_db()
    assert xincheng.kind == "professional"


def test_admin_lists_and_edits_only_inside_scope(setting, client):
    dispatcher, xincheng, saihan = setting
    client.force_login(dispatcher)
    listing = client.get("/admin/accounts/department/")
    assert listing.status_code == 200
    assert "新城区测试单位" in listing.content.decode()
    assert "赛罕区测试单位" not in listing.content.decode()
    change = client.get(f"/admin/accounts/department/{saihan.pk}/change/")
    assert change.status_code == 302  # Django admin redirects "does not exist" to the index
    posted = client.post(
        f"/admin/accounts/department/{saihan.pk}/change/",
        {
            "code": saihan.code,
            "name": "被改了",
            "kind": "professional",
            "area_code": "150105",
            "is_active": "on",
        },
    )
    assert posted.status_code == 302
    assert Department.objects.get(pk=saihan.pk).name == "赛罕区测试单位"
    assert client.get(f"/admin/accounts/department/{xincheng.pk}/change/").status_code == 200


def test_admin_cannot_move_a_record_out_of_scope(setting, client):
    dispatcher, xincheng, _ = setting
    client.force_login(dispatcher)
    response = client.post(
        f"/admin/accounts/department/{xincheng.pk}/change/",
        {
            "code": xincheng.code,
            "name": xincheng.name,
            "kind": "professional",
            "area_code": "150105",
            "is_active": "on",
        },
    )
    # Refused on the form, with the reason, before anything is saved.
    assert response.status_code == 200
    assert "管辖范围" in response.content.decode() or "outside your own area" in response.content.decode()
    assert Department.objects.get(pk=xincheng.pk).area_code == "150102"


def test_unauthenticated_api_gets_401_with_error_body(client, setting):
    response = client.get("/api/accounts/departments")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_user_without_scope_sees_nothing(make_user, make_department, api_client_for):
    make_department(area_code="150105")
    user = make_user(["leader"], area_code="150105")
    user.area_code = ""
    user.save()
    assert api_client_for(user).get("/api/accounts/departments").json()["count"] == 0


def test_a_city_user_covers_every_district_of_the_city(make_user, make_department, api_client_for):
    from qingcheng.core.scope import in_scope, scope_prefix

    assert scope_prefix("150100") == "1501" and scope_prefix("150000") == "15"
    assert scope_prefix("150105") == "150105" and scope_prefix("150105100") == "150105100"
    city_leader = make_user(["leader"], area_code="150100")
    assert in_scope(city_leader, "150105001001001") and in_scope(city_leader, "150102")
    assert not in_scope(city_leader, "150202")  # 包头市
    make_department(area_code="150105")
    make_department(area_code="150102")
    make_department(area_code="150202")
    codes = {
        row["area_code"]
        for row in api_client_for(city_leader).get("/api/accounts/departments").json()["items"]
    }
    assert codes == {"150105", "150102"}
