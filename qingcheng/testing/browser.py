"""Helpers for browser tests (Playwright pages on the live server): the real login form, stored-XSS
payloads and a test city whose names carry them."""

from __future__ import annotations


def browser_login(page, username: str, password: str = "correct-horse-battery", next_url: str = "/") -> None:
    """Log in through the real login form and wait for the page that follows."""
    page.goto(f"/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/login/" in page.url:
        raise AssertionError(f"login as {username} failed: {page.inner_text('main')[:300]}")


# Stored-XSS payloads: an element with an event handler, and the end of a <script> element followed by a
# new one (what breaks out of JSON written into a page with |safe). Every text field below stays within
# its column's length with either.
XSS_PAYLOADS = ("<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>")


def hostile_city(loop, make_user, payload: str) -> dict:
    """The test city (`loop` fixture) with `payload` stored, as an administrator could, in the names that
    the maps, the field app and the workbenches show: the district, the subclass E0102, the handling unit,
    an incident, a shelter, a hazard source, a warehouse and a sensing device; and one case of that subclass,
    opened and dispatched to the unit, with an open verification task for the supervisor. The records are
    made through the services with plain names first and renamed afterwards, as the admin would."""
    import datetime as dt
    import json

    from qingcheng.accounts.models import Department
    from qingcheng.cases.catalogue import forget_cached_catalogue
    from qingcheng.cases.models import CaseCategory
    from qingcheng.cases.services import case_act, case_report
    from qingcheng.emergency import services as emergency
    from qingcheng.emergency.models import HazardSource, Incident, Shelter, Warehouse
    from qingcheng.geo.models import AdminArea
    from qingcheng.sensing import ingest as ing
    from qingcheng.sensing.defaults import seed_defaults
    from qingcheng.sensing.models import Device
    from qingcheng.sensing.services import device_create, forget_caches, readings_ingest

    users = loop["users"]
    lon, lat = loop["point"]
    admin = make_user(["admin", "leader"], area_code="150105")
    case = case_report(
        actor=users["supervisor"],
        source="supervisor",
        lon=lon,
        lat=lat,
        description=f"描述{payload}",
        category_code="E0102",
    ).case
    case_act(case_id=case.pk, actor=None, action="open")
    case_act(case_id=case.pk, actor=None, action="dispatch", data={"department_id": loop["unit"].pk})
    task_case = case_report(
        actor=users["supervisor"],
        source="supervisor",
        lon=lon,
        lat=lat,
        description="待核实",
        category_code="E0102",
    ).case
    case_act(
        case_id=task_case.pk,
        actor=users["receiver"],
        action="send_verification",
        data={"assignee_id": users["supervisor"].pk},
    )
    incident = emergency.incident_report(
        actor=admin, title="事件", category="accident", grade="4", area_code="150105", lon=lon, lat=lat
    )
    shelter = emergency.shelter_create(
        actor=admin,
        code="XSS-S",
        name="避难场所",
        area_code="150105",
        level="township",
        duration="short",
        function="comprehensive",
        lon=lon + 0.001,
        lat=lat,
        effective_area_m2=200,
        area_per_person_m2="2",
        service_radius_m=1000,
        status="open",
    )
    hazard = emergency.hazard_source_register(
        actor=admin,
        code="XSS-H",
        name="危险源",
        owner_name="测试公司",
        area_code="150105",
        lon=lon - 0.001,
        lat=lat,
        people_exposed=10,
        substances=[
            {
                "name": "液氨",
                "category": "toxic_gas",
                "gas_key": "nh3",
                "quantity_t": "40",
                "critical_t": "10",
            }
        ],
    )
    warehouse = emergency.warehouse_create(
        actor=admin, code="XSS-W", name="仓库", area_code="150105", lon=lon, lat=lat + 0.001
    )
    seed_defaults()
    forget_caches()
    device = device_create(
        actor=None, device_id="XSS-DEVICE-1", device_type="waste", name="垃圾桶", lon=lon, lat=lat
    )
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    readings_ingest(
        messages=[
            ing.Message(
                device.device_id,
                json.dumps({"ts": int(at.timestamp() * 1000), "values": {"fillingLevel": 0.42}}),
            )
        ]
    )
    names = {
        "district": f"区{payload}",
        "subclass": f"类{payload}",
        "unit": f"单位{payload}",
        "incident": f"事件{payload}",
        "shelter": f"避难{payload}",
        "hazard": f"危险源{payload}",
        "warehouse": f"仓库{payload}",
        "device": f"设备{payload}",
    }
    AdminArea.objects.filter(code="150105").update(name=names["district"])
    CaseCategory.objects.filter(code="E0102").update(name=names["subclass"])
    Department.objects.filter(pk=loop["unit"].pk).update(name=names["unit"])
    Incident.objects.filter(pk=incident.pk).update(title=names["incident"])
    Shelter.objects.filter(pk=shelter.pk).update(name=names["shelter"])
    HazardSource.objects.filter(pk=hazard.pk).update(name=names["hazard"])
    Warehouse.objects.filter(pk=warehouse.pk).update(name=names["warehouse"])
    Device.objects.filter(pk=device.pk).update(name=names["device"])
    forget_cached_catalogue()
    forget_caches()
    return {
        "names": names,
        "case": case,
        "task_case": task_case,
        "incident": incident,
        "shelter": shelter,
        "hazard": hazard,
        "warehouse": warehouse,
        "device": device,
    }
