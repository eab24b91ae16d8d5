"""Who an anonymous public reporter is, for idempotency: a random token of their browser (a cookie this
server sets) or of their app (the `X-Reporter-Token` header it makes up once and keeps).

A report's Idempotency-Key alone must not give back its tracking secret: keys get reused, guessed or
logged by proxies. The key is bound to this token, so a replay is answered with the secret only to the
browser or app that sent the first request.
"""

from __future__ import annotations

import re
import secrets

from django.http import HttpRequest, HttpResponse

from qingcheng.core.errors import ValidationFailed

COOKIE = "qc_reporter"
HEADER = "X-Reporter-Token"
COOKIE_AGE = 30 * 86400
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def reporter_token(request: HttpRequest) -> str | None:
    """The caller's token: the header if sent (it must look like one), else the cookie, else None."""
    header = request.headers.get(HEADER)
    if header is not None:
        header = header.strip()
        if not TOKEN.match(header):
            raise ValidationFailed(
                f"{HEADER} 须为16到128位字母、数字、_ 或 -",
                f"{HEADER} must be 16 to 128 letters, digits, _ or -",
                field=HEADER,
                code="reporter_token_invalid",
            )
        return header
    cookie = request.COOKIES.get(COOKIE, "")
    return cookie if TOKEN.match(cookie) else None


def ensure_reporter_cookie(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Give a browser without a valid token one, for its next report. Only pages that show a report form
    do this, never a report's own answer: a report made without a token and retried with one would be
    refused as another client's."""
    if not TOKEN.match(request.COOKIES.get(COOKIE, "")):
        response.set_cookie(
            COOKIE,
            secrets.token_urlsafe(24),
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response
