"""Evaluating alarm rules on one value: pure functions over a small state (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

RAISE = "raise"
RATE_TOLERANCE = 1e-9
RECOVER = "recover"


@dataclass
class State:
    breaches: int = 0
    oks: int = 0
    alarm_id: int | None = None  # an open (raised/acknowledged) alarm of this rule on this device

    @property
    def quiet(self) -> bool:
        return self.breaches == 0 and self.oks == 0 and self.alarm_id is None


def _classify(rule: Any, value: Any, prev: Any, prev_at: datetime | None, at: datetime) -> str | None:
    """'breach', 'ok', or None (inside the hysteresis band, or nothing to compare)."""
    kind = rule.kind
    if kind == "status":
        return "breach" if value in (rule.status_values or []) else "ok"
    if kind == "stale":
        return "ok"  # any reading ends staleness
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if kind == "threshold":
        if (rule.high is not None and value > rule.high) or (rule.low is not None and value < rule.low):
            return "breach"
        h = rule.hysteresis or 0.0
        if (rule.high is None or value <= rule.high - h) and (rule.low is None or value >= rule.low + h):
            return "ok"
        return None
    if kind == "rate":
        if prev_at is None or isinstance(prev, bool) or not isinstance(prev, int | float) or at <= prev_at:
            return None
        minutes = (at - prev_at).total_seconds() / 60.0
        rate = abs(value - prev) / max(minutes, 1e-6)
        if rule.max_rate_per_min is None:
            return "ok"
        # Subtraction leaves noise (0.40 - 0.30 = 0.10000000000000003): a change of exactly the limit
        # is allowed, as a value exactly at a threshold is.
        return (
            "breach"
            if rate > rule.max_rate_per_min + RATE_TOLERANCE * max(1.0, abs(rule.max_rate_per_min))
            else "ok"
        )
    return None


def step(
    rule: Any,
    state: State,
    value: Any,
    prev: Any = None,
    prev_at: datetime | None = None,
    at: datetime | None = None,
) -> str | None:
    """Advance `state` by one reading; return RAISE, RECOVER or None.

    Raising needs `raise_after` consecutive breaches (the tolerance window); recovering needs
    `clear_after` consecutive readings back inside the limit minus the hysteresis. A value in the
    hysteresis band neither raises nor recovers, so a noisy signal around the limit does not flap."""
    verdict = _classify(rule, value, prev, prev_at, at) if at is not None else None
    if state.alarm_id is None:
        state.oks = 0
        if verdict == "breach":
            state.breaches += 1
            if state.breaches >= max(rule.raise_after, 1):
                state.breaches = 0
                return RAISE
        else:
            state.breaches = 0
        return None
    state.breaches = 0
    if verdict == "ok":
        state.oks += 1
        if state.oks >= max(rule.clear_after, 1) or rule.kind == "stale":
            state.oks = 0
            return RECOVER
    else:
        state.oks = 0
    return None
