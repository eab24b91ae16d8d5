"""The collecting bank's payment callback (银行缴款回调), a plain Django view.

The bank is not a user: it authenticates by signing each request with its own key (HMAC-SHA256 over
timestamp, nonce and the raw body), so there is no session, no API key and no CSRF token. The raw body
must be signed byte for byte, which is why this is a plain view rather than a ninja operation that would
parse the body first. Errors use the platform's error body
`{"error": {"code", "message", "message_zh", "message_en", "details"}}`.

Request: `POST` with JSON `{"bank_code", "transaction_id", "notice_number", "amount_fen", "paid_at",
"payer_name"}` and the headers `X-Qingcheng-Timestamp` (Unix seconds), `X-Qingcheng-Nonce` (16–64
characters, never reused) and `X-Qingcheng-Signature` (hex HMAC-SHA256 of
`f"{timestamp}\\n{nonce}\\n"` + raw body, keyed with the bank's secret from `QINGCHENG_BANK_KEYS`).

Answers: 200 `{"result": "applied" | "duplicate", ...}`; 400 `implausible_paid_at` (before the notice
was issued, more than 5 minutes ahead of our clock, or outside any possible date: the surcharge is counted
from `paid_at`, so such a report is kept as rejected and never applied); 401 unknown bank, bad signature or
stale timestamp; 404 unknown notice; 409 replayed nonce, notice already paid or a transaction rejected before;
413 body too large; 422 malformed body, wrong amount or wrong bank.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from qingcheng.core.errors import DomainError
from qingcheng.core.uploads import JSON_ONLY, accepts_uploads

from . import services as payments

logger = logging.getLogger("qingcheng.enforcement.bank")


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})


@accepts_uploads(JSON_ONLY)
@csrf_exempt
def bank_callback(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _error(
            DomainError("method_not_allowed", "只接受 POST", "only POST is accepted", status=405)
        )
        response["Allow"] = "POST"
        return response
    # Refuse an oversized body before reading it.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > payments.CALLBACK_MAX_BYTES:
        return _error(DomainError("payload_too_large", "请求过大", "request too large", status=413))
    try:
        result = payments.bank_callback_receive(
            body=request.body,
            timestamp=request.headers.get("X-Qingcheng-Timestamp"),
            nonce=request.headers.get("X-Qingcheng-Nonce"),
            signature=request.headers.get("X-Qingcheng-Signature"),
        )
    except DomainError as exc:
        if exc.status == 401:
            # Never the body or the headers' values: only what kind of refusal it was.
            logger.warning("bank callback refused: %s", exc.code)
        return _error(exc)
    return JsonResponse(
        {
            "result": result.result,
            "notice_number": result.notice_number,
            "transaction_id": result.transaction_id,
            "amount_fen": result.amount_fen,
            "surcharge_fen": result.surcharge_fen,
        }
    )
