"""The pytest fixtures shared across apps: the synthetic test city, the demo catalogue, users and
departments made through the services, the case loop (one user per role) and logged-in API clients.
Loaded for every test by `pytest_plugins` in the root conftest.py; a fixture one app alone uses stays
in that app's conftest."""

from __future__ import annotations

import pytest

from qingcheng.testing import jpeg_bytes
from qingcheng.testing.factories import DepartmentFactory, UserFactory


@pytest.fixture
def make_department(db):
    def make(area_code: str = "150105", kind: str = "professional", name: str | None = None, **extra):
        if name:
            extra["name"] = name
        return DepartmentFactory(area_code=area_code, kind=kind, **extra)

    return make


@pytest.fixture
def make_user(db):
    def make(roles=(), area_code: str = "150105", password: str = "correct-horse-battery", **extra):
        return UserFactory(roles=roles, area_code=area_code, password=password, **extra)

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


@pytest.fixture
def test_city(db):
    from qingcheng.geo.testing import build_test_city

    return build_test_city()


@pytest.fixture
def catalogue(db):
    from qingcheng.cases.catalogue import load_demo_catalogue

    return load_demo_catalogue()


@pytest.fixture
def loop(test_city, catalogue, make_user, make_department):
    """A city, a catalogue, a handling unit and a user for every role of the loop."""
    from qingcheng.geo.models import Responsibility, SupervisionBeat
    from qingcheng.geo.testing import cell_centre

    unit = make_department(area_code="150105", kind="professional", name="市政处置单位")
    other_unit = make_department(area_code="150105", kind="professional", name="另一处置单位")
    street = make_department(area_code="150105001", kind="street", name="测试街道办事处", code="150105001")
    Responsibility.objects.create(area_code="150105", matter_type="E01", role="department", department=unit)
    users = {
        "supervisor": make_user(["supervisor"], area_code="150105"),
        "receiver": make_user(["receiver"], area_code="150105"),
        "dispatcher": make_user(["dispatcher"], area_code="150105"),
        "shift_leader": make_user(["shift_leader"], area_code="150105"),
        "handler": make_user(["handler"], area_code="150105", department=unit),
        "unit_manager": make_user(["unit_manager"], area_code="150105", department=unit),
        "other_handler": make_user(["handler"], area_code="150105", department=other_unit),
        "leader": make_user(["leader"], area_code="150105"),
        "hotline_agent": make_user(["hotline_agent"], area_code="150105"),
        "auxiliary": make_user(["auxiliary"], area_code="150105", staff_category="auxiliary"),
        "procuratorate": make_user(["procuratorate"], area_code="150105"),
        "citizen": make_user(["citizen"], area_code="150105"),
        "outsider_dispatcher": make_user(["dispatcher"], area_code="150102"),
    }
    beat = SupervisionBeat.objects.create(
        code="B-1", name="一号", area_code="150105001001", grid_codes=["150105001001001"]
    )
    beat.supervisors.add(users["supervisor"])
    return {
        "unit": unit,
        "other_unit": other_unit,
        "street": street,
        "users": users,
        "point": cell_centre(0, 0),
    }


@pytest.fixture
def photo():
    """Makes a case photo upload: `photo("after")`; keyword arguments go to `jpeg_bytes`."""
    from qingcheng.cases.services import PhotoUpload

    def make(kind="before", **kwargs):
        return PhotoUpload(data=jpeg_bytes(**kwargs), kind=kind, name=f"{kind}.jpg")

    return make
