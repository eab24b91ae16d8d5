"""Helpers for browser tests (Playwright pages on the live server)."""

from __future__ import annotations


def browser_login(page, username: str, password: str = "correct-horse-battery", next_url: str = "/") -> None:
    """Log in through the real login form and wait for the page that follows."""
    page.goto(f"/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/login/" in page.url:
        raise AssertionError(f"login as {username} failed: {page.inner_text('main')[:300]}")
