"""Bad inputs get the specification's status (403 key, 404 unknown resource, 400 anything else) and an
`errors` body in the requested format, and write nothing at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from .conftest import get, parse_json, post, post_report, report_form, xml_errors

pytestmark = pytest.mark.django_db


def _errors(response, fmt):
    return parse_json(response, "errors") if fmt == "json" else xml_errors(response)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("case", "overrides", "status", "fragment"),
    [
        ("missing location", {"lat": None, "long": None}, 400, "location is required"),
        ("half a location", {"long": None}, 400, "lat and long"),
        ("unknown service code", {"service_code": "E9999"}, 404, "E9999"),
        ("no service code", {"service_code": ""}, 400, "service_code is required"),
        ("wrong key", {"api_key": "o311_deadbeef_not-the-secret"}, 403, "api_key"),
        ("no key", {"api_key": None}, 403, "api_key"),
        ("description of 4,001 characters", {"description": "堆" * 4001}, 400, "4,000"),
        ("outside every grid", {"lat": "41.5", "long": "112.5"}, 400, "outside every unit grid"),
        ("not a number", {"lat": "north"}, 400, "lat must be a number"),
        ("value not in the list", {"attribute[amount]": "mountain"}, 400, "attribute[amount]"),
        ("required answer missing", {"attribute[amount]": ""}, 400, "attribute[amount] is required"),
        ("media_url not a URL", {"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ("unknown address_id", {"lat": None, "long": None, "address_id": "999999"}, 400, "address_id"),
        (
            "address not in the gazetteer",
            {"lat": None, "long": None, "address_string": "火星大道1号"},
            400,
            "address",
        ),
    ],
)
def test_bad_post_writes_nothing(
    client, loop, api_key, nothing_written, fmt, case, overrides, status, fragment
):
    with nothing_written():
        response = post(client, f"requests.{fmt}", report_form(loop, api_key, **overrides))
    assert response.status_code == status, (case, response.content.decode())
    errors = _errors(response, fmt)
    assert str(errors[0]["code"]) == str(status)
    assert any(fragment in e["description"] for e in errors), errors


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_and_missing_jurisdiction(client, loop, api_key, two_cities, nothing_written, fmt):
    with nothing_written():
        response = post(
            client, f"requests.{fmt}", report_form(loop, api_key, jurisdiction_id="shanghai.gov.cn")
        )
        assert response.status_code == 404
        assert "jurisdiction_id" in _errors(response, fmt)[0]["description"]
        # Two cities served: jurisdiction_id is required, on reads as well.
        response = post(client, f"requests.{fmt}", report_form(loop, api_key))
        assert response.status_code == 400
        assert "jurisdiction_id is required" in _errors(response, fmt)[0]["description"]
        assert get(client, f"discovery.{fmt}").status_code == 200  # describes the endpoint, not a city
        for path in ("services", "requests", "servicerequestupdates"):
            response = get(client, f"{path}.{fmt}")
            assert response.status_code == 400, path
            assert get(client, f"{path}.{fmt}", jurisdiction_id="nowhere.example").status_code == 404
        # The right city, but a point that lies in the other one's grids is refused.
        response = post(
            client, f"requests.{fmt}", report_form(loop, api_key, jurisdiction_id="baotou.gov.cn")
        )
        assert response.status_code == 400
        assert "outside this jurisdiction" in _errors(response, fmt)[0]["description"]
    number = post_report(client, loop, api_key, fmt=fmt, jurisdiction_id="huhhot.gov.cn")
    rows = parse_json(get(client, "requests.json", jurisdiction_id="huhhot.gov.cn"), "requests")
    assert [r["service_request_id"] for r in rows] == [number]
    assert parse_json(get(client, "requests.json", jurisdiction_id="baotou.gov.cn"), "requests") == []
    assert get(client, f"requests/{number}.json", jurisdiction_id="baotou.gov.cn").status_code == 404


def test_a_key_bound_to_one_city_is_refused_in_another(client, loop, make_client, two_cities):
    _, raw = make_client(jurisdiction=two_cities["baotou"])
    response = post(client, "requests.json", report_form(loop, raw, jurisdiction_id="huhhot.gov.cn"))
    assert response.status_code == 403


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_date_ranges(client, loop, fmt):
    now = timezone.localtime()
    start = (now - timedelta(days=120)).isoformat(timespec="seconds")
    response = get(client, f"requests.{fmt}", start_date=start, end_date=now.isoformat(timespec="seconds"))
    assert response.status_code == 400
    assert "90 days" in _errors(response, fmt)[0]["description"]
    response = get(client, f"servicerequestupdates.{fmt}", start_date=start, end_date=now.isoformat())
    assert response.status_code == 400
    # Exactly 90 days is allowed; a time without an offset is not; the end before the start is not.
    ok = get(
        client, f"requests.{fmt}", start_date=(now - timedelta(days=90)).isoformat(), end_date=now.isoformat()
    )
    assert ok.status_code == 200
    assert get(client, f"requests.{fmt}", start_date="2026-03-01T08:00:00").status_code == 400
    response = get(
        client, f"requests.{fmt}", start_date="2026-03-02T00:00:00Z", end_date="2026-03-01T00:00:00Z"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [{"status": "pending"}, {"page": "0"}, {"page_size": "-5"}, {"page": "two"}],
)
def test_bad_list_arguments(client, loop, query):
    response = get(client, "requests.json", **query)
    assert response.status_code == 400
    parse_json(response, "errors")


def test_unknown_request_and_token_are_404(client, loop):
    for path in ("requests/20260101999999.json", "tokens/no-such-token.json"):
        response = get(client, path)
        assert response.status_code == 404
        parse_json(response, "errors")
    response = get(client, "requests/20260101999999.xml")
    assert response.status_code == 404 and xml_errors(response)[0]["code"] == "404"


def test_a_wrong_key_on_a_read_is_refused(client, loop):
    response = get(client, "requests.json", api_key="o311_00000000_wrong")
    assert response.status_code == 403


def test_an_inactive_key_is_refused(client, loop, make_client, nothing_written):
    app, raw = make_client()
    app.active = False
    app.save()
    with nothing_written():
        response = post(client, "requests.json", report_form(loop, raw))
    assert response.status_code == 403


def test_a_json_body_is_refused_and_the_key_may_come_as_a_header(client, loop, api_key, nothing_written):
    import json

    form = report_form(loop, api_key)
    with nothing_written():
        response = client.post(
            "/open311/v2/requests.json",
            json.dumps(form),
            content_type="application/json",
            headers={"X-API-Key": api_key},
        )
    assert response.status_code == 400 and "form-encoded" in response.json()[0]["description"]
    form.pop("api_key")
    response = client.post("/open311/v2/requests.json", form, headers={"X-API-Key": api_key})
    assert response.status_code == 200
