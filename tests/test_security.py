"""Deployment hardening: the documented production settings pass Django's deploy checks, pages send the
security headers, every form carries a CSRF token, and ID numbers never reach the logs."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_the_documented_production_environment():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "city.example.gov.cn",
        "SECURE_HSTS_PRELOAD": "1",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser-test fixture for its own process
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_the_development_key():
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "city.example.gov.cn", "SECURE_HSTS_PRELOAD": "1"}
    env.pop("SECRET_KEY", None)
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser-test fixture for its own process
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0


@pytest.mark.django_db
def test_pages_send_security_headers(client):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_every_post_form_carries_a_csrf_token(loop, client):
    """Render the pages with forms as the users who see them and check each POST form."""
    import re

    from qingcheng.cases.services import case_report

    case = case_report(
        actor=loop["users"]["supervisor"],
        source="supervisor",
        lon=loop["point"][0],
        lat=loop["point"][1],
        description="井盖缺失",
        category_code="E0102",
    ).case
    pages = [
        (None, "/login/"),
        (None, "/public/"),
        (None, "/public/report/"),
        (None, "/public/track/"),
        ("receiver", f"/cases/{case.number}/"),
        ("receiver", "/work/reported/"),
        ("hotline_agent", "/hotline/"),
    ]
    checked = 0
    for role, url in pages:
        client.logout()
        if role:
            client.force_login(loop["users"][role])
        html = client.get(url).content.decode()
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I):
            if re.search(r'method="post"', form, flags=re.I):
                checked += 1
                assert 'name="csrfmiddlewaretoken"' in form, f"{url}: a POST form without a CSRF token"
    assert checked >= 8
    # And a POST without the token is refused.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(loop["users"]["receiver"])
    assert strict.post(f"/cases/{case.number}/act/", {"action": "cancel", "reason": "x"}).status_code == 403


def test_id_numbers_and_phones_are_masked_in_logs(caplog):
    logger = logging.getLogger("qingcheng.test")
    with caplog.at_level(logging.INFO, logger="qingcheng.test"):
        logger.info("party 150102199001011234 phone 13912345678")
    text = caplog.text
    assert "150102199001011234" not in text and "13912345678" not in text
