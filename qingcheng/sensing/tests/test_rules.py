"""Alarm rules as pure functions (`rules.step`): every kind, the edge values, the tolerance window, the
hysteresis band in both directions and re-arming after recovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from qingcheng.sensing.rules import RAISE, RECOVER, State, step

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def rule(kind="threshold", **fields):
    base = {
        "kind": kind,
        "high": None,
        "low": None,
        "hysteresis": 0.0,
        "raise_after": 1,
        "clear_after": 1,
        "max_rate_per_min": None,
        "status_values": [],
    }
    return SimpleNamespace(**{**base, **fields})


def run(r, values, state=None, start=T0, every=timedelta(minutes=1)):
    """The actions of a stream of values (None for nothing), and the final state."""
    state = state or State()
    actions, prev, prev_at = [], None, None
    for i, value in enumerate(values):
        at = start + i * every
        action = step(r, state, value, prev, prev_at, at)
        if action == RAISE:
            state.alarm_id = 1
        elif action == RECOVER:
            state.alarm_id = None
        actions.append(action)
        prev, prev_at = value, at
    return actions, state


def test_threshold_high_edges_and_hysteresis_band():
    r = rule(high=10.0, hysteresis=2.0)
    assert run(r, [10.0])[0] == [None]  # at the limit: not above it
    assert run(r, [10.000001])[0] == [RAISE]
    # recovery needs the value back by the hysteresis: 9 and 8.000001 are in the band, 8.0 is out
    assert run(r, [11, 9, 8.000001, 8.0])[0] == [RAISE, None, None, RECOVER]


def test_threshold_low_edges_and_hysteresis_band():
    r = rule(low=5.0, hysteresis=1.0)
    assert run(r, [5.0])[0] == [None]
    assert run(r, [4.99, 5.5, 5.99, 6.0])[0] == [RAISE, None, None, RECOVER]


def test_band_limits_on_both_sides_at_once():
    r = rule(low=6.5, high=8.5, hysteresis=0.2)
    assert run(r, [8.6, 8.4, 8.3])[0] == [RAISE, None, RECOVER]
    assert run(r, [6.4, 6.6, 6.7])[0] == [RAISE, None, RECOVER]
    assert run(r, [7.0, 8.4, 6.6, 8.5, 6.5])[0] == [None] * 5  # never outside


def test_tolerance_window_needs_consecutive_breaches():
    r = rule(high=10.0, hysteresis=1.0, raise_after=3)
    # a band or normal value in between restarts the count
    assert run(r, [11, 11, 9.5, 11, 11, 8, 11, 11, 11])[0] == [None] * 8 + [RAISE]
    assert run(rule(high=10.0, raise_after=0), [11])[0] == [RAISE]  # 0 means 1


def test_recovery_needs_consecutive_normal_readings_and_rearms():
    r = rule(high=10.0, hysteresis=1.0, raise_after=2, clear_after=3)
    actions, state = run(r, [11, 12, 8, 8, 9.5, 8, 8, 8, 11, 11])
    assert actions == [None, RAISE, None, None, None, None, None, RECOVER, None, RAISE]
    assert state.alarm_id == 1 and state.breaches == 0


def test_breaches_while_an_alarm_is_open_raise_nothing_more():
    assert run(rule(high=10.0), [11, 12, 13, 14])[0] == [RAISE, None, None, None]


def test_non_numbers_neither_raise_nor_recover():
    r = rule(high=10.0)
    assert run(r, ["high", True, None, [1]])[0] == [None] * 4
    assert run(r, [11, "x", False])[0] == [RAISE, None, None]


def test_rate_of_change():
    r = rule("rate", max_rate_per_min=0.1)
    assert run(r, [0.40, 0.30])[0] == [None, None]  # exactly 0.1/min is allowed
    assert run(r, [0.40, 0.15])[0] == [None, RAISE]  # 0.25/min
    assert run(r, [0.40, 0.65])[0] == [None, RAISE]  # rises count too
    # per minute: a 0.2 change over 3 minutes is within the limit
    assert run(r, [0.40, 0.20], every=timedelta(minutes=3))[0] == [None, None]
    assert run(r, [0.40, 0.15, 0.15])[0] == [None, RAISE, RECOVER]
    # nothing to compare: no previous value, not a number, or not later
    state = State()
    assert step(r, state, 0.1, None, None, T0) is None
    assert step(r, state, 0.1, True, T0 - timedelta(minutes=1), T0) is None
    assert step(r, state, 0.1, 0.9, T0, T0) is None


def test_status_values():
    r = rule("status", status_values=["burning", "lidOpen"], clear_after=2)
    assert run(r, ["ok", "burning", "lidOpen", "ok", "ok"])[0] == [None, RAISE, None, None, RECOVER]
    assert run(rule("status"), ["burning"])[0] == [None]  # a rule without values never raises


def test_stale_recovers_on_any_reading():
    r = rule("stale", clear_after=5)
    state = State(alarm_id=7)
    assert step(r, state, None, None, None, T0) == RECOVER
    assert step(r, State(), None, None, None, T0) is None


@pytest.mark.parametrize("at", [None])
def test_without_a_time_nothing_happens(at):
    assert step(rule(high=1.0), State(), 5.0, None, None, at) is None
