"""Load synthetic emergency-management demo data for Hohhot (呼和浩特): hazard sources, shelters,
warehouses and supplies, plans and a drill, one hidden danger.

Everything is labelled 演示数据 (synthetic): enterprise names, quantities, capacities and dates are made
up. Shelter sites use real Hohhot parks and squares from the demo gazetteer, whose coordinates are
estimates (±400–600 m); their capacities are invented. Idempotent: rows whose codes exist are kept."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import transaction

from qingcheng.accounts.models import User
from qingcheng.emergency import services
from qingcheng.emergency.models import EmergencyPlan, HazardSource, Shelter, SupplyItem, Warehouse

LABEL = "（演示数据）"

HAZARDS = [
    (
        "DEMO-WX-01",
        "液氯储存区" + LABEL,
        "演示化工有限公司" + LABEL,
        "150105",
        111.745,
        40.785,
        160,
        [("液氯", "toxic_gas", "cl2", "40", "5")],
    ),
    (
        "DEMO-WX-02",
        "液化石油气储配站" + LABEL,
        "演示燃气有限公司" + LABEL,
        "150104",
        111.640,
        40.775,
        40,
        [("液化石油气", "flammable_gas", "", "80", "50")],
    ),
    (
        "DEMO-WX-03",
        "冷库氨制冷系统" + LABEL,
        "演示冷链物流有限公司" + LABEL,
        "150103",
        111.610,
        40.820,
        70,
        [("液氨", "toxic_gas", "nh3", "30", "10")],
    ),
]
SHELTERS = [
    # code, name, area, lon, lat (gazetteer estimates), level, duration, area m², radius m
    ("DEMO-BN-01", "新华广场应急避难场所", "150102", 111.664, 40.8207, "city", "short", 60000, 2000),
    ("DEMO-BN-02", "满都海公园应急避难场所", "150105", 111.6865, 40.8109, "county", "short", 40000, 1500),
    ("DEMO-BN-03", "青城公园应急避难场所", "150103", 111.6593, 40.8057, "city", "medium", 90000, 2500),
]
ITEMS = [
    ("TENT-12", "12平方米救灾帐篷", "顶", "living"),
    ("QUILT", "棉被", "床", "living"),
    ("WATER", "瓶装饮用水(550ml×24)", "箱", "living"),
    ("PUMP", "移动排水泵", "台", "equipment"),
    ("SANDBAG", "防汛编织袋", "条", "rescue"),
]


class Command(BaseCommand):
    help = "Load synthetic emergency-management demo data (labelled 演示数据)."

    @transaction.atomic
    def handle(self, *args, **options):
        actor = User.objects.filter(is_superuser=True).order_by("pk").first()
        if actor is None:
            actor = User.objects.create_superuser("emergency-demo", password=None, area_code="15")
        today = dt.date.today()
        for code, name, owner, area, lon, lat, people, subs in HAZARDS:
            if HazardSource.objects.filter(code=code).exists():
                continue
            source = services.hazard_source_register(
                actor=actor,
                code=code,
                name=name,
                owner_name=owner,
                area_code=area,
                lon=lon,
                lat=lat,
                people_exposed=people,
                substances=[
                    {"name": n, "category": c, "gas_key": g, "quantity_t": q, "critical_t": Q}
                    for n, c, g, q, Q in subs
                ],
                inspection_interval_days=30,
                sensor_codes=[f"{code}-GAS-1"],
                filed_on=today - dt.timedelta(days=200),
            )
            services.hazard_source_inspect(
                actor=actor,
                source=source,
                inspected_on=today - dt.timedelta(days=20),
                findings="演示：巡检正常",
            )
        shelters = []
        for code, name, area, lon, lat, level, duration, area_m2, radius in SHELTERS:
            shelter = Shelter.objects.filter(code=code).first() or services.shelter_create(
                actor=actor,
                code=code,
                name=name,
                area_code=area,
                level=level,
                duration=duration,
                function="comprehensive",
                lon=lon,
                lat=lat,
                effective_area_m2=area_m2,
                area_per_person_m2="2",
                service_radius_m=radius,
                status="open",
                note="演示数据：场址为真实公园/广场，坐标为估计值，容量为虚构。",
            )
            shelters.append(shelter)
        warehouse = Warehouse.objects.filter(code="DEMO-CK-01").first() or services.warehouse_create(
            actor=actor,
            code="DEMO-CK-01",
            name="赛罕区应急物资储备库" + LABEL,
            area_code="150105",
            lon=111.72,
            lat=40.80,
        )
        for code, name, unit, category in ITEMS:
            item = SupplyItem.objects.filter(code=code).first() or services.supply_item_create(
                actor=actor, code=code, name=name, unit=unit, category=category
            )
            if not item.lots.filter(warehouse=warehouse).exists():
                expiry = today + dt.timedelta(days=20) if code == "WATER" else None
                services.stock_receive(
                    actor=actor,
                    warehouse=warehouse,
                    item=item,
                    quantity=200 if code != "PUMP" else 6,
                    expiry_date=expiry,
                )
                services.stock_set_minimum(
                    actor=actor, warehouse=warehouse, item=item, minimum=10 if code == "PUMP" else 100
                )
        if not EmergencyPlan.objects.filter(code="DEMO-YA-01").exists():
            plan = services.plan_create(
                actor=actor,
                code="DEMO-YA-01",
                name="赛罕区防汛应急预案" + LABEL,
                kind="special",
                owner_type="government",
                area_code="150105",
                published_on=today - dt.timedelta(days=800),
                event_category="自然灾害-洪涝",
                filed_with="呼和浩特市应急管理局（演示）",
                response_levels="Ⅰ级 Ⅱ级 Ⅲ级 Ⅳ级",
                shelters=[s for s in shelters if s.area_code == "150105"],
                warehouses=[warehouse],
            )
            services.drill_record(
                actor=actor,
                plan=plan,
                held_on=today - dt.timedelta(days=760),
                form="tabletop",
                participants=45,
                evaluation="演示：流程基本可行",
            )
            services.plan_create(
                actor=actor,
                code="DEMO-YA-02",
                name="液氯泄漏现场处置方案" + LABEL,
                kind="onsite",
                owner_type="high_risk",
                area_code="150105",
                published_on=today - dt.timedelta(days=150),
                hazard_sources=list(HazardSource.objects.filter(code="DEMO-WX-01")),
            )
        self.stdout.write(self.style.SUCCESS("emergency demo data loaded (synthetic, labelled 演示数据)"))
