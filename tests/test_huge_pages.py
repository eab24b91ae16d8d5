"""A page or offset far past any list is a 422 with the error body, not a 500 from an integer the database
cannot hold (found by the full-size fuzzing: `?page=472067794682016320`)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/accounts/users?page=472067794682016320",
        "/api/components/?page=352485379868746418487296",
        "/api/cases/?page=1000001",
        "/api/sensing/devices?offset=145795076679904739328",
    ],
)
def test_a_page_past_any_list_is_refused(api_client_for, make_user, url):
    client = api_client_for(make_user(["admin", "dispatcher", "leader"], area_code="150105"))
    response = client.get(url)
    assert response.status_code == 422, (url, response.status_code)
    assert "detail" in response.json() or "error" in response.json()


def test_the_last_possible_page_is_an_empty_page(api_client_for, make_user):
    client = api_client_for(make_user(["admin"], area_code="150105"))
    response = client.get("/api/accounts/users?page=1000000&page_size=500")
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["count"] >= 1
