"""The back office: scoped lists, search by code, edits audited through the services."""

from qingcheng.components import services
from qingcheng.components.models import Component
from qingcheng.core.models import AuditEntry


def test_admin_list_search_and_edit(city, centre, make_user, api_client_for):
    lon, lat = centre(0, 0)
    made = services.component_create(actor=None, class_code="0101", lon=lon, lat=lat, name="上水井盖")
    admin_user = make_user(["admin"], area_code="150105")
    client = api_client_for(admin_user)
    listing = client.get("/admin/components/component/?q=1501050101")
    assert listing.status_code == 200 and made.code in listing.content.decode()
    assert client.get("/admin/components/component/?major=01&state__exact=intact").status_code == 200
    page = client.get(f"/admin/components/component/{made.pk}/change/")
    assert page.status_code == 200
    form = {
        "name": "上水井盖（改）",
        "lon": made.lon,
        "lat": made.lat,
        "state": "damaged",
        "accuracy": "A",
        "competent_department": "",
        "owner_unit": "",
        "maintenance_department": "",
        "first_recorded": made.first_recorded.isoformat(),
        "changed_on": "",
        "data_source": "",
        "photo": "",
        "note": "",
    }
    response = client.post(f"/admin/components/component/{made.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    made.refresh_from_db()
    assert made.name == "上水井盖（改）" and made.state == "damaged"
    actions = list(AuditEntry.objects.order_by("-seq").values_list("action", flat=True)[:2])
    assert set(actions) == {"component.update", "component.set_state"}
    outsider = api_client_for(make_user(["admin"], area_code="150102"))
    assert made.code not in outsider.get("/admin/components/component/").content.decode()
    assert Component.objects.count() == 1
