import datetime as dt

import pytest
import time_machine
from django.test import override_settings

PASSWORD = "correct-horse-battery"


@pytest.fixture
def officer(make_user):
    return make_user(["leader"], username="leader1", password=PASSWORD)


def _login(client, password, username="leader1"):
    return client.post("/login/", {"username": username, "password": password})


def test_login_and_home(client, officer):
    assert client.get("/").status_code == 302
    response = _login(client, PASSWORD)
    assert response.status_code == 302 and response.url == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "领导" in home.content.decode()


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_FAILURE_WINDOW_SECONDS=900)
def test_five_failures_lock_the_account_even_for_the_right_password(client, officer):
    with time_machine.travel(dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        for _ in range(5):
            assert _login(client, "wrong").status_code == 200
        locked = _login(client, PASSWORD)
        assert locked.status_code == 200
        assert "15" in locked.content.decode()  # "try again in 15 minutes"
        assert "_auth_user_id" not in client.session
        traveller.shift(dt.timedelta(minutes=16))
        assert _login(client, PASSWORD).status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3)
def test_admin_login_is_throttled_too(client, make_user):
    make_user(["admin"], username="adm", password=PASSWORD)
    for _ in range(3):
        client.post("/admin/login/", {"username": "adm", "password": "nope"})
    response = client.post("/admin/login/?next=/admin/", {"username": "adm", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_success_clears_failures(client, officer):
    from qingcheng.accounts.models import LoginFailure

    for _ in range(3):
        _login(client, "wrong")
    assert LoginFailure.objects.filter(username="leader1").count() == 3
    _login(client, PASSWORD)
    assert LoginFailure.objects.filter(username="leader1").count() == 0


def test_inactive_user_cannot_log_in(client, officer):
    officer.is_active = False
    officer.save()
    assert _login(client, PASSWORD).status_code == 200
