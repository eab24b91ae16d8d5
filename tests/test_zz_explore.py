import re, time
import pytest
from django.test import Client
from tests._scope_world import build_world, SCOPE_MARKERS, PERSONAL_MARKERS, other, DISTRICTS

@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

FILLS = {
    "/api/accounts/departments/{department_id}": lambda r: {"department_id": r.unit.pk},
    "/api/geo/areas/{code}/feature": lambda r: {"code": r.street_code},
    "/api/geo/areas/{code}": lambda r: {"code": r.street_code},
    "/api/geo/grids/{code}": lambda r: {"code": r.grid_code},
    "/api/components/{code}": lambda r: {"code": r.component.code},
    "/api/cases/{case_id}": lambda r: {"case_id": r.case.pk},
    "/api/intake/hotline/orders/{order_id}": lambda r: {"order_id": r.order.pk},
    "/api/public/cases/{number}/photos/{photo_id}": lambda r: {"number": r.public_case.number, "photo_id": r.public_photo.pk},
    "/api/sensing/devices/{device_id}": lambda r: {"device_id": r.device.device_id},
    "/api/sensing/devices/{device_id}/readings": lambda r: {"device_id": r.device.device_id},
    "/api/emergency/hazard-sources/{pk}": lambda r: {"pk": r.hazard_source.pk},
    "/api/emergency/incidents/{pk}": lambda r: {"pk": r.incident.pk},
    "/api/emergency/incidents/{pk}/shelters": lambda r: {"pk": r.incident.pk},
}

@pytest.mark.django_db
def test_world(loop, make_user, make_department):
    from qingcheng.api import api
    w = build_world(loop, make_user, make_department)
    ops = []
    for path, methods in api.get_openapi_schema()["paths"].items():
        if "get" not in methods: continue
        names = re.findall(r"{(\w+)}", path)
        if names:
            for d in DISTRICTS:
                ops.append((path, d, re.sub(r"{(\w+)}", lambda m: str(FILLS[path](w.records[d])[m.group(1)]), path)))
        else:
            ops.append((path, None, path))
    t = time.time(); n = 0
    rows = {}
    for (role, ud), user in w.users.items():
        c = Client(); c.force_login(user)
        for path, rd, url in ops:
            resp = c.get(url); n += 1
            body = resp.content.decode("utf-8", "replace")
            own = SCOPE_MARKERS[ud] in body
            oth = SCOPE_MARKERS[other(ud)] in body
            pers = [k for k,(nm,ph) in PERSONAL_MARKERS.items() if nm in body or ph in body]
            key = "in" if rd == ud else ("out" if rd else "list")
            rows.setdefault(path, []).append(f"{role[:6]}-{ud[-1]}-{key}:{resp.status_code}{'M' if own else ''}{'X' if oth else ''}{'P'+''.join(x[-1] for x in pers) if pers else ''}")
    print("requests", n, time.time()-t)
    for p, r in rows.items():
        print(p)
        print("   ", " ".join(r))
