"""The instants of the evaluation world (see conftest.py): the as-of instant T, 2 November 2026 09:00 in
Hohhot, and `at` for the local times the world's steps happen at. A module of its own so that tests import
it rather than the conftest."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
T_TEXT = "2026-11-02T09:00:00"


def at(text: str) -> datetime:
    """A local time of the world (`"2026-10-09T10:00"`) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)
