"""The address gazetteer (地理编码): normalisation, forward and reverse geocoding, the demo data and the API.

The demo gazetteer is loaded once for the module (loading takes most of a second) and removed afterwards.
Reference coordinates below are the ones cited in data/hohhot-gazetteer.json."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import Point, shape

from qingcheng.core.errors import ValidationFailed
from qingcheng.demo import gazetteer as demo
from qingcheng.geo import gazetteer, spatial
from qingcheng.geo.geometry import METRES_PER_DEGREE_LAT, distance_m, metres_per_degree_lon
from qingcheng.geo.models import Place, Road
from qingcheng.geo.testing import cell_centre

pytestmark = pytest.mark.django_db

DAZHAO = (111.64667, 40.79806)  # en.wikipedia "Da Zhao Temple"
HOHHOT_STATION = (111.658925, 40.8303222)  # zh.wikipedia "呼和浩特站"
AIRPORT = (111.8241028, 40.8514222)  # en.wikipedia, aerodrome reference point


@pytest.fixture(scope="module")
def gazetteer_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        data = json.loads(demo.GAZETTEER_FILE.read_text(encoding="utf-8"))
        # The internal loader: the public one also writes an audit entry, which must not outlive the module.
        counts = demo._load(data, gazetteer.normalize_address)
        yield {"data": data, "counts": counts}
        Place.objects.all().delete()
        Road.objects.all().delete()


@pytest.fixture(autouse=True)
def _fresh_lexicon():
    gazetteer.clear_cache()
    yield
    gazetteer.clear_cache()


def top(q: str, **kwargs):
    results = gazetteer.geocode(q, **kwargs)
    assert results, f"nothing found for {q!r}"
    return results[0]


# ---------------------------------------------------------------------- normalisation and parsing


def test_normalize_full_width_spaces_punctuation_and_old_forms():
    assert gazetteer.normalize_text("昭乌达路 ８８ 號") == "昭乌达路88号"
    assert gazetteer.normalize_text("昭乌达路八十八号，") == "昭乌达路88号"
    assert gazetteer.normalize_text("新华大街十二号") == "新华大街12号"
    assert gazetteer.normalize_text("大学西街２３５－２号") == "大学西街235之2号"
    assert gazetteer.normalize_address("内蒙古自治区呼和浩特市新城区新华大街1号") == "新城区新华大街1号"
    assert gazetteer.normalize_address("内蒙古呼和浩特市赛罕区昭乌达路88号") == "赛罕区昭乌达路88号"


def test_parse_examples_of_the_issue(gazetteer_data):
    lex = gazetteer.lexicon()
    zhaowuda = Road.objects.get(name="昭乌达路").pk
    parsed = gazetteer.parse_address("赛罕区昭乌达路88号", lex)
    assert (parsed.district_code, parsed.roads, parsed.house_number) == ("150105", {zhaowuda: 1.0}, 88)
    parsed = gazetteer.parse_address("昭乌达路 88 号", lex)
    assert (parsed.district_code, parsed.house_number) == (None, 88)
    parsed = gazetteer.parse_address("内蒙古呼和浩特市新城区新华大街1号", lex)
    assert parsed.district_code == "150102"
    assert parsed.roads == {Road.objects.get(name="新华大街").pk: 1.0} and parsed.house_number == 1
    parsed = gazetteer.parse_address("内蒙古大学南门附近", lex)
    assert ("内蒙古大学", True) in parsed.place_texts and parsed.house_number is None


# ---------------------------------------------------------------------- forward geocoding of real places


def test_real_landmarks_geocode_to_their_district_and_position(gazetteer_data):
    dazhao = top("大召寺")
    assert (dazhao.kind, dazhao.matched_on, dazhao.area_code[:6]) == ("poi", "poi_name", "150104")
    assert distance_m(dazhao.lon, dazhao.lat, *DAZHAO) < 1
    station = top("呼和浩特火车站")
    assert (station.name, station.area_code[:6], station.matched_on) == ("呼和浩特站", "150102", "poi_alias")
    assert distance_m(station.lon, station.lat, *HOHHOT_STATION) < 1
    airport = top("白塔机场")
    assert airport.area_code[:6] == "150105" and distance_m(airport.lon, airport.lat, *AIRPORT) < 1
    # Estimated positions (confidence medium/low in the data): the district is the check that matters.
    museum = top("内蒙古博物院")
    assert (museum.name, museum.area_code[:6]) == ("内蒙古博物院", "150102")
    # Within the stated ±300 m of the corner of 新华东街 and 东二环, between two cited metro stations.
    assert distance_m(museum.lon, museum.lat, 111.7367, 40.8372) < 600
    university = top("内蒙古大学南门附近")
    assert (university.name, university.matched_on, university.score) == ("内蒙古大学", "poi_name", 0.9)
    assert university.area_code[:6] == "150105"


def test_real_street_addresses(gazetteer_data):
    museum = top("内蒙古呼和浩特市新城区新华东街27号")
    assert (museum.name, museum.matched_on, museum.score) == ("内蒙古博物院", "exact", 1.0)
    university = top("大学西街235号")
    assert (university.name, university.matched_on) == ("内蒙古大学", "house_number")
    hospital = top("呼和浩特市赛罕区昭乌达路20号")
    assert hospital.name == "内蒙古自治区人民医院" and hospital.area_code[:6] == "150105"


def test_ranking_of_a_door_plate_query(gazetteer_data):
    results = gazetteer.geocode("赛罕区昭乌达路88号")
    assert (results[0].kind, results[0].matched_on, results[0].score) == ("doorplate", "exact", 1.0)
    assert results[0].address_text == "呼和浩特市赛罕区昭乌达路88号"
    assert [c.matched_on for c in results[1:]] == ["road"]
    assert all(0.0 <= c.score <= 1.0 for c in results)
    without_district = top("昭乌达路 88 号")
    assert (without_district.matched_on, without_district.score) == ("house_number", 0.95)
    assert without_district.place_id == results[0].place_id
    # The same query, twice, in the same order.
    assert gazetteer.geocode("中山路10号") == gazetteer.geocode("中山路10号")


def test_full_width_and_chinese_numeral_input(gazetteer_data):
    expected = top("赛罕区昭乌达路88号").place_id
    for q in ["赛罕区昭乌达路８８号", "　昭乌达路　８８　號", "呼和浩特市赛罕区昭乌达路八十八号"]:
        assert top(q).place_id == expected, q


def test_interpolated_house_number_lies_between_its_neighbours(gazetteer_data):
    road = Road.objects.get(name="兴安南路")
    plates = {
        int(n): (lon, lat)
        for n, lon, lat in Place.objects.filter(road=road, kind="doorplate").values_list(
            "house_number", "lon", "lat"
        )
    }
    missing = next(
        n for n in range(5, max(plates), 2) if n not in plates and n - 2 in plates and n + 2 in plates
    )
    found = top(f"兴安南路{missing}号")
    assert (found.kind, found.matched_on, found.score, found.place_id) == (
        "doorplate",
        "interpolated",
        0.85,
        None,
    )
    assert found.address_text.endswith(f"兴安南路{missing}号")
    low, high = plates[missing - 2], plates[missing + 2]
    to_low, to_high = distance_m(found.lon, found.lat, *low), distance_m(found.lon, found.lat, *high)
    assert to_low + to_high == pytest.approx(distance_m(*low, *high), abs=0.5)
    assert to_low == pytest.approx(to_high, abs=0.5)  # halfway: one number between two known ones
    beyond = top(f"兴安南路{max(plates) + 100}号")
    assert beyond.matched_on == "nearest_number" and beyond.score < found.score


def test_district_filter_demotes_other_districts(gazetteer_data):
    right = top("赛罕区昭乌达路88号")
    wrong = top("玉泉区昭乌达路88号")
    assert wrong.place_id == right.place_id and wrong.score == pytest.approx(0.95 * 0.5)


def test_road_names_abbreviations_and_typos(gazetteer_data):
    assert top("锡林北路").name == "锡林郭勒北路"
    both = gazetteer.geocode("中山路10号", limit=2)
    assert {c.name for c in both} == {"中山东路10号", "中山西路10号"}
    typo = top("昭乌大路")  # 大 for 达
    assert (typo.name, typo.kind) == ("昭乌达路", "road") and typo.score < 0.6
    assert top("新华东街").matched_on == "road"


def test_empty_and_nonsense_queries():
    for blank in ["", "   ", "\u3000"]:
        with pytest.raises(ValidationFailed) as error:
            gazetteer.geocode(blank)
        assert error.value.code == "empty_query"
    with pytest.raises(ValidationFailed):
        gazetteer.geocode("路" * 201)
    assert gazetteer.geocode("qwertyuiop") == []
    assert gazetteer.geocode("！！！") == []


def test_nonsense_with_data_loaded(gazetteer_data):
    assert gazetteer.geocode("qwertyuiop") == []
    assert gazetteer.geocode("123456") == []
    assert gazetteer.geocode("呼和浩特") == []  # the city alone: no city area loaded in this module


# ---------------------------------------------------------------------- reverse geocoding


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lon + east_m / metres_per_degree_lon(lat), lat + north_m / METRES_PER_DEGREE_LAT


def test_reverse_geocode_returns_the_nearest_plate(gazetteer_data):
    plate = Place.objects.get(road__name="昭乌达路", house_number="88")
    lon, lat = _offset(plate.lon, plate.lat, 4.0, -3.0)
    nearest = min(Place.objects.all(), key=lambda p: (distance_m(lon, lat, p.lon, p.lat), p.pk))
    found = gazetteer.reverse_geocode(lon, lat)
    assert found.place_id == nearest.pk == plate.pk
    assert found.distance_m == pytest.approx(5.0, abs=0.2)
    assert found.text_zh == "呼和浩特市赛罕区昭乌达路88号附近 (约5米)"
    assert found.text_en == "near 呼和浩特市赛罕区昭乌达路88号 (about 5 m)"
    museum = gazetteer.reverse_geocode(*_offset(111.7330, 40.8375, 0, 20))
    assert museum.kind == "poi" and museum.text_zh.startswith("呼和浩特市新城区内蒙古博物院附近")


def test_reverse_geocode_falls_back_to_the_road(gazetteer_data):
    road = Road.objects.get(name="腾飞路")
    coords = json.loads(road.geometry)["coordinates"]
    lon, lat = (coords[0][0] + coords[-1][0]) / 2, (coords[0][1] + coords[-1][1]) / 2
    # Plates stand 15 m off the centre line, so nothing but the road is within 14 m here.
    assert min(distance_m(lon, lat, p.lon, p.lat) for p in Place.objects.all()) > 14
    found = gazetteer.reverse_geocode(lon, lat, radius_m=14)
    assert (found.kind, found.road_id, found.location) == ("road", road.pk, None)
    assert found.text_zh == "呼和浩特市赛罕区腾飞路附近 (约0米)"


def test_reverse_geocode_with_grids(gazetteer_data, test_city):
    # A grid centre with no address or road within 10 m: the street and district of the grid.
    lon, lat = cell_centre(0, 2)
    found = gazetteer.reverse_geocode(lon, lat, radius_m=1)
    assert (found.kind, found.address_text) == ("area", "呼和浩特市赛罕区测试街道二")
    assert found.location.grid_code == "150105002003001"
    # Near a plate: the plate, with the grid names when the point lies in a grid.
    near = gazetteer.reverse_geocode(lon, lat)
    assert near.kind in {"doorplate", "poi"} and near.location.district_name == "赛罕区"
    # Outside every grid but near a plate: the plate, without a location.
    dazhao = gazetteer.reverse_geocode(*_offset(*DAZHAO, 10, 0))
    assert dazhao.text_zh.startswith("呼和浩特市玉泉区大召寺附近") and dazhao.location is None
    # Outside every grid and far from every address: the 4xx of locate.
    with pytest.raises(spatial.OutsideCoverage):
        gazetteer.reverse_geocode(112.5, 41.5)


def test_reverse_geocode_without_grids_or_addresses():
    # Far from every address of the demo data (which other tests of this module may have loaded).
    with pytest.raises(gazetteer.NoAddressNearby):
        gazetteer.reverse_geocode(112.5, 41.5)
    with pytest.raises(ValidationFailed):
        gazetteer.reverse_geocode(200.0, 40.8)


# ---------------------------------------------------------------------- the demo data and its loader


def test_demo_file_is_honest_and_consistent(gazetteer_data):
    data, counts = gazetteer_data["data"], gazetteer_data["counts"]
    assert demo.GAZETTEER_FILE.stat().st_size < 1_500_000
    assert counts["roads"] >= 30 and counts["pois"] >= 20 and 3000 <= counts["doorplates"] <= 6000
    assert all(r["synthetic"] and r["source"] for r in data["roads"])
    assert all(p["confidence"] in {"high", "medium", "low"} and p["source"] for p in data["pois"])
    assert not Place.objects.filter(kind="doorplate", synthetic=False).exists()
    assert not Place.objects.filter(kind="poi", synthetic=True).exists()
    districts = {
        f["properties"]["code"]: shape(f["geometry"])
        for f in json.loads(demo.DISTRICTS_FILE.read_text(encoding="utf-8"))["features"]
    }
    for plate in Place.objects.filter(kind="doorplate").order_by("pk")[::97]:
        assert districts[plate.area_code[:6]].covers(Point(plate.lon, plate.lat)), plate.address_text
        assert plate.address_text.startswith("呼和浩特市" + data["districts"][plate.area_code[:6]])
    # Regenerating from the same roads and POIs gives the same door plates.
    road = data["roads"][0]
    reserved = {int(p["house_number"]) for p in data["pois"] if p.get("road") == road["name"]}
    assert (
        demo.generate_doorplates(road, demo._districts(), reserved)
        == data["doorplates"]["rows"][road["name"]]
    )


def test_loader_is_idempotent_and_audited(gazetteer_data):
    from qingcheng.core.models import AuditEntry

    before = Place.objects.count()
    counts = demo.load_demo_gazetteer()
    assert Place.objects.count() == before
    assert counts["places_created"] == counts["places_updated"] == counts["places_removed"] == 0
    assert counts["roads_created"] == counts["roads_updated"] == 0
    assert AuditEntry.objects.filter(action="geo.gazetteer_load").count() == 1


# ---------------------------------------------------------------------- the API


@pytest.fixture
def client(make_user, api_client_for):
    return api_client_for(make_user(["dispatcher"], area_code="150105"))


def test_geocode_endpoint(gazetteer_data, client):
    response = client.get("/api/geo/geocode", {"q": "内蒙古大学", "limit": 3})
    assert response.status_code == 200
    first = response.json()[0]
    assert first["name"] == "内蒙古大学" and first["area_code"].startswith("150105")
    assert set(first) >= {"address_text", "lon", "lat", "score", "kind", "area_code", "matched_on"}
    assert len(client.get("/api/geo/geocode", {"q": "昭乌达路", "limit": 1}).json()) == 1
    for params, code in [
        ({"q": " "}, "empty_query"),
        ({}, "empty_query"),
        ({"q": "大召", "limit": 0}, "invalid_limit"),
    ]:
        bad = client.get("/api/geo/geocode", params)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == code
    assert client.get("/api/geo/geocode", {"q": "qwertyuiop"}).json() == []
    gcj = client.get("/api/geo/geocode", {"q": "大召寺", "crs": "gcj02"}).json()[0]
    assert distance_m(gcj["lon"], gcj["lat"], *DAZHAO) > 400  # GCJ-02 is offset by about 0.6 km here


def test_reverse_geocode_endpoint(gazetteer_data, client, test_city):
    plate = Place.objects.get(road__name="昭乌达路", house_number="88")
    response = client.get("/api/geo/reverse-geocode", {"lon": plate.lon, "lat": plate.lat})
    body = response.json()
    assert response.status_code == 200 and body["place_id"] == plate.pk and body["distance_m"] == 0
    assert body["text"] == body["text_zh"] == "呼和浩特市赛罕区昭乌达路88号附近 (约0米)"
    english = client.get(
        "/api/geo/reverse-geocode", {"lon": plate.lon, "lat": plate.lat}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["text"] == english.json()["text_en"]
    lon, lat = cell_centre(0, 2)
    located = client.get("/api/geo/reverse-geocode", {"lon": lon, "lat": lat, "radius": 1}).json()
    assert located["kind"] == "area" and located["location"]["street_name"] == "测试街道二"
    outside = client.get("/api/geo/reverse-geocode", {"lon": 112.5, "lat": 41.5})
    assert outside.status_code == 400 and outside.json()["error"]["code"] == "outside_coverage"


def test_endpoints_need_authentication(gazetteer_data):
    from django.test import Client

    assert Client().get("/api/geo/geocode", {"q": "大召寺"}).status_code == 401
