"""What the penalty procedure lets the sub-domains above it add without the procedure importing them.

Payments and transfers build on the penalty procedure (they read and move penalty cases), so the penalty
services may not import them back. Where a penalty step needs them, it calls the functions registered
here instead; `enforcement/apps.py` registers them once the app is ready.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from qingcheng.core.access import Actor

from ..models import PenaltyCase

# A decision that orders a fine or confiscation has been served (送达), on the spot or after the general
# procedure: the party now owes money. Called as hook(case=..., actor=..., at=...).
on_fine_due: list[Callable[..., Any]] = []
# Each says whether something outside the penalty procedure blocks a decision on this case (a transfer of
# a suspected crime awaiting the head, 国务院令第310号第十一条).
decision_blockers: list[Callable[[PenaltyCase], bool]] = []


def register(hooks: list, func: Callable[..., Any]) -> None:
    """Add `func` once: the app registry may run `ready()` more than once in tests."""
    if func not in hooks:
        hooks.append(func)


def fine_due(*, case: PenaltyCase, actor: Actor, at: dt.datetime) -> None:
    for hook in on_fine_due:
        hook(case=case, actor=actor, at=at)


def decision_blocked(case: PenaltyCase) -> bool:
    return any(blocked(case) for blocked in decision_blockers)
