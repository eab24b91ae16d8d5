"""Open311 errors: an `errors` list of {code, description} with the spec's HTTP status rules.

404: the resource (service code, request, token, jurisdiction) does not exist; 403: api_key missing or
invalid (or not allowed here); 400: anything else. 429 (rate limit), 405 (method) and 413 (a body or
file over its size limit, refused before it is read) are plain HTTP.
Each error is also a DomainError (machine code, zh-Hans and English message) like the rest of the
platform; on the wire the `description` is the English message, as the specification's examples are.
"""

from __future__ import annotations

from dataclasses import dataclass

from qingcheng.core.errors import DomainError

WIRE_STATUSES = {400, 403, 404, 405, 413, 429}


@dataclass(frozen=True)
class WireError:
    status: int
    code: str  # the platform's machine code (e.g. "too_long"); the wire `code` is the HTTP status
    description: str


class Open311Error(DomainError):
    """One or more errors answered together. `errors` holds every problem found in the input."""

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        status: int = 400,
        more: list[Open311Error] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(code, message_zh, message_en, status=status)
        self.more = list(more or [])
        self.retry_after = retry_after

    @property
    def errors(self) -> list[WireError]:
        return [WireError(e.status, e.code, e.message_en) for e in [self, *self.more]]

    @classmethod
    def combine(cls, problems: list[Open311Error]) -> Open311Error:
        """Several problems as one error; the status is the first problem's (403 before 404 before 400)."""
        ordered = sorted(problems, key=lambda e: {403: 0, 404: 1}.get(e.status, 2))
        first = ordered[0]
        return cls(
            first.code,
            first.message_zh,
            first.message_en,
            status=first.status,
            more=ordered[1:],
            retry_after=first.retry_after,
        )


def from_domain_error(exc: DomainError) -> Open311Error:
    """A platform error (from intake, the gazetteer, locate) in Open311 terms: 403 and 404 stay, every
    other status becomes the spec's general 400."""
    if isinstance(exc, Open311Error):
        return exc
    status = exc.status if exc.status in {403, 404} else 400
    return Open311Error(exc.code, exc.message_zh, exc.message_en, status=status)


def bad_request(code: str, zh: str, en: str) -> Open311Error:
    return Open311Error(code, zh, en, status=400)


def not_found(code: str, zh: str, en: str) -> Open311Error:
    return Open311Error(code, zh, en, status=404)


def forbidden(code: str, zh: str, en: str) -> Open311Error:
    return Open311Error(code, zh, en, status=403)
