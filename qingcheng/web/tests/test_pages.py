import pytest


def test_login_page_renders_in_chinese_by_default(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "登录" in html


def test_browser_language_does_not_override_the_chinese_default(client, db):
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html


def test_language_switch_to_english(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    html = client.get("/login/").content.decode()
    assert 'lang="en"' in html
    assert "Log in to Qingcheng" in html


def test_admin_index_for_staff_and_not_for_others(client, make_user):
    admin_user = make_user(["admin"])
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    client.logout()
    client.force_login(make_user(["handler"]))
    assert client.get("/admin/").status_code == 302


def test_health_endpoint(client, db):
    body = client.get("/api/core/health").json()
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_openapi_schema_is_served(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/accounts/departments" in schema["paths"]
