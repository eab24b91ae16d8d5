"""The enforcement API: every operation, in scope, masked unless permitted, refusals are coded 4xx that
write nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import path
from ninja import NinjaAPI

from qingcheng.accounts.auth import api_auth
from qingcheng.api import api as site_api
from qingcheng.core import clock
from qingcheng.enforcement.api import router
from qingcheng.enforcement.models import CrimeTransfer, PaymentNotice, PenaltyCase, PenaltyEvent
from qingcheng.urls import urlpatterns as site_urlpatterns

# The router on a test API carrying the site API's auth and error handlers, so these tests pass before and
# after `qingcheng/api.py` mounts it; this module is the tests' URL conf.
test_api = NinjaAPI(auth=api_auth, urls_namespace="enforcement-test-api", version="enforcement-test")
test_api._exception_handlers = dict(site_api._exception_handlers)
test_api.add_router("/enforcement/", router, url_name_prefix="enforcement-test")
urlpatterns = [path("api/", test_api.urls), *site_urlpatterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

BASE = "/api/enforcement"
SH = ZoneInfo("Asia/Shanghai")
S = PenaltyCase.Status


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def post(client, url, body):
    return client.post(f"{BASE}{url}", body, content_type="application/json")


def open_body(enf, **extra):
    return {
        "source": "inspection",
        "violation_code": enf["violation"].code,
        "facts": "当事人在人行道上摆摊经营（测试数据）",
        "address": "呼和浩特市赛罕区大学东街",
        "occurred_at": "2026-11-02T08:00:00+08:00",
        "party_kind": "individual",
        "party_name": "赵六",
        "party_id_number": "150105199303031234",
        "party_phone": "13700001234",
        "party_address": "呼和浩特市赛罕区某小区",
        "officer_ids": [enf["officer"].pk, enf["officer2"].pk],
        "area_code": "150105",
        **extra,
    }


def test_open_then_walk_the_procedure_over_the_api(enf, api_client_for):
    officer, head = api_client_for(enf["officer"]), api_client_for(enf["head"])
    pair = [enf["officer"].pk, enf["officer2"].pk]
    with clock.at(at(2026, 11, 2, 9)):
        created = post(officer, "/cases", open_body(enf))
    assert created.status_code == 201, created.content
    body = created.json()
    case_id = body["id"]
    assert body["status"] == "proposed" and body["party"]["name"] == "赵六" and not body["party"]["masked"]
    assert [s["action"] for s in body["allowed_actions"]] == []  # approving is the head's
    assert body["timeline"][0]["action"] == "open"

    def act(client, action, when, **payload):
        payload.setdefault("officer_ids", pair)
        with clock.at(when):
            return post(client, f"/cases/{case_id}/actions", {"action": action, **payload})

    detail = head.get(f"{BASE}/cases/{case_id}").json()
    assert "approve_filing" in [s["action"] for s in detail["allowed_actions"]]
    assert act(head, "approve_filing", at(2026, 11, 2, 10)).json()["status"] == "investigating"
    # Refusals: a fine of a float is a 422 (schema), two officers are needed (400), nothing written.
    events = PenaltyEvent.objects.filter(case_id=case_id).count()
    floaty = act(officer, "end_investigation", at(2026, 11, 2, 11), params={"fine_fen": 100.5, "report": "x"})
    assert floaty.status_code == 422 and floaty.json()["error"]["code"] == "invalid_input"
    alone = act(
        officer, "end_investigation", at(2026, 11, 2, 11), officer_ids=[], params={"fine_fen": 20_000}
    )
    assert alone.status_code == 400 and alone.json()["error"]["code"] == "two_officers_required"
    unknown = act(officer, "payment_received", at(2026, 11, 2, 11))
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_action"
    stale = act(
        officer, "record_investigation", at(2026, 11, 2, 11), expected_version=99, params={"record": "x"}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    assert PenaltyEvent.objects.filter(case_id=case_id).count() == events

    step = act(
        officer,
        "end_investigation",
        at(2026, 11, 2, 11),
        params={"fine_fen": 20_000, "report": "违法事实清楚"},
    )
    assert step.status_code == 200 and step.json()["fine_fen"] == 20_000
    assert act(officer, "notify", at(2026, 11, 2, 14)).json()["status"] == "notified"
    early = act(officer, "proceed", at(2026, 11, 3, 9))
    assert early.status_code == 409 and early.json()["error"]["code"] == "precondition_rights_period_over"
    assert "陈述申辩" in early.json()["error"]["message_zh"]
    assert act(officer, "proceed", at(2026, 11, 10, 9)).json()["status"] == "deciding"
    decided = act(head, "decide", at(2026, 11, 10, 10), params={"bank_id": enf["bank"].pk})
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "decided" and decided.json()["decision_number"]
    served = act(officer, "serve", at(2026, 11, 11, 9), params={"service_method": "direct"})
    assert served.status_code == 200 and served.json()["status"] == "executing"
    notice = served.json()["payment_notices"][0]
    assert notice["amount_fen"] == 20_000 and notice["status"] == "unpaid"
    assert notice["number"] == PaymentNotice.objects.get(case_id=case_id).number
    # The leader reads it masked and may take no step.
    leader = api_client_for(enf["leader"]).get(f"{BASE}/cases/{case_id}").json()
    assert leader["party"]["masked"] and leader["party"]["name"] == "赵*" and leader["party_name"] == "赵*"
    assert leader["party"]["id_number"] == "1501**********1234" and "赵六" not in str(leader)
    assert leader["allowed_actions"] == []
    refused = post(
        api_client_for(enf["leader"]), f"/cases/{case_id}/actions", {"action": "confirm_execution"}
    )
    assert refused.status_code == 403


def test_list_filters_scope_and_pagination(enf, make_penalty_case, api_client_for):
    from qingcheng.enforcement.penalty.deadlines import period_start

    now = clock.now()
    due = make_penalty_case(S.INVESTIGATING, number="API-DUE")
    period_start(case=due, purpose="decision", start=now - dt.timedelta(days=91))
    make_penalty_case(S.CLOSED, number="API-CLOSED")
    other = make_penalty_case(S.INVESTIGATING, number="API-OTHER")
    other.officers.set([enf["officer3"]])
    officer = api_client_for(enf["officer"])
    listing = officer.get(f"{BASE}/cases?page_size=2").json()
    assert listing["count"] == 3 and len(listing["items"]) == 2 and listing["items"][0]["number"] == "API-DUE"
    assert listing["items"][0]["overdue"] is True
    numbers = lambda query: sorted(r["number"] for r in officer.get(f"{BASE}/cases?{query}").json()["items"])  # noqa: E731
    assert numbers("status=open") == ["API-DUE", "API-OTHER"]
    assert numbers("overdue=true") == ["API-DUE"]
    assert numbers("mine=true") == ["API-CLOSED", "API-DUE"]
    assert numbers("q=OTHER") == ["API-OTHER"]
    assert numbers("q=张三") == ["API-CLOSED", "API-DUE", "API-OTHER"]
    # The leader may not search by the masked name (it would reveal it).
    leader = api_client_for(enf["leader"])
    assert leader.get(f"{BASE}/cases?q=张三").json()["count"] == 0
    assert leader.get(f"{BASE}/cases").json()["items"][0]["party_name"] == "张*"
    bad = officer.get(f"{BASE}/cases?status=flying")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    assert api_client_for(enf["outside_officer"]).get(f"{BASE}/cases").json()["count"] == 0
    assert api_client_for(enf["outside_officer"]).get(f"{BASE}/cases/{due.pk}").status_code == 404
    assert api_client_for(enf["auxiliary"]).get(f"{BASE}/cases").status_code == 403
    assert officer.get(f"{BASE}/cases/999999999999").status_code == 404


def test_simplified_decision_over_the_api(enf, api_client_for):
    body = open_body(enf, form_number="简易-API-1", fine_fen=10_000, bank_id=enf["bank"].pk)
    body.pop("source")
    officer = api_client_for(enf["officer"])
    response = post(officer, "/cases/simplified", body)
    assert response.status_code == 201, response.content
    assert response.json()["procedure"] == "simplified" and response.json()["status"] == "executing"
    assert response.json()["payment_notices"][0]["due_today_fen"] == 10_000
    too_much = post(officer, "/cases/simplified", {**body, "form_number": "简易-API-2", "fine_fen": 20_001})
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "simplified_limit"
    assert post(api_client_for(enf["leader"]), "/cases/simplified", body).status_code == 403
    assert PenaltyCase.objects.count() == 1


def test_open_refusals_write_nothing(enf, api_client_for):
    officer = api_client_for(enf["officer"])
    nul = post(officer, "/cases", open_body(enf, facts="摆摊\x00"))
    assert nul.status_code == 422
    far = post(officer, "/cases", open_body(enf, occurred_at="9999-12-31T23:59:00-23:00"))
    assert far.status_code == 422
    outside = post(officer, "/cases", open_body(enf, area_code="150102"))
    assert outside.status_code == 403
    unknown = post(officer, "/cases", open_body(enf, violation_code="NOPE"))
    assert unknown.status_code == 400 and unknown.json()["error"]["details"]["field"] == "violation_code"
    assert post(api_client_for(enf["reviewer"]), "/cases", open_body(enf)).status_code == 403
    assert PenaltyCase.objects.count() == 0 and PenaltyEvent.objects.count() == 0


def test_violations_catalogue(enf, api_client_for):
    rows = api_client_for(enf["leader"]).get(f"{BASE}/violations?q=SR-01").json()
    assert [r["code"] for r in rows] == ["SR-01"]
    bases = rows[0]["violated"] + rows[0]["penalised_by"]
    assert bases and all(b["text"] == "" for b in bases if not b["verified"])
    assert all(b["text"] for b in bases if b["verified"])
    assert rows[0]["discretion_levels"]
    all_rows = api_client_for(enf["admin"]).get(f"{BASE}/violations").json()
    assert len(all_rows) >= 35
    assert api_client_for(enf["citizen"]).get(f"{BASE}/violations").status_code == 403
    bad = api_client_for(enf["leader"]).get(f"{BASE}/violations?domain=space")
    assert bad.status_code == 422


def test_statistics_over_the_api(enf, make_penalty_case, api_client_for):
    now = clock.now()
    make_penalty_case(S.EXECUTING, decided_at=now, fine_fen=30_000)
    today = now.astimezone(SH).date()
    leader = api_client_for(enf["leader"])
    data = leader.get(f"{BASE}/statistics?date_from={today}&date_to={today}").json()
    assert data["flow"]["decided"] == 1 and data["money"]["fines_decided_fen"] == 30_000
    assert data["money"]["collection_rate"] == 0.0
    assert data["transfers"]["reported"] == 0
    assert {r["key"]: r["count"] for r in data["cases_by_status"]}["executing"] == 1
    assert leader.get(f"{BASE}/statistics").status_code == 200
    reversed_range = leader.get(f"{BASE}/statistics?date_from=2026-02-01&date_to=2026-01-01")
    assert reversed_range.status_code == 400
    assert (
        leader.get(f"{BASE}/statistics?date_from=0001-01-01").status_code == 422
    )  # the shared date type (core.inputs.SaneDate)
    assert api_client_for(enf["auxiliary"]).get(f"{BASE}/statistics").status_code == 403
    outside = api_client_for(enf["outside_officer"]).get(
        f"{BASE}/statistics?date_from={today}&date_to={today}"
    )
    assert outside.json()["flow"]["decided"] == 0


def test_transfers_read_only_over_the_api(enf, make_penalty_case, api_client_for):
    from qingcheng.enforcement.transfers.services import transfer_report

    case = make_penalty_case(S.INVESTIGATING)
    transfer = transfer_report(
        actor=enf["officer"],
        suspected_offence="非法经营罪（测试）",
        summary="张三无证经营，电话13800001234（测试数据）",
        officer_ids=[enf["officer2"].pk],
        penalty_case=case,
    )
    observer = api_client_for(enf["procuratorate"])
    listing = observer.get(f"{BASE}/transfers").json()
    assert listing["count"] == 1 and listing["items"][0]["penalty_case"] == case.number
    assert listing["items"][0]["current_due_at"] is not None
    one = observer.get(f"{BASE}/transfers/{transfer.pk}").json()
    assert one["status"] == "reported" and one["actions"] == []
    assert "张三" not in one["summary"] and "13800001234" not in one["summary"]
    assert one["events"][0]["action"] == "report"
    head = api_client_for(enf["head"]).get(f"{BASE}/transfers/{transfer.pk}").json()
    assert set(head["actions"]) == {"approve", "refuse"} and "张三" in head["summary"]
    assert observer.get(f"{BASE}/transfers?status=approved").json()["count"] == 0
    assert api_client_for(enf["outside_officer"]).get(f"{BASE}/transfers/{transfer.pk}").status_code == 404
    assert api_client_for(enf["auxiliary"]).get(f"{BASE}/transfers").status_code == 403
    assert observer.get(f"{BASE}/transfers/99999999999").status_code == 404
    assert CrimeTransfer.objects.get().status == "reported"


def test_every_operation_is_in_the_openapi_schema(api_client_for, enf):
    schema = api_client_for(enf["officer"]).get("/api/openapi.json").json()
    paths = {p: set(m) for p, m in schema["paths"].items() if p.startswith("/api/enforcement/")}
    assert paths == {
        "/api/enforcement/cases": {"get", "post"},
        "/api/enforcement/cases/simplified": {"post"},
        "/api/enforcement/cases/{case_id}": {"get"},
        "/api/enforcement/cases/{case_id}/actions": {"post"},
        "/api/enforcement/violations": {"get"},
        "/api/enforcement/statistics": {"get"},
        "/api/enforcement/transfers": {"get"},
        "/api/enforcement/transfers/{transfer_id}": {"get"},
    }
    for methods in schema["paths"].values():
        for operation in methods.values():
            assert operation.get("summary")
