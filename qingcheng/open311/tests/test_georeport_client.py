"""An independent client from PyPI against the server on loopback: `georeport` (0.3.1) lists services,
reads a service definition and reads back a request posted over plain HTTP, in JSON and in XML.

georeport cannot post (it is read-only); the request is posted with `requests`, as a client app would."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from qingcheng.cases.models import Case

from .conftest import report_form


@pytest.mark.django_db(transaction=True)
def test_georeport_reads_services_and_a_posted_request(live_server, loop, api_key):
    root = f"{live_server.url}/open311/v2"
    assert root.startswith("http://localhost") or root.startswith("http://127.0.0.1")
    form = report_form(loop, api_key, description="独立客户端测试：路边一堆垃圾")
    posted = requests.post(f"{root}/requests.json", data=form, timeout=10)
    assert posted.status_code == 200, posted.text
    number = posted.json()[0]["service_request_id"]
    assert Case.objects.get(number=number).source == "open311"

    for fmt in ("json", "xml"):
        client = GeoReport(root, output_format=fmt)
        services = client.get_service_list()
        by_code = {s["service_code"]: s for s in services}
        assert by_code["E0102"]["service_name"] == "暴露垃圾"
        assert str(by_code["E0102"]["metadata"]).lower() == "true"

        definition = client.get_service_definition("E0102")
        attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        assert [a["code"] for a in attributes] == ["amount", "kinds", "first_seen"]

        request = client.get_service_request(number)
        assert request["service_request_id"] == number
        assert request["service_code"] == "E0102" and request["status"] == "open"
        assert request["description"].startswith("独立客户端测试")

        listed = client.get_service_requests(service_request_id=number)
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one element is not a list
        assert [r["service_request_id"] for r in listed] == [number]

    # An error through the same client: an unknown service is a 404 that georeport raises.
    with pytest.raises(requests.HTTPError) as caught:
        GeoReport(root, output_format="xml").get_service_definition("E9999")
    assert caught.value.response.status_code == 404
    assert "<errors><error><code>404</code>" in caught.value.response.text
