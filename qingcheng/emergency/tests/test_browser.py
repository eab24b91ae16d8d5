"""In a real browser: a commander opens an incident, raises a warning, starts the response, dispatches
supplies, and ends the response."""

from __future__ import annotations

import pytest

from qingcheng.testing.browser import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_incident_warning_dispatch_and_close_response(page, make_user):
    from qingcheng.emergency.models import EmergencyWarning, Incident, StockLot
    from qingcheng.emergency.services import (
        shelter_create,
        stock_receive,
        supply_item_create,
        warehouse_create,
    )

    commander = make_user(["leader", "dispatcher", "admin"])
    shelter_create(
        actor=commander,
        code="BT-S1",
        name="测试避难广场",
        area_code="150105",
        level="township",
        duration="short",
        function="comprehensive",
        lon=111.691,
        lat=40.811,
        effective_area_m2=2000,
        area_per_person_m2="2",
        service_radius_m=1000,
        status="open",
    )
    warehouse = warehouse_create(
        actor=commander, code="BT-W1", name="测试储备库", area_code="150105", lon=111.7, lat=40.8
    )
    item = supply_item_create(actor=None, code="BT-TENT", name="测试帐篷", unit="顶", category="living")
    stock_receive(actor=commander, warehouse=warehouse, item=item, quantity=50)

    browser_login(page, commander.username, next_url="/emergency/")
    page.click("#emergency-tabs a[href='/emergency/incidents/']")
    page.fill("#i-title", "测试：暴雨内涝")
    page.select_option("#i-category", "natural")
    page.fill("#i-lon", "111.69")
    page.fill("#i-lat", "40.81")
    with page.expect_navigation():
        page.click("#incident-form button[type=submit]")
    incident = Incident.objects.get()
    assert page.url.endswith(f"/emergency/incidents/{incident.pk}/")
    assert "测试避难广场" in page.inner_text("#nearest-shelters")
    page.wait_for_selector("#situation-map .leaflet-interactive")

    page.click("details[data-panel=warning] > summary")
    page.fill("#w-category", "暴雨")
    page.select_option("#w-level", "2")
    page.fill("#w-area", "赛罕区")
    page.fill("#w-advice", "减少外出")
    page.fill("#w-measures", "低洼地区转移")
    page.fill("#w-issuer", "赛罕区人民政府")
    with page.expect_navigation():
        page.click("#warning-form button[type=submit]")
    assert "暴雨" in page.inner_text("#warnings")
    assert EmergencyWarning.objects.get().colour == "orange"

    page.click("details[data-panel=response] > summary")
    page.select_option("#r-level", "3")
    page.fill("#r-matters", "排涝抢险")
    page.fill("#r-measures", "启用移动泵站")
    page.fill("#r-hours", "24")
    with page.expect_navigation():
        page.click("#response-submit")
    assert page.get_attribute("#incident-status", "data-status") == "responding"

    page.click("details[data-panel=dispatch] > summary")
    page.fill("#d-quantity", "20")
    page.fill("#d-note", "送往满都海公园")
    with page.expect_navigation():
        page.click("#dispatch-form button[type=submit]")
    assert "20" in page.inner_text("#dispatched")
    assert sum(StockLot.objects.values_list("quantity", flat=True)) == 30

    page.fill("#e-reason", "积水已排除")
    with page.expect_navigation():
        page.click("#end-response-form button[type=submit]")
    assert page.get_attribute("#incident-status", "data-status") == "recovery"
    incident.refresh_from_db()
    assert incident.response_level is None
    assert incident.responses.get().ended_at is not None
    assert "积水已排除" in page.inner_text("#responses")
