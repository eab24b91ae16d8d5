"""Rate limits: a fixed window counted in the cache, per client address for the public channels."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from qingcheng.core.errors import DomainError
from qingcheng.core.throttle import throttle, window_count

factory = RequestFactory()


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_window_counts_calls_and_restarts_in_the_next_window():
    start = 1_800_000_000.0  # a whole minute
    assert window_count("t:a", window=60, now=start).count == 1
    second = window_count("t:a", window=60, now=start + 59)
    assert (second.count, second.retry_after) == (2, 1)
    assert window_count("t:a", window=60, now=start + 60).count == 1
    assert window_count("t:b", window=60, now=start + 60).count == 1


def test_retry_after_is_never_zero():
    assert window_count("t:c", window=60, now=1_800_000_000.0).retry_after == 60
    assert window_count("t:c", window=60, now=1_800_000_059.5).retry_after == 1


def test_throttle_refuses_the_call_past_the_limit_with_429_per_address():
    first = factory.get("/", REMOTE_ADDR="203.0.113.1")
    other = factory.get("/", REMOTE_ADDR="203.0.113.2")
    throttle(first, "test", 2)
    throttle(first, "test", 2)
    with pytest.raises(DomainError) as refused:
        throttle(first, "test", 2)
    assert refused.value.code == "rate_limited"
    assert refused.value.status == 429
    assert refused.value.details["limit_per_hour"] == 2
    assert 0 < refused.value.details["retry_after_seconds"] <= 3600
    throttle(other, "test", 2)  # another address has its own budget
    throttle(first, "another-bucket", 2)  # and so has another bucket
