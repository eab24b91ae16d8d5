"""Disclosure and credit (双公示): what is published and masked, the 7- and 3-working-day periods, the credit
record's publication period and repair, and the public pages."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import path

from qingcheng.core import clock
from qingcheng.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.enforcement.common import GuardFailed
from qingcheng.enforcement.disclosure import views
from qingcheng.enforcement.disclosure.services import (
    add_months,
    credit_expiry_sweep,
    credit_repair,
    credit_repair_request,
    disclosure_pending_cases,
    disclosure_publish,
    disclosure_request_withdrawal,
    disclosure_withdraw,
    public_disclosure,
)
from qingcheng.enforcement.models import CreditRecord, Disclosure, LegalBasis, PenaltyCase, PenaltyDeadline
from qingcheng.enforcement.penalty import deadlines
from qingcheng.urls import urlpatterns as project_urls

urlpatterns = [
    path("disclosure/", views.disclosure_list, name="public-disclosure"),
    path("disclosure/<int:pk>/", views.disclosure_detail, name="public-disclosure-detail"),
    *project_urls,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

CST = ZoneInfo("Asia/Shanghai")
P = PenaltyDeadline.Purpose
S = PenaltyCase.Status
_numbers = itertools.count(1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.fixture
def decided(enf, make_penalty_case):
    """A decided case as the decide step leaves it: decision number, decision time, the publication
    period running (synthetic test data)."""
    violation = enf["violation"]
    violation.penalised_by.add(
        LegalBasis.objects.create(
            law_name="城市市容和环境卫生管理条例",
            article="第三十六条",
            verified=True,
            source="test",
        ),
        LegalBasis.objects.create(law_name="某市市容管理办法（测试）", article="第十条", verified=False),
    )

    def make(when: str = "2026-03-09T10:00", status: str = S.DECIDED, **fields):
        moment = at(when)
        with clock.at(moment):
            case = make_penalty_case(
                status,
                decided_at=moment,
                decision_number=f"赛城管罚决〔2026〕{next(_numbers):03d}号",
                **fields,
            )
            deadlines.period_start(case=case, purpose=P.DISCLOSURE, start=moment)
        return case

    return make


def publish(enf, case, when: str, role: str = "head", **kw) -> Disclosure:
    with clock.at(at(when)):
        return disclosure_publish(actor=enf[role], case=case, **kw)


# --------------------------------------------------------------------------------- what is published


def test_an_individuals_decision_is_published_masked(enf, decided):
    case = decided(
        facts="当事人张三（身份证号150105199001011234，电话13800001234，住呼和浩特市赛罕区（测试））在人行道摆摊经营",
        warning=True,
        fine_fen=20_050,
    )
    disclosure = publish(enf, case, "2026-03-10T09:00")
    content = disclosure.content
    assert content["decision_number"] == case.decision_number
    assert content["violation_name"] == "占道经营（测试）"
    assert content["categories"] == ["警告", "罚款"]
    assert content["result"] == "警告；罚款人民币200.50元"
    assert content["fine_fen"] == 20_050
    assert content["party_name"] == "张*"
    assert content["party_code"] == ""  # an individual's ID number is never shown
    assert content["reason"] == (
        "当事人张*（身份证号1501**********1234，电话138****1234，住***）在人行道摆摊经营"
    )
    assert content["bases"] == [
        {"law": "城市市容和环境卫生管理条例", "article": "第三十六条", "verified": True},
        {"law": "某市市容管理办法（测试）", "article": "第十条", "verified": False},
    ]
    assert content["authority"] == "赛罕区城市管理综合执法局"
    assert content["decided_on"] == "2026-03-09"
    assert content["publish_until"] == "2029-03-09"
    text = json.dumps(content, ensure_ascii=False)
    for secret in ("张三", "150105199001011234", "13800001234", "呼和浩特市赛罕区（测试）"):
        assert secret not in text


def test_an_organisation_is_named_in_full_with_its_code_partly_masked(enf, decided):
    case = decided(
        party_kind="organisation",
        party_name="呼和浩特市某某餐饮有限公司（测试）",
        party_id_number="91150105MA0N123456",
        party_representative="李四",
        party_phone="",
        facts="呼和浩特市某某餐饮有限公司（测试）（法定代表人李四）占道经营",
        fine_fen=300_000,
        confiscation_fen=12_300,
    )
    content = publish(
        enf, case, "2026-03-10T09:00", reason="该公司在门前人行道占道经营（法定代表人李四）"
    ).content
    assert content["party_name"] == "呼和浩特市某某餐饮有限公司（测试）"
    assert content["party_code"] == "9115**********3456"
    assert content["reason"] == "该公司在门前人行道占道经营（法定代表人李*）"
    assert content["result"] == "罚款人民币3000.00元；没收违法所得人民币123.00元"


def test_publication_meets_the_seven_working_day_period_and_records_lateness(enf, decided):
    # Decided Monday 2025-09-29: 7 working days skip the National Day holiday (1–8 October) and count the
    # make-up Saturday 11 October, so the period ends at the close of business on 15 October.
    on_time = decided("2025-09-29T10:00")
    row = PenaltyDeadline.objects.get(case=on_time, purpose=P.DISCLOSURE)
    assert row.due_at == at("2025-10-15T18:00")
    publish(enf, on_time, "2025-10-15T17:59")
    row.refresh_from_db()
    assert row.met_at == at("2025-10-15T17:59")
    assert on_time.events.get(action="disclosure_publish").data["late"] is False

    late = decided("2025-09-29T10:00")
    publish(enf, late, "2025-10-16T09:00")
    event = late.events.get(action="disclosure_publish")
    assert event.data["late"] is True
    assert dt.datetime.fromisoformat(event.data["due_at"]) == at("2025-10-15T18:00")
    assert PenaltyDeadline.objects.get(case=late, purpose=P.DISCLOSURE).met_at == at("2025-10-16T09:00")


def test_only_the_head_publishes_decided_cases_once(enf, decided, make_penalty_case):
    case = decided()
    for role in ("officer", "procuratorate", "leader", "auxiliary", "reviewer", "outside_officer"):
        with pytest.raises(PermissionDeniedError):
            publish(enf, case, "2026-03-10T09:00", role=role)
    with pytest.raises(GuardFailed):
        publish(enf, make_penalty_case(S.DECIDING), "2026-03-10T09:00")
    publish(enf, case, "2026-03-10T09:00")
    with pytest.raises(Conflict):
        publish(enf, case, "2026-03-10T10:00")
    assert Disclosure.objects.count() == 1


def test_credit_record_runs_three_months_to_three_years_from_the_decision(enf, decided):
    case = decided("2026-01-31T10:00")
    publish(enf, case, "2026-02-02T10:00")
    record = CreditRecord.objects.get(case=case)
    assert record.status == CreditRecord.Status.ACTIVE
    assert (record.shown_from, record.minimum_until, record.maximum_until) == (
        dt.date(2026, 1, 31),
        dt.date(2026, 4, 30),  # 31 April does not exist
        dt.date(2029, 1, 31),
    )
    assert add_months(dt.date(2024, 2, 29), 36) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_pending_cases_are_the_decided_ones_not_yet_published(enf, decided, make_penalty_case):
    first, second = decided("2026-03-02T10:00"), decided("2026-03-03T10:00")
    make_penalty_case(S.INVESTIGATING)
    publish(enf, first, "2026-03-04T10:00")
    assert list(disclosure_pending_cases(actor=enf["head"])) == [second]
    with pytest.raises(PermissionDeniedError):
        disclosure_pending_cases(actor=enf["procuratorate"])


# ------------------------------------------------------------------------------------------ withdrawal


def test_withdrawal_within_three_working_days_of_the_change(enf, decided):
    case = decided()
    publish(enf, case, "2026-03-10T09:00")
    with clock.at(at("2026-03-12T15:00")):
        disclosure_request_withdrawal(
            actor=enf["head"], case=case, reason="行政复议决定变更处罚", changed_at=at("2026-03-12T10:00")
        )
    row = PenaltyDeadline.objects.get(case=case, purpose=P.WITHDRAWAL)
    assert row.due_at == at("2026-03-17T18:00")  # Fri 13, Mon 16, Tue 17
    with clock.at(at("2026-03-12T16:00")), pytest.raises(Conflict):
        disclosure_request_withdrawal(
            actor=enf["head"], case=case, reason="again", changed_at=at("2026-03-12T10:00")
        )
    with clock.at(at("2026-03-17T17:00")):
        disclosure = disclosure_withdraw(actor=enf["head"], case=case)
    assert disclosure.status == Disclosure.Status.WITHDRAWN
    assert disclosure.withdrawn_at == at("2026-03-17T17:00")
    assert disclosure.withdrawal_reason == "行政复议决定变更处罚"
    row.refresh_from_db()
    assert row.met_at == at("2026-03-17T17:00")
    assert case.events.get(action="disclosure_withdraw").data["late"] is False
    assert CreditRecord.objects.get(case=case).status == CreditRecord.Status.WITHDRAWN


def test_a_late_withdrawal_is_recorded_late_and_needs_the_reason_without_a_request(enf, decided):
    case = decided()
    publish(enf, case, "2026-03-10T09:00")
    with clock.at(at("2026-03-20T09:00")), pytest.raises(ValidationFailed):
        disclosure_withdraw(actor=enf["head"], case=case)
    with clock.at(at("2026-03-20T09:00")), pytest.raises(ValidationFailed):  # not in the future
        disclosure_withdraw(actor=enf["head"], case=case, reason="撤销", changed_at=at("2026-03-21T09:00"))
    with clock.at(at("2026-03-20T09:00")):
        disclosure_withdraw(
            actor=enf["head"], case=case, reason="决定被撤销", changed_at=at("2026-03-12T10:00")
        )
    assert case.events.get(action="disclosure_withdraw").data["late"] is True
    with clock.at(at("2026-03-20T10:00")), pytest.raises(Conflict):
        disclosure_withdraw(actor=enf["head"], case=case, reason="x", changed_at=at("2026-03-12T10:00"))
    with clock.at(at("2026-03-20T10:00")), pytest.raises(PermissionDeniedError):
        disclosure_withdraw(actor=enf["officer"], case=case)


def test_a_changed_decision_is_published_again_after_withdrawal(enf, decided):
    case = decided()
    publish(enf, case, "2026-03-10T09:00")
    with clock.at(at("2026-03-13T09:00")):
        disclosure_withdraw(actor=enf["head"], case=case, reason="变更", changed_at=at("2026-03-12T10:00"))
    PenaltyCase.objects.filter(pk=case.pk).update(fine_fen=10_000)
    disclosure = publish(enf, case, "2026-03-13T10:00")
    assert disclosure.status == Disclosure.Status.PUBLISHED
    assert disclosure.content["result"] == "罚款人民币100.00元"
    assert disclosure.withdrawn_at is None
    assert CreditRecord.objects.get(case=case).status == CreditRecord.Status.ACTIVE
    assert case.events.filter(action="disclosure_publish").last().data["republished"] is True


# ---------------------------------------------------------------------------------------------- credit


def test_repair_only_after_the_minimum_period_and_the_penalty_carried_out(enf, decided):
    case = decided("2026-03-09T10:00", status=S.EXECUTING)
    disclosure = publish(enf, case, "2026-03-10T09:00")
    record = CreditRecord.objects.get(case=case)
    with clock.at(at("2026-06-08T10:00")), pytest.raises(GuardFailed) as early:
        credit_repair_request(actor=enf["head"], record=record, note="已缴清罚款，申请修复")
    assert early.value.code == "precondition_minimum_period_running"
    with clock.at(at("2026-06-09T10:00")), pytest.raises(GuardFailed) as unpaid:
        credit_repair_request(actor=enf["head"], record=record, note="已缴清罚款，申请修复")
    assert unpaid.value.code == "precondition_penalty_not_fulfilled"
    PenaltyCase.objects.filter(pk=case.pk).update(status=S.EXECUTED)
    with clock.at(at("2026-06-09T10:00")), pytest.raises(Conflict):
        credit_repair(actor=enf["head"], record=record)
    with clock.at(at("2026-06-09T10:00")), pytest.raises(PermissionDeniedError):
        credit_repair_request(actor=enf["procuratorate"], record=record, note="x")
    with clock.at(at("2026-06-09T10:00")):
        credit_repair_request(actor=enf["head"], record=record, note="已缴清罚款，申请修复")
    with clock.at(at("2026-06-10T10:00")):
        repaired = credit_repair(actor=enf["head"], record=record)
    assert repaired.status == CreditRecord.Status.REPAIRED
    assert repaired.repaired_at == at("2026-06-10T10:00")
    assert repaired.repair_note == "已缴清罚款，申请修复"
    with pytest.raises(NotFound):  # a repaired record leaves the public pages
        public_disclosure(disclosure.pk)
    assert list(case.events.values_list("action", flat=True)) == [
        "disclosure_publish",
        "credit_repair_requested",
        "credit_repair",
    ]


def test_the_expiry_sweep_ends_publication_after_the_maximum(enf, decided):
    old = decided("2023-03-09T10:00")
    publish(enf, old, "2023-03-10T10:00")
    current = decided("2026-03-09T10:00")
    publish(enf, current, "2026-03-10T10:00")
    assert credit_expiry_sweep(now=dt.datetime(2026, 3, 8, 12, tzinfo=CST)) == 0
    assert credit_expiry_sweep(now=dt.datetime(2026, 3, 9, 12, tzinfo=CST)) == 1
    assert credit_expiry_sweep(now=dt.datetime(2026, 3, 9, 12, tzinfo=CST)) == 0
    assert CreditRecord.objects.get(case=old).status == CreditRecord.Status.EXPIRED
    assert CreditRecord.objects.get(case=current).status == CreditRecord.Status.ACTIVE
    assert old.events.filter(action="credit_expired").count() == 1


# ------------------------------------------------------------------------------------------ the public


def test_the_public_page_lists_searches_and_pages_without_personal_data(enf, decided):
    cases = [decided(f"2026-03-{d:02d}T10:00") for d in range(1, 26)]
    for case in cases:
        publish(enf, case, "2026-03-27T10:00")
    with clock.at(at("2026-03-28T10:00")):
        disclosure_withdraw(
            actor=enf["head"], case=cases[0], reason="撤销", changed_at=at("2026-03-27T12:00")
        )
    client = Client()
    first = client.get("/disclosure/")
    assert first.status_code == 200
    html = first.content.decode()
    assert re.search(r'id="disclosure-count">\D*24\D', html)
    assert html.count('data-id="') == 20
    for secret in ("张三", "150105199001011234", "13800001234", "138****1234"):
        assert secret not in html
    assert "张*" in html
    second = client.get("/disclosure/", {"page": 2})
    assert second.content.decode().count('data-id="') == 4
    assert cases[0].decision_number not in first.content.decode() + second.content.decode()
    found = client.get("/disclosure/", {"q": cases[5].decision_number})
    assert found.content.decode().count('data-id="') == 1
    assert client.get("/disclosure/", {"q": "占道经营"}).content.decode().count('data-id="') == 20
    assert 'id="disclosure-empty"' in client.get("/disclosure/", {"q": "没有这种违法"}).content.decode()


def test_the_public_detail_shows_the_fields_and_hides_a_withdrawn_decision(enf, decided):
    case = decided(facts="张三在大学东街摆摊（电话13800001234）")
    disclosure = publish(enf, case, "2026-03-10T09:00")
    client = Client()
    page = client.get(f"/disclosure/{disclosure.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert case.decision_number in html and "张*在大学东街摆摊（电话138****1234）" in html
    assert "城市市容和环境卫生管理条例" in html
    assert 'class="badge text-bg-warning"' in html  # the unverified basis is labelled
    assert "13800001234" not in html and "张三" not in html
    assert "2029年3月9日" in html  # published until, in the zh-Hans date format
    with clock.at(at("2026-03-11T09:00")):
        disclosure_withdraw(actor=enf["head"], case=case, reason="撤销", changed_at=at("2026-03-11T08:00"))
    assert client.get(f"/disclosure/{disclosure.pk}/").status_code == 404
    assert client.get("/disclosure/999999/").status_code == 404
