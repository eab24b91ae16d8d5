"""API keys per client application (hashed, managed in the admin, audited) and per-key rate limits."""

from __future__ import annotations

import re

import pytest

from qingcheng.core.models import AuditEntry
from qingcheng.open311.access import authenticate, hash_key
from qingcheng.open311.errors import Open311Error
from qingcheng.open311.models import Client

from .conftest import get, parse_json, post, report_form

pytestmark = pytest.mark.django_db

KEY_IN_TEXT = re.compile(r"o311_[A-Za-z0-9_-]+")


def test_keys_are_stored_hashed_and_rotation_retires_the_old_key(make_client):
    from qingcheng.open311.services import client_rotate_key

    app, raw = make_client()
    assert raw.startswith(f"o311_{app.key_prefix}_") and app.key_hash == hash_key(raw)
    assert raw not in str(list(Client.objects.values()))
    assert authenticate(raw, required=True) == app
    app, new = client_rotate_key(actor=None, client=app)
    assert authenticate(new, required=True) == app
    with pytest.raises(Open311Error) as caught:
        authenticate(raw, required=True)
    assert caught.value.status == 403
    assert {"open311.client.create", "open311.client.rotate_key"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )
    assert not any(raw in e.changes or new in e.changes for e in AuditEntry.objects.all())


def test_per_key_rate_limit(client, loop, make_client):
    _, raw = make_client(requests_per_minute=2)
    _, other = make_client("另一个")
    for _n in range(2):
        assert get(client, "services.json", api_key=raw).status_code == 200
    response = post(client, "requests.json", report_form(loop, raw))
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "rate limit" in parse_json(response, "errors")[0]["description"]
    assert get(client, "services.json", api_key=other).status_code == 200  # each key has its own budget


def test_anonymous_reads_are_limited_per_address(client, catalogue, settings):
    settings.OPEN311_ANONYMOUS_REQUESTS_PER_MINUTE = 3
    statuses = [get(client, "services.xml").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_anonymous_reads_are_limited_per_client_behind_a_trusted_proxy(client, catalogue, settings):
    settings.OPEN311_ANONYMOUS_REQUESTS_PER_MINUTE = 2
    settings.QINGCHENG_TRUSTED_PROXIES = ["10.0.0.0/24"]

    def read(client_ip: str) -> int:
        return client.get(
            "/open311/v2/services.json", REMOTE_ADDR="10.0.0.1", headers={"X-Forwarded-For": client_ip}
        ).status_code

    assert [read("198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert read("198.51.100.2") == 200  # another citizen behind the same proxy has their own budget


def test_unlimited_key(client, catalogue, make_client):
    _, raw = make_client(requests_per_minute=0)
    assert all(get(client, "services.json", api_key=raw).status_code == 200 for _ in range(5))


def test_the_admin_issues_a_key_once_and_rotates_it(client, catalogue):
    from qingcheng.accounts.models import User

    root = User.objects.create_superuser("root", password="x-very-secret-1", area_code="15")
    client.force_login(root)
    response = client.post(
        "/admin/open311/client/add/",
        {
            "name": "FixMyStreet 呼和浩特",
            "contact": "mysociety@example.org",
            "requests_per_minute": "30",
            "active": "on",
            "note": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    app = Client.objects.get(name="FixMyStreet 呼和浩特")
    messages = [str(m) for m in response.context["messages"]]
    # The key follows a colon with no space in Chinese: find it by its shape, not by word splitting.
    raw = next(match.group() for m in messages if (match := KEY_IN_TEXT.search(m)))
    assert authenticate(raw, required=True) == app and app.requests_per_minute == 30

    response = client.post(
        "/admin/open311/client/",
        {"action": "rotate_key", "_selected_action": [app.pk]},
        follow=True,
    )
    new = next(match.group() for m in response.context["messages"] if (match := KEY_IN_TEXT.search(str(m))))
    assert new != raw and authenticate(new, required=True) == app

    response = client.post(
        f"/admin/open311/client/{app.pk}/change/",
        {"name": app.name, "contact": app.contact, "requests_per_minute": "5", "note": ""},
        follow=True,
    )
    app.refresh_from_db()
    assert app.requests_per_minute == 5 and app.active is False
    assert "open311.client.update" in set(AuditEntry.objects.values_list("action", flat=True))


def test_the_admin_role_manages_applications():
    from django.contrib.auth.models import Group

    from qingcheng.accounts.services import roles_sync

    roles_sync(strict=True)
    admin = Group.objects.get(name="admin")
    codenames = set(
        admin.permissions.filter(content_type__app_label="open311").values_list("codename", flat=True)
    )
    assert {"add_client", "change_client", "view_servicerequest", "change_serviceattribute"} <= codenames
    assert "change_servicerequest" not in codenames
