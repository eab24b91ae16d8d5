"""The shell in a real browser: login, navigation, and the language switch."""

import pytest

from qingcheng.testing.browser import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_and_language_switch(page, make_user):
    make_user(["receiver"], username="zhang")
    browser_login(page, "zhang")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "退出" in page.inner_text("nav")
    with page.expect_navigation():
        page.select_option("#language-form select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Log out" in page.inner_text("nav")
