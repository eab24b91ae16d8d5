"""Drill-interval warnings, supply expiry and minimum-stock warnings, dispatch, nearest shelters."""

from __future__ import annotations

import datetime as dt

import pytest

from qingcheng.core.errors import DomainError
from qingcheng.emergency import selectors
from qingcheng.emergency.models import StockLot, StockMovement
from qingcheng.emergency.services import (
    drill_record,
    incident_act,
    plan_create,
    plan_revise,
    stock_set_minimum,
    supplies_dispatch,
)

TODAY = dt.date(2025, 6, 30)


def plan(em, owner_type, published_on, code="YA-1", **kw):
    return plan_create(
        actor=em["admin"],
        code=code,
        name=f"测试预案{code}",
        kind="special",
        owner_type=owner_type,
        area_code="150105",
        published_on=published_on,
        **kw,
    )


def kinds(rows, plan_obj=None):
    return [r["kind"] for r in rows if plan_obj is None or r["plan"].pk == plan_obj.pk]


@pytest.mark.django_db
def test_drill_interval_government_two_years(em):
    gov = plan(em, "government", dt.date(2023, 6, 1))
    assert gov.drill_interval_months == 24
    assert kinds(selectors.drill_warnings(actor=em["leader"], today=dt.date(2025, 5, 15))) == [
        "drill_due_soon"
    ]
    rows = selectors.drill_warnings(actor=em["leader"], today=TODAY)
    assert (
        kinds(rows) == ["drill_overdue"] and rows[0]["due"] == dt.date(2025, 6, 1) and rows[0]["days"] == 29
    )
    drill_record(actor=em["leader"], plan=gov, held_on=dt.date(2025, 6, 20), form="tabletop", participants=30)
    assert selectors.drill_warnings(actor=em["leader"], today=TODAY) == []


@pytest.mark.django_db
def test_drill_interval_high_risk_unit_six_months_and_revision_trigger(em):
    unit_plan = plan(em, "high_risk", dt.date(2024, 1, 10))
    drill_record(
        actor=em["leader"],
        plan=unit_plan,
        held_on=dt.date(2024, 12, 31),
        form="live",
        participants=80,
        evaluation="基本可行",
        problems="通讯联络不畅",
        triggers_revision=True,
    )
    rows = selectors.drill_warnings(actor=em["leader"], today=TODAY)
    assert kinds(rows) == ["drill_due_soon", "revision_needed"]  # last drill + 6 months = 2025-06-30
    rows = selectors.drill_warnings(actor=em["leader"], today=TODAY + dt.timedelta(days=1))
    assert kinds(rows) == ["drill_overdue", "revision_needed"]
    revision = plan_revise(
        actor=em["leader"], plan=unit_plan, trigger="drill", reason="完善通讯保障", new_version="1.1"
    )
    unit_plan.refresh_from_db()
    assert unit_plan.version == "1.1" and not unit_plan.revision_needed and revision.trigger == "drill"
    assert unit_plan.revisions.count() == 2
    # Out of scope: another district sees nothing.
    assert selectors.drill_warnings(actor=em["outsider_leader"], today=TODAY + dt.timedelta(days=1)) == []


@pytest.mark.django_db
def test_plan_interval_may_not_exceed_the_law(em):
    with pytest.raises(DomainError) as exc:
        plan(em, "high_risk", dt.date(2025, 1, 1), drill_interval_months=12)
    assert exc.value.details["field"] == "drill_interval_months"
    assert (
        plan(em, "high_risk", dt.date(2025, 1, 1), code="YA-2", drill_interval_months=3).drill_interval_months
        == 3
    )
    with pytest.raises(DomainError):
        drill_record(
            actor=em["leader"],
            plan=plan(em, "other", TODAY, code="YA-3"),
            held_on=TODAY,
            form="live",
            participants=1,
            triggers_revision=True,
        )


@pytest.mark.django_db
def test_expiry_and_minimum_stock_warnings(em, stock):
    stock["receive"](
        40, expiry=dt.date(2025, 7, 10), received_on=dt.date(2024, 7, 1)
    )  # expiring within 30 days
    stock["receive"](25, expiry=dt.date(2025, 12, 31), received_on=dt.date(2024, 7, 1))
    stock["receive"](10, expiry=dt.date(2025, 6, 1), received_on=dt.date(2024, 6, 1))  # already expired
    stock_set_minimum(actor=em["dispatcher"], warehouse=stock["warehouse"], item=stock["item"], minimum=50)
    warnings = selectors.supply_warnings(actor=em["leader"], today=TODAY)
    got = [(w["kind"], w["quantity"]) for w in warnings]
    assert got == [("expired", 10), ("expiring", 40)]  # usable 65 ≥ 50: no low-stock warning
    level = selectors.stock_levels(actor=em["leader"], today=TODAY)[0]
    assert (level["usable"], level["expired"], level["minimum"], level["low"]) == (65, 10, 50, False)
    stock_set_minimum(actor=em["dispatcher"], warehouse=stock["warehouse"], item=stock["item"], minimum=70)
    got = [
        (w["kind"], w["quantity"], w["minimum"])
        for w in selectors.supply_warnings(actor=em["leader"], today=TODAY)
    ]
    assert got[0] == ("low_stock", 65, 70)
    assert selectors.supply_warnings(actor=em["outsider_leader"], today=TODAY) == []


@pytest.mark.django_db
def test_dispatch_first_expiring_first_out_and_all_or_nothing(em, stock, incident):
    from qingcheng.core import clock

    late = stock["receive"](30, expiry=None)
    soon = stock["receive"](20, expiry=dt.date(2099, 1, 1))
    with pytest.raises(DomainError) as exc:
        supplies_dispatch(
            actor=em["dispatcher"],
            incident=incident,
            warehouse=stock["warehouse"],
            item=stock["item"],
            quantity=51,
        )
    assert exc.value.code == "insufficient_stock" and exc.value.details == {"available": 50, "requested": 51}
    assert StockMovement.objects.filter(kind="dispatch").count() == 0
    moves = supplies_dispatch(
        actor=em["dispatcher"],
        incident=incident,
        warehouse=stock["warehouse"],
        item=stock["item"],
        quantity=25,
    )
    assert [(m.lot_id, m.delta) for m in moves] == [(soon.pk, -20), (late.pk, -5)]
    assert StockLot.objects.get(pk=late.pk).quantity == 25
    assert selectors.dispatched_totals(incident=incident)[0]["quantity"] == 25
    # Citizens and supervisors may not dispatch; closed incidents take no supplies.
    with pytest.raises(DomainError) as exc:
        supplies_dispatch(
            actor=em["supervisor"],
            incident=incident,
            warehouse=stock["warehouse"],
            item=stock["item"],
            quantity=1,
        )
    assert exc.value.status == 403
    incident_act(actor=em["leader"], incident=incident, action="close")
    with pytest.raises(DomainError) as exc:
        supplies_dispatch(
            actor=em["dispatcher"],
            incident=incident,
            warehouse=stock["warehouse"],
            item=stock["item"],
            quantity=1,
        )
    assert exc.value.code == "incident_closed"
    assert clock  # the business clock is available to services


@pytest.mark.django_db
def test_expired_lots_are_never_dispatched(em, stock, incident):
    from qingcheng.core import clock

    with clock.at(dt.datetime(2025, 1, 1, 4, tzinfo=dt.UTC)):
        stock["receive"](10, expiry=dt.date(2025, 3, 1))
    with clock.at(dt.datetime(2025, 6, 1, 4, tzinfo=dt.UTC)), pytest.raises(DomainError) as exc:
        supplies_dispatch(
            actor=em["dispatcher"],
            incident=incident,
            warehouse=stock["warehouse"],
            item=stock["item"],
            quantity=1,
        )
    assert exc.value.details["available"] == 0


@pytest.mark.django_db
def test_nearest_open_shelters_with_free_capacity(em, shelters):
    here = (111.700, 40.800)
    near_full = shelters("S1", 111.701, 40.800, capacity=100, occupancy=99)
    closed = shelters("S2", 111.702, 40.800, capacity=500, status="closed")
    mid = shelters("S3", 111.710, 40.800, capacity=300, occupancy=100)
    far = shelters("S4", 111.760, 40.800, capacity=1000)
    hits = selectors.shelters_nearest(actor=em["leader"], lon=here[0], lat=here[1], people=1)
    assert [h.shelter.code for h in hits] == ["S1", "S3", "S4"]
    assert hits[0].free == 1 and hits[0].within_service_radius
    hits = selectors.shelters_nearest(actor=em["leader"], lon=here[0], lat=here[1], people=2)
    assert [h.shelter.code for h in hits] == ["S3", "S4"]
    assert 800 < hits[0].distance_m < 900 and hits[0].free == 200
    hits = selectors.shelters_nearest(actor=em["leader"], lon=here[0], lat=here[1], people=250)
    assert [h.shelter.code for h in hits] == ["S4"] and not hits[0].within_service_radius
    assert (
        selectors.shelters_nearest(
            actor=em["leader"], lon=here[0], lat=here[1], people=1, max_distance_m=2000, limit=1
        )[0].shelter
        == near_full
    )
    assert [
        h.shelter
        for h in selectors.shelters_nearest(actor=em["leader"], lon=here[0], lat=here[1], max_distance_m=2000)
    ] == [near_full, mid]
    assert selectors.shelters_nearest(actor=em["outsider_leader"], lon=here[0], lat=here[1]) == []
    assert closed and far


@pytest.mark.django_db
def test_incident_tasks_and_area_records_name_only_units_that_cover_the_area(em, incident, make_department):
    from qingcheng.core.errors import DomainError
    from qingcheng.emergency.models import IncidentTask, Warehouse
    from qingcheng.emergency.services import incident_task_assign, warehouse_create

    city_unit = make_department("150100", name="呼和浩特市消防救援支队")
    neighbour = make_department("150102", name="新城区应急管理局")
    task = incident_task_assign(
        actor=em["dispatcher"], incident=incident, department=city_unit, description="灭火"
    )
    assert task.department == city_unit
    with pytest.raises(DomainError) as refused:
        incident_task_assign(
            actor=em["dispatcher"], incident=incident, department=neighbour, description="支援"
        )
    assert refused.value.code == "outside_area" and refused.value.details["field"] == "department"
    assert IncidentTask.objects.filter(incident=incident).count() == 1
    with pytest.raises(DomainError) as refused:
        warehouse_create(
            actor=em["admin"],
            code="WH-X",
            name="越区仓库",
            area_code="150105",
            lon=111.7,
            lat=40.8,
            department=neighbour,
        )
    assert refused.value.code == "outside_area"
    assert not Warehouse.objects.filter(code="WH-X").exists()
