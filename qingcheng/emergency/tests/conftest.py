"""Fixtures of the emergency tests: one district (赛罕区 150105), its people in their roles, a unit."""

from __future__ import annotations

import pytest

AREA = "150105"


@pytest.fixture
def em(make_user, make_department):
    unit = make_department(AREA, name="赛罕区应急管理局")
    other_unit = make_department(AREA, name="赛罕区住建局")
    return {
        "unit": unit,
        "other_unit": other_unit,
        "leader": make_user(["leader"]),
        "shift_leader": make_user(["shift_leader"]),
        "dispatcher": make_user(["dispatcher"]),
        "admin": make_user(["admin"]),
        "supervisor": make_user(["supervisor"]),
        "manager": make_user(["unit_manager"], department=unit),
        "handler": make_user(["handler"], department=unit),
        # Holds both rectify and accept: the only one who could try to accept their own rectification.
        "both": make_user(["unit_manager", "shift_leader"], department=unit),
        "outsider_leader": make_user(["leader"], area_code="150102"),
        "citizen": make_user(["citizen"]),
    }


@pytest.fixture
def shelters(em):
    from qingcheng.emergency.services import shelter_create

    def make(code, lon, lat, capacity, occupancy=0, status="open", area_code=AREA):
        shelter = shelter_create(
            actor=em["admin"],
            code=code,
            name=f"避难场所{code}",
            area_code=area_code,
            level="township",
            duration="short",
            function="comprehensive",
            lon=lon,
            lat=lat,
            effective_area_m2=capacity * 2,
            area_per_person_m2="2",
            service_radius_m=1000,
            status="open",
        )
        if occupancy:
            from qingcheng.emergency.services import shelter_update

            shelter_update(actor=em["leader"], shelter=shelter, occupancy=occupancy)
        if status != "open":
            from qingcheng.emergency.services import shelter_update

            shelter_update(actor=em["leader"], shelter=shelter, status=status)
        shelter.refresh_from_db()
        return shelter

    return make


@pytest.fixture
def stock(em):
    """A warehouse with one item catalogued; `receive(qty, expiry)` adds lots."""
    from qingcheng.emergency.services import stock_receive, supply_item_create, warehouse_create

    warehouse = warehouse_create(
        actor=em["admin"], code="WH-T1", name="测试仓库", area_code=AREA, lon=111.70, lat=40.80
    )
    item = supply_item_create(actor=None, code="TENT", name="帐篷", unit="顶", category="living")

    def receive(quantity, expiry=None, received_on=None):
        return stock_receive(
            actor=em["dispatcher"],
            warehouse=warehouse,
            item=item,
            quantity=quantity,
            expiry_date=expiry,
            received_on=received_on,
        )

    return {"warehouse": warehouse, "item": item, "receive": receive}


@pytest.fixture
def incident(em):
    from qingcheng.emergency.services import incident_report

    return incident_report(
        actor=em["leader"],
        title="测试：燃气管道泄漏",
        category="accident",
        grade="4",
        area_code=AREA,
        lon=111.69,
        lat=40.81,
    )
