"""Inputs schemathesis found to cause a 500, kept as plain tests: each must now be a 2xx or a coded 4xx."""

import pytest

pytestmark = pytest.mark.django_db

CASES = [
    # a fraction of a working day
    "/api/core/worktime/deadline?start=2026-11-26T09:00:00%2B08:00&kind=working_days&amount=6.5e-257",
    # a non-numeric area filter
    "/api/cases/?area=null",
    # UTC offsets beyond PostgreSQL's ±15:59 and far-away years
    "/api/cases/?reported_from=7429-04-16T13%3A32%3A38%2B19%3A15&reported_to=1358-05-23T17%3A03%3A56%2B02%3A59",
    # a day offset that overflows a date
    "/api/emergency/supplies/warnings?expiry_days=-401954948",
]


@pytest.mark.parametrize("url", CASES)
def test_former_server_errors_are_answered(url, loop, make_user, api_client_for):
    client = api_client_for(make_user(["admin"], area_code="150105"))
    response = client.get(url)
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert response.json()["error"]["code"]
