import pytest

from qingcheng.geo.crs import from_wgs84
from qingcheng.geo.testing import cell_centre


@pytest.fixture
def saihan_user(make_user, test_city):
    return make_user(["dispatcher"], area_code="150105")


def test_locate_endpoint_with_wgs84_and_gcj02(api_client_for, saihan_user):
    client = api_client_for(saihan_user)
    lon, lat = cell_centre(2, 1)
    wgs = client.get("/api/geo/locate", {"lon": lon, "lat": lat}).json()
    assert wgs["grid_code"] == "150105001002003"
    gcj_lon, gcj_lat = from_wgs84(lon, lat, "gcj02")
    assert abs(gcj_lon - lon) > 0.003  # hundreds of metres apart as raw numbers
    gcj = client.get("/api/geo/locate", {"lon": gcj_lon, "lat": gcj_lat, "crs": "gcj02"}).json()
    assert gcj["grid_code"] == "150105001002003"
    assert abs(gcj["lon"] - lon) < 1e-6 and abs(gcj["lat"] - lat) < 1e-6
    bad = client.get("/api/geo/locate", {"lon": lon, "lat": lat, "crs": "mars"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unsupported_crs"
    outside = client.get("/api/geo/locate", {"lon": 112.5, "lat": 40.0})
    assert outside.status_code == 400 and outside.json()["error"]["code"] == "outside_coverage"


def test_grids_by_bbox_and_bad_bbox(api_client_for, saihan_user):
    client = api_client_for(saihan_user)
    lon, lat = cell_centre(0, 0)
    data = client.get(
        "/api/geo/grids", {"bbox": f"{lon - 0.0001},{lat - 0.0001},{lon + 0.0001},{lat + 0.0001}"}
    ).json()
    assert [f["properties"]["code"] for f in data["features"]] == ["150105001001001"]
    assert data["truncated"] is False
    for bad in ["1,2,3", "a,b,c,d", "111.8,40.8,111.7,40.9", "100,30,110,40"]:
        response = client.get("/api/geo/grids", {"bbox": bad})
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] in {"invalid_bbox", "bbox_too_large"}


def test_grid_detail_is_scoped(api_client_for, make_user, test_city):
    inside = make_user(["dispatcher"], area_code="150105001")
    outside = make_user(["dispatcher"], area_code="150102")
    assert api_client_for(inside).get("/api/geo/grids/150105001001001").status_code == 200
    assert api_client_for(inside).get("/api/geo/grids/150105002003001").status_code == 404
    assert api_client_for(outside).get("/api/geo/grids/150105001001001").status_code == 404


def test_areas_show_scope_and_its_parents(api_client_for, make_user, test_city):
    user = make_user(["dispatcher"], area_code="150105001")
    codes = [
        a["code"] for a in api_client_for(user).get("/api/geo/areas", {"page_size": 100}).json()["items"]
    ]
    assert codes == ["150000", "150100", "150105", "150105001", "150105001001", "150105001002"]
    features = api_client_for(user).get("/api/geo/areas/features", {"level": "community"}).json()["features"]
    assert {f["properties"]["code"] for f in features} == {"150105001001", "150105001002"}


def test_beats_listing(api_client_for, saihan_user):
    from qingcheng.geo.models import SupervisionBeat

    beat = SupervisionBeat.objects.create(
        code="B1", name="一号", area_code="150105001001", grid_codes=["150105001001001"]
    )
    beat.supervisors.add(saihan_user)
    items = api_client_for(saihan_user).get("/api/geo/beats").json()["items"]
    assert items == [
        {
            "code": "B1",
            "name": "一号",
            "area_code": "150105001001",
            "grid_count": 1,
            "supervisors": [str(saihan_user)],  # a display name or neutral label, never the login
        }
    ]


def test_map_page_renders_for_a_logged_in_user(client, saihan_user):
    client.force_login(saihan_user)
    html = client.get("/map/").content.decode()
    assert 'id="map"' in html and "vendor/leaflet/leaflet.js" in html and "js/grid-map.js" in html
    assert "cdn" not in html.lower()


def test_area_feature_endpoint(api_client_for, saihan_user):
    feature = api_client_for(saihan_user).get("/api/geo/areas/150105001001/feature").json()
    assert feature["properties"]["code"] == "150105001001"
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}


@pytest.fixture
def beat_people(make_user, test_city):
    from qingcheng.geo.models import Responsibility, SupervisionBeat

    named = make_user(["supervisor"], area_code="150105", username="sup-login-zhang", display_name="张建国")
    unnamed = make_user(["supervisor"], area_code="150105", username="sup-login-li")
    beat = SupervisionBeat.objects.create(
        code="B-9", name="九号", area_code="150105001001", grid_codes=["150105001001001"]
    )
    beat.supervisors.add(named, unnamed)
    Responsibility.objects.create(area_code="150105001001", matter_type="", role="grid_chief", user=named)
    return {"named": named, "unnamed": unnamed}


LOGINS = ("sup-login-zhang", "sup-login-li")


def test_beats_never_show_login_names_and_show_the_public_no_people(api_client_for, make_user, beat_people):
    citizen = make_user(["citizen"], area_code="150105", staff_category="public")
    public = api_client_for(citizen).get("/api/geo/beats")
    assert public.status_code == 200
    assert [(b["code"], b["supervisors"]) for b in public.json()["items"]] == [("B-9", [])]
    staff = api_client_for(make_user(["dispatcher"], area_code="150105")).get("/api/geo/beats")
    names = staff.json()["items"][0]["supervisors"]
    assert names == ["张建国", str(beat_people["unnamed"])]
    assert str(beat_people["unnamed"]).endswith(str(beat_people["unnamed"].pk))
    manager = api_client_for(make_user(["unit_manager"], area_code="150105")).get("/api/geo/beats")
    assert manager.json()["items"][0]["supervisors"] == ["张建国", "sup-login-li"]
    for response in (public, staff):
        assert not any(login in response.content.decode() for login in LOGINS)


def test_responsible_people_are_masked_for_the_public_and_never_by_login(
    api_client_for, make_user, beat_people
):
    lon, lat = cell_centre(0, 0)
    citizen = make_user(["citizen"], area_code="150105", staff_category="public")
    public = api_client_for(citizen).get("/api/geo/locate", {"lon": lon, "lat": lat, "matter": ""})
    chiefs = [p for p in public.json()["responsible"] if p["role"] == "grid_chief"]
    assert chiefs == [
        {
            "role": "grid_chief",
            "department_id": None,
            "department_name": None,
            "user_id": None,
            "user_name": "张**",
            "fallback": False,
        }
    ]
    staff = api_client_for(make_user(["dispatcher"], area_code="150105"))
    located = staff.get("/api/geo/locate", {"lon": lon, "lat": lat, "matter": ""}).json()
    assert [p["user_name"] for p in located["responsible"] if p["role"] == "grid_chief"] == ["张建国"]
    grid = staff.get("/api/geo/grids/150105001001001", {"matter": ""})
    for response in (public, grid):
        assert not any(login in response.content.decode() for login in LOGINS)
