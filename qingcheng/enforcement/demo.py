"""Synthetic enforcement demo data for 赛罕区 (Hohhot): a collecting bank, two monitoring points and
penalty cases at every stage, walked through the real services with the business clock set in the past.

Everything here is labelled 演示数据: parties, banks, points and facts are made up; the violations and
their legal bases are the real catalogue. Idempotent: nothing is added when demo cases already exist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from qingcheng.accounts.models import User
from qingcheng.core import clock

from .models import CollectingBank, MonitoringPoint, PenaltyCase, Violation
from .penalty import services

LABEL = "（演示数据）"
AREA = "150105"
DEMO_MARK = "演示数据"


def _at(base: dt.datetime, days: float, hour: int = 10) -> dt.datetime:
    moment = base + dt.timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


class _Walk:
    """Takes the steps of one case at given moments, by the demo people."""

    def __init__(self, people: dict[str, User]) -> None:
        self.people = people
        self.pair = [people["officer"].pk, people["officer2"].pk]

    def open(self, when: dt.datetime, code: str, facts: str, address: str, **party: Any) -> PenaltyCase:
        with clock.at(when):
            return services.penalty_case_open(
                actor=self.people["officer"],
                source=party.pop("source", "inspection"),
                violation_code=code,
                facts=facts + LABEL,
                address=address,
                occurred_at=when - dt.timedelta(hours=3),
                officer_ids=self.pair,
                area_code=AREA,
                **party,
            )

    def act(self, who: str, case: PenaltyCase, action: str, when: dt.datetime, **params: Any) -> PenaltyCase:
        params.setdefault("officer_ids", self.pair)
        with clock.at(when):
            return services.penalty_case_act(actor=self.people[who], case=case, action=action, **params)


def load_demo_enforcement(now: dt.datetime | None = None) -> dict[str, int]:
    if PenaltyCase.objects.filter(facts__contains=DEMO_MARK).exists():
        return {"cases": 0}
    now = now or timezone.now()
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["officer", "officer2", "enforcementhead", "legal"])
    }
    if len(people) < 4:
        raise RuntimeError("load the demo users first (manage.py load_demo_users)")
    people["head"] = people["enforcementhead"]
    bank, _ = CollectingBank.objects.get_or_create(
        code="DEMO-BANK",
        defaults={
            "name": "演示银行呼和浩特赛罕支行" + LABEL,
            "address": "呼和浩特市赛罕区" + LABEL,
            "agreement_number": "代收罚款协议-演示-2026-001",
            "budget_subject": "罚没收入" + LABEL,
            "area_code": AREA,
        },
    )
    for code, name, lon, lat, violation in (
        ("DEMO-MP-01", "大学东街与昭乌达路口违停抓拍点", 111.7003, 40.8086, "DL-02"),
        ("DEMO-MP-02", "满都海公园南门占道经营识别点", 111.6865, 40.8082, "SR-01"),
    ):
        MonitoringPoint.objects.get_or_create(
            code=code,
            defaults={
                "name": name + LABEL,
                "lon": lon,
                "lat": lat,
                "violation": Violation.objects.get(code=violation),
                "reviewed_on": (now - dt.timedelta(days=120)).date(),
                "published_on": (now - dt.timedelta(days=110)).date(),
                "published_where": "赛罕区人民政府网站" + LABEL,
                "area_code": AREA,
            },
        )
    walk = _Walk(people)
    base = now - dt.timedelta(days=40)
    person = {"party_kind": "individual", "party_address": "呼和浩特市赛罕区" + LABEL}
    firm = {"party_kind": "organisation", "party_address": "呼和浩特市赛罕区" + LABEL}
    made = 0

    # 1. Proposed, waiting for the head to approve the filing.
    walk.open(
        _at(now, -1), "SR-01", "在大学东街人行道摆摊设点经营水果", "大学东街", party_name="赵某", **person
    )
    made += 1
    # 2. Investigating.
    case = walk.open(
        _at(base, 30), "HB-05", "在禁止区域露天烧烤食品", "昭乌达路夜市", party_name="钱某", **person
    )
    walk.act("head", case, "approve_filing", _at(base, 30, 15))
    walk.act(
        "officer", case, "record_investigation", _at(base, 31), record="现场检查笔录：烧烤摊位两处" + LABEL
    )
    made += 1
    # 3. Notified: the party's statements period runs.
    case = walk.open(
        _at(base, 34), "SR-07", "向人行道随意倾倒生活垃圾", "丰州路", party_name="孙某", **person
    )
    walk.act("head", case, "approve_filing", _at(base, 34, 14))
    walk.act("officer", case, "end_investigation", _at(base, 36), fine_fen=20_000, report="事实清楚" + LABEL)
    walk.act("officer", case, "notify", _at(base, 38))
    made += 1
    # 4. Decided and served; the fine is due at the bank.
    case = walk.open(
        _at(base, 2),
        "HB-01",
        "施工工地未设置硬质围挡，扬尘明显",
        "腾飞南路某工地",
        party_name="演示建设有限公司",
        **firm,
    )
    walk.act("head", case, "approve_filing", _at(base, 2, 15))
    walk.act("officer", case, "record_investigation", _at(base, 3), record="现场检查笔录、照片六张" + LABEL)
    walk.act(
        "officer", case, "end_investigation", _at(base, 5), fine_fen=2_000_000, report="事实清楚" + LABEL
    )
    walk.act("officer", case, "notify", _at(base, 6))
    walk.act("officer", case, "proceed", _at(base, 16))
    walk.act("head", case, "decide", _at(base, 17), bank_id=bank.pk)
    walk.act("officer", case, "serve", _at(base, 18), service_method="direct")
    made += 1
    # 5. A hearing: 60,000 yuan for a company carries the hearing right; the legal reviewer presides.
    case = walk.open(
        _at(base, 8),
        "HB-09",
        "夜间施工噪声超标排放",
        "敕勒川大街某工地",
        party_name="演示市政工程有限公司",
        **firm,
    )
    walk.act("head", case, "approve_filing", _at(base, 8, 15))
    walk.act(
        "officer",
        case,
        "end_investigation",
        _at(base, 10),
        fine_fen=6_000_000,
        report="监测超标12分贝" + LABEL,
    )
    walk.act("officer", case, "notify", _at(base, 11))
    walk.act("officer", case, "request_hearing", _at(base, 13))
    hearing_day = _at(now, 5, 9)
    walk.act(
        "legal",
        case,
        "schedule_hearing",
        _at(base, 14),
        scheduled_for=hearing_day.isoformat(),
        place="执法局听证室",
    )
    made += 1
    # 6. On the spot: a warning, executed and filed, then closed.
    with clock.at(_at(base, 20)):
        case = services.penalty_case_simplified(
            actor=people["officer"],
            violation_code="HB-08",
            facts="在禁放区域燃放烟花爆竹，当场责令停止" + LABEL,
            address="满都海公园",
            occurred_at=_at(base, 20, 9),
            form_number="呼赛城简-演示-0001",
            officer_ids=walk.pair,
            warning=True,
            area_code=AREA,
            party_name="李某",
            **person,
        )
    walk.act("officer", case, "file_simplified", _at(base, 21))
    walk.act("officer", case, "confirm_execution", _at(base, 21, 11))
    walk.act("head", case, "close", _at(base, 22))
    made += 1
    return {"cases": made}
