"""Stored XSS and the Content-Security-Policy in a real browser.

Names stored with a payload (qingcheng.testing.browser.hostile_city) are shown on the maps, in tooltips and
popups, in the field app and on the workbench as the literal text, no dialog opens and no element of the
payload appears. On every main page the browser reports no CSP violation: every script and style the
pages need comes from our static files. (Console errors fail every browser test anyway; the violations
are collected here as well so that a failure names the directive.)
"""

from __future__ import annotations

import pytest

from qingcheng.testing.browser import XSS_PAYLOADS, browser_login, hostile_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"

# Runs before any script of every document: records the browser's CSP violation reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile || document.URL}:${e.lineNumber}`);
});
"""


class Watch:
    """A page that records dialogs (alert, confirm, prompt) and CSP violations of every document it opens."""

    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        self.violations: list[str] = []
        self.refused: list[str] = []
        page.context.add_init_script(RECORD_VIOLATIONS)
        page.on("dialog", self._dialog)
        page.on(
            "console",
            lambda m: self.refused.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, url: str, ready: str | None = None) -> None:
        self.collect()
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        if ready:
            self.page.wait_for_selector(ready)

    def collect(self) -> None:
        """Keep the violations of the current document before the next navigation replaces it."""
        try:
            found = self.page.evaluate("window.__cspViolations || []")
        except Exception:  # a document that is going away has nothing more to tell
            found = []
        self.violations += [f"{self.page.url}: {v}" for v in found]
        if found:
            self.page.evaluate("window.__cspViolations = []")

    def assert_clean(self) -> None:
        self.collect()
        assert self.dialogs == [], f"a stored payload ran: {self.dialogs}"
        assert self.violations == [], "CSP violations:\n" + "\n".join(self.violations)
        assert self.refused == [], "refused by the CSP:\n" + "\n".join(self.refused)

    def no_payload_elements(self) -> None:
        # An <img src=x> or a <script> made from a name would be an element of the page.
        assert self.page.locator("img[src='x']").count() == 0, self.page.url
        runnable = "[...document.scripts].filter(s => !s.type || /javascript|module/.test(s.type))"
        assert self.page.evaluate(f"{runnable}.filter(s => s.text.includes('alert(1)')).length") == 0

    def tooltip_after_hover(self, selector: str) -> str:
        """Hover each match in turn and return the texts of the tooltips that opened, joined."""
        texts = []
        for index in range(self.page.locator(selector).count()):
            self.page.mouse.move(0, 0)
            self.page.locator(selector).nth(index).hover(force=True)
            tooltip = self.page.locator(".leaflet-tooltip:not(.area-label):not(.cc-area-label)").last
            tooltip.wait_for(state="visible")
            texts.append(tooltip.inner_text())
        return "\n".join(texts)


def _superuser():
    from qingcheng.accounts.models import User

    return User.objects.create_superuser("xss-root", password=PASSWORD, area_code="15")


@pytest.mark.parametrize("payload", XSS_PAYLOADS, ids=["img-onerror", "script-breakout"])
def test_stored_payloads_show_as_text_and_never_run(browser_context_for, loop, make_user, payload):
    city = hostile_city(loop, make_user, payload)
    names = city["names"]
    root = _superuser()
    watch = Watch(browser_context_for(viewport=(1600, 1000)))
    page = watch.page
    browser_login(page, root.username, PASSWORD)

    # The grid map: the district's permanent label is the name as text.
    watch.open("/map/", ".leaflet-tooltip.area-label")
    assert page.locator(".leaflet-tooltip.area-label").first.inner_text() == names["district"]
    watch.no_payload_elements()

    # The command centre: the district label, a case marker's tooltip (its subclass), the unit ranking.
    watch.open("/command-centre/?poll=60", ".cc-area-label")
    page.wait_for_function("() => Number(document.getElementById('command-centre').dataset.refreshed) >= 1")
    assert page.locator(".cc-area-label").first.inner_text() == names["district"]
    assert names["subclass"] in watch.tooltip_after_hover("path.cc-marker")
    assert page.locator("#cc-departments tbody td", has_text=names["unit"]).count() == 1
    assert page.locator("#cc-departments tbody td", has_text=names["unit"]).inner_text() == names["unit"]
    watch.no_payload_elements()

    # The public map (no login needed): a recent case's tooltip names its subclass.
    watch.open("/public/", "#recent-map path.public-case")
    assert names["subclass"] in watch.tooltip_after_hover("#recent-map path.public-case")
    watch.no_payload_elements()

    # The situation map of the incident: the incident, the shelter, the warehouse and the hazard source.
    watch.open(f"/emergency/incidents/{city['incident'].pk}/", "#situation-map path.situation-point")
    shown = watch.tooltip_after_hover("#situation-map path.situation-point")
    for key in ("incident", "shelter", "warehouse", "hazard"):
        assert names[key] in shown, key
    watch.no_payload_elements()

    # The sensing monitor: the device's popup (markers on a canvas: the only device is at the centre).
    watch.open("/sensing/", "#sensing-map canvas")
    page.wait_for_function("() => document.getElementById('sensing-updated').textContent !== ''")
    box = page.locator("#sensing-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content strong")
    assert popup.inner_text() == names["device"]
    watch.no_payload_elements()

    # The case page and the workbench: names rendered by the server, the case map's label.
    watch.open(f"/cases/{city['case'].number}/", ".case-map .leaflet-tooltip")
    assert page.locator(".case-map .leaflet-tooltip").inner_text() == city["case"].number
    assert page.get_by_text(names["subclass"], exact=False).count() >= 1
    watch.no_payload_elements()
    watch.assert_clean()

    # The field app (the supervisor): the subclass picker and the task card.
    phone = Watch(browser_context_for(viewport=(390, 844)))
    browser_login(phone.page, loop["users"]["supervisor"].username, PASSWORD, next_url="/m/")
    phone.page.wait_for_selector(".task-card")
    assert names["subclass"] in phone.page.locator(".task-card").first.inner_text()
    option = phone.page.locator("#r-category option[value=E0102]")
    assert option.inner_text() == f"E0102 {names['subclass']}"
    phone.no_payload_elements()
    phone.assert_clean()

    # The handler's workbench: the queue row and the case panel that htmx swaps in.
    desk = Watch(browser_context_for())
    browser_login(desk.page, loop["users"]["handler"].username, PASSWORD, next_url="/work/to_accept/")
    desk.page.locator("#case-table a.case-link").first.click()
    desk.page.wait_for_selector("#case-panel .case-map .leaflet-tooltip")
    assert names["subclass"] in desk.page.inner_text("#case-table")
    assert names["subclass"] in desk.page.inner_text("#case-panel")
    desk.no_payload_elements()
    desk.assert_clean()


def test_main_pages_keep_to_the_content_security_policy(browser_context_for, loop, make_user):
    """Every main page (and the admin) loads and works with no CSP violation."""
    city = hostile_city(loop, make_user, XSS_PAYLOADS[0])
    root = _superuser()
    watch = Watch(browser_context_for(viewport=(1600, 1000)))
    page = watch.page
    browser_login(page, root.username, PASSWORD)
    pages = [
        ("/", None),
        ("/work/", None),
        (f"/cases/{city['case'].number}/", ".case-map .leaflet-tooltip"),
        ("/map/", ".leaflet-tooltip.area-label"),
        ("/command-centre/?poll=60", "#cc-departments tbody tr[data-unit]"),
        ("/hotline/", "#hotline-map.leaflet-container"),
        ("/emergency/", None),
        (f"/emergency/incidents/{city['incident'].pk}/", "#situation-map path.situation-point"),
        ("/emergency/shelters/", "#situation-map path.situation-point"),
        ("/emergency/hazard-sources/", None),
        ("/sensing/", "#sensing-map canvas"),
        ("/enforcement/", None),
        ("/enforcement/statistics/", "#chart-status svg"),
        ("/enforcement/transfers/", None),
        ("/enforcement/catalogue/", None),
        ("/evaluation/", None),
        ("/admin/", "#content"),
        (f"/admin/emergency/incident/{city['incident'].pk}/change/", "#incident_form"),
        # The SelectFilter widget; on someone else's record, since nobody changes their own groups.
        (f"/admin/accounts/user/{loop['users']['handler'].pk}/change/", "#id_groups_from"),
        ("/admin/cases/case/", "#changelist"),
        ("/api/docs", ".swagger-ui .info"),
        ("/public/", "#recent-map path.public-case"),
        ("/public/report/", "#pin-map.leaflet-container"),
        ("/public/track/", None),
        ("/disclosure/", None),
    ]
    for url, ready in pages:
        watch.open(url, ready)
        assert "/login/" not in page.url, url
    # The charts' rich-text tooltips and the language switch (once an inline onchange) work too.
    watch.open("/enforcement/statistics/", "#chart-status svg path")
    page.locator("#chart-status svg path").first.hover(force=True)
    with page.expect_navigation():
        page.select_option("#language-form select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    watch.no_payload_elements()
    watch.assert_clean()

    # The field app: the page, its manifest and its service worker (worker-src, manifest-src).
    phone = Watch(browser_context_for(viewport=(390, 844)))
    browser_login(phone.page, loop["users"]["supervisor"].username, PASSWORD, next_url="/m/")
    phone.page.wait_for_selector(".task-card")
    # The service worker registers and becomes active for /m/ (its script passes the worker-src check).
    assert phone.page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)").endswith(
        "/m/sw.js"
    )
    phone.page.click("button[data-go=report]")
    phone.page.wait_for_selector("#report-map.leaflet-container")
    phone.assert_clean()
