"""A hand-computed world for evaluation tests: 29 cases driven through the real case services
(`cases.services.case_report` / `case_act`) with the business clock (`core.clock.at`) at known instants.

Two districts: 赛罕区 150105 (the synthetic test city: streets 150105001 and 150105002) and a small
新城区 150102 added here (one street, community and grid). Working hours 08:30–12:00 and 14:30–18:00;
October 2026 working days from chinesecalendar (1–7 October holiday, 10 October a make-up workday).

The period is October 2026 and the as-of instant T is 2 November 2026 09:00; a few steps happen after T
(3 November) so that T and "now" differ. Expected figures are worked out by hand in the tests, case by
case (see the table in test_indicators.py).
"""

from __future__ import annotations

import pytest

from qingcheng.testing import jpeg_bytes

from .instants import at


def _add_second_district():
    """新城区 150102 → street 150102001 → community 150102001001 → one grid west of the test city."""
    from qingcheng.geo.geometry import area_m2, geometry_columns
    from qingcheng.geo.models import AdminArea, GridRevision, UnitGrid
    from qingcheng.geo.testing import VALID_FROM, grid_box

    city = AdminArea.objects.get(code="150100")
    geom = grid_box(-3, 0)
    columns = geometry_columns(geom)
    district = AdminArea.objects.create(
        code="150102", name="新城区", level="district", parent=city, **columns
    )
    street = AdminArea.objects.create(
        code="150102001", name="新城测试街道", level="street", parent=district, **columns
    )
    community = AdminArea.objects.create(
        code="150102001001", name="新城测试社区", level="community", parent=street, **columns
    )
    revision = GridRevision.objects.create(note="second district", grid_count=1)
    UnitGrid.objects.create(
        code="150102001001001",
        community=community,
        area_m2=area_m2(geom),
        valid_from=VALID_FROM,
        revision=revision,
        synthetic=True,
        **columns,
    )


@pytest.fixture
def world(test_city, make_user, make_department, settings, tmp_path):
    from qingcheng.cases.catalogue import load_demo_catalogue
    from qingcheng.cases.services import PhotoUpload, case_act, case_report
    from qingcheng.core import clock
    from qingcheng.geo import spatial
    from qingcheng.geo.testing import cell_centre, grid_box

    settings.MEDIA_ROOT = tmp_path
    load_demo_catalogue()
    _add_second_district()
    spatial.invalidate()

    unit_a = make_department(area_code="150105", name="赛罕市政A", code="UNIT-A")
    unit_b = make_department(area_code="150105", name="赛罕环卫B", code="UNIT-B")
    unit_c = make_department(area_code="150102", name="新城市政C", code="UNIT-C")
    units = {"A": unit_a, "B": unit_b, "C": unit_c}
    u = {
        "S1": make_user(["supervisor"], area_code="150105", username="s1", display_name="监督员一"),
        "S2": make_user(["supervisor"], area_code="150102", username="s2", display_name="监督员二"),
        "R": make_user(["receiver"], area_code="150100", username="recv"),
        "D": make_user(["dispatcher"], area_code="150100", username="disp"),
        "SL": make_user(["shift_leader"], area_code="150100", username="shift"),
        "H": make_user(["hotline_agent"], area_code="150100", username="hot"),
        "L": make_user(["leader"], area_code="150100", username="leader"),
        "hA": make_user(["handler"], area_code="150105", department=unit_a, username="ha"),
        "mA": make_user(["unit_manager"], area_code="150105", department=unit_a, username="ma"),
        "hB": make_user(["handler"], area_code="150105", department=unit_b, username="hb"),
        "hC": make_user(["handler"], area_code="150102", department=unit_c, username="hc"),
    }
    points = {
        "g1": cell_centre(0, 0),  # 150105001001001 (street 150105001, community 150105001001)
        "g2": cell_centre(2, 0),  # 150105001002001 (street 150105001, community 150105001002)
        "g3": cell_centre(0, 2),  # 150105002003001 (street 150105002, community 150105002003)
        "x1": (grid_box(-3, 0).centroid.x, grid_box(-3, 0).centroid.y),  # 150102001001001
    }
    jpeg = jpeg_bytes(colour=(120, 160, 90))
    cases = {}

    def report(name, instant, where, *, by="S1", category="E0102", source="supervisor", **kwargs):
        lon, lat = points[where]
        with clock.at(at(instant)):
            result = case_report(
                actor=None if source == "public" else u[by],
                source=source,
                lon=lon,
                lat=lat,
                description=f"评价测试 {name}",
                category_code=category,
                **kwargs,
            )
        cases[name] = result.case
        return result.case

    def act(name, instant, actor, action, **data):
        photos = None
        if action == "feedback":
            photos = [PhotoUpload(data=jpeg, kind="after", name="after.jpg")]
        if action == "dispatch":
            data = {"department_id": units[data.pop("unit")].pk, **data}
        with clock.at(at(instant)):
            return case_act(case_id=cases[name].pk, actor=u[actor], action=action, data=data, photos=photos)

    def loop(name, day, steps, *, checker="S1", unit="A", handler="hA"):
        """report is done; steps: open, dispatch, accept, feedback, send_check, check, close at HH:MM."""
        actors = {
            "open": "R",
            "dispatch": "D",
            "accept": handler,
            "feedback": handler,
            "send_check": "R",
            "check": checker,
            "close": "SL",
        }
        for action, time in steps:
            instant = time if "T" in time else f"{day}T{time}"
            extra = {}
            if action == "dispatch":
                extra["unit"] = unit
            if action == "check":
                extra["passed"] = True
            act(name, instant, actors[action], action, **extra)

    full = ("open", "dispatch", "accept", "feedback", "send_check", "check", "close")

    def steps(*times):
        return list(zip(full, times, strict=False))

    # ---- 赛罕区, street 150105001, community 150105001001 (grid g1) unless noted
    report("C1", "2026-10-12T08:40", "g1")
    loop("C1", "2026-10-12", steps("08:50", "09:00", "09:10", "11:00", "11:05", "11:20", "11:30"))
    report("C2", "2026-10-12T09:00", "g1")
    loop("C2", "2026-10-12", steps("09:10", "09:20", "09:30", "2026-10-13T09:00", "2026-10-13T09:10",
                                   "2026-10-13T09:30", "2026-10-13T09:40"))  # fmt: skip
    report("C3", "2026-10-13T08:40", "g1")
    loop("C3", "2026-10-13", steps("08:50", "09:00", "09:05", "10:00", "10:05"))
    act("C3", "2026-10-13T10:30", "S1", "check", passed=False)
    loop(
        "C3",
        "2026-10-13",
        [("feedback", "15:00"), ("send_check", "15:05"), ("check", "15:20"), ("close", "15:30")],
    )
    report("C4", "2026-10-14T09:00", "g1")
    loop("C4", "2026-10-14", steps("09:10", "09:20"))
    act("C4", "2026-10-14T10:00", "SL", "defer", reason="雨季暂缓")
    report("C5", "2026-10-14T09:30", "g1")
    loop("C5", "2026-10-14", steps("09:40", "09:50", "10:00"))
    act("C5", "2026-10-14T10:10", "mA", "request_park", reason="需纳入工程计划")
    act("C5", "2026-10-14T10:20", "SL", "approve_park")
    report("C6", "2026-10-15T09:00", "g1")
    loop("C6", "2026-10-15", steps("09:10", "09:20", "09:30"))
    act("C6", "2026-10-15T09:40", "SL", "defer", reason="等待天气")
    act("C6", "2026-10-16T09:00", "SL", "resume")
    loop(
        "C6",
        "2026-10-16",
        [("feedback", "11:00"), ("send_check", "11:05"), ("check", "11:20"), ("close", "11:30")],
    )
    report("C7", "2026-10-19T09:00", "g2")
    loop("C7", "2026-10-19", steps("09:10", "09:20", "09:30"))
    act(
        "C7", "2026-10-19T10:00", "mA", "request_extension", reason="材料未到", unit="working_hours", amount=2
    )
    act("C7", "2026-10-19T10:10", "SL", "approve_extension")
    loop(
        "C7",
        "2026-10-19",
        [("feedback", "17:00"), ("send_check", "17:05"), ("check", "17:20"), ("close", "17:40")],
    )
    report("C8", "2026-10-20T09:00", "g2")
    loop("C8", "2026-10-20", steps("09:10", "09:20", "09:30"))
    report("C9", "2026-10-20T10:00", "g1")
    loop("C9", "2026-10-20", steps("10:10", "10:20"))
    act("C9", "2026-10-20T10:30", "mA", "request_return", reason="不属本单位职责")
    act("C9", "2026-10-20T10:40", "SL", "approve_return")
    loop("C9", "2026-10-20", [("dispatch", "10:50"), ("accept", "11:00"), ("feedback", "14:40"),
                              ("send_check", "14:45"), ("check", "15:00"), ("close", "15:10")],
         unit="B", handler="hB")  # fmt: skip
    report("C10", "2026-10-21T09:00", "g1", source="public")
    act("C10", "2026-10-21T09:05", "R", "send_verification")
    act("C10", "2026-10-21T09:20", "S1", "verify", genuine=True)
    loop("C10", "2026-10-21", steps("09:30", "09:40", "09:50", "11:00", "11:05", "11:25", "11:30"))
    act("C10", "2026-10-21T14:40", "H", "callback", satisfied=True, score=5)
    report("C11", "2026-10-21T10:00", "g1", source="public")
    loop("C11", "2026-10-21", steps("10:05", "10:10", "10:15", "11:00", "11:05", "11:20", "11:30"))
    act("C11", "2026-10-21T15:00", "H", "callback", satisfied=False, score=2)
    report("C12", "2026-10-22T08:40", "g1")
    loop("C12", "2026-10-22", steps("08:45", "08:50", "08:55", "09:30", "09:35"))
    for fail, again in (("09:50", ("10:30", "10:35")), ("10:50", ("11:30", "11:35")), ("11:45", None)):
        act("C12", f"2026-10-22T{fail}", "S1", "check", passed=False)
        if again:
            loop("C12", "2026-10-22", [("feedback", again[0]), ("send_check", again[1])])
    loop(
        "C12",
        "2026-10-23",
        [("feedback", "10:00"), ("send_check", "10:05"), ("check", "10:20"), ("close", "10:30")],
    )
    # ---- 赛罕区, street 150105002 (grid g3)
    report("C13", "2026-10-26T09:00", "g3")
    loop("C13", "2026-10-26", steps("09:10", "10:30", "10:40", "11:00", "11:05", "11:20", "11:30"))
    report("C14", "2026-10-27T09:00", "g3", category="E0401", urgency="urgent")
    loop("C14", "2026-10-27", steps("09:05", "09:10", "09:15", "10:30", "10:35", "10:50", "11:02"))
    report("C15", "2026-10-28T09:00", "g3")
    loop("C15", "2026-10-28", steps("10:30", "10:40", "10:50", "15:00"))
    report("C16", "2026-10-30T17:00", "g3")
    loop("C16", "2026-10-30", steps("17:10"))
    # ---- back in street 150105001
    report("C17", "2026-09-30T17:00", "g1")
    loop("C17", "2026-10-08", steps("09:00", "09:10", "09:20", "10:00", "10:05", "10:20", "10:30"))
    report("C18", "2026-10-31T10:00", "g1")
    act("C18", "2026-11-02T08:40", "R", "open")
    report("C19", "2026-10-30T09:00", "g1")
    act("C19", "2026-10-30T09:30", "R", "cancel", reason="现场无此问题")
    report("C20", "2026-10-30T17:15", "g1")
    act("C20", "2026-10-30T17:20", "R", "merge", target_id=cases["C16"].pk)
    report(
        "C21",
        "2026-10-29T15:00",
        "g1",
        self_handled=True,
        photos=[PhotoUpload(data=jpeg, kind="before"), PhotoUpload(data=jpeg, kind="after")],
    )
    act("C21", "2026-10-29T15:10", "SL", "close")
    report("C22", "2026-10-29T09:00", "g1")
    loop("C22", "2026-10-29", steps("09:10", "09:20", "09:30", "10:00", "10:05"))
    loop("C22", "2026-11-03", [("check", "09:00"), ("close", "09:30")])  # after T
    report("C23", "2026-10-29T10:00", "g1", source="public")
    loop("C23", "2026-10-29", steps("10:10", "10:20", "10:30", "11:00", "11:05", "11:20", "11:31"))
    act("C23", "2026-11-03T10:00", "H", "callback", satisfied=False, score=1)  # after T
    report("C24", "2026-10-31T11:00", "g1")
    # ---- 新城区 150102 (grid x1), supervisor S2, unit C
    report("C25", "2026-10-12T10:00", "x1", by="S2")
    loop("C25", "2026-10-12", steps("10:10", "10:20", "10:30", "11:00", "11:05", "11:20", "11:30"),
         checker="S2", unit="C", handler="hC")  # fmt: skip
    report("C26", "2026-10-13T09:00", "x1", by="S2")
    loop("C26", "2026-10-13", steps("09:10", "09:20", "09:30", "2026-10-14T09:00", "2026-10-14T09:05",
                                    "2026-10-14T09:50", "2026-10-14T10:00"),
         checker="S2", unit="C", handler="hC")  # fmt: skip
    report("C27", "2026-10-30T17:25", "x1", by="S2")
    loop("C27", "2026-10-30", steps("17:30", "17:40", "17:50"), unit="C", handler="hC")
    # ---- September: the previous period
    report("P1", "2026-09-15T09:00", "g1")
    loop("P1", "2026-09-15", steps("09:10", "09:20", "09:30", "10:00", "10:05", "10:20", "10:30"))
    report("P2", "2026-09-16T09:00", "x1", by="S2")
    loop("P2", "2026-09-16", steps("09:10", "09:20", "09:30"), unit="C", handler="hC")

    for case in cases.values():
        case.refresh_from_db()
    return {"cases": cases, "users": u, "units": units}
