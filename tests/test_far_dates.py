"""Dates far in the past or future, everywhere a date is taken: a 4xx with the error model, never a 500.

The window is core.inputs.MIN_YEAR..MAX_YEAR (1949..2200); outside it datetime arithmetic overflows
(`9999-12-31` plus 90 days, year 1 at +14:00 in UTC) and there is nothing to find anyway."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FAR = ["9999-12-31", "0001-01-01", "1948-12-31", "2201-01-01"]
FAR_TIMES = [
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "2201-01-01T00:00:00+08:00",
]

API_GETS = [
    ("/api/cases/", "reported_from"),
    ("/api/cases/", "reported_to"),
    ("/api/geo/grids/150105001001001", "at"),
    ("/api/core/worktime/deadline?kind=calendar_days&amount=1", "start"),
    ("/api/sensing/devices/ANY/readings", "since"),
    ("/api/sensing/devices/ANY/readings", "until"),
]


@pytest.fixture
def admin_client(loop, make_user):
    client = Client(raise_request_exception=False)
    client.force_login(make_user(["admin"], area_code="150105"))
    return client


def _error_model(response) -> dict:
    body = response.json()["error"]
    assert body["code"] and body["message_zh"] and body["message_en"]
    return body


@pytest.mark.parametrize("url,name", API_GETS)
@pytest.mark.parametrize("value", FAR_TIMES)
def test_api_datetime_filters_refuse_far_times(admin_client, url, name, value):
    response = admin_client.get(url, {name: value})
    assert response.status_code == 422, response.content[:300]
    assert "1949" in json.dumps(_error_model(response)["details"])


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("value", FAR)
def test_enforcement_statistics_refuse_far_dates(loop, make_user, name, value):
    client = Client(raise_request_exception=False)
    client.force_login(make_user(["enforcement_head"], area_code="150105"))
    response = client.get("/api/enforcement/statistics", {name: value})
    assert response.status_code == 422, response.content[:300]
    _error_model(response)
    # the page of the same statistics ignores a far date like a malformed one
    assert client.get("/enforcement/statistics/", {name: value}).status_code == 200


@pytest.mark.parametrize(
    "url,body",
    [
        (
            "/api/emergency/incidents",
            {
                "title": "t",
                "category": "c",
                "grade": "g",
                "area_code": "150105",
                "lon": 111.7,
                "lat": 40.8,
                "occurred_at": "0001-01-01T00:00:00+14:00",
            },
        ),
        (
            "/api/emergency/incidents/1/warnings",
            {
                "category": "c",
                "level": 1,
                "affected_area": "a",
                "advice": "a",
                "measures": "m",
                "issuer": "i",
                "ends_at": "9999-12-31T23:59:59Z",
            },
        ),
        ("/api/emergency/plans/1/drills", {"held_on": "9999-12-31"}),
        (
            "/api/components/",
            {"class_code": "0101", "lon": 111.7, "lat": 40.8, "first_recorded": "0001-01-01"},
        ),
        (
            "/api/intake/machine/events",
            {
                "vendor": "v",
                "event_code": "e",
                "lon": 111.7,
                "lat": 40.8,
                "occurred_at": "9999-12-31T23:59:59-12:00",
            },
        ),
    ],
)
def test_api_bodies_refuse_far_dates(loop, make_user, url, body):
    from qingcheng.accounts.services import api_key_create

    key = api_key_create(actor=None, user=make_user(["admin"], area_code="150105"), name="far")[1]
    response = Client(raise_request_exception=False).post(
        url, body, content_type="application/json", headers={"X-API-Key": key}
    )
    assert response.status_code == 422, response.content[:300]
    _error_model(response)


@pytest.mark.parametrize("name", ["start_date", "end_date"])
@pytest.mark.parametrize("value", [*FAR, "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+08:00"])
def test_open311_refuses_far_dates(loop, name, value):
    response = Client(raise_request_exception=False).get("/open311/v2/requests.json", {name: value})
    assert response.status_code == 400, response.content[:300]
    assert response.json()[0]["code"] == 400 and "1949" in response.json()[0]["description"]


@pytest.mark.parametrize(
    "params",
    [
        {"period": "0001"},
        {"period": "9999-13"},
        {"period": "9999-12"},
        {"period": "0001-01"},
        {"period": "9999-Q4"},
        {"period": "0001-01-01..0001-01-31"},
        {"period": "2026-10", "as_of": "9999-12-31"},
        {"period": "2026-10", "as_of": "0001-01-01T00:00:00+14:00"},
    ],
)
def test_evaluation_refuses_far_periods(loop, make_user, params):
    client = Client(raise_request_exception=False)
    client.force_login(make_user(["leader"], area_code="150105"))
    page = client.get("/evaluation/", params)
    assert page.status_code == 400 and "is-invalid" in page.content.decode()
    assert client.get("/evaluation/download/", {**params, "format": "json"}).status_code == 400


def test_case_queue_ignores_far_dates_with_a_message(loop):
    client = Client(raise_request_exception=False)
    client.force_login(loop["users"]["receiver"])
    response = client.get("/cases/", {"from": "0001-01-01", "to": "9999-12-31"})
    assert response.status_code == 200
    assert "9999-12-31" in response.content.decode()  # named in the "not a date" warning


def test_service_level_date_parsers_refuse_far_dates():
    from qingcheng.cases.export import parse_instant
    from qingcheng.components.io import _parse_date
    from qingcheng.core.errors import ValidationFailed
    from qingcheng.enforcement.forms import local_moment
    from qingcheng.evaluation.periods import parse_period

    for call in (
        lambda: _parse_date("9999-12-31", "ORDate"),
        lambda: _parse_date("00010101", "ORDate"),
        lambda: local_moment("9999-12-31T23:59", "at"),
        lambda: local_moment("0001-01-01T00:00", "at"),
    ):
        with pytest.raises(ValidationFailed) as info:
            call()
        assert info.value.code == "date_out_of_range"
    for text in ("0001", "9999-12", "2201-Q1", "1900-01-01..1900-01-31"):
        with pytest.raises(ValueError):
            parse_period(text)
    for text in ("9999-12-31", "0001-01-01T00:00:00+14:00"):
        with pytest.raises(ValueError):
            parse_instant(text, end_of_day=True)
    assert parse_period("2200-12").label == "2200-12" and parse_period("1949-10").label == "1949-10"


@pytest.mark.parametrize(
    "paid_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1900-01-01T00:00:00Z"]
)
def test_bank_callback_refuses_far_payment_times(paid_at):
    from qingcheng.core.errors import DomainError
    from qingcheng.enforcement.payments.services import _parse_payment

    data = {
        "amount_fen": 100,
        "paid_at": paid_at,
        "bank_code": "B",
        "transaction_id": "T",
        "notice_number": "N",
    }
    with pytest.raises(DomainError) as info:
        _parse_payment(data)
    assert info.value.status == 400 and info.value.code == "implausible_paid_at"
    assert info.value.details == {"field": "paid_at"}
    assert _parse_payment({**data, "paid_at": "2026-11-26T08:00:00+08:00"}).amount_fen == 100
