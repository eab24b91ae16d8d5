"""Who is asking and for which city: jurisdictions, client API keys and per-key rate limits.

Keys look like `o311_<prefix>_<secret>`; only the SHA-256 of the whole key is stored. A key is sent as
the `api_key` parameter (the specification) or an `X-API-Key` header. Reads need no key; a key given
on a read is checked and counts against that key's limit instead of the caller's address.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings

from qingcheng.core.scope import scope_prefix
from qingcheng.core.throttle import window_count

from .errors import Open311Error, bad_request, forbidden, not_found
from .models import Client, Jurisdiction

KEY_PREFIX = "o311"
DEFAULT_JURISDICTION_ID = "qingcheng"
DEFAULT_ANONYMOUS_PER_MINUTE = 120


@dataclass(frozen=True)
class Served:
    """The jurisdiction of a call: a row, or the implicit one of a deployment with none configured."""

    jurisdiction_id: str
    name: str
    area_code: str
    row: Jurisdiction | None = None
    time_zone: str = ""

    @property
    def pk(self) -> int | None:
        return self.row.pk if self.row is not None else None

    @property
    def zone(self) -> tzinfo:
        """Where a time sent without an offset is read: the jurisdiction's zone, else the site's."""
        return ZoneInfo(self.time_zone or settings.TIME_ZONE)


def area_prefix(code: str) -> str:
    """The grid-code prefix of an area: a six-digit GB/T 2260 code loses its trailing zero pairs
    (150100 → 1501, 150000 → 15); longer codes and prefixes stay as they are."""
    return scope_prefix((code or "").strip())


def implicit_jurisdiction() -> Served:
    return Served(
        jurisdiction_id=getattr(settings, "OPEN311_JURISDICTION_ID", DEFAULT_JURISDICTION_ID),
        name=getattr(settings, "OPEN311_JURISDICTION_NAME", "青城"),
        area_code="",
    )


def served_jurisdictions() -> list[Served]:
    rows = list(Jurisdiction.objects.filter(active=True).order_by("jurisdiction_id"))
    if not rows:
        return [implicit_jurisdiction()]
    return [Served(r.jurisdiction_id, r.name, area_prefix(r.area_code), r, r.time_zone) for r in rows]


def resolve_jurisdiction(jurisdiction_id: str | None) -> Served:
    """The jurisdiction named by the call. Required (400 when missing) once more than one is served;
    an unknown one is a 404 whatever the number served."""
    served = served_jurisdictions()
    if jurisdiction_id is None:
        if len(served) > 1:
            raise bad_request(
                "jurisdiction_required",
                "本接口服务多个城市，须提供 jurisdiction_id",
                "jurisdiction_id is required: this endpoint serves more than one jurisdiction",
            )
        return served[0]
    for candidate in served:
        if candidate.jurisdiction_id == jurisdiction_id:
            return candidate
    raise not_found(
        "unknown_jurisdiction",
        "未知的 jurisdiction_id",
        f"jurisdiction_id {jurisdiction_id[:100]!r} not found",
    )


def hash_key(raw: str) -> str:
    # Keys are 256-bit random secrets: a fast hash suffices, there is nothing to brute-force.
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """(prefix, raw key)."""
    prefix = secrets.token_hex(4)
    return prefix, f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def _invalid_key() -> Open311Error:
    return forbidden("invalid_api_key", "api_key 无效", "api_key is missing or invalid")


def authenticate(raw: str | None, *, required: bool) -> Client | None:
    """The active client behind a key. Missing (when required), unknown, wrong and inactive keys are
    all the same 403."""
    if not raw:
        if required:
            raise _invalid_key()
        return None
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(raw) > 200:
        raise _invalid_key()
    client = Client.objects.select_related("jurisdiction").filter(key_prefix=parts[1]).first()
    if client is None or not secrets.compare_digest(client.key_hash, hash_key(raw)) or not client.active:
        raise _invalid_key()
    return client


def check_client_jurisdiction(client: Client | None, served: Served) -> None:
    if client is None or client.jurisdiction_id is None:
        return
    if client.jurisdiction_id != served.pk:
        raise forbidden(
            "key_not_for_jurisdiction",
            "该 api_key 不能用于此城市",
            "this api_key is not valid for this jurisdiction",
        )


def _count(bucket: str, limit: int) -> None:
    """A fixed one-minute window per key or address (`core.throttle.window_count`)."""
    if limit <= 0:
        return
    seen = window_count(f"open311:rate:{bucket}", window=60)
    if seen.count > limit:
        retry = seen.retry_after
        raise Open311Error(
            "rate_limited",
            f"请求过于频繁（每分钟最多 {limit} 次），请 {retry} 秒后再试",
            f"rate limit of {limit} requests per minute exceeded; retry in {retry} s",
            status=429,
            retry_after=retry,
        )


def rate_limit(*, client: Client | None, client_ip: str) -> None:
    if client is not None:
        _count(f"key:{client.pk}", client.requests_per_minute)
    else:
        limit = int(getattr(settings, "OPEN311_ANONYMOUS_REQUESTS_PER_MINUTE", DEFAULT_ANONYMOUS_PER_MINUTE))
        _count(f"ip:{client_ip or '-'}", limit)
