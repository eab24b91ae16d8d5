"""Stored XSS: names that users or administrators typed (areas, subclasses, units, incidents, shelters, hazard
sources, warehouses, devices) reach the pages only escaped, whatever they contain; the JSON endpoints that
the maps fetch carry them as plain data (the scripts render them as text: see the browser test
qingcheng/web/tests/test_browser_xss.py), and the PDF export prints them as they are instead of reading
them as markup.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client
from django.utils.html import escape

from qingcheng.testing.browser import XSS_PAYLOADS, hostile_city

pytestmark = pytest.mark.django_db


def _json_script_escaped(text: str) -> str:
    """How json_script writes a string inside its <script> element (non-ASCII, <, > and & as \\u escapes)."""
    return json.dumps(text)[1:-1].replace("&", "\\u0026").replace("<", "\\u003C").replace(">", "\\u003E")


@pytest.fixture(params=XSS_PAYLOADS, ids=["img-onerror", "script-breakout"])
def hostile(request, loop, make_user):
    payload = request.param
    city = hostile_city(loop, make_user, payload)
    from qingcheng.accounts.models import User

    root = User.objects.create_superuser("xss-root", password="x-very-secret-1", area_code="15")
    return {"payload": payload, "root": root, "loop": loop, **city}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pages(h) -> list[tuple[str, str, tuple[str, ...]]]:
    """(who, url, the names the page must carry, escaped); every page must carry no payload raw."""
    case, incident = h["case"], h["incident"]
    return [
        ("root", "/map/", ()),
        ("root", "/command-centre/", ()),
        ("supervisor", "/m/", ("subclass",)),
        ("root", "/m/", ("subclass",)),
        ("anonymous", "/public/", ()),
        ("anonymous", "/public/report/", ("subclass",)),
        ("root", f"/cases/{case.number}/", ("subclass", "unit")),
        ("handler", "/work/to_accept/", ("subclass",)),
        ("root", "/emergency/", ()),
        ("root", "/emergency/incidents/", ("incident",)),
        ("root", f"/emergency/incidents/{incident.pk}/", ("incident", "shelter", "warehouse", "hazard")),
        ("root", "/emergency/shelters/", ("shelter",)),
        ("root", "/emergency/hazard-sources/", ("hazard",)),
        ("root", "/sensing/", ()),
        ("root", "/evaluation/", ()),
        ("root", "/admin/geo/adminarea/", ("district",)),
        ("root", "/admin/cases/casecategory/", ("subclass",)),
        ("root", "/admin/accounts/department/", ("unit",)),
        ("root", "/admin/emergency/incident/", ("incident",)),
        ("root", f"/admin/emergency/incident/{incident.pk}/change/", ("incident",)),
    ]


def test_pages_carry_stored_payloads_only_escaped(hostile):
    payload, names = hostile["payload"], hostile["names"]
    users = {"root": hostile["root"], **hostile["loop"]["users"]}
    checked = 0
    for who, url, carried in _pages(hostile):
        client = Client() if who == "anonymous" else _client(users[who])
        response = client.get(url)
        assert response.status_code == 200, (who, url, response.status_code)
        html = response.content.decode()
        assert payload not in html, f"{url} as {who}: the payload reached the page unescaped"
        for key in carried:
            forms = (escape(names[key]), _json_script_escaped(names[key]))
            assert any(form in html for form in forms), f"{url} as {who} does not show the {key} name"
            checked += 1
    assert checked == 18


def test_json_endpoints_carry_the_names_as_data(hostile):
    """The maps fetch these; they carry the text as it is and the scripts put it into text nodes."""
    names = hostile["names"]
    root = _client(hostile["root"])
    supervisor = _client(hostile["loop"]["users"]["supervisor"])
    reads = [
        (root, "/api/geo/areas/features?level=district", ("district",)),
        (root, "/command-centre/data.json", ("subclass", "unit")),
        (Client(), "/public/map.json", ("subclass",)),
        (root, "/sensing/live.json", ("device",)),
        (supervisor, "/api/intake/supervisor/tasks", ("subclass",)),
    ]
    for client, url, carried in reads:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/json"), url
        text = json.dumps(response.json(), ensure_ascii=False)
        for key in carried:
            assert json.dumps(names[key], ensure_ascii=False) in text, (url, key)


def test_field_app_subclasses_cannot_end_their_script_element(hostile):
    """The subclass list of /m/ is JSON in a <script> element: a name with </script> must not close it."""
    import re

    html = _client(hostile["loop"]["users"]["supervisor"]).get("/m/").content.decode()
    block = re.search(r'<script id="subclasses" type="application/json">(.*?)</script>', html, re.S)
    assert block is not None
    subclasses = json.loads(block.group(1))
    assert hostile["names"]["subclass"] in [s["name"] for s in subclasses]
    # Nothing after the JSON element runs as an inline script.
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html) == []


def test_evaluation_pdf_prints_names_instead_of_reading_them_as_markup(hostile):
    """ReportLab's Paragraph reads <img src>, <a href>, <font> as markup: a unit named like that broke the
    export (an <img> with a made-up source is a 500) or put a link into the report."""
    from qingcheng.core import clock
    from tests.test_scope_matrix import _pdf_text

    month = clock.now().astimezone().strftime("%Y-%m")
    response = _client(hostile["root"]).get(
        f"/evaluation/download/?level=department&format=pdf&period={month}"
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"%PDF")
    # The table cell wraps the name over lines: compare without the line breaks and spaces.
    shown = "".join(_pdf_text(content).split())
    assert "".join(hostile["names"]["unit"].split()) in shown, shown


# ------------------------------------------------------------------------ the sources, read as text

ROOT = Path(__file__).resolve().parent.parent / "qingcheng"


def _ours(pattern: str) -> list[Path]:
    return sorted(p for p in ROOT.rglob(pattern) if "vendor" not in p.parts)


def test_templates_carry_no_inline_code_or_styles():
    """What the CSP refuses (and what would hand data to the HTML or JS parser) is not in a template:
    <script> without src, event-handler attributes, javascript: URLs, style attributes and <style>
    elements, |safe and autoescape off."""
    import re

    rules = {
        "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
        "event-handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
        "javascript: URL": re.compile(r"javascript:", re.I),
        "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
        "<style> element": re.compile(r"<style\b", re.I),
        "|safe": re.compile(r"\|\s*safe\b"),
        "autoescape off": re.compile(r"{%\s*autoescape\s+off"),
    }
    templates = _ours("*.html")
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in templates
        for name, rule in rules.items()
        if rule.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
    assert len(templates) >= 50


def test_scripts_hand_no_strings_to_html_sinks():
    """Our scripts build nodes (js/qingcheng.js): no innerHTML and the like, and what Leaflet gets for a
    tooltip or popup is a node from Qingcheng.text/lines/el or a function returning one, never a string
    (Leaflet sets strings as innerHTML); ECharts gets no HTML formatter and draws tooltips as rich text."""
    import re

    sinks = re.compile(
        r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\("
    )
    leaflet = re.compile(
        r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)\(\s*([^\n]{0,40})"
    )
    node = re.compile(r"^(text\(|lines\(|content\b|\(\) => (text|lines)\(|function \(\) { return popup\()")
    scripts = [p for p in _ours("*.js") if p.name != "sw.js"]
    found = []
    for path in scripts:
        source = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m.group(0)}" for m in sinks.finditer(source)]
        found += [
            f"{path.name}: {m.group(0)}" for m in leaflet.finditer(source) if not node.match(m.group(2))
        ]
        if "echarts" in source:
            found += [f"{path.name}: formatter" for _ in re.finditer(r"\bformatter\s*:", source)]
            tooltips = re.findall(r"tooltip\s*[:=(][^\n]*", source)
            found += [f"{path.name}: {t}" for t in tooltips if "renderMode" not in t and "tooltip(" not in t]
    assert found == []
    assert len(scripts) >= 10
