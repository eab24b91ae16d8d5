"""Shared test fixtures: users with roles and area scopes, made through the real services."""

from __future__ import annotations

import itertools

import pytest

_counter = itertools.count(1)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from django.conf import settings

    # Hashing test passwords with the production work factor costs about a second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_department(db):
    from qingcheng.accounts.services import department_create

    def make(area_code: str = "150105", kind: str = "professional", name: str | None = None, **extra):
        n = next(_counter)
        return department_create(
            actor=None,
            code=extra.pop("code", f"T-{area_code}-{n}"),
            name=name or f"测试单位{n}",
            kind=kind,
            area_code=area_code,
            **extra,
        )

    return make


@pytest.fixture
def make_user(db):
    from qingcheng.accounts.services import user_create

    def make(roles=(), area_code: str = "150105", password: str = "correct-horse-battery", **extra):
        n = next(_counter)
        return user_create(
            actor=None,
            username=extra.pop("username", f"user{n}"),
            password=password,
            area_code=area_code,
            roles=list(roles),
            **extra,
        )

    return make


@pytest.fixture
def api_client_for():
    """A Django test client logged in as the given user (session auth for /api/)."""
    from django.test import Client

    def make(user):
        client = Client(enforce_csrf_checks=False)
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_spatial_index(settings):
    """Each test starts with no cached spatial index: revision ids repeat after rollbacks."""
    from qingcheng.geo import spatial

    settings.GEO_INDEX_CHECK_SECONDS = 0
    spatial.invalidate()
    from qingcheng.geo.selectors import forget_responsibilities

    forget_responsibilities()
    from qingcheng.accounts.backends import forget_permissions

    forget_permissions()
    yield
    spatial.invalidate()


@pytest.fixture
def test_city(db):
    from qingcheng.geo.testing import build_test_city

    return build_test_city()


@pytest.fixture(autouse=True)
def _fresh_work_calendar():
    """Tests change calendars inside rolled-back transactions: never reuse a snapshot across tests."""
    from qingcheng.core import worktime

    worktime._shared_calendar[0] = None
    yield
    worktime._shared_calendar[0] = None


@pytest.fixture(autouse=True)
def _fresh_catalogue_cache():
    from qingcheng.cases.catalogue import forget_cached_catalogue

    forget_cached_catalogue()
    yield
    forget_cached_catalogue()
