"""The collecting bank's signed payment callback: a bad signature, a stale timestamp and a replayed nonce
are refused and write nothing; a duplicate transaction is answered without paying twice; a wrong amount
is refused and kept for reconciliation; two concurrent callbacks never both apply (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import path

from qingcheng.core import clock
from qingcheng.enforcement.models import (
    BankCallback,
    CollectingBank,
    PaymentNotice,
    PenaltyCase,
    PenaltyDeadline,
    PenaltyEvent,
)
from qingcheng.enforcement.payments import bank_api
from qingcheng.enforcement.payments import services as payments

# The endpoint is mounted here for the tests, independent of where the project mounts it.
urlpatterns = [path("bank/callback", bank_api.bank_callback)]
URL = "/bank/callback"
KEY = "test-only-bank-key-0123456789abcdef"
OTHER_KEY = "test-only-other-bank-key-fedcba9876543210"
S = PenaltyCase.Status
pytestmark = [pytest.mark.urls(__name__)]
_nonces = itertools.count(1)


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text + "+08:00")


@pytest.fixture(autouse=True)
def bank_keys(settings):
    settings.ENFORCEMENT_BANK_KEYS = {"TESTBANK": KEY, "OTHERBANK": OTHER_KEY}


@pytest.fixture
def notice(enf, make_penalty_case):
    """200 yuan due 2026-10-08 23:59:59 (served 2026-09-20; 10月5日 is a holiday, so it rolls to 10月8日)."""
    with clock.at(t("2026-09-20T10:00")):
        case = make_penalty_case(status=S.EXECUTING, bank=enf["bank"], served_at=clock.now())
        return payments.payment_notice_issue(case=case, actor=enf["officer"], at=clock.now())


def sign(body: bytes, *, key: str = KEY, timestamp: str, nonce: str) -> str:
    # Computed here from the documented recipe, not with the code under test.
    return hmac.new(key.encode(), f"{timestamp}\n{nonce}\n".encode() + body, hashlib.sha256).hexdigest()


def payload(notice, **changes) -> dict:
    data = {
        "bank_code": "TESTBANK",
        "transaction_id": "TX-0001",
        "notice_number": notice.number,
        "amount_fen": 20_000,
        "paid_at": "2026-10-01T10:00:00+08:00",
        "payer_name": "张三",
    }
    data.update(changes)
    return data


def post(
    data: dict | bytes,
    *,
    key: str = KEY,
    nonce: str | None = None,
    timestamp: str | None = None,
    signature: str | None = None,
    client: Client | None = None,
):
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    nonce = nonce or f"nonce-{next(_nonces):012d}-abcdef"
    timestamp = timestamp or str(int(clock.now().timestamp()))
    headers = {
        "X-Qingcheng-Timestamp": timestamp,
        "X-Qingcheng-Nonce": nonce,
        "X-Qingcheng-Signature": signature or sign(body, key=key, timestamp=timestamp, nonce=nonce),
    }
    return (client or Client()).post(URL, body, content_type="application/json", headers=headers)


def assert_nothing_paid(notice) -> None:
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.UNPAID and notice.paid_fen == 0


# ------------------------------------------------------------------------------------------- applied


def test_good_signature_is_applied_once(notice):
    with clock.at(t("2026-10-01T10:05")):
        # A client that enforces CSRF: the endpoint is exempt, its signature is the authentication.
        response = post(payload(notice), client=Client(enforce_csrf_checks=True))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "result": "applied",
        "notice_number": notice.number,
        "transaction_id": "TX-0001",
        "amount_fen": 20_000,
        "surcharge_fen": 0,
    }
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.PAID
    assert (notice.paid_fen, notice.surcharge_paid_fen) == (20_000, 0)
    assert notice.paid_at == t("2026-10-01T10:00") and notice.bank_receipt_number == "TX-0001"
    callback = BankCallback.objects.get()
    assert callback.outcome == BankCallback.Outcome.APPLIED and callback.notice == notice
    period = PenaltyDeadline.objects.get(case=notice.case, purpose=PenaltyDeadline.Purpose.PAYMENT)
    assert period.met_at == t("2026-10-01T10:00")
    case = PenaltyCase.objects.get(pk=notice.case_id)
    assert case.status == S.EXECUTED
    assert PenaltyEvent.objects.filter(case=case, action="payment_received").count() == 1
    event = PenaltyEvent.objects.get(case=case, action="bank_payment")
    assert event.data["payer"] == "张*" and event.data["amount_fen"] == 20_000


def test_late_payment_must_include_the_surcharge(notice):
    # Paid 10月10日: 10月9日 and 10日 are overdue days, 6% of 20 000 = 1 200.
    with clock.at(t("2026-10-10T09:05")):
        short = post(payload(notice, paid_at="2026-10-10T09:00:00+08:00"))
        assert short.status_code == 422
        assert short.json()["error"]["code"] == "wrong_amount"
        assert short.json()["error"]["details"] == {"expected_fen": 21_200, "received_fen": 20_000}
        assert_nothing_paid(notice)
        ok = post(
            payload(notice, transaction_id="TX-0002", amount_fen=21_200, paid_at="2026-10-10T09:00:00+08:00")
        )
    assert ok.status_code == 200 and ok.json()["surcharge_fen"] == 1_200
    notice.refresh_from_db()
    assert (notice.paid_fen, notice.surcharge_paid_fen) == (21_200, 1_200)


def test_paid_at_in_utc_counts_by_the_beijing_date(notice):
    # 2026-10-08T16:30Z is 10月9日 00:30 in Beijing: one day late, 600 fen of surcharge.
    with clock.at(t("2026-10-09T01:00")):
        response = post(payload(notice, amount_fen=20_600, paid_at="2026-10-08T16:30:00Z"))
    assert response.status_code == 200 and response.json()["surcharge_fen"] == 600


# ---------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "tamper",
    ["wrong_key", "body_changed", "not_hex", "missing"],
)
def test_bad_signature_is_401_and_writes_nothing(notice, tamper):
    with clock.at(t("2026-10-01T10:05")):
        data = payload(notice)
        if tamper == "wrong_key":
            response = post(data, key="not-the-bank-key-000000000000000")
        elif tamper == "body_changed":
            body = json.dumps(data).encode()
            timestamp, nonce = str(int(clock.now().timestamp())), "n" * 20
            signature = sign(body, timestamp=timestamp, nonce=nonce)
            changed = json.dumps({**data, "amount_fen": 1}).encode()
            response = post(changed, timestamp=timestamp, nonce=nonce, signature=signature)
        elif tamper == "not_hex":
            response = post(data, signature="z" * 64)
        else:
            response = Client().post(URL, json.dumps(data), content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"bad_signature", "signature_missing"}
    assert set(response.json()["error"]) == {"code", "message", "message_zh", "message_en", "details"}
    assert not BankCallback.objects.exists()
    assert_nothing_paid(notice)


def test_unknown_inactive_or_keyless_bank_is_401(enf, notice, settings):
    CollectingBank.objects.create(
        code="NOKEY", name="无密钥银行", address="-", agreement_number="-", area_code="150105"
    )
    with clock.at(t("2026-10-01T10:05")):
        assert post(payload(notice, bank_code="NOBANK")).status_code == 401
        assert post(payload(notice, bank_code="NOKEY")).status_code == 401
        enf["bank"].active = False
        enf["bank"].save()
        response = post(payload(notice))
    assert response.status_code == 401 and response.json()["error"]["code"] == "unknown_bank"
    assert not BankCallback.objects.exists()


def test_stale_or_future_timestamp_is_401(notice):
    with clock.at(t("2026-10-01T10:05")):
        now = int(clock.now().timestamp())
        stale = post(payload(notice), timestamp=str(now - 301))
        future = post(payload(notice), timestamp=str(now + 301))
        edge = post(payload(notice), timestamp=str(now - 300))
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "stale_timestamp"
    assert future.status_code == 401
    assert edge.status_code == 200  # ±300 s inclusive
    assert BankCallback.objects.count() == 1


def test_replayed_nonce_is_409(notice):
    with clock.at(t("2026-10-01T10:05")):
        data = payload(notice)
        first = post(data, nonce="replay-nonce-0000000001")
        again = post(data, nonce="replay-nonce-0000000001")
        # Even a different, validly signed transaction may not reuse the nonce.
        other = post(payload(notice, transaction_id="TX-9"), nonce="replay-nonce-0000000001")
    assert first.status_code == 200
    assert again.status_code == 409 and again.json()["error"]["code"] == "replay"
    assert other.status_code == 409
    assert BankCallback.objects.count() == 1


def test_duplicate_transaction_pays_once(notice):
    with clock.at(t("2026-10-01T10:05")):
        first = post(payload(notice))
        second = post(payload(notice))  # a retry: same transaction, new nonce, valid signature
    assert first.status_code == 200 and first.json()["result"] == "applied"
    assert second.status_code == 200 and second.json()["result"] == "duplicate"
    notice.refresh_from_db()
    assert notice.paid_fen == 20_000
    assert BankCallback.objects.filter(outcome=BankCallback.Outcome.APPLIED).count() == 1
    assert PenaltyEvent.objects.filter(case=notice.case, action="payment_received").count() == 1


def test_wrong_amount_is_422_and_kept_as_rejected(notice):
    with clock.at(t("2026-10-01T10:05")):
        response = post(payload(notice, amount_fen=19_999))
        retry = post(payload(notice, amount_fen=19_999))
    assert response.status_code == 422 and response.json()["error"]["code"] == "wrong_amount"
    callback = BankCallback.objects.get()
    assert callback.outcome == BankCallback.Outcome.REJECTED and callback.reason.startswith("wrong_amount")
    # The same bank transaction cannot be turned into a payment later: it needs reconciliation by hand.
    assert retry.status_code == 409 and retry.json()["error"]["code"] == "transaction_rejected"
    assert_nothing_paid(notice)
    assert PenaltyEvent.objects.filter(case=notice.case, action="payment_callback_rejected").count() == 1


def test_unknown_notice_is_404_and_a_second_payment_is_409(notice):
    with clock.at(t("2026-10-01T10:05")):
        unknown = post(payload(notice, notice_number="JK2026-99999", transaction_id="TX-X"))
        first = post(payload(notice))
        twice = post(payload(notice, transaction_id="TX-0002"))  # the party paid again at another counter
    assert unknown.status_code == 404
    assert first.status_code == 200
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "notice_not_unpaid"
    outcomes = dict(BankCallback.objects.values_list("transaction_id", "outcome"))
    assert outcomes == {"TX-X": "rejected", "TX-0001": "applied", "TX-0002": "rejected"}
    notice.refresh_from_db()
    assert notice.paid_fen == 20_000 and notice.bank_receipt_number == "TX-0001"


def test_wrong_bank_and_malformed_bodies_are_422(enf, notice):
    CollectingBank.objects.create(
        code="OTHERBANK", name="另一银行", address="-", agreement_number="-", area_code="150105"
    )
    with clock.at(t("2026-10-01T10:05")):
        wrong_bank = post(payload(notice, bank_code="OTHERBANK"), key=OTHER_KEY)
        as_float = post(payload(notice, transaction_id="TX-F", amount_fen=20000.0))
        naive = post(payload(notice, transaction_id="TX-N", paid_at="2026-10-01T10:00:00"))
        not_json = post(b"amount=20000")
    assert wrong_bank.status_code == 422 and wrong_bank.json()["error"]["code"] == "wrong_bank"
    assert as_float.status_code == 422 and as_float.json()["error"]["details"]["field"] == "amount_fen"
    assert naive.status_code == 422 and naive.json()["error"]["details"]["field"] == "paid_at"
    assert not_json.status_code == 422
    assert_nothing_paid(notice)


def test_method_and_size(notice):
    assert Client().get(URL).status_code == 405
    with clock.at(t("2026-10-01T10:05")):
        response = post(payload(notice, payer_name="x" * 20_000))
    assert response.status_code == 413
    assert not BankCallback.objects.exists()


# ------------------------------------------------------------------------------ concurrency (PostgreSQL)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent callbacks need PostgreSQL (SQLite serialises every writer); run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_callbacks_apply_exactly_once(enf, make_penalty_case):
    """Threads use the real clock (the business clock is per thread): the notice is issued now and paid now."""

    def race(bodies: list[dict]) -> list[tuple[int, dict]]:
        barrier = threading.Barrier(len(bodies))
        results: list[tuple[int, dict]] = []
        errors: list[BaseException] = []

        def worker(data: dict) -> None:
            try:
                barrier.wait(timeout=30)
                response = post(data)
                results.append((response.status_code, response.json()))
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(b,)) for b in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        return results

    def fresh_notice() -> PaymentNotice:
        case = make_penalty_case(status=S.EXECUTING, bank=enf["bank"], served_at=clock.now())
        return payments.payment_notice_issue(case=case, actor=enf["officer"], at=clock.now())

    paid_at = clock.now().isoformat()
    # The bank's retry racing its first attempt: same transaction, different nonces.
    same = fresh_notice()
    results = race([payload(same, transaction_id="TX-SAME", paid_at=paid_at)] * 4)
    assert sorted(body.get("result") for _, body in results) == [
        "applied",
        "duplicate",
        "duplicate",
        "duplicate",
    ]
    # The party paying twice at two counters at once: two transactions for one notice.
    double = fresh_notice()
    results = race([payload(double, transaction_id=f"TX-D{i}", paid_at=paid_at) for i in range(4)])
    assert sorted(status for status, _ in results) == [200, 409, 409, 409], results
    for notice in (same, double):
        notice.refresh_from_db()
        assert notice.status == PaymentNotice.Status.PAID and notice.paid_fen == 20_000
        assert BankCallback.objects.filter(notice=notice, outcome=BankCallback.Outcome.APPLIED).count() == 1
        assert PenaltyEvent.objects.filter(case=notice.case, action="payment_received").count() == 1


@pytest.mark.parametrize(
    ("paid_at", "why"),
    [
        ("0001-01-02T00:00:00+08:00", "year 1: no surcharge would ever be due"),
        ("0001-01-01T00:00:00+08:00", "year 1 east of Greenwich has no UTC instant"),
        ("9999-12-31T23:59:59-08:00", "year 9999 west of Greenwich has no UTC instant"),
        ("9999-12-30T10:00:00+08:00", "far in the future"),
        ("2026-10-10T10:06:00+08:00", "six minutes ahead of the clock, beyond the 5-minute skew"),
        ("2026-09-20T09:00:00+08:00", "an hour before the notice was issued (served 10:00)"),
    ],
)
def test_implausible_paid_at_is_400_and_pays_nothing(notice, paid_at, why):
    # The notice was due 10-08; on 10-10 the amount due is 21 200 fen. A report dated before the notice
    # would make 20 000 look like an on-time payment.
    with clock.at(t("2026-10-10T10:00")):
        response = post(payload(notice, paid_at=paid_at))
    assert response.status_code == 400, (why, response.content)
    assert response.json()["error"]["code"] == "implausible_paid_at", why
    assert response.json()["error"]["details"] == {"field": "paid_at"}
    assert_nothing_paid(notice)
    case = PenaltyCase.objects.get(pk=notice.case_id)
    assert case.status == S.EXECUTING
    assert not PenaltyEvent.objects.filter(case=case, action="bank_payment").exists()
    assert PenaltyDeadline.objects.get(case=case, purpose=PenaltyDeadline.Purpose.PAYMENT).met_at is None
    assert not BankCallback.objects.filter(outcome=BankCallback.Outcome.APPLIED).exists()


def test_a_payment_within_the_clock_skew_of_the_notice_is_applied(notice):
    # Served (and the notice issued) at 10:00; the bank's clock says 09:58.
    with clock.at(t("2026-09-20T10:05")):
        response = post(payload(notice, paid_at="2026-09-20T09:58:00+08:00"))
    assert response.status_code == 200 and response.json()["surcharge_fen"] == 0
