"""The Content-Security-Policy is on every response of every page: each URL pattern of the scope matrix
(tests/test_scope_matrix.py: PAGE_READS and PAGE_WRITES, which `test_every_endpoint_is_in_the_matrix`
keeps complete) for both districts' records, read by a superuser, a user of the district and nobody
logged in, and posted to by the user who may write; every page of the admin; the error pages. The
policy allows no inline script, no eval and no inline style; the views that serve evidence files keep
their own stricter one.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

pytestmark = pytest.mark.django_db

HEADER = "Content-Security-Policy"
# Files opened on their own (evidence, the case archive): nothing may run or load at all.
FILE_POLICY = "default-src 'none'; sandbox"


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (p.split() for p in policy.split(";") if p.strip())
    return {name: values for name, *values in parts}


def test_the_policy_allows_no_inline_code():
    from csp.utils import build_policy

    policy = _directives(build_policy())
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["worker-src"] == ["'self'"] and policy["manifest-src"] == ["'self'"]
    for values in policy.values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"} & set(values)


@pytest.fixture
def world(loop, make_user, make_department, settings, tmp_path):
    from django.core.cache import cache

    from tests._scope_world import build_world

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_READS_PER_HOUR = 10**6
    settings.PUBLIC_REPORTS_PER_HOUR = 10**6
    settings.OPEN311_ANONYMOUS_REQUESTS_PER_MINUTE = 0
    cache.clear()
    return build_world(loop, make_user, make_department)


class Checked:
    def __init__(self):
        from csp.utils import build_policy

        self.policy = build_policy()
        self.html = 0
        self.files = 0
        self.responses = 0
        self.problems: list[str] = []

    def __call__(self, response, what: str) -> None:
        self.responses += 1
        got = response.get(HEADER)
        if response.get("Content-Type", "").startswith("text/html"):
            self.html += 1
        if got is None:
            self.problems.append(f"no CSP: {what} ({response.status_code})")
        elif got not in (self.policy, FILE_POLICY):
            self.problems.append(f"another CSP: {what}: {got}")
        elif got == FILE_POLICY:
            self.files += 1
            if response.get("Content-Type", "").startswith("text/html"):
                self.problems.append(f"an HTML page with the file policy: {what}")


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_every_page_sends_the_policy(world):
    from qingcheng.accounts.models import User
    from tests._scope_world import INSIDE
    from tests.test_scope_matrix import PAGE_READS, PAGE_WRITES

    check = Checked()
    root = User.objects.create_superuser("csp-root", password="x-very-secret-1", area_code="15")
    readers = {
        "root": _client(root),
        "receiver": _client(world.users[("receiver", INSIDE)]),
        "anonymous": _client(),
    }
    for name, page in PAGE_READS.items():
        for records in world.records.values():
            url = page.url(records)
            for who, client in readers.items():
                check(client.get(url), f"GET {url} as {who} ({name})")
    for name, spec in PAGE_WRITES.items():
        records = world.records[INSIDE]
        url, body = spec.fill(records)["url"], spec.body(records)
        allowed = world.users.get((spec.allowed, INSIDE))
        for who, client in {"allowed": _client(allowed), "anonymous": _client()}.items():
            with transaction.atomic():
                check(client.post(url, body), f"POST {url} as {who} ({name})")
                transaction.set_rollback(True)
    assert check.problems == [], "\n".join(check.problems)
    assert check.html >= 250 and check.responses >= 400, (check.html, check.responses)
    # The evidence files and the archive keep their stricter policy (the middleware leaves it alone).
    assert check.files >= 4, check.files


def test_every_admin_page_sends_the_policy(db):
    from qingcheng.accounts.models import User

    check = Checked()
    root = User.objects.create_superuser("csp-root", password="x-very-secret-1", area_code="15")
    client = _client(root)
    urls = ["/admin/", "/admin/password_change/", "/admin/jsi18n/"]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        urls.append(f"/admin/{meta.app_label}/")
        urls.append(f"/admin/{meta.app_label}/{meta.model_name}/")
        if model_admin.has_add_permission(_request(root)):
            urls.append(f"/admin/{meta.app_label}/{meta.model_name}/add/")
    urls.append(f"/admin/accounts/user/{root.pk}/change/")
    for url in dict.fromkeys(urls):
        response = client.get(url)
        assert response.status_code == 200, url
        check(response, f"GET {url}")
    check(_client().get("/admin/login/"), "GET /admin/login/ (anonymous)")
    assert check.problems == [], "\n".join(check.problems)
    assert check.html >= 100


def _request(user) -> HttpRequest:
    request = HttpRequest()
    request.user = user
    return request


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _fails), path("", include("qingcheng.urls"))]


@pytest.mark.urls("tests.test_csp")
def test_error_pages_send_the_policy(db):
    """The 404 and 500 pages too (they would echo a path or a message if ever changed to)."""
    from csp.utils import build_policy

    client = Client(raise_request_exception=False)
    for url, status in (("/no-such-page/<script>alert(1)</script>", 404), ("/boom/", 500)):
        response = client.get(url)
        assert response.status_code == status
        assert response[HEADER] == build_policy(), url
        assert "<script>alert(1)" not in response.content.decode()
