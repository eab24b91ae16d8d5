"""Test-run setup for every test: the fixtures shared across apps (`qingcheng.testing.fixtures`), fast
password hashing, the caches each test starts without, and the browser-test machinery."""

from __future__ import annotations

import contextlib

import pytest

pytest_plugins = ["qingcheng.testing.fixtures"]


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from django.conf import settings

    # Hashing test passwords with the production work factor costs about a second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


# --- Browser tests (Playwright driving Debian's chromium) -------------------------------------------------

BROWSER_ARTIFACTS = "var/test-artifacts"


def _chromium_path() -> str | None:
    import os
    import shutil

    return (
        os.environ.get("QINGCHENG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; in CI a missing browser fails instead of skipping."""
    import os

    executable = _chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
        pytest.skip("no chromium on this machine (apt-get install chromium fonts-noto-cjk)")
    # Playwright's sync API keeps an event loop running in this thread; the ORM calls our tests make
    # between page actions are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def browser_context_for(browser, live_server, request):
    """Make browser contexts on the live server; console errors fail the test; screenshots are saved.

    `browser_context_for(viewport=(390, 844), **context_options)` returns a new page;
    `browser_context_for.allow(regex)` accepts console errors a test provokes on purpose. Every page made
    is screenshotted into var/test-artifacts/<test>-<n>.png when the test ends, pass or fail.
    """
    import re
    from pathlib import Path

    pages = []
    errors: list[str] = []
    failed: list[str] = []
    allowed: list[re.Pattern] = []

    def make(viewport=(1366, 900), **context_options):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": viewport[0], "height": viewport[1]},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **context_options,
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                errors.append(f"console.{message.type}: {message.text}") if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        # Chromium's console names no URL for a failed request; keep them to make the failure readable.
        page.on(
            "response",
            lambda response: (
                failed.append(f"{response.status} {response.request.method} {response.url}")
                if response.status >= 400
                else None
            ),
        )
        pages.append(page)
        return page

    # A test that cuts the network on purpose allows the failed-request messages it expects.
    make.allow = lambda pattern: allowed.append(re.compile(pattern))
    yield make
    errors = [e for e in errors if not any(p.search(e) for p in allowed)]
    folder = Path(BROWSER_ARTIFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(pages, start=1):
        with contextlib.suppress(Exception):  # a page the test closed has nothing to show
            page.screenshot(path=str(folder / f"{request.node.name}-{n}.png"), full_page=True)
        page.context.close()
    assert errors == [], "JavaScript errors in the browser:\n" + "\n".join(
        [*errors, "failed requests:", *failed]
    )


@pytest.fixture
def page(browser_context_for):
    """A desktop page (1366×900) on the live server."""
    return browser_context_for()


# --- Data from migrations after transactional tests ---------------------------------------------------------
# A transactional test (browser, live server, real concurrency) ends with a flush, which also empties the
# rows our data migrations created (component classes, the default scoring scheme, alarm rules, ...). Any
# database test that finds them gone runs those migrations' data functions again before it starts, so no
# result depends on the order in which the xdist workers run the tests.


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(marker and marker.kwargs.get("transaction")) or any(
        name in fixtures for name in ("transactional_db", "live_server")
    )


OUR_APP_LABELS = frozenset(
    {
        "core",
        "accounts",
        "geo",
        "components",
        "cases",
        "intake",
        "open311",
        "evaluation",
        "sensing",
        "emergency",
        "enforcement",
    }
)


def _rerun_data_migrations(connection) -> None:
    from django.apps import apps as registry
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    class Editor:  # what the data functions read from a schema editor
        def __init__(self, connection):
            self.connection = connection

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    plan = []
    for leaf in loader.graph.leaf_nodes():
        for node in loader.graph.forwards_plan(leaf):
            if node not in plan:
                plan.append(node)
    for app_label, name in plan:
        if app_label not in OUR_APP_LABELS:
            continue
        for operation in loader.graph.nodes[(app_label, name)].operations:
            if isinstance(operation, RunPython):
                operation.code(registry, Editor(connection))


@pytest.fixture(autouse=True)
def _migration_data_present(request):
    marker = request.node.get_closest_marker("django_db")
    if not (marker or {"db", "transactional_db", "live_server"} & set(request.fixturenames)):
        yield
        return
    request.getfixturevalue("transactional_db" if _transactional(request.node) else "db")
    from django.db import connection

    from qingcheng.components.models import ComponentClass

    if not ComponentClass.objects.exists():
        _rerun_data_migrations(connection)
    yield
