"""The business clock. Services ask it for the time so a simulation can replay a month of history
through the real services; everything else (and production) gets the real time."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import date, datetime

from django.utils import timezone

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("qingcheng_clock", default=None)


def now() -> datetime:
    frozen = _frozen.get()
    return frozen if frozen is not None else timezone.now()


def today() -> date:
    """The business clock's date in the current time zone."""
    return timezone.localdate(now())


@contextlib.contextmanager
def at(instant: datetime) -> Iterator[None]:
    """Run the block with the business clock standing at `instant` (an aware datetime)."""
    if timezone.is_naive(instant):
        raise ValueError("the business clock needs an aware datetime")
    token = _frozen.set(instant)
    try:
        yield
    finally:
        _frozen.reset(token)
