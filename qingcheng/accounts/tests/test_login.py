import datetime as dt
import threading
import time

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client, override_settings

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


# ------------------------------------------------------------------ throttling by username and address

PROXY = "10.0.0.1"


def _login_from(client, username, password, address=PROXY, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, headers=headers
    )


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_ADDRESS_MAX_FAILURES=20, QINGCHENG_TRUSTED_PROXIES=[])
def test_failures_of_one_user_behind_a_shared_proxy_lock_nobody_else(client, make_user):
    """The documented reverse proxy gives every request one REMOTE_ADDR: twenty failures from it (A's and
    those of three mistyped names) must not lock B, who has not failed, out of that address."""
    from qingcheng.accounts.models import LoginFailure

    make_user(["leader"], username="alice", password=PASSWORD)
    make_user(["leader"], username="bob", password=PASSWORD)
    for name in ("alice", "alcie", "ailce", "alise"):
        for _ in range(5):
            assert _login_from(client, name, "wrong").status_code == 200
    assert LoginFailure.objects.filter(client_ip=PROXY).count() == 20
    assert _login_from(client, "alice", PASSWORD).status_code == 200  # alice herself is locked
    assert "_auth_user_id" not in client.session
    response = _login_from(client, "bob", PASSWORD)
    assert response.status_code == 302, response.content.decode()[:300]


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_ADDRESS_MAX_FAILURES=20, QINGCHENG_TRUSTED_PROXIES=[])
def test_an_address_guessing_across_usernames_gets_one_guess_per_username(client, make_user):
    """Twenty failures over four usernames make the address noisy: from there a username that already
    failed gets no further guess, one without failures can still log in, and other addresses are free."""
    carol = make_user(["leader"], username="carol", password=PASSWORD)
    make_user(["leader"], username="dave", password=PASSWORD)
    assert _login_from(client, "carol", "typo").status_code == 200  # carol's one failure
    for name in ("a1", "a2", "a3", "a4"):
        for _ in range(5):
            _login_from(client, name, "guess")
    refused = _login_from(client, "carol", PASSWORD)
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "15" in refused.content.decode()  # told to wait, not "wrong password"
    assert _login_from(client, "dave", PASSWORD).status_code == 302
    client.logout()
    assert _login_from(client, "carol", PASSWORD, address="192.0.2.50").status_code == 302
    assert int(client.session["_auth_user_id"]) == carol.pk


@override_settings(QINGCHENG_TRUSTED_PROXIES=["10.0.0.0/24"], LOGIN_MAX_FAILURES=5)
def test_failures_are_counted_against_the_client_behind_trusted_proxies(client, make_user):
    """The chain is read right to left past the trusted proxies; what the client wrote on the left of
    its own address is never used."""
    from qingcheng.accounts.models import LoginFailure

    make_user(["leader"], username="erin", password=PASSWORD)
    _login_from(client, "erin", "wrong", forwarded="198.51.100.7, 10.0.0.2")
    _login_from(client, "erin", "wrong", forwarded="1.2.3.4, 198.51.100.7, 10.0.0.2")
    _login_from(client, "erin", "wrong", forwarded="198.51.100.8")
    assert sorted(LoginFailure.objects.values_list("client_ip", flat=True)) == [
        "198.51.100.7",
        "198.51.100.7",
        "198.51.100.8",
    ]


@override_settings(QINGCHENG_TRUSTED_PROXIES=[PROXY], LOGIN_MAX_FAILURES=5, LOGIN_ADDRESS_MAX_FAILURES=6)
def test_a_forwarding_header_from_an_untrusted_address_is_ignored(client, make_user):
    """A client that is not a trusted proxy cannot pick its own address with the header: its failures
    stay on its real address, so a fresh header per attempt does not buy fresh guesses."""
    from qingcheng.accounts.models import LoginFailure

    make_user(["leader"], username="frank", password=PASSWORD)
    make_user(["leader"], username="gina", password=PASSWORD)
    for n in range(6):
        _login_from(client, f"x{n}", "wrong", address="203.0.113.9", forwarded=f"198.51.100.{n}")
    assert set(LoginFailure.objects.values_list("client_ip", flat=True)) == {"203.0.113.9"}
    _login_from(client, "frank", "wrong", address="203.0.113.9", forwarded="198.51.100.99")
    again = _login_from(client, "frank", PASSWORD, address="203.0.113.9", forwarded="198.51.100.100")
    assert again.status_code == 200 and "_auth_user_id" not in client.session


@override_settings(LOGIN_MAX_FAILURES=3)
def test_the_admin_login_says_locked(client, make_user):
    make_user(["admin"], username="adm2", password=PASSWORD)
    for _ in range(3):
        client.post("/admin/login/", {"username": "adm2", "password": "nope"})
    response = client.post("/admin/login/?next=/admin/", {"username": "adm2", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "15" in response.content.decode()


# ------------------------------------------------------------------ attempts at the same moment


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent logins need PostgreSQL (SQLite serialises writers); run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_ADDRESS_MAX_FAILURES=1000)
@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_thirty_concurrent_wrong_passwords_check_at_most_five(make_user, monkeypatch, url):
    """Each attempt takes its slot before the password is checked: thirty at once against a limit of five
    make at most five password checks, and the account stays locked for the right password after."""
    from qingcheng.accounts.models import User

    make_user(["admin"], username="target", password=PASSWORD)
    checks: list[str] = []
    lock = threading.Lock()
    real_check = User.check_password

    def slow_check(self, raw):
        with lock:
            checks.append(raw)
        time.sleep(0.05)  # a real hasher takes this long; the race window is the check itself
        return real_check(self, raw)

    monkeypatch.setattr(User, "check_password", slow_check)
    barrier = threading.Barrier(30)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            attacker = Client()
            barrier.wait(timeout=30)
            response = attacker.post(
                url, {"username": "target", "password": f"guess-{n}"}, REMOTE_ADDR=f"198.51.100.{n}"
            )
            statuses.append(response.status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert statuses == [200] * 30
    assert len(checks) <= 5, f"{len(checks)} passwords checked against a limit of 5"
    late = Client().post(url, {"username": "target", "password": PASSWORD})
    assert late.status_code == 200 and len(checks) <= 5
