"""The NGSI-LD read API against ETSI GS CIM 009: content negotiation (6.3.4), our own @context, the query
language q (4.9), geo-queries (4.10), type/id/idPattern/attrs/limit/offset/count, temporal queries,
ProblemDetails errors and the caller's area scope."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from qingcheng.geo.testing import cell_centre
from qingcheng.sensing import ingest as ing
from qingcheng.sensing.services import readings_ingest

pytestmark = pytest.mark.django_db

URL = "/ngsi-ld/v1/entities"
CONTEXT_URL = "http://testserver/ngsi-ld/v1/context.jsonld"
LINK = f'<{CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


def send(device, values, ms_ago=1000):
    body = json.dumps({"ts": int(time.time() * 1000) - ms_ago, "values": values})
    out = readings_ingest(messages=[ing.Message(device.device_id, body)])
    assert out.counts.get("stored") == 1, out.counts


@pytest.fixture
def city(make_device, make_user):
    """Water stations and waste bins in street 001 (cells in row 0) and one bin in street 002 (row 2)."""
    wq1 = make_device("water_quality", device_id="WQ-1", cell=(0, 0))
    wq2 = make_device("water_quality", device_id="WQ-2", cell=(3, 0))
    bin1 = make_device("waste", device_id="BIN-1", cell=(1, 0))
    bin2 = make_device("waste", device_id="BIN-2", cell=(2, 2))
    send(wq1, {"pH": 8.7, "turbidity": 0.3, "freeChlorine": 0.4}, ms_ago=60_000)
    send(wq2, {"pH": 7.1, "turbidity": 1.4})
    send(bin1, {"fillingLevel": 0.9, "status": "burning"})
    send(bin2, {"fillingLevel": 0.2, "status": "ok"})
    client = Client()
    client.force_login(make_user(["receiver"], area_code="150105"))
    return {"client": client, "wq1": wq1, "wq2": wq2, "bin1": bin1, "bin2": bin2}


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return sorted(e["id"].rsplit(":", 1)[-1] for e in response.json())


def problem(response, status: int, kind: str = "BadRequestData") -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["type"] == f"https://uri.etsi.org/ngsi-ld/errors/{kind}" and body["title"]
    return body


# ---------------------------------------------------------------- content negotiation (6.3.4)


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "application/*", "text/html, */*;q=0.1"])
def test_plain_json_has_no_context_in_the_body_and_a_link_header(city, accept):
    headers = {"Accept": accept} if accept else {}
    response = city["client"].get(URL, {"type": "WaterQualityObserved"}, headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Link"] == LINK
    assert all("@context" not in e for e in response.json()) and len(response.json()) == 2


@pytest.mark.parametrize(
    "accept",
    ["application/ld+json", "application/json;q=0.5, application/ld+json", "application/ld+json, */*"],
)
def test_ld_json_carries_the_context_in_the_body(city, accept):
    response = city["client"].get(URL, {"type": "WaterQualityObserved"}, headers={"Accept": accept})
    assert response["Content-Type"] == "application/ld+json"
    assert "Link" not in response
    assert [e["@context"] for e in response.json()] == [CONTEXT_URL, CONTEXT_URL]


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "application/json;q=0"])
def test_unsupported_accept_is_406_not_acceptable(city, accept):
    for url in (URL, "/ngsi-ld/v1/entities/urn:ngsi-ld:WaterQualityObserved:WQ-1"):
        problem(city["client"].get(url, headers={"Accept": accept}), 406, "NotAcceptable")


def test_one_entity_and_temporal_negotiate_too(city):
    c = city["client"]
    one = c.get("/ngsi-ld/v1/entities/urn:ngsi-ld:WaterQualityObserved:WQ-1")
    assert one["Link"] == LINK and "@context" not in one.json() and one.json()["pH"]["value"] == 8.7
    ld = c.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:WaterQualityObserved:WQ-1",
        headers={"Accept": "application/ld+json"},
    )
    assert ld.json()["@context"] == CONTEXT_URL and ld["Content-Type"] == "application/ld+json"
    series = c.get("/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:WaterQualityObserved:WQ-1")
    assert series["Link"] == LINK and [p["value"] for p in series.json()["pH"]] == [8.7]
    # the right device under another entity type is not that entity
    problem(c.get("/ngsi-ld/v1/entities/urn:ngsi-ld:WasteContainer:WQ-1"), 404, "ResourceNotFound")


def test_the_context_document_is_ours_and_names_every_attribute(city):
    response = Client().get("/ngsi-ld/v1/context.jsonld")
    assert response.status_code == 200 and response["Content-Type"] == "application/ld+json"
    terms = response.json()["@context"]
    assert terms["id"] == "@id" and terms["type"] == "@type"
    assert (
        terms["observedAt"]["@id"] == "ngsi-ld:observedAt"
        and terms["ngsi-ld"] == "https://uri.etsi.org/ngsi-ld/"
    )
    assert terms["pH"] == "https://smartdatamodels.org/dataModel.WaterQuality/pH"
    assert terms["TunnelGasObserved"].startswith("urn:qingcheng:sensing:")
    entity = city["client"].get(URL, {"type": "WasteContainer"}).json()[0]
    assert set(entity) - {"id", "type"} <= set(terms)


# ---------------------------------------------------------------- q (4.9)


@pytest.mark.parametrize(
    "q,expected",
    [
        ("pH>8.5", ["WQ-1"]),
        ("pH>=7.1", ["WQ-1", "WQ-2"]),
        ("pH<7.1", []),
        ("pH<=7.1", ["WQ-2"]),
        ("pH==7.1", ["WQ-2"]),
        ("pH!=7.1", ["WQ-1"]),
        ("pH>8.5;turbidity>1", []),
        ("pH>8.5|turbidity>1", ["WQ-1", "WQ-2"]),
        ("pH>8.5|turbidity>1;pH<7", ["WQ-1"]),  # ; binds tighter than |
        ("(pH>8.5|turbidity>1);pH<7.5", ["WQ-2"]),
        ("pH==7..8", ["WQ-2"]),
        ("pH!=7..8", ["WQ-1"]),
        ("pH==8.7,7.1", ["WQ-1", "WQ-2"]),
        ('status=="burning","lidOpen"', ["BIN-1"]),
        ("status=='ok'", ["BIN-2"]),
        ('status~="^bur"', ["BIN-1"]),
        ('status!~="^bur"', ["BIN-2"]),
        ("name~=(?i)^测试", ["BIN-1", "BIN-2", "WQ-1", "WQ-2"]),
        ("freeChlorine", ["WQ-1"]),  # existence
        ('controlledProperty=="freeChlorine"', ["WQ-1", "WQ-2"]),  # a member of a list value
        ('location[type]=="Point"', ["BIN-1", "BIN-2", "WQ-1", "WQ-2"]),  # inside a JSON value
        ('pH.unitCode=="C62"', ["WQ-1", "WQ-2"]),  # a sub-attribute path
        ('deviceState=="active";fillingLevel>0.5', ["BIN-1"]),
        ('type=="WasteContainer"', ["BIN-1", "BIN-2"]),
        ("id==urn:ngsi-ld:WasteContainer:BIN-2", ["BIN-2"]),  # a URI needs no quotes
        ('pH=="8.7"', []),  # a string is not the number
        ("nothing>1", []),
    ],
)
def test_q_language(city, q, expected):
    assert ids(city["client"].get(URL, {"q": q})) == expected


def test_q_on_datetimes(city):
    c = city["client"]
    wq1_at = c.get("/ngsi-ld/v1/entities/urn:ngsi-ld:WaterQualityObserved:WQ-1").json()["pH"]["observedAt"]
    assert ids(c.get(URL, {"q": f"pH.observedAt=={wq1_at}"})) == ["WQ-1"]
    assert ids(c.get(URL, {"q": f"pH.observedAt>{wq1_at}"})) == ["WQ-2"]
    assert ids(
        c.get(URL, {"q": 'dateLastValueReported>=2026-01-01T00:00:00Z;type=="WaterQualityObserved"'})
    ) == [
        "WQ-1",
        "WQ-2",
    ]
    assert ids(c.get(URL, {"q": "dateLastValueReported<2000-01-01"})) == []


@pytest.mark.parametrize(
    "q",
    [
        "pH>",
        ">7",
        "pH>>7",
        "(pH>7",
        "pH>7)",
        "pH>7;;pH<9",
        "status==burning",  # strings are quoted
        "pH==1..",
        "pH>1e400",
        "pH>" + "9" * 50,
        "pH.observedAt>0001-01-01T00:00:00+14:00",  # a far date
        "pH.observedAt>9999-12-31",
        'name~="("',  # a broken pattern
        'name~="' + "a" * 300 + '"',
        "(" * 40 + "pH>1" + ")" * 40,
        "pH>1;" * 500,
        'pH==1.."a"',
    ],
)
def test_bad_q_is_400_bad_request_data(city, q):
    problem(city["client"].get(URL, {"q": q}), 400)


# ---------------------------------------------------------------- geo-queries (4.10)


def point(cell) -> str:
    return json.dumps(list(cell_centre(*cell)))


def test_near_max_and_min_distance(city):
    c = city["client"]
    near = {"georel": "near;maxDistance==150", "geometry": "Point", "coordinates": point((0, 0))}
    assert ids(c.get(URL, near)) == ["BIN-1", "WQ-1"]  # 0 m and 100 m away
    near["georel"] = "near;maxDistance==350"
    assert ids(c.get(URL, near)) == ["BIN-1", "BIN-2", "WQ-1", "WQ-2"]  # WQ-2 at 300 m, BIN-2 at ~283 m
    near["georel"] = "near;minDistance==250"
    assert ids(c.get(URL, near)) == ["BIN-2", "WQ-2"]
    near["georel"] = "near;minDistance==50;maxDistance==150"
    assert ids(c.get(URL, near)) == ["BIN-1"]
    near.update(q="pH>0")
    assert ids(c.get(URL, near)) == []


def test_within_intersects_disjoint_a_polygon(city):
    from qingcheng.geo.testing import grid_box

    west = grid_box(0, 0).union(grid_box(1, 0)).envelope  # the two north-west cells
    ring = json.dumps([[list(p) for p in west.exterior.coords]])
    c = city["client"]
    query = {"geometry": "Polygon", "coordinates": ring}
    assert ids(c.get(URL, {**query, "georel": "within"})) == ["BIN-1", "WQ-1"]
    assert ids(c.get(URL, {**query, "georel": "intersects"})) == ["BIN-1", "WQ-1"]
    assert ids(c.get(URL, {**query, "georel": "disjoint"})) == ["BIN-2", "WQ-2"]
    assert ids(c.get(URL, {**query, "georel": "within", "type": "WasteContainer"})) == ["BIN-1"]
    exact = {"geometry": "Point", "coordinates": point((3, 0))}
    assert ids(c.get(URL, {**exact, "georel": "equals"})) == ["WQ-2"]
    assert ids(c.get(URL, {**exact, "georel": "intersects"})) == ["WQ-2"]


@pytest.mark.parametrize(
    "params",
    [
        {"georel": "near;maxDistance==100", "geometry": "Point"},  # no coordinates
        {"georel": "near", "geometry": "Point", "coordinates": "[111.7, 40.8]"},  # near without a distance
        {"georel": "near;maxDistance==-5", "geometry": "Point", "coordinates": "[111.7, 40.8]"},
        {"georel": "near;maxDistance==abc", "geometry": "Point", "coordinates": "[111.7, 40.8]"},
        {"georel": "near;maxDistance==1e400", "geometry": "Point", "coordinates": "[111.7, 40.8]"},
        {
            "georel": "within;maxDistance==5",
            "geometry": "Polygon",
            "coordinates": "[[[0,0],[1,0],[1,1],[0,0]]]",
        },
        {"georel": "beside", "geometry": "Point", "coordinates": "[111.7, 40.8]"},
        {"georel": "within", "geometry": "Point", "coordinates": "[111.7, 40.8]"},
        {"georel": "within", "geometry": "Circle", "coordinates": "[111.7, 40.8]"},
        {"georel": "within", "geometry": "Polygon", "coordinates": "[[[0,0],[1,1]]]"},
        {
            "georel": "within",
            "geometry": "Polygon",
            "coordinates": "[[[0,0],[1,1],[1,0],[0,1],[0,0]]]",
        },  # bow tie
        {"georel": "intersects", "geometry": "Point", "coordinates": "[200, 40]"},
        {"georel": "intersects", "geometry": "Point", "coordinates": "[NaN, 40]"},
        {"georel": "intersects", "geometry": "Point", "coordinates": "[1e400, 40]"},
        {"georel": "intersects", "geometry": "Point", "coordinates": "not json"},
        {"georel": "intersects", "geometry": "Point", "coordinates": "[" * 5000 + "]" * 5000},
        {
            "georel": "intersects",
            "geometry": "Point",
            "coordinates": "[111.7, 40.8]",
            "geoproperty": "elsewhere",
        },
    ],
)
def test_bad_geo_queries_are_400(city, params):
    problem(city["client"].get(URL, params), 400)


# ---------------------------------------------------------------- type, id, attrs, paging, count


def test_type_id_idpattern_attrs_and_key_values(city):
    c = city["client"]
    assert ids(c.get(URL, {"type": "WasteContainer,WaterQualityObserved"})) == [
        "BIN-1",
        "BIN-2",
        "WQ-1",
        "WQ-2",
    ]
    assert ids(c.get(URL, {"type": "Nonsense"})) == []
    assert ids(
        c.get(URL, {"id": "urn:ngsi-ld:WasteContainer:BIN-1,urn:ngsi-ld:WaterQualityObserved:WQ-2"})
    ) == [
        "BIN-1",
        "WQ-2",
    ]
    assert ids(c.get(URL, {"idPattern": "^urn:ngsi-ld:Water.*:WQ-"})) == ["WQ-1", "WQ-2"]
    problem(c.get(URL, {"idPattern": "("}), 400)
    only = c.get(URL, {"type": "WaterQualityObserved", "attrs": "pH"}).json()
    assert [sorted(e) for e in only] == [["id", "pH", "type"], ["id", "pH", "type"]]
    simple = c.get(URL, {"id": "urn:ngsi-ld:WasteContainer:BIN-1", "options": "keyValues"}).json()
    assert simple[0]["status"] == "burning" and simple[0]["location"]["type"] == "Point"
    problem(c.get(URL, {"options": "fancy"}), 400)


def test_limit_offset_and_count(city):
    c = city["client"]
    first = c.get(URL, {"limit": 3, "count": "true"})
    assert len(first.json()) == 3 and first["NGSILD-Results-Count"] == "4"
    rest = c.get(URL, {"limit": 3, "offset": 3})
    assert len(rest.json()) == 1 and "NGSILD-Results-Count" not in rest
    assert {e["id"] for e in first.json()} | {e["id"] for e in rest.json()} == {
        e["id"] for e in c.get(URL, {"limit": 10}).json()
    }
    zero = c.get(URL, {"limit": 0, "count": "true", "q": "pH>0"})
    assert zero.json() == [] and zero["NGSILD-Results-Count"] == "2"
    for bad in (
        {"limit": 0},
        {"limit": -1},
        {"limit": 1001},
        {"limit": "x"},
        {"offset": "-1"},
        {"count": "yes"},
    ):
        problem(c.get(URL, bad), 400)


# ---------------------------------------------------------------- temporal


def test_temporal_queries(city, make_device):
    dev = make_device("noise", device_id="NOISE-1")
    now = int(time.time() * 1000)
    readings_ingest(
        messages=[
            ing.Message(dev.device_id, json.dumps({"ts": now - k * 60_000, "values": {"LAeq": 50.0 + k}}))
            for k in range(5)
        ]
    )
    c = city["client"]
    url = "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:NoiseLevelObserved:NOISE-1"
    values = lambda r: [p["value"] for p in r.json()["LAeq"]]  # noqa: E731
    assert values(c.get(url)) == [54.0, 53.0, 52.0, 51.0, 50.0]
    assert values(c.get(url, {"lastN": 2})) == [51.0, 50.0]
    from datetime import UTC, datetime

    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()

    assert values(c.get(url, {"timerel": "after", "timeAt": iso(now - 150_000)})) == [52.0, 51.0, 50.0]
    assert values(c.get(url, {"timerel": "before", "timeAt": iso(now - 150_000)})) == [54.0, 53.0]
    between = {"timerel": "between", "timeAt": iso(now - 200_000), "endTimeAt": iso(now - 60_000)}
    assert values(c.get(url, between)) == [53.0, 52.0, 51.0]
    for bad in (
        {"timerel": "during", "timeAt": iso(now)},
        {"timerel": "after"},
        {"timerel": "between", "timeAt": iso(now)},
        {"timerel": "after", "timeAt": "yesterday"},
        {"timerel": "after", "timeAt": "2026-01-01T00:00:00"},  # no zone
        {"timerel": "after", "timeAt": "0001-01-01T00:00:00+14:00"},
        {"timerel": "before", "timeAt": "9999-12-31T23:59:59-12:00"},
        {"lastN": "many"},
    ):
        problem(c.get(url, bad), 400)
    problem(
        c.get("/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:NoiseLevelObserved:NOPE"), 404, "ResourceNotFound"
    )


# ---------------------------------------------------------------- scope and authentication


def test_scope_hides_other_areas_in_every_query_form(city, make_user):
    from qingcheng.accounts.services import api_key_create

    street2 = Client()
    street2.force_login(make_user(["receiver"], area_code="150105002"))
    assert ids(street2.get(URL)) == ["BIN-2"]
    assert ids(street2.get(URL, {"q": "status"})) == ["BIN-2"]
    assert ids(street2.get(URL, {"idPattern": ".*"})) == ["BIN-2"]
    assert ids(street2.get(URL, {"id": "urn:ngsi-ld:WasteContainer:BIN-1"})) == []
    near = {"georel": "near;maxDistance==100000", "geometry": "Point", "coordinates": point((0, 0))}
    assert ids(street2.get(URL, near)) == ["BIN-2"]
    counted = street2.get(URL, {"count": "true", "limit": 0})
    assert counted["NGSILD-Results-Count"] == "1"
    for url in (
        "/ngsi-ld/v1/entities/urn:ngsi-ld:WasteContainer:BIN-1",
        "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:WasteContainer:BIN-1",
    ):
        problem(street2.get(url), 404, "ResourceNotFound")
    # another district, by API key: nothing at all
    key = api_key_create(actor=None, user=make_user(["receiver"], area_code="150102"), name="ngsi")[1]
    assert Client().get(URL, headers={"X-API-Key": key}).json() == []
    # no credentials, or no permission
    assert Client().get(URL).status_code == 401
    citizen = Client()
    citizen.force_login(make_user(["citizen"], area_code="150105"))
    assert citizen.get(URL).status_code == 403
