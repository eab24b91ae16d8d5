"""The world of the scope-isolation matrix: two districts, one user per role in each, and in each district
one record of every kind that an endpoint reads or writes by key, all made through the real services.

赛罕区 (150105) is the synthetic test city; 新城区 (150102) is one more street, community and grid made here,
west of it. Every text field that can carry one holds the district's marker (`SCOPE_MARKERS`), and the
reporters, callers and the parties of penalty cases carry the district's personal marker
(`PERSONAL_MARKERS`): a user of one district must never receive the other district's markers, and no public
endpoint may ever return a personal one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from shapely.geometry import box

INSIDE, OUTSIDE = "150105", "150102"
DISTRICTS = (INSIDE, OUTSIDE)
SCOPE_MARKERS = {INSIDE: "SCOPE-MARKER-IN-7f3a", OUTSIDE: "SCOPE-MARKER-OUT-7f3a"}
# Personal data: a name and a phone number per district (reporters of public cases, hotline callers).
PERSONAL_MARKERS = {INSIDE: ("钱七甲", "13600001111"), OUTSIDE: ("孙八乙", "13600002222")}
OUTSIDE_GRID = "150102001001001"
OUTSIDE_POINT = (111.6605, 40.8005)


def other(district: str) -> str:
    return OUTSIDE if district == INSIDE else INSIDE


@dataclass
class Records:
    """The records of one district."""

    district: str
    point: tuple[float, float]
    street_code: str
    grid_code: str
    unit: Any = None
    case: Any = None  # reported, with a photo (public copy made)
    task_case: Any = None  # verifying, with an open verification task
    task: Any = None
    public_case: Any = None  # a public report: reporter's personal data, tracking secret, photo
    tracking_secret: str = ""
    public_photo: Any = None
    case_photo: Any = None
    order: Any = None  # a hotline suggestion with the caller's personal data
    component: Any = None
    device: Any = None
    alarm: Any = None
    hazard_source: Any = None
    hidden_danger: Any = None
    shelter: Any = None
    incident: Any = None
    warning: Any = None
    plan: Any = None
    warehouse: Any = None
    item: Any = None
    open311_case: Any = None  # an Open311 request of a batch service (it has a token)
    open311_token: str = ""
    # Administrative enforcement: the party of every penalty case carries the district's personal data.
    officer2: Any = None  # a second enforcement officer (every investigative step needs two)
    bank: Any = None  # the collecting bank of the district
    penalty_case: Any = None  # executing: decided and served, with evidence and a payment notice
    proposed_case: Any = None  # proposed, waiting for the head to approve the filing
    transfer: Any = None  # a crime transfer reported from a third case (investigating)
    evidence: Any = None  # a PNG of penalty_case
    disclosure: Any = None  # penalty_case's decision made public (双公示)
    payment_notice: Any = None
    nonsite: Any = None  # a non-site record, reviewed and notified to the party
    nonsite_secret: str = ""  # the party's link secret
    nonsite_evidence: Any = None


@dataclass
class World:
    users: dict[tuple[str, str], Any]  # (role, district) -> user
    keys: dict[tuple[str, str], str]  # (role, district) -> raw API key
    records: dict[str, Records]
    open311_key: str  # a client application's key


def _outside_district() -> None:
    """新城区 (150102): one street, one community and one 100 m grid west of the test city."""
    from qingcheng.geo import spatial
    from qingcheng.geo.geometry import area_m2, geometry_columns
    from qingcheng.geo.models import AdminArea, GridRevision, UnitGrid
    from qingcheng.geo.testing import VALID_FROM

    lon, lat = OUTSIDE_POINT
    geom = box(lon - 0.0005, lat - 0.0004, lon + 0.0005, lat + 0.0004)
    city = AdminArea.objects.get(code="150100")
    columns = geometry_columns(geom)
    district = AdminArea.objects.create(code=OUTSIDE, name="新城区", level="district", parent=city, **columns)
    street = AdminArea.objects.create(
        code="150102001", name="区外街道", level="street", parent=district, **columns
    )
    community = AdminArea.objects.create(
        code="150102001001", name="区外社区", level="community", parent=street, **columns
    )
    revision = GridRevision.objects.create(note="scope matrix", grid_count=1)
    UnitGrid.objects.create(
        code=OUTSIDE_GRID,
        community=community,
        area_m2=area_m2(geom),
        valid_from=VALID_FROM,
        revision=revision,
        synthetic=True,
        **columns,
    )
    spatial.invalidate()


def _users(loop, make_user, units) -> tuple[dict, dict]:
    from qingcheng.accounts.roles import ROLES
    from qingcheng.accounts.services import api_key_create

    users, keys = {}, {}
    for role in ROLES:
        for district in DISTRICTS:
            extra: dict[str, Any] = {}
            if role.key in {"handler", "unit_manager"}:
                extra["department"] = units[district]
            if role.key == "auxiliary":
                extra["staff_category"] = "auxiliary"
            elif role.key == "citizen":
                extra["staff_category"] = "public"  # as the public site registers them
            elif role.key == "api_client":
                extra["staff_category"] = "system"
            user = make_user([role.key], area_code=district, **extra)
            users[(role.key, district)] = user
            keys[(role.key, district)] = api_key_create(actor=None, user=user, name="scope-matrix")[1]
    return users, keys


def png_bytes(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _local(*args: int) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo("Asia/Shanghai"))


def _enforcement(rec: Records, users: dict, make_user) -> None:
    """The district's enforcement records, through the services with the business clock set in November
    2026 (the statements period of the notified case must be over before the decision): a case walked to
    executing (decided and served: documents, periods, the payment notice, one evidence file), a proposed
    case, a crime transfer of a third case, and a non-site record notified to its party."""
    from django.contrib.auth.models import Permission

    from qingcheng.accounts.backends import forget_permissions
    from qingcheng.core import clock
    from qingcheng.enforcement import nonsite
    from qingcheng.enforcement.evidence.services import evidence_add
    from qingcheng.enforcement.models import CollectingBank, MonitoringPoint, Violation
    from qingcheng.enforcement.penalty import services
    from qingcheng.enforcement.transfers.services import transfer_report

    district, marker = rec.district, SCOPE_MARKERS[rec.district]
    name, phone = PERSONAL_MARKERS[district]
    officer, head = users[("enforcement_officer", district)], users[("enforcement_head", district)]
    rec.officer2 = make_user(["enforcement_officer"], area_code=district)
    pair = [officer.pk, rec.officer2.pk]
    rec.bank = CollectingBank.objects.create(
        code=f"SM-BANK-{district}",
        name="矩阵代收银行",
        address="呼和浩特市（测试）",
        agreement_number=f"代收协议-矩阵-{district}",
        area_code=district,
    )
    party = {
        "party_kind": "individual",
        "party_name": name,
        "party_phone": phone,
        "party_address": "呼和浩特市某小区（测试）",
    }

    def open_case(when: dt.datetime, facts: str) -> Any:
        with clock.at(when):
            return services.penalty_case_open(
                actor=officer,
                source="inspection",
                violation_code="SR-01",
                facts=f"当事人{name}（电话{phone}）{facts} {marker}",
                address=f"大学东街 {marker}",
                occurred_at=when - dt.timedelta(hours=1),
                officer_ids=pair,
                area_code=district,
                lon=rec.point[0],
                lat=rec.point[1],
                **party,
            )

    def act(who: Any, case: Any, action: str, when: dt.datetime, **params: Any) -> Any:
        with clock.at(when):
            return services.penalty_case_act(actor=who, case=case, action=action, officer_ids=pair, **params)

    case = open_case(_local(2026, 11, 2, 9), "在人行道上摆摊经营")
    act(head, case, "approve_filing", _local(2026, 11, 2, 10))
    act(officer, case, "record_investigation", _local(2026, 11, 2, 11), record=f"现场检查笔录 {marker}")
    with clock.at(_local(2026, 11, 2, 11, 30)):
        rec.evidence = evidence_add(
            actor=officer,
            case=case,
            data=png_bytes(),
            filename="现场.png",
            kind="audiovisual",
            title=f"现场照片 {marker}",
            collected_at=_local(2026, 11, 2, 9),
            officer_ids=pair,
        )
    act(officer, case, "end_investigation", _local(2026, 11, 2, 12), fine_fen=20_000, report="违法事实清楚")
    act(officer, case, "notify", _local(2026, 11, 2, 14))
    act(officer, case, "proceed", _local(2026, 11, 10, 9))  # five working days later
    act(head, case, "decide", _local(2026, 11, 10, 10), bank_id=rec.bank.pk)
    rec.penalty_case = act(officer, case, "serve", _local(2026, 11, 11, 9), service_method="direct")
    rec.payment_notice = rec.penalty_case.payment_notices.get()
    from qingcheng.enforcement.disclosure.services import disclosure_publish

    with clock.at(_local(2026, 11, 12, 9)):
        rec.disclosure = disclosure_publish(actor=head, case=rec.penalty_case)
    rec.proposed_case = open_case(_local(2026, 11, 20, 9), "占道堆放杂物")
    transferred = open_case(_local(2026, 11, 16, 9), "无证经营，数额较大")
    act(head, transferred, "approve_filing", _local(2026, 11, 16, 10))
    with clock.at(_local(2026, 11, 16, 11)):
        rec.transfer = transfer_report(
            actor=officer,
            suspected_offence="非法经营罪",
            summary=f"当事人{name}（电话{phone}）无证经营，数额较大 {marker}",
            officer_ids=pair,
            penalty_case=transferred,
        )
    # A non-site record of a published monitoring point, captured by the monitoring platform's account.
    point = MonitoringPoint.objects.create(
        code=f"SM-MP-{district}",
        name="矩阵监控点",
        lon=rec.point[0],
        lat=rec.point[1],
        violation=Violation.objects.get(code="SR-01"),
        reviewed_on=dt.date(2026, 10, 1),
        published_on=dt.date(2026, 10, 1),
        published_where="区人民政府网站（测试）",
        area_code=district,
    )
    platform = make_user([], area_code=district, staff_category="system")
    platform.user_permissions.add(
        Permission.objects.get(codename="add_nonsiterecord", content_type__app_label="enforcement")
    )
    forget_permissions()
    platform = type(platform).objects.get(pk=platform.pk)
    with clock.at(_local(2026, 11, 3, 10)):
        record = nonsite.nonsite_capture(
            actor=platform,
            point_code=point.code,
            captured_at=_local(2026, 11, 3, 9),
            subject=f"蒙A {marker}",
            files=[(png_bytes((30, 30, 200)), "capture.png")],
            party_name=name,
            party_phone=phone,
        )
        nonsite.nonsite_review(actor=head, record=record, accept=True)
        rec.nonsite_secret = nonsite.nonsite_notify(actor=officer, record=record)
    record.refresh_from_db()
    rec.nonsite, rec.nonsite_evidence = record, record.evidence.get()


def build_world(loop, make_user, make_department) -> World:
    """Everything through the services, as the people of each district would make it."""
    from qingcheng.cases.services import PhotoUpload, case_act, case_public_photo_sweep, case_report
    from qingcheng.components.services import component_create
    from qingcheng.emergency import services as emergency
    from qingcheng.geo.models import Responsibility, SupervisionBeat
    from qingcheng.geo.testing import cell_centre
    from qingcheng.intake.services.hotline import hotline_order_create
    from qingcheng.intake.services.public import public_report
    from qingcheng.open311 import access
    from qingcheng.open311.services import LocationInput, client_create, request_create, seed
    from qingcheng.sensing import ingest as ing
    from qingcheng.sensing.defaults import seed_defaults
    from qingcheng.sensing.models import Alarm
    from qingcheng.sensing.services import device_create, forget_caches, readings_ingest
    from qingcheng.testing import jpeg_bytes

    _outside_district()
    seed_defaults()
    forget_caches()
    seed()
    units = {INSIDE: loop["unit"], OUTSIDE: make_department(area_code=OUTSIDE, name="区外处置单位")}
    Responsibility.objects.create(
        area_code=OUTSIDE, matter_type="E01", role="department", department=units[OUTSIDE]
    )
    users, keys = _users(loop, make_user, units)
    points = {INSIDE: cell_centre(0, 0), OUTSIDE: OUTSIDE_POINT}
    records = {
        INSIDE: Records(INSIDE, points[INSIDE], "150105001", "150105001001001"),
        OUTSIDE: Records(OUTSIDE, points[OUTSIDE], "150102001", OUTSIDE_GRID),
    }
    beat = SupervisionBeat.objects.create(
        code="B-OUT", name="区外一号", area_code="150102001001", grid_codes=[OUTSIDE_GRID]
    )
    beat.supervisors.add(users[("supervisor", OUTSIDE)])
    SupervisionBeat.objects.get(code="B-1").supervisors.add(users[("supervisor", INSIDE)])

    o311_client, open311_key = client_create(actor=None, name="scope matrix app", contact="ops@example.org")
    served = access.served_jurisdictions()[0]
    supply_item = emergency.supply_item_create(
        actor=None, code="TENT-SM", name="帐篷", unit="顶", category="living"
    )
    for district, rec in records.items():
        marker = SCOPE_MARKERS[district]
        name, phone = PERSONAL_MARKERS[district]
        lon, lat = rec.point
        u = lambda role, d=district: users[(role, d)]  # noqa: E731
        rec.unit = units[district]
        photo = PhotoUpload(data=jpeg_bytes(), kind="before", name="before.jpg")
        rec.case = case_report(
            actor=u("supervisor"),
            source="supervisor",
            lon=lon,
            lat=lat,
            description=f"暴露垃圾 {marker}",
            category_code="E0102",
            photos=[photo],
        ).case
        rec.task_case = case_report(
            actor=u("supervisor"),
            source="supervisor",
            lon=lon,
            lat=lat,
            description=f"待核实 {marker}",
            category_code="E0103",
        ).case
        case_act(
            case_id=rec.task_case.pk,
            actor=u("receiver"),
            action="send_verification",
            data={"assignee_id": u("supervisor").pk},
        )
        rec.task = rec.task_case.tasks.get(kind="verify", done_at__isnull=True)
        result = public_report(
            actor=None,
            lon=lon,
            lat=lat,
            description=f"路灯不亮 {marker}",
            category_code="E0102",
            reporter_name=name,
            reporter_phone=phone,
            photos=[PhotoUpload(data=jpeg_bytes(colour=(10, 90, 200)), kind="before", name="p.jpg")],
            idempotency_key=f"scope-matrix-{district}",
        )
        rec.public_case, rec.tracking_secret = result.case, result.tracking_secret
        rec.order = hotline_order_create(
            actor=u("hotline_agent"),
            channel="12319",
            kind="suggestion",
            content=f"建议增设垃圾桶 {marker}",
            caller_name=name,
            caller_phone=phone,
        ).order
        link = request_create(
            client=o311_client,
            served=served,
            service_code="E0101",
            location=LocationInput(lat=str(lat), long=str(lon), address_string=None, address_id=None),
            description=f"违建 {marker}",
            reporter_name=name,
            reporter_phone=phone,
        ).link
        rec.open311_case, rec.open311_token = link.case, link.token or ""
        rec.component = component_create(
            actor=u("admin"), class_code="0101", lon=lon, lat=lat, name=f"井盖 {marker}", note=marker
        )
        rec.device = device_create(
            actor=None,
            device_id=f"WASTE-SM-{district}",
            device_type="waste",
            name=f"垃圾桶 {marker}",
            lon=lon,
            lat=lat,
        )
        at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        readings_ingest(
            messages=[
                ing.Message(
                    rec.device.device_id,
                    json.dumps({"ts": int(at.timestamp() * 1000), "values": {"status": "burning"}}),
                )
            ]
        )
        rec.alarm = Alarm.objects.get(device=rec.device)
        admin, leader = u("admin"), u("leader")
        rec.hazard_source = emergency.hazard_source_register(
            actor=admin,
            code=f"WX-{district}",
            name=f"液氨冷库 {marker}",
            owner_name="测试食品有限公司",
            area_code=district,
            lon=lon,
            lat=lat,
            people_exposed=60,
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
        rec.hidden_danger = emergency.hidden_danger_report(
            actor=u("supervisor"),
            title=f"配电箱锈蚀 {marker}",
            level="general",
            origin="inspection",
            area_code=district,
            responsible_department=rec.unit,
            rectify_days=7,
        )
        rec.shelter = emergency.shelter_create(
            actor=admin,
            code=f"S-{district}",
            name=f"避难场所 {marker}",
            area_code=district,
            level="township",
            duration="short",
            function="comprehensive",
            lon=lon,
            lat=lat,
            effective_area_m2=200,
            area_per_person_m2="2",
            service_radius_m=1000,
            status="open",
        )
        rec.plan = emergency.plan_create(
            actor=admin,
            code=f"YA-{district}",
            name=f"防汛预案 {marker}",
            kind="special",
            owner_type="government",
            area_code=district,
            published_on=dt.date(2024, 6, 1),
        )
        rec.incident = emergency.incident_report(
            actor=leader,
            title=f"燃气管道泄漏 {marker}",
            category="accident",
            grade="4",
            area_code=district,
            lon=lon,
            lat=lat,
        )
        rec.warning = emergency.warning_issue(
            actor=leader,
            incident=rec.incident,
            category="暴雨",
            level=3,
            affected_area=f"全区 {marker}",
            advice="避免外出",
            measures="停课",
            issuer="区人民政府",
        )
        rec.warehouse = emergency.warehouse_create(
            actor=admin, code=f"WH-{district}", name=f"仓库 {marker}", area_code=district, lon=lon, lat=lat
        )
        rec.item = supply_item
        emergency.stock_receive(actor=u("dispatcher"), warehouse=rec.warehouse, item=supply_item, quantity=10)
        _enforcement(rec, users, make_user)
    case_public_photo_sweep()
    for rec in records.values():
        rec.case_photo = rec.case.photos.get()
        rec.public_photo = rec.public_case.photos.get()
        for obj in (rec.case, rec.public_case, rec.task_case, rec.open311_case):
            obj.refresh_from_db()
    return World(
        users=users,
        keys=keys,
        records=records,
        open311_key=open311_key,
    )
