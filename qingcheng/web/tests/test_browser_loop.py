"""The case loop in a real browser, through the UI only: five people in five roles take one problem from
the supervisor's phone to closure; the public reports, follows and rates; the field app queues offline."""

from __future__ import annotations

import re

import pytest

from qingcheng.testing.browser import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)


def _jpeg(name="photo.jpg", colour=(200, 80, 40)):
    from qingcheng.testing import jpeg_bytes

    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg_bytes(colour=colour)}


def _phone(browser_context_for, point):
    lon, lat = point
    return browser_context_for(
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 8},
        permissions=["geolocation"],
    )


def _act(page, action: str, fields: dict | None = None, files: dict | None = None) -> None:
    if page.locator(f"details[data-action={action}]").get_attribute("open") is None:
        page.click(f"details[data-action={action}] > summary")
    form = f"form[data-action-form={action}]"
    for selector, value in (fields or {}).items():
        target = page.locator(f"{form} {selector}")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        elif target.get_attribute("type") == "radio":
            target.check()
        else:
            target.fill(value)
    for selector, payload in (files or {}).items():
        page.set_input_files(f"{form} {selector}", files=payload)
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    assert page.locator("#action-error").count() == 0, page.inner_text("#action-error")


def _status(number: str) -> str:
    from qingcheng.cases.models import Case

    return Case.objects.get(number=number).status


def _report_from_phone(page, description: str) -> None:
    page.click("button[data-go=report]")
    page.wait_for_function("() => document.getElementById('r-lat').value !== ''")
    page.set_input_files("#r-photos", files=[_jpeg()])
    page.fill("#r-category-filter", "E0102")
    page.select_option("#r-category", "E0102")
    page.fill("#r-description", description)
    page.fill("#r-address", "测试路 1 号")
    page.click("#r-submit")


def test_one_case_through_the_whole_loop_by_five_people(browser_context_for, loop):
    from qingcheng.cases.models import Case, CaseEvent

    users = loop["users"]
    # 1. The supervisor reports from the field app: camera photo, GPS, subclass.
    phone = _phone(browser_context_for, loop["point"])
    browser_login(phone, users["supervisor"].username, next_url="/m/")
    _report_from_phone(phone, "人行道上有暴露垃圾")
    phone.wait_for_selector("#toast.alert-success")
    case = Case.objects.get()
    number = case.number
    assert case.status == "reported" and case.category.code == "E0102"
    assert number in phone.inner_text("#toast")

    # 2. The receiver sees it in the new-reports queue, opens the detail pane and opens the case.
    desk = browser_context_for()
    browser_login(desk, users["receiver"].username)
    desk.goto("/work/reported/")
    desk.click(f"tr[data-case='{number}'] a.case-link")
    desk.wait_for_selector(f"#case-panel .case-panel[data-case='{number}']")
    assert (
        desk.locator(
            "#case-panel .case-map .leaflet-container, #case-panel .case-map.leaflet-container"
        ).count()
        == 1
    )
    _act(desk, "open", {"select[name=category_code]": "E0102"})
    assert _status(number) == "opened"

    # 3. The dispatcher sends it to the suggested unit and sees why that unit.
    desk = browser_context_for()
    browser_login(desk, users["dispatcher"].username)
    desk.goto("/work/to_dispatch/")
    assert desk.locator(f"tr[data-case='{number}']").count() == 1
    desk.goto(f"/cases/{number}/")
    desk.click("details[data-action=dispatch] > summary")
    assert "150105" in desk.inner_text("#suggestion-reason")
    assert desk.locator("select[name=department_id]").input_value() == str(loop["unit"].pk)
    _act(desk, "dispatch")
    assert _status(number) == "dispatched"

    # 4. The handling unit accepts it, fixes it and reports back with an after photo.
    desk = browser_context_for()
    browser_login(desk, users["handler"].username)
    desk.goto("/work/to_accept/")
    assert desk.locator(f"tr[data-case='{number}']").count() == 1
    desk.goto(f"/cases/{number}/")
    _act(desk, "accept")
    _act(
        desk,
        "feedback",
        {"textarea[name=note]": "已清理"},
        {"input[name=photos]": [_jpeg("after.jpg", (40, 160, 60))]},
    )
    assert _status(number) == "feedback"
    assert desk.locator("img[data-photo-kind=after]").count() == 1

    # 5. The receiver sends a check task; the supervisor confirms on the phone that it is fixed.
    desk = browser_context_for()
    browser_login(desk, users["receiver"].username)
    desk.goto(f"/cases/{number}/")
    _act(desk, "send_check")
    assert _status(number) == "checking"
    phone.click("button[data-go=tasks]")
    phone.reload()
    card = phone.locator(f"[data-task][data-case='{number}']")
    card.wait_for()
    card.locator("[data-result=yes]").click()
    phone.wait_for_function(f"() => document.getElementById('toast').textContent.includes('{number}')")
    assert _status(number) == "check_passed"

    # 6. The shift leader closes it.
    desk = browser_context_for()
    browser_login(desk, users["shift_leader"].username)
    desk.goto("/work/to_close/")
    assert desk.locator(f"tr[data-case='{number}']").count() == 1
    desk.goto(f"/cases/{number}/")
    _act(desk, "close")
    assert _status(number) == "closed"
    assert desk.locator("#no-actions").count() == 1

    events = list(CaseEvent.objects.filter(case__number=number).order_by("seq"))
    assert [e.action for e in events] == [
        "report",
        "open",
        "dispatch",
        "accept",
        "feedback",
        "send_check",
        "check",
        "close",
    ]
    assert len({e.actor_id for e in events}) == 5


def test_a_refused_action_shows_the_reason_and_keeps_the_input(browser_context_for, loop):
    """Rejecting a report needs a reason; the server's refusal (a 400 page) is shown and nothing changes."""
    page = browser_context_for()
    browser_context_for.allow(r"status of 400")
    from qingcheng.cases.services import case_report

    result = case_report(
        actor=loop["users"]["supervisor"],
        source="supervisor",
        lon=loop["point"][0],
        lat=loop["point"][1],
        description="占道经营",
        category_code="E0102",
    )
    number = result.case.number
    browser_login(page, loop["users"]["receiver"].username)
    page.goto(f"/cases/{number}/")
    page.click("details[data-action=cancel] > summary")
    page.evaluate(
        "document.querySelector('form[data-action-form=cancel] textarea').removeAttribute('required')"
    )
    page.fill("form[data-action-form=cancel] textarea[name=reason]", "   ")
    page.click("form[data-action-form=cancel] button[type=submit]")
    page.wait_for_selector("#action-error")
    assert page.get_attribute("#action-error", "data-code") == "required"
    assert _status(number) == "reported"
    assert page.locator("details[data-action=cancel]").get_attribute("open") is not None


def test_public_report_tracking_and_rating(browser_context_for, loop):
    from qingcheng.cases.models import Case
    from qingcheng.cases.services import PhotoUpload, case_act
    from qingcheng.intake.models import PublicRating
    from qingcheng.testing import jpeg_bytes

    lon, lat = loop["point"]
    page = browser_context_for(geolocation={"latitude": lat, "longitude": lon}, permissions=["geolocation"])
    page.goto("/public/")
    page.click("a.btn-success[href='/public/report/']")
    page.click("#use-location")
    page.wait_for_function("() => document.getElementById('pin-lat').value !== ''")
    page.set_input_files("#p-photos", files=[_jpeg()])
    page.select_option("#p-category", "E0102")
    page.fill("#p-description", "小区门口垃圾很多")
    page.fill("input[name=name]", "王小明")
    page.fill("input[name=phone]", "13912345678")
    with page.expect_navigation():
        page.click("#public-submit")
    number = page.inner_text("#tracking-number").strip()
    secret = page.inner_text("#tracking-secret").strip()
    case = Case.objects.get(number=number)
    assert case.source == "public" and case.reporters.get().phone == "13912345678"
    assert len(secret) >= 8
    # From here on, no request the browser makes may carry the secret in its path or query.
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    with page.expect_navigation():
        page.click("#follow-link")
    assert page.get_attribute("#public-case", "data-status") == "reported"
    body = page.inner_text("main")
    assert "13912345678" not in body and "王小明" not in body

    # Staff take the case round the loop (covered by the test above); the public page follows it.
    unit = loop["unit"]
    for action, data, photos in (
        ("open", {}, []),
        ("dispatch", {"department_id": unit.pk}, []),
        ("accept", {}, []),
        ("feedback", {}, [PhotoUpload(data=jpeg_bytes(), kind="after", name="a.jpg")]),
        ("send_check", {}, []),
        ("check", {"passed": True}, []),
        ("close", {}, []),
    ):
        case_act(case_id=case.pk, actor=None, action=action, data=data, photos=photos)

    track_form = "main form[action='/public/track/']"
    page.fill(f"{track_form} input[name=number]", number)
    page.fill(f"{track_form} input[name=secret]", secret)
    with page.expect_navigation():
        page.click(f"{track_form} button[type=submit]")
    assert page.get_attribute("#public-case", "data-status") == "closed"
    assert page.locator("#public-timeline li").count() >= 4
    page.check("#score-5")
    page.fill("#rate-form textarea[name=comment]", "处理很快")
    with page.expect_navigation():
        page.click("#rate-form button[type=submit]")
    assert page.locator("#rated").count() == 1
    assert PublicRating.objects.get(case=case).score == 5
    assert page.locator("#rate-form").count() == 0

    assert requested and [url for url in requested if secret in url] == []

    # A wrong secret looks exactly like an unknown number (a 404 page).
    browser_context_for.allow(r"status of 404")
    page.fill(f"{track_form} input[name=number]", number)
    page.fill(f"{track_form} input[name=secret]", "wrong")
    with page.expect_navigation():
        page.click(f"{track_form} button[type=submit]")
    assert page.get_attribute("#track-error", "data-code") == "not_found"


def test_offline_reports_queue_on_the_phone_and_are_sent_once(browser_context_for, loop):
    from qingcheng.cases.models import Case, IdempotencyRecord

    phone = _phone(browser_context_for, loop["point"])
    browser_context_for.allow(r"ERR_INTERNET_DISCONNECTED|Failed to load resource|Failed to fetch")
    browser_login(phone, loop["users"]["supervisor"].username, next_url="/m/")
    assert phone.evaluate("navigator.serviceWorker.ready.then(() => true)") is True

    phone.context.set_offline(True)
    _report_from_phone(phone, "井盖破损，离线上报")
    phone.wait_for_selector("#outbox-count:not(.d-none)")
    assert phone.inner_text("#outbox-count") == "1"
    assert Case.objects.count() == 0

    # The app shell opens without network (service worker), and the report is still waiting.
    phone.reload()
    phone.wait_for_selector("#outbox-count:not(.d-none)")
    assert phone.inner_text("#outbox-count") == "1"

    phone.context.set_offline(False)
    phone.wait_for_selector("#outbox-count.d-none", state="attached", timeout=20_000)
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert case.description == "井盖破损，离线上报" and case.photos.count() == 1
    assert IdempotencyRecord.objects.filter(case=case).count() == 1
    assert re.search(case.number, phone.inner_text("#toast"))

    # Sending again (the answer lost on a weak network) does not make a second case.
    phone.click("button[data-go=outbox]")
    phone.click("#outbox-send")
    phone.wait_for_timeout(500)
    assert Case.objects.count() == 1


def test_verification_on_the_phone_and_a_problem_fixed_on_the_spot(browser_context_for, loop):
    """A public report sent for verification is confirmed on the supervisor's phone; a supervisor's own
    small fix (自行处置) goes straight to closing with before and after photos."""
    from qingcheng.cases.models import Case
    from qingcheng.intake.services.public import public_report

    users = loop["users"]
    lon, lat = loop["point"]
    reported = public_report(actor=None, lon=lon, lat=lat, description="路灯不亮", category_code="E0102").case
    desk = browser_context_for()
    browser_login(desk, users["receiver"].username)
    desk.goto(f"/cases/{reported.number}/")
    _act(desk, "send_verification")
    assert _status(reported.number) == "verifying"

    phone = _phone(browser_context_for, loop["point"])
    browser_login(phone, users["supervisor"].username, next_url="/m/")
    card = phone.locator(f"[data-task][data-case='{reported.number}']")
    card.wait_for()
    card.locator("textarea[name=note]").fill("现场核实属实")
    card.locator("[data-result=yes]").click()
    phone.wait_for_function(
        f"() => document.getElementById('toast').textContent.includes('{reported.number}')"
    )
    assert _status(reported.number) == "verified"
    desk.goto("/work/verified/")
    assert desk.locator(f"tr[data-case='{reported.number}']").count() == 1

    phone.click("button[data-go=report]")
    phone.wait_for_function("() => document.getElementById('r-lat').value !== ''")
    phone.set_input_files("#r-photos", files=[_jpeg()])
    phone.select_option("#r-category", "E0102")
    phone.fill("#r-description", "随手清理了垃圾")
    phone.check("#r-self")
    phone.set_input_files("#r-after", files=[_jpeg("after.jpg", (40, 160, 60))])
    phone.click("#r-submit")
    phone.wait_for_selector("#toast.alert-success")
    fixed = Case.objects.get(description="随手清理了垃圾")
    assert fixed.status == "self_handled"
    assert sorted(fixed.photos.values_list("kind", flat=True)) == ["after", "before"]
