"""Conformance: every endpoint in both formats. JSON is validated against the JSON Schemas written from
the specification (qingcheng/open311/schemas/); XML is read the way FixMyStreet's client reads it."""

from __future__ import annotations

import pytest

from qingcheng.cases.models import Case
from qingcheng.cases.services import case_act, case_public_photo_sweep
from qingcheng.open311.models import ServiceRequest
from qingcheng.testing import jpeg_bytes

from .conftest import get, parse_json, parse_xml, post, post_report, report_form

pytestmark = pytest.mark.django_db
ALL_DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


# ---------------------------------------------------------------------- discovery


def test_discovery_in_both_formats(client, catalogue):
    data = parse_json(get(client, "discovery.json"), "discovery")
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}

    xml = parse_xml(get(client, "discovery.xml"), "discovery")
    assert xml["changeset"] == data["changeset"] and xml["contact"] and xml["key_service"]
    endpoint = xml["endpoints"]["endpoint"][0]
    assert endpoint["url"] == "http://testserver/open311/v2" and endpoint["type"] == "production"
    assert endpoint["formats"]["format"] == ["text/xml", "application/json"]


# ---------------------------------------------------------------------- services


def test_services_list_from_the_catalogue_in_both_formats(client, catalogue):
    services = parse_json(get(client, "services.json"), "services")
    by_code = {s["service_code"]: s for s in services}
    assert "E0102" in by_code and "C0101" in by_code
    assert all(len(code) == 5 for code in by_code), "only subclasses are services"
    rubbish = by_code["E0102"]
    assert (
        rubbish["service_name"] == "暴露垃圾"
        and rubbish["metadata"] is True
        and rubbish["type"] == "realtime"
    )
    assert rubbish["group"] == "市容环境" and rubbish["groups"] == ["市容环境", "环境卫生"]
    assert "rubbish" in rubbish["keywords"].split(",")
    assert by_code["C0101"]["metadata"] is False
    assert by_code["E0101"]["type"] == "batch"
    assert "private" in by_code["E0502"]["keywords"].split(",")
    assert "staff" in by_code["E0302"]["keywords"].split(",")

    xml = parse_xml(get(client, "services.xml"), "services", "service")
    assert [s["service_code"] for s in xml] == [s["service_code"] for s in services]
    rubbish = next(s for s in xml if s["service_code"] == "E0102")
    assert rubbish["metadata"] == "true" and rubbish["groups"]["group"] == ["市容环境", "环境卫生"]
    assert next(s for s in xml if s["service_code"] == "C0101")["metadata"] == "false"


def test_service_definitions_cover_all_six_datatypes(client, catalogue):
    seen = set()
    for code in ("E0102", "C0305", "E0401", "E0301"):
        definition = parse_json(get(client, f"services/{code}.json"), "service-definition")
        assert definition["service_code"] == code
        orders = [a["order"] for a in definition["attributes"]]
        assert orders == sorted(orders) and len(set(orders)) == len(orders)
        seen |= {a["datatype"] for a in definition["attributes"]}

        xml = parse_xml(get(client, f"services/{code}.xml"), "service_definition")
        assert xml["service_code"] == code
        attributes = xml["attributes"]["attribute"]
        assert [a["code"] for a in attributes] == [a["code"] for a in definition["attributes"]]
        for a in attributes:
            if a["datatype"] in {"singlevaluelist", "multivaluelist"}:
                assert [v["key"] for v in a["values"]["value"]]
    assert seen == ALL_DATATYPES

    amount = parse_json(get(client, "services/E0102.json"), "service-definition")["attributes"][0]
    assert amount["code"] == "amount" and amount["required"] is True and amount["variable"] is True
    assert {v["key"] for v in amount["values"]} == {"bag", "pile", "large"}
    safety = parse_json(get(client, "services/E0401.json"), "service-definition")["attributes"][0]
    assert safety["variable"] is False


def test_service_without_questions_has_an_empty_definition(client, catalogue):
    assert parse_json(get(client, "services/C0101.json"), "service-definition") == {
        "service_code": "C0101",
        "attributes": [],
    }
    xml = parse_xml(get(client, "services/C0101.xml"), "service_definition")
    assert xml["service_code"] == "C0101" and xml["attributes"] == ""


# ---------------------------------------------------------------------- requests


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_request_and_read_it_back(client, loop, api_key, fmt):
    number = post_report(client, loop, api_key, fmt=fmt)
    case = Case.objects.get(number=number)
    assert case.source == "open311" and case.category.code == "E0102"

    if fmt == "json":
        rows = parse_json(get(client, f"requests/{number}.json"), "requests")
    else:
        rows = parse_xml(get(client, f"requests/{number}.xml"), "service_requests", "request")
    assert len(rows) == 1
    row = rows[0]
    assert row["service_request_id"] == number and row["service_code"] == "E0102"
    assert row["status"] == "open" and row["service_name"] == "暴露垃圾"
    assert row["requested_datetime"].endswith("+08:00")
    assert row["description"].startswith("小区门口堆了几袋生活垃圾")
    if fmt == "xml":
        assert row["zipcode"] == "" and row["agency_responsible"] == ""
        assert float(row["lat"]) == pytest.approx(loop["point"][1], abs=1e-6)
    else:
        assert row["zipcode"] is None and row["agency_responsible"] is None
        assert row["long"] == pytest.approx(loop["point"][0], abs=1e-6)


def test_post_response_carries_a_service_notice(client, loop, api_key):
    response = post(client, "requests.json", report_form(loop, api_key))
    row = parse_json(response, "request-created")[0]
    assert set(row) == {"service_request_id", "service_notice", "account_id"}
    assert row["service_request_id"] in row["service_notice"] and "4个工作时" in row["service_notice"]

    response = post(client, "requests.xml", report_form(loop, api_key, description="另一处垃圾"))
    row = parse_xml(response, "service_requests", "request")[0]
    assert row["service_request_id"] and row["account_id"] == "" and "token" not in row


def test_get_requests_list_in_both_formats_with_filters(client, loop, api_key, photo):
    first = post_report(client, loop, api_key)
    second = post_report(client, loop, api_key, service_code="C0305", **{"attribute[problem]": "overflow"})
    closed = Case.objects.get(number=first)
    case_act(case_id=closed.pk, actor=loop["users"]["receiver"], action="cancel", data={"reason": "重复"})

    rows = parse_json(get(client, "requests.json"), "requests")
    assert [r["service_request_id"] for r in rows] == [second, first]
    xml = parse_xml(get(client, "requests.xml"), "service_requests", "request")
    assert [r["service_request_id"] for r in xml] == [second, first]

    assert [
        r["service_request_id"] for r in parse_json(get(client, "requests.json", status="closed"), "requests")
    ] == [first]
    rows = parse_json(get(client, "requests.json", status="open,closed"), "requests")
    assert len(rows) == 2
    rows = parse_json(get(client, "requests.json", service_code="C0305"), "requests")
    assert [r["service_request_id"] for r in rows] == [second]
    rows = parse_json(get(client, "requests.json", service_code="C0305,E0102", status="open"), "requests")
    assert [r["service_request_id"] for r in rows] == [second]
    closed_row = parse_json(get(client, f"requests/{first}.json"), "requests")[0]
    assert closed_row["status"] == "closed" and closed_row["status_notes"] == "不予立案/作废：重复"
    assert closed_row["updated_datetime"].endswith("+08:00")


def test_service_request_id_overrides_every_other_filter(client, loop, api_key):
    first = post_report(client, loop, api_key)
    second = post_report(client, loop, api_key, description="第二处")
    rows = parse_json(
        get(
            client,
            "requests.json",
            service_request_id=f"{first},{second}",
            status="closed",
            service_code="C0101",
            start_date="2001-01-01T00:00:00Z",
            end_date="2001-02-01T00:00:00Z",
        ),
        "requests",
    )
    assert {r["service_request_id"] for r in rows} == {first, second}


def test_empty_parameters_count_as_absent(client, loop, api_key):
    number = post_report(client, loop, api_key)
    rows = parse_json(
        get(
            client,
            "requests.json",
            status="",
            service_code="",
            start_date="",
            end_date="",
            service_request_id="",
            jurisdiction_id="",
            page="",
            page_size="",
        ),
        "requests",
    )
    assert [r["service_request_id"] for r in rows] == [number]


def test_dates_and_pagination(client, loop, api_key):
    numbers = [post_report(client, loop, api_key, description=f"第{n}处垃圾") for n in range(3)]
    rows = parse_json(get(client, "requests.json", page_size="2"), "requests")
    assert [r["service_request_id"] for r in rows] == numbers[::-1][:2]
    rows = parse_json(get(client, "requests.json", page_size="2", page="2"), "requests")
    assert [r["service_request_id"] for r in rows] == [numbers[0]]
    assert parse_json(get(client, "requests.json", page_size="2", page="3"), "requests") == []
    # A range in the past: nothing; one containing now (start only: 90 days from it): everything.
    assert parse_json(get(client, "requests.json", end_date="2020-01-01T00:00:00+08:00"), "requests") == []
    case = Case.objects.get(number=numbers[0])
    start = (case.reported_at.replace(microsecond=0)).isoformat()
    rows = parse_json(get(client, "requests.json", start_date=start.replace("+00:00", "Z")), "requests")
    assert len(rows) == 3


def test_extensions_add_answers_history_and_photos(client, loop, api_key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = report_form(loop, api_key)
    form["media"] = SimpleUploadedFile("rubbish.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = post(client, "requests.json", form)
    number = parse_json(response, "request-created")[0]["service_request_id"]
    case_public_photo_sweep()

    plain = parse_json(get(client, f"requests/{number}.json"), "requests")[0]
    assert "attributes" not in plain and plain["media_url"].startswith("http://testserver/open311/v2/media/")
    rich = parse_json(get(client, f"requests/{number}.json", extensions="true"), "requests")[0]
    answers = {(a["code"], a["value"]): a for a in rich["attributes"]}
    assert set(answers) == {("amount", "pile"), ("kinds", "household"), ("kinds", "kitchen")}
    assert answers[("amount", "pile")]["name"].startswith("一堆") and answers[("amount", "pile")]["label"]
    extended = rich["extended_attributes"]
    assert extended["channel"] == "open311" and extended["detailed_status"] == "OPEN"
    assert extended["photos"][0]["media_url"] == plain["media_url"]

    xml = parse_xml(get(client, "requests.xml", extensions="true"), "service_requests", "request")[0]
    assert {a["code"] for a in xml["attributes"]["attribute"]} == {"amount", "kinds"}
    assert xml["extended_attributes"]["channel"] == "open311"

    image = client.get(plain["media_url"].removeprefix("http://testserver"))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


# ---------------------------------------------------------------------- tokens (batch services)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_batch_service_returns_a_token_resolved_by_tokens(client, loop, api_key, fmt):
    form = report_form(loop, api_key, service_code="E0101", description="楼顶私自加盖彩钢房")
    form = {k: v for k, v in form.items() if not k.startswith("attribute")}
    response = post(client, f"requests.{fmt}", form)
    assert response.status_code == 200, response.content
    if fmt == "json":
        row = parse_json(response, "request-created")[0]
    else:
        row = parse_xml(response, "service_requests", "request")[0]
    assert "service_request_id" not in row
    token = row["token"]
    link = ServiceRequest.objects.get(token=token)

    if fmt == "json":
        rows = parse_json(get(client, f"tokens/{token}.json"), "tokens")
    else:
        rows = parse_xml(get(client, f"tokens/{token}.xml"), "service_requests", "request")
    assert rows == [{"service_request_id": link.case.number, "token": token}]


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_error_bodies(client, catalogue, fmt):
    response = get(client, f"services/X9999.{fmt}")
    assert response.status_code == 404
    errors = parse_json(response, "errors") if fmt == "json" else parse_xml(response, "errors", "error")
    assert len(errors) == 1 and str(errors[0]["code"]) == "404" and "X9999" in errors[0]["description"]

    response = get(client, f"nothing-here.{fmt}")
    assert response.status_code == 404
    response = client.delete(f"/open311/v2/requests.{fmt}")
    assert response.status_code == 405


def test_several_problems_are_reported_together(client, loop, api_key):
    form = report_form(loop, api_key, lat=None, long=None, description="x" * 4001)
    form.pop("attribute[amount]")
    response = post(client, "requests.json", form)
    assert response.status_code == 400
    descriptions = [e["description"] for e in parse_json(response, "errors")]
    assert len(descriptions) == 3
    assert any("4,000" in d for d in descriptions)
    assert any("attribute[amount]" in d for d in descriptions)
    assert any("location" in d for d in descriptions)
