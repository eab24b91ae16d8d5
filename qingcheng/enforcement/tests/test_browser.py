"""In a real browser: an officer opens the queue, opens a case, records an investigation with a colleague
through the step's form, and sees the step on the timeline; then the leader sees the same case with no
form and the party masked. No console errors are allowed (the `page` fixture fails the test on any)."""

from __future__ import annotations

import pytest

from qingcheng.testing.browser import browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("qingcheng.enforcement.tests.test_pages"),
]


def test_officer_takes_a_step_and_sees_the_timeline(page, browser_context_for, enf, make_penalty_case):
    from qingcheng.enforcement.models import PenaltyCase

    case = make_penalty_case(PenaltyCase.Status.INVESTIGATING)
    browser_login(page, enf["officer"].username, next_url="/enforcement/")
    assert page.inner_text(f"#cases tr[data-case='{case.pk}']").count(case.number) == 1
    with page.expect_navigation():
        page.click(f"#cases tr[data-case='{case.pk}'] a")
    assert page.get_attribute("#case-status", "data-status") == "investigating"
    assert page.locator("#timeline li").count() == 0

    page.click("details[data-action=record_investigation] > summary")
    form = "form[data-action-form=record_investigation]"
    page.select_option(f"{form} select[name=officer_ids]", [str(enf["officer"].pk), str(enf["officer2"].pk)])
    page.fill(f"{form} textarea[name=record]", "现场检查笔录：当事人在人行道摆摊（测试数据）")
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    assert page.locator("#timeline li[data-action=record_investigation]").count() == 1
    entry = page.inner_text("#timeline li[data-action=record_investigation]")
    assert str(enf["officer2"]) in entry
    assert case.events.filter(action="record_investigation").count() == 1

    # A refused step shows the reason inline and keeps the page (answered 400, which the console reports).
    browser_context_for.allow(r"status of 400")
    page.click("details[data-action=end_investigation] > summary")
    form = "form[data-action-form=end_investigation]"
    page.select_option(f"{form} select[name=officer_ids]", [str(enf["officer"].pk), str(enf["officer2"].pk)])
    page.fill(f"{form} input[name=fine_yuan]", "20")  # below the benchmark's 50 yuan
    page.fill(f"{form} textarea[name=report]", "终结报告")
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    assert page.get_attribute("#action-error", "data-code") == "outside_discretion"
    assert page.locator(f"{form} [data-inline-error]").is_visible()
    assert page.get_attribute("#case-status", "data-status") == "investigating"

    leader = browser_context_for()
    browser_login(leader, enf["leader"].username, next_url=f"/enforcement/cases/{case.pk}/")
    assert leader.locator("main form[method=post]").count() == 0
    assert "张*" in leader.inner_text("#party-name")
    assert leader.locator("#timeline li[data-action=record_investigation]").count() == 1
    leader.goto("/enforcement/statistics/")
    leader.wait_for_selector("#chart-status svg")
