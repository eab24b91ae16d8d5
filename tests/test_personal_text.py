"""Phone and ID numbers typed into free text, read through every output: the public ones (Open311 with
and without a key, public tracking) never show them; staff without `cases.view_personal_case` (a handler,
a supervisor, a dispatcher who may read hotline orders) see them masked in the case API, the case page,
the case list, field tasks and hotline orders; a receiver or a hotline agent sees them whole.

The text holds every writing of `qingcheng.core.tests.test_masking.FORMS`, so a form the masker misses in
one output fails here under its own name."""

from __future__ import annotations

import html
import json
import uuid

import pytest
from django.test import Client

from qingcheng.core.tests.test_masking import FORMS

pytestmark = pytest.mark.django_db

# Every written form that carries personal data (the last two rows of FORMS mix in codes kept as they are).
PERSONAL = [raw for raw, masked in FORMS if raw != masked]
TEXT = "；".join(PERSONAL)
ADDRESS = "某小区3号楼 联系电话138-1234-5678 身份证150105199001011234"
ADDRESS_FORMS = ["138-1234-5678", "150105199001011234"]


def _body(response) -> str:
    """The answer as a person would read it: JSON decoded again (non-ASCII unescaped), HTML unescaped."""
    assert response.status_code == 200, (response.status_code, response.content[:500])
    text = response.content.decode("utf-8")
    if "json" in response.get("Content-Type", ""):
        return json.dumps(json.loads(text), ensure_ascii=False)
    return html.unescape(text)


def _leaks(body: str, forms: list[str] = PERSONAL) -> list[str]:
    return [form for form in forms if form in body]


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    from django.core.cache import cache

    from qingcheng.open311.services import seed

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    seed()
    yield
    cache.clear()


@pytest.fixture
def world(loop, make_user):
    """A public report in the field (verification task open) and one worked to an extension request, an
    Open311 request with a client's update, and a hotline work order; every text holds every form."""
    from django.contrib.auth.models import Permission

    from qingcheng.accounts.backends import forget_permissions
    from qingcheng.cases.services import case_act
    from qingcheng.intake.services.hotline import hotline_order_create
    from qingcheng.intake.services.public import public_report
    from qingcheng.open311.services import client_create

    users = loop["users"]
    lon, lat = loop["point"]

    def report():
        return public_report(
            actor=None,
            lon=lon,
            lat=lat,
            description=TEXT,
            category_code="E0102",
            address=ADDRESS,
            reporter_name="王小明",
            reporter_phone="13812345678",
            idempotency_key=uuid.uuid4().hex,
        )

    in_field = report()
    case_act(case_id=in_field.case.pk, actor=users["receiver"], action="send_verification", note=TEXT)
    worked = report()
    case = worked.case
    case_act(case_id=case.pk, actor=users["receiver"], action="open", note=TEXT)
    case_act(
        case_id=case.pk,
        actor=users["dispatcher"],
        action="dispatch",
        data={"department_id": loop["unit"].pk},
        note=TEXT,
    )
    case_act(case_id=case.pk, actor=users["handler"], action="accept", note=TEXT)
    case_act(
        case_id=case.pk,
        actor=users["unit_manager"],
        action="request_extension",
        data={"reason": TEXT, "amount": 2, "unit": "working_days"},
        note=TEXT,
    )
    case.refresh_from_db()

    _, key = client_create(actor=None, name="FixMyStreet 测试", contact="ops@example.org")
    _, staff_key = client_create(actor=None, name="巡查 App", contact="ops@example.org", is_staff_client=True)
    anonymous = Client()
    posted = anonymous.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "E0102",
            "lat": f"{lat:.7f}",
            "long": f"{lon:.7f}",
            "description": TEXT,
            "address_string": ADDRESS,
            "attribute[amount]": "pile",
            "first_name": "小明",
            "last_name": "王",
            "phone": "13812345678",
        },
    )
    assert posted.status_code == 200, posted.content.decode()
    number = posted.json()[0]["service_request_id"]
    from qingcheng.cases.models import Case

    open311_case = Case.objects.get(number=number)
    case_act(case_id=open311_case.pk, actor=users["receiver"], action="open", note=TEXT)
    update = anonymous.post(
        "/open311/v2/servicerequestupdates.json",
        {
            "api_key": key,
            "service_request_id": number,
            "update_id": "fms-1",
            "updated_datetime": "2026-03-01T10:00:00+08:00",
            "status": "OPEN",
            "description": TEXT,
        },
    )
    assert update.status_code == 200, update.content.decode()

    order = hotline_order_create(
        actor=users["hotline_agent"],
        channel="12319",
        kind="complaint",
        content=TEXT,
        caller_name="王小明",
        caller_phone="13812345678",
        lon=lon,
        lat=lat,
        address=ADDRESS,
        category_code="E0102",
    ).order
    # A dispatcher who may read work orders but not reporters' personal data.
    dispatcher = make_user(["dispatcher"], area_code="150105")
    dispatcher.user_permissions.add(Permission.objects.get(codename="view_hotlineorder"))
    forget_permissions()
    return {
        "users": {**users, "order_reader": dispatcher},
        "in_field": in_field,
        "worked": worked,
        "case": case,
        "open311": number,
        "key": key,
        "staff_key": staff_key,
        "order": order,
    }


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ----------------------------------------------------------------------------------------- public


def test_open311_never_shows_a_form_to_anyone(world):
    client = Client()
    number = world["open311"]
    paths = [
        "/open311/v2/requests.json?extensions=true",
        "/open311/v2/requests.xml?extensions=true",
        f"/open311/v2/requests/{number}.json?extensions=true",
        f"/open311/v2/requests/{number}.xml",
        "/open311/v2/servicerequestupdates.json",
        "/open311/v2/servicerequestupdates.xml",
    ]
    for key in (None, world["key"], world["staff_key"]):
        for path in paths:
            url = path if key is None else f"{path}{'&' if '?' in path else '?'}api_key={key}"
            body = _body(client.get(url))
            assert number in body, url  # the request is listed: the text was there to mask
            assert _leaks(body) == [], (url, _leaks(body))
            assert _leaks(body, ADDRESS_FORMS) == [], url
    listed = client.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert "138****5678" in listed["description"] and "1501**********1234" in listed["address"]


def test_public_tracking_never_shows_a_form(world):
    result = world["worked"]
    client = Client()
    page = _body(
        client.post("/public/track/", {"number": result.case.number, "secret": result.tracking_secret})
    )
    api = _body(
        client.post(
            "/api/public/track",
            {"number": result.case.number, "secret": result.tracking_secret},
            content_type="application/json",
        )
    )
    for body in (page, api):
        assert "138****5678" in body  # the timeline notes and the address are there, masked
        assert _leaks(body) == [] and _leaks(body, ADDRESS_FORMS) == []


# ----------------------------------------------------------------------------------------- staff


def _case_outputs(world, user) -> dict[str, str]:
    client = _logged_in(user)
    case = world["case"]
    return {
        "case API": _body(client.get(f"/api/cases/{case.pk}")),
        "case list API": _body(client.get("/api/cases/", {"number": case.number})),
        "case page": _body(client.get(f"/cases/{case.number}/")),
        "case search page": _body(client.get("/cases/", {"number": case.number})),
    }


def test_a_handler_without_the_permission_sees_every_form_masked(world):
    handler = world["users"]["handler"]
    assert not handler.has_perm("cases.view_personal_case")
    for name, body in _case_outputs(world, handler).items():
        assert world["case"].number in body, name
        assert _leaks(body) == [], (name, _leaks(body))
        assert _leaks(body, ADDRESS_FORMS) == [], name
    detail = _logged_in(handler).get(f"/api/cases/{world['case'].pk}").json()
    assert "138****5678" in detail["description"]
    assert "138****5678" in detail["pending_request"]["reason"]
    assert all("138****5678" in e["note"] for e in detail["timeline"] if e["note"])
    assert "138****5678" in detail["timeline"][-1]["data"]["reason"]


def test_a_receiver_sees_every_form_whole(world):
    receiver = world["users"]["receiver"]
    outputs = _case_outputs(world, receiver)
    for name in ("case API", "case page"):
        assert _leaks(outputs[name]) == PERSONAL, name
    for body in outputs.values():
        assert _leaks(body, ADDRESS_FORMS) == ADDRESS_FORMS


def test_supervisor_field_tasks_are_masked(world):
    supervisor = world["users"]["supervisor"]
    body = _body(_logged_in(supervisor).get("/api/intake/supervisor/tasks"))
    assert world["in_field"].case.number in body
    assert _leaks(body) == [] and _leaks(body, ADDRESS_FORMS) == []


def test_hotline_orders_masked_without_the_permission_whole_with_it(world):
    order = world["order"]
    reader = _logged_in(world["users"]["order_reader"])
    for body in (
        _body(reader.get(f"/api/intake/hotline/orders/{order.pk}")),
        _body(reader.get("/api/intake/hotline/orders")),
        _body(reader.get(f"/hotline/{order.pk}/")),
    ):
        assert order.number in body
        assert _leaks(body) == [] and _leaks(body, ADDRESS_FORMS) == []
    agent = _logged_in(world["users"]["hotline_agent"])
    for body in (
        _body(agent.get(f"/api/intake/hotline/orders/{order.pk}")),
        _body(agent.get(f"/hotline/{order.pk}/")),
    ):
        assert _leaks(body) == PERSONAL


def test_the_back_office_leaves_free_text_out_without_the_permission(world):
    case, order = world["case"], world["order"]
    event = case.events.filter(action="request_extension").get()
    pages = [
        f"/admin/cases/case/{case.pk}/change/",
        f"/admin/cases/caseevent/{event.pk}/change/",
        f"/admin/intake/hotlineorder/{order.pk}/change/",
    ]
    dispatcher = _logged_in(world["users"]["dispatcher"])
    dispatcher_user = world["users"]["dispatcher"]
    dispatcher_user.user_permissions.add(*_view_permissions())
    from qingcheng.accounts.backends import forget_permissions

    forget_permissions()
    leader = world["users"]["shift_leader"]
    leader.user_permissions.add(*_view_permissions())
    forget_permissions()
    for page in pages:
        body = _body(dispatcher.get(page))
        assert _leaks(body) == [] and _leaks(body, ADDRESS_FORMS) == [], page
        assert _leaks(_body(_logged_in(leader).get(page))) == PERSONAL, page


def _view_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(
        content_type__app_label__in=["cases", "intake"],
        codename__in=["view_case", "view_caseevent", "view_hotlineorder"],
    )
