"""The command centre in a real browser with the demo city and a few simulated days: the counters show the
database's numbers, the map draws the cases and the heat map, the charts and the ranking render, and a new
report shows up without a reload. Console errors fail the test (see the `browser_context_for` fixture)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Q

from qingcheng.testing.browser import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def database_counters() -> dict[str, int]:
    """Today's counters computed straight from the case table (the demo leader sees the whole city)."""
    from qingcheng.cases.models import Case
    from qingcheng.cases.workflow import HANDLING_STATES, OPEN_STATES
    from qingcheng.core import clock
    from qingcheng.evaluation.periods import zone

    now = clock.now()
    today = now.astimezone(zone()).replace(hour=0, minute=0, second=0, microsecond=0)
    cases = Case.objects.all()
    return {
        "reported_today": cases.filter(reported_at__gte=today, reported_at__lte=now).count(),
        "opened_today": cases.filter(opened_at__gte=today, opened_at__lte=now).count(),
        "closed_today": cases.filter(status="closed", closed_at__gte=today, closed_at__lte=now).count(),
        "overdue": cases.filter(status__in=HANDLING_STATES, handle_due_at__lt=now).count(),
        "open": cases.filter(status__in=OPEN_STATES).count(),
        "markers": cases.filter(Q(status__in=OPEN_STATES) | Q(status="closed", closed_at__gte=today)).count(),
    }


def page_counters(page) -> dict[str, int]:
    values = page.eval_on_selector_all(
        "[data-counter]",
        "els => Object.fromEntries(els.map(e => [e.dataset.counter, Number(e.dataset.value)]))",
    )
    values["markers"] = int(page.get_attribute("#command-centre", "data-markers"))
    return values


def test_command_centre_with_the_demo_city(browser_context_for):
    from qingcheng.cases.services import case_report
    from qingcheng.demo.users import DEMO_PASSWORD
    from qingcheng.geo.models import UnitGrid

    call_command("load_demo_city", verbosity=0)
    call_command("simulate_city", "--days", "2", "--per-day", "15", verbosity=0)
    before = database_counters()
    assert before["open"] > 0 and before["markers"] > 0

    page = browser_context_for(viewport=(1920, 1080))
    browser_login(page, "leader", DEMO_PASSWORD)
    page.goto("/command-centre/?poll=5")
    page.wait_for_function("() => Number(document.getElementById('command-centre').dataset.refreshed) >= 1")
    shown = page_counters(page)
    after = database_counters()
    for key, value in shown.items():
        assert value in (before[key], after[key]), key  # a deadline may pass between the two reads

    # The map: one SVG circle per case, overdue ones highlighted; the boundaries; the heat map.
    page.wait_for_selector(".cc-area-label")
    assert page.locator("path.cc-marker").count() == shown["markers"]
    assert page.locator("path.cc-overdue").count() == shown["overdue"] > 0
    assert page.evaluate("window.qingchengCommandCentre.heat.drawn") > 0
    assert page.locator("#cc-trend canvas").count() >= 1
    assert page.locator("#cc-subclasses canvas").count() >= 1
    rows = page.locator("#cc-departments tbody tr")
    assert rows.count() >= 1

    # A new public report arrives: the page shows it at the next poll, without reloading.
    page.evaluate("window.__stillThePage = true")
    grid = UnitGrid.objects.filter(valid_to__isnull=True).order_by("code").first()
    case_report(
        actor=None,
        source="public",
        lon=grid.centroid_lon,
        lat=grid.centroid_lat,
        description="浏览器测试：路面有垃圾",
    )
    expected = shown["reported_today"] + 1
    page.wait_for_function(
        f"() => Number(document.querySelector('[data-counter=reported_today]').dataset.value) === {expected}",
        timeout=int(timedelta(seconds=20).total_seconds() * 1000),
    )
    assert page.evaluate("window.__stillThePage") is True
    assert page.locator("path.cc-marker").count() >= shown["markers"]
