"""Fixtures for case tests: the synthetic test city, the demo catalogue and one user per role."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from qingcheng.geo.testing import cell_centre


def jpeg_bytes(size=(64, 48), colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def catalogue(db):
    from qingcheng.cases.catalogue import load_demo_catalogue

    return load_demo_catalogue()


@pytest.fixture
def loop(test_city, catalogue, make_user, make_department):
    """A city, a catalogue, a handling unit and a user for every role of the loop."""
    from qingcheng.geo.models import Responsibility, SupervisionBeat

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
    from qingcheng.cases.services import PhotoUpload

    def make(kind="before", **kwargs):
        return PhotoUpload(data=jpeg_bytes(**kwargs), kind=kind, name=f"{kind}.jpg")

    return make
