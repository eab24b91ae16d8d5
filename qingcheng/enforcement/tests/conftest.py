"""Fixtures of the enforcement tests: 赛罕区 (150105) with its officers, head, legal reviewer, leader,
procuratorate observer and an auxiliary; one violation with a discretion benchmark (synthetic test data,
not the catalogue); a collecting bank."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

AREA = "150105"
_numbers = itertools.count(1)


@pytest.fixture
def enf(make_user, make_department):
    from qingcheng.enforcement.models import CollectingBank, DiscretionLevel, Violation

    bureau = make_department(AREA, kind="enforcement", name="赛罕区城市管理综合执法局")
    violation = Violation.objects.create(
        code="TEST-001", name="占道经营（测试）", domain=Violation.Domain.CITY_APPEARANCE
    )
    level = DiscretionLevel.objects.create(
        violation=violation,
        level=DiscretionLevel.Level.ORDINARY,
        circumstances="首次被查处，经责令改正后改正（测试数据）",
        fine_min_fen=5_000,
        fine_max_fen=50_000,
    )
    bank = CollectingBank.objects.create(
        code="TESTBANK",
        name="测试银行呼和浩特赛罕支行",
        address="呼和浩特市赛罕区（测试）",
        agreement_number="代收协议-测试-001",
        area_code=AREA,
    )
    return {
        "bureau": bureau,
        "violation": violation,
        "level": level,
        "bank": bank,
        "officer": make_user(["enforcement_officer"], department=bureau),
        "officer2": make_user(["enforcement_officer"], department=bureau),
        "officer3": make_user(["enforcement_officer"], department=bureau),
        "head": make_user(["enforcement_head"], department=bureau),
        "reviewer": make_user(["legal_reviewer"]),
        "reviewer2": make_user(["legal_reviewer"]),
        "leader": make_user(["leader"]),
        "procuratorate": make_user(["procuratorate"]),
        "auxiliary": make_user(["auxiliary"], staff_category="auxiliary"),
        "admin": make_user(["admin"]),
        "outside_officer": make_user(["enforcement_officer"], area_code="150102"),
        "citizen": make_user(["citizen"]),
    }


@pytest.fixture
def make_penalty_case(enf):
    """A penalty case row written directly in the given state (test set-up only; the workflow itself is
    tested through the services)."""
    from qingcheng.core import clock
    from qingcheng.enforcement.models import PenaltyCase

    def make(status: str = PenaltyCase.Status.INVESTIGATING, **fields):
        n = next(_numbers)
        at = clock.now()
        values = {
            "number": f"TEST-{n:05d}",
            "procedure": PenaltyCase.Procedure.GENERAL,
            "source": PenaltyCase.Source.INSPECTION,
            "status": status,
            "violation": enf["violation"],
            "discretion_level": enf["level"],
            "facts": "当事人在人行道上摆摊经营（测试数据）",
            "address": "呼和浩特市赛罕区大学东街（测试）",
            "lon": 111.70,
            "lat": 40.80,
            "occurred_at": at - dt.timedelta(days=1),
            "area_code": AREA,
            "party_kind": "individual",
            "party_name": "张三",
            "party_id_number": "150105199001011234",
            "party_phone": "13800001234",
            "party_address": "呼和浩特市赛罕区（测试）",
            "filed_at": at - dt.timedelta(hours=20),
            "fine_fen": 20_000,
        }
        values.update(fields)
        case = PenaltyCase.objects.create(**values)
        case.officers.set([enf["officer"], enf["officer2"]])
        return case

    return make
