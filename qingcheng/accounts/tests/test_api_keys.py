import datetime as dt

import pytest
import time_machine

from qingcheng.accounts.models import ApiKey
from qingcheng.accounts.services import api_key_create, api_key_revoke, api_key_rotate


@pytest.fixture
def client_user(make_user):
    return make_user(["api_client", "dispatcher"], area_code="150105")


def test_key_authenticates_and_is_stored_hashed(client, client_user):
    key, raw = api_key_create(actor=None, user=client_user, name="app")
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in (stored.secret_hash, stored.prefix)
    assert len(stored.secret_hash) == 64
    response = client.get("/api/accounts/me", HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    assert response.json()["username"] == client_user.username
    assert response.json()["area_code"] == "150105"


def test_wrong_revoked_and_malformed_keys_are_401(client, client_user):
    key, raw = api_key_create(actor=None, user=client_user, name="app")
    assert (
        client.get("/api/accounts/me", HTTP_X_API_KEY=raw[:-1] + ("A" if raw[-1] != "A" else "B")).status_code
        == 401
    )
    assert client.get("/api/accounts/me", HTTP_X_API_KEY="garbage").status_code == 401
    api_key_revoke(actor=None, key=key)
    assert client.get("/api/accounts/me", HTTP_X_API_KEY=raw).status_code == 401


def test_rotation_keeps_the_old_key_for_the_grace_period(client, client_user):
    start = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        old, old_raw = api_key_create(actor=None, user=client_user, name="app")
        _new, new_raw = api_key_rotate(actor=None, key=old, grace=dt.timedelta(hours=24))
        assert client.get("/api/accounts/me", HTTP_X_API_KEY=old_raw).status_code == 200
        assert client.get("/api/accounts/me", HTTP_X_API_KEY=new_raw).status_code == 200
        traveller.shift(dt.timedelta(hours=25))
        assert client.get("/api/accounts/me", HTTP_X_API_KEY=old_raw).status_code == 401
        assert client.get("/api/accounts/me", HTTP_X_API_KEY=new_raw).status_code == 200


def test_api_key_user_is_scoped_like_anyone(client, client_user, make_department):
    inside = make_department(area_code="150105")
    outside = make_department(area_code="150102")
    _, raw = api_key_create(actor=None, user=client_user, name="app")
    assert client.get(f"/api/accounts/departments/{inside.pk}", HTTP_X_API_KEY=raw).status_code == 200
    assert client.get(f"/api/accounts/departments/{outside.pk}", HTTP_X_API_KEY=raw).status_code == 404


def test_user_list_masks_personal_data_without_permission(client, make_user, client_user):
    make_user(["handler"], area_code="150105", display_name="张三丰", phone="13812345678")
    _, raw = api_key_create(actor=None, user=make_user(["leader"], area_code="150105"), name="x")
    # leaders see personal data; dispatchers and API clients do not have view_user at all
    rows = client.get("/api/accounts/users", HTTP_X_API_KEY=raw).json()["items"]
    assert any(r["display_name"] == "张三丰" for r in rows)
    unit_manager = make_user(["unit_manager"], area_code="150105")
    _, raw2 = api_key_create(actor=None, user=unit_manager, name="y")
    rows = client.get("/api/accounts/users", HTTP_X_API_KEY=raw2).json()["items"]
    target = next(r for r in rows if r["phone"].endswith("5678"))
    assert target["display_name"] == "张**" and target["phone"] == "138****5678"
