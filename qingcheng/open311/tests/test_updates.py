"""FixMyStreet's POST servicerequestupdates: a client's comment on its request (a timeline note), the
reporter's 'still not fixed' reopening a closed case like an unsatisfied call-back, idempotent by
update_id."""

from __future__ import annotations

import pytest

from qingcheng.cases.models import Case, Notification
from qingcheng.open311.models import InboundUpdate

from .conftest import get, parse_json, parse_xml, post, post_report
from .test_pipeline import drive

pytestmark = pytest.mark.django_db


def update_form(key, number, **overrides):
    data = {
        "api_key": key,
        "service_request_id": number,
        "update_id": "fms-101",
        "updated_datetime": "2026-03-01T10:00:00+08:00",
        "status": "OPEN",
        "description": "还是有一股味道",
        "first_name": "小明",
        "last_name": "王",
        "email": "xiaoming@example.com",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_comment_on_an_open_request(client, loop, api_key, photo, fmt):
    number = post_report(client, loop, api_key)
    drive(Case.objects.get(number=number), loop["users"], photo, until="dispatch")
    response = post(client, f"servicerequestupdates.{fmt}", update_form(api_key, number))
    assert response.status_code == 200, response.content.decode()
    if fmt == "json":
        update_id = parse_json(response, "update-created")[0]["update_id"]
    else:
        update_id = parse_xml(response, "service_request_updates", "request_update")[0]["update_id"]
    update = InboundUpdate.objects.get()
    assert update_id == f"u{update.pk}" and update.status == "OPEN" and not update.reopened
    assert Notification.objects.filter(kind="open311_update", department=loop["unit"]).exists()
    # The same update again is answered with the same id and nothing new.
    again = post(client, "servicerequestupdates.json", update_form(api_key, number))
    assert again.json()[0]["update_id"] == update_id and InboundUpdate.objects.count() == 1

    # A timeline note for the unit, no change of state.
    case = Case.objects.get(number=number)
    comment = case.events.get(action="comment")
    assert comment.from_status == comment.to_status == case.status == Case.Status.DISPATCHED
    assert "还是有一股味道" in comment.note and not comment.public and case.rework_count == 0

    updates = parse_json(get(client, "servicerequestupdates.json"), "service-request-updates")
    mine = [u for u in updates if u["update_id"] == update_id]
    # Sent back with the state the case is in, not the status the client wrote.
    assert mine[0]["description"] == "还是有一股味道" and mine[0]["status"] == "ACTION_SCHEDULED"
    assert "小明" not in get(client, "servicerequestupdates.xml").content.decode()


def test_reopen_on_a_closed_case_reopens_it(client, loop, api_key, photo):
    number = post_report(client, loop, api_key)
    case = drive(Case.objects.get(number=number), loop["users"], photo, until="never")
    assert case.status == Case.Status.CLOSED
    response = post(
        client,
        "servicerequestupdates.json",
        update_form(api_key, number, status="reopen", media_url="https://img.example.org/still.jpg"),
    )
    assert response.status_code == 200, response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.HANDLING and case.rework_count == 1
    assert InboundUpdate.objects.get().reopened is True
    updates = parse_json(
        get(client, "servicerequestupdates.json", service_request_id=number), "service-request-updates"
    )
    # FixMyStreet knows IN_PROGRESS (back with the unit); the reopening shows in extras and the text.
    assert [u["status"] for u in updates][-2:] == ["IN_PROGRESS", "IN_PROGRESS"]
    assert [u.get("extras") for u in updates][-2:] == [{"reopened": "true"}] * 2
    assert "重新处置" in updates[-2]["description"] and "重新处置" in updates[-1]["description"]
    assert "REOPEN" not in get(client, "servicerequestupdates.xml").content.decode()
    assert updates[-1]["media_url"] == "https://img.example.org/still.jpg"
    row = parse_json(get(client, f"requests/{number}.json"), "requests")[0]
    assert row["status"] == "open"


def test_who_may_update_what(client, loop, api_key, staff_key, make_client, nothing_written):
    number = post_report(client, loop, api_key)
    _, stranger = make_client("别的应用")
    with nothing_written():
        response = post(client, "servicerequestupdates.json", update_form(stranger, number))
        assert response.status_code == 403
        response = post(client, "servicerequestupdates.json", update_form("o311_x_y", number))
        assert response.status_code == 403
        response = post(client, "servicerequestupdates.xml", update_form(api_key, "20260101999999"))
        assert response.status_code == 404
        response = post(client, "servicerequestupdates.json", update_form(api_key, number, status="MAYBE"))
        assert response.status_code == 400
        response = post(client, "servicerequestupdates.json", update_form(api_key, number, update_id=""))
        assert response.status_code == 400
        response = post(
            client, "servicerequestupdates.json", update_form(api_key, number, description="x" * 4001)
        )
        assert response.status_code == 400
        response = post(
            client, "servicerequestupdates.json", update_form(api_key, number, updated_datetime="yesterday")
        )
        assert response.status_code == 400
    response = post(client, "servicerequestupdates.json", update_form(staff_key, number, update_id="staff-1"))
    assert response.status_code == 200
