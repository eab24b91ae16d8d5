"""Take the screenshots in docs/screenshots/ from a running demo (`make run`), with Debian's chromium.

    .venv/bin/python tools/screenshots.py --base-url http://127.0.0.1:8000 [--out docs/screenshots]

Desktop shots are 1600×1000 (the command centre 1920×1080); the field app is a 390×844 phone.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "qingcheng-demo-2026"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A point inside 赛罕区 where the demo supervisor walks.
PHONE_POSITION = {"latitude": 40.8086, "longitude": 111.7003, "accuracy": 8}

DESKTOP = [
    # file, user, path, click the first case in the queue
    ("workbench-receiver", "receiver", "/work/reported/", True),
    ("workbench-dispatcher", "dispatcher", "/work/to_dispatch/", True),
    ("workbench-shift-leader", "shiftleader", "/work/approvals/", True),
    ("workbench-unit", "handler", "/work/in_progress/", True),
    ("workbench-leader", "leader", "/work/overdue/", True),
    ("case-search", "receiver", "/cases/?status=closed", False),
    ("hotline-desk", "hotline", "/hotline/", False),
    ("evaluation", "leader", "/evaluation/", False),
    ("sensing", "admin", "/sensing/", False),
    ("emergency", "leader", "/emergency/", False),
    ("enforcement-queue", "officer", "/enforcement/?status=open", False),
    ("enforcement-statistics", "leader", "/enforcement/statistics/", False),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    options = parser.parse_args()
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    base = options.base_url.rstrip("/")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=options.chromium, args=ARGS)

        def login(context, user: str, next_url: str = "/"):
            page = context.new_page()
            page.goto(f"{base}/login/?next={next_url}")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            return page

        for name, user, path, open_first in DESKTOP:
            context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
            page = login(context, user, path)
            response = page.goto(base + path)
            if response is None or not response.ok:
                print(f"skipped {name}: {path} answered {response.status if response else 'nothing'}")
                context.close()
                continue
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(800)
            if open_first and page.locator("#cases a.case-link").count():
                page.locator("#cases a.case-link").first.click()
                page.wait_for_selector("#case-panel .case-panel")
                page.wait_for_timeout(1200)
            page.screenshot(path=str(out / f"{name}.png"))
            if name == "case-search" and page.locator("#cases a.case-link").count():
                number = page.locator("#cases a.case-link").first.inner_text().strip()
                page.goto(f"{base}/cases/{number}/")
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1200)
                page.screenshot(path=str(out / "case-page.png"), full_page=True)
            context.close()

        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        page = login(context, "leader", "/command-centre/")
        response = page.goto(base + "/command-centre/")
        if response is not None and response.ok:
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(2500)
            page.screenshot(path=str(out / "command-centre.png"))
        context.close()

        phone = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            geolocation=PHONE_POSITION,
            permissions=["geolocation"],
        )
        page = login(phone, "supervisor", "/m/")
        page.goto(base + "/m/")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(800)
        page.screenshot(path=str(out / "mobile-tasks.png"))
        page.click("button[data-go=report]")
        page.wait_for_timeout(2000)
        page.select_option("#r-category", "E0102")
        page.fill("#r-description", "人行道上有暴露垃圾，约两平方米")
        page.screenshot(path=str(out / "mobile-report.png"))
        page.click("button[data-go=map]")
        page.wait_for_timeout(2000)
        page.screenshot(path=str(out / "mobile-beat.png"))
        phone.close()

        public = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = public.new_page()
        page.goto(base + "/public/")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "public-home.png"))
        page.goto(base + "/public/report/")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1000)
        page.screenshot(path=str(out / "public-report.png"))
        public.close()
        browser.close()
    print("screenshots in", out)


if __name__ == "__main__":
    main()
