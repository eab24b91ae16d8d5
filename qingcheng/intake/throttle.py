"""Rate limits of the public channels: a fixed one-hour window per client address, counted in the cache.
Shared by the public JSON API and the public web pages so both count against the same budget."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest

from qingcheng.core.errors import DomainError
from qingcheng.core.http import client_address


def throttle(request: HttpRequest, bucket: str, limit: int) -> None:
    hour = int(time.time() // 3600)
    key = f"intake:throttle:{bucket}:{client_address(request) or '-'}:{hour}"
    if cache.add(key, 1, 3600):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, 3600)
            count = 1
    if count > limit:
        raise DomainError(
            "rate_limited",
            "请求过于频繁，请稍后再试",
            "too many requests from this address; try again later",
            status=429,
            details={"limit_per_hour": limit, "retry_after_seconds": 3600 - int(time.time()) % 3600},
        )
