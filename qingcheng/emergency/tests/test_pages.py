"""Pages render in both languages with the demo data; permissions and scope hold."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PAGES = [
    "/emergency/",
    "/emergency/incidents/",
    "/emergency/hazard-sources/",
    "/emergency/hidden-dangers/",
    "/emergency/plans/",
    "/emergency/shelters/?lon=111.68&lat=40.81&people=10",
    "/emergency/supplies/",
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_with_demo_data(client, make_user, language):
    from qingcheng.accounts.models import User
    from qingcheng.emergency.services import incident_report

    User.objects.create_superuser("root", password="x-very-secret-1", area_code="15")
    out = io.StringIO()
    call_command("load_demo_emergency", stdout=out)
    call_command("load_demo_emergency", stdout=out)  # idempotent
    leader = make_user(["leader", "admin"], area_code="150100")
    client.force_login(leader)
    client.cookies["django_language"] = language
    incident = incident_report(
        actor=leader,
        title="测试事件",
        category="natural",
        grade="4",
        area_code="150105",
        lon=111.69,
        lat=40.81,
    )
    for url in [*PAGES, f"/emergency/incidents/{incident.pk}/"]:
        response = client.get(url)
        assert response.status_code == 200, url
    body = client.get(f"/emergency/incidents/{incident.pk}/").content.decode()
    assert "满都海公园应急避难场所" in body  # nearest open shelter with free capacity
    assert "演示" in client.get("/emergency/hazard-sources/").content.decode()


def test_pages_need_permission_and_scope(client, make_user):
    from qingcheng.emergency.services import incident_report

    client.force_login(make_user(["citizen"]))
    assert client.get("/emergency/").status_code == 403
    leader = make_user(["leader"])
    incident = incident_report(
        actor=leader,
        title="测试事件",
        category="natural",
        grade="4",
        area_code="150105",
        lon=111.69,
        lat=40.81,
    )
    client.force_login(make_user(["leader"], area_code="150102"))
    assert client.get(f"/emergency/incidents/{incident.pk}/").status_code == 404
    response = client.post(f"/emergency/incidents/{incident.pk}/act/", {"op": "close"})
    assert response.status_code == 404
