"""Rate limits (限流): fixed windows counted in the cache, shared by all workers when the cache is.

`window_count` is the counter every limit uses; `throttle` is the limit of the public channels (the
public JSON API, the public web pages, the enforcement party and disclosure pages): one hour per client
address (`core.http.client_address`), so all of them count against the same budget. Open311 counts per
key and per minute with the same counter and answers in its own error format."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from .errors import DomainError
from .http import client_address

HOUR = 3600


@dataclass(frozen=True)
class WindowCount:
    """How many calls the current window has seen (this one included) and when it ends."""

    count: int
    retry_after: int


def window_count(key: str, *, window: int, now: float | None = None) -> WindowCount:
    """Count one call under `key` in the fixed window of `window` seconds that holds `now`."""
    now = time.time() if now is None else now
    slot = f"{key}:{int(now // window)}"
    # Kept for two windows so a slow call at the boundary still finds its counter.
    if cache.add(slot, 1, 2 * window):
        count = 1
    else:
        try:
            count = cache.incr(slot)
        except ValueError:  # expired between add and incr
            cache.set(slot, 1, 2 * window)
            count = 1
    return WindowCount(count=count, retry_after=max(1, window - int(now % window)))


def throttle(request: HttpRequest, bucket: str, limit: int) -> None:
    """At most `limit` calls an hour from one client address to `bucket`, else 429 `rate_limited`."""
    now = time.time()
    seen = window_count(f"intake:throttle:{bucket}:{client_address(request) or '-'}", window=HOUR, now=now)
    if seen.count > limit:
        raise DomainError(
            "rate_limited",
            "请求过于频繁，请稍后再试",
            "too many requests from this address; try again later",
            status=429,
            details={"limit_per_hour": limit, "retry_after_seconds": HOUR - int(now) % HOUR},
        )
