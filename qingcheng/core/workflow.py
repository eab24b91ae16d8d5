"""The workflow kernel (流程内核): what every state machine of the platform shares.

A workflow is one explicit table of `Transition`s, (state, action) → permission, next state and the name
of the effect the service applies. `TransitionTable` answers the two questions services and pages ask
("may this action be taken from this state?", "which actions does this state offer?"), and the two
errors here are the only ways a workflow refuses a step: the table does not allow it
(`InvalidTransition`, 409 `invalid_transition`) or someone else acted first (`StaleVersion`, 409
`stale_version`).

A domain app writes its table in `<app>/workflow.py` (subclassing `Transition` only for fields of its
own, such as the two officers of an enforcement step), its effects as a dictionary of handlers keyed by
effect name in its services, and a property test that walks the table; `cases` is the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import Conflict


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]  # empty only for a step that creates the record
    target: str | None  # None: the state does not change, or the effect chooses it
    permission: str  # "" for a step the system takes (a job, a bank callback, another machine)
    label_zh: str = ""
    effect: str = ""  # the handler the service applies (a key of the domain's handler dictionary)


T = TypeVar("T", bound=Transition)


class TransitionTable(Generic[T]):
    """One workflow's transitions, looked up by (state, action). The order of the sequence is kept: pages
    list the actions of a state in table order."""

    def __init__(self, transitions: Iterable[T]) -> None:
        self.transitions: tuple[T, ...] = tuple(transitions)
        self._by_key: dict[tuple[str, str], T] = {}
        for step in self.transitions:
            for source in step.sources:
                key = (source, step.action)
                # Two rows for one (state, action) would make the table say two things; refuse at import.
                if key in self._by_key:
                    raise ValueError(f"two transitions for {key!r}")
                self._by_key[key] = step
        self.actions: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in self.transitions))

    def __iter__(self) -> Iterator[T]:
        return iter(self.transitions)

    def __len__(self) -> int:
        return len(self.transitions)

    def lookup(self, state: str, action: str) -> T | None:
        return self._by_key.get((state, action))

    def actions_from(self, state: str) -> list[T]:
        return [t for t in self.transitions if state in t.sources]

    def effects(self) -> frozenset[str]:
        return frozenset(t.effect for t in self.transitions if t.effect)

    def by_action(self) -> dict[str, T]:
        """The first transition of each action (for tables where an action has one row)."""
        found: dict[str, T] = {}
        for step in self.transitions:
            found.setdefault(step.action, step)
        return found

    def unhandled(self, handlers: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
        """(effects without a handler, handlers no transition names): both empty for a sound table."""
        return self.effects() - set(handlers), frozenset(handlers) - self.effects()


class InvalidTransition(Conflict):
    """The table has no transition for this action from the record's current state."""

    CODE = "invalid_transition"

    def __init__(
        self,
        status: str,
        action: str,
        *,
        what_zh: str = "记录",
        what_en: str = "record",
        status_label: str | None = None,
    ) -> None:
        super().__init__(
            self.CODE,
            f"{what_zh}当前状态（{status_label or status}）不能执行“{action}”",
            f"a {what_en} in state {status!r} does not allow {action!r}",
            details={"status": status, "action": action},
        )


class StaleVersion(Conflict):
    """Optimistic locking: the client acted on an older version of the record than the stored one.

    `details.version` repeats `current` for the enforcement and emergency clients, which read it there.
    """

    CODE = "stale_version"

    def __init__(
        self, *, expected: int, current: int, what_zh: str = "记录", what_en: str = "record"
    ) -> None:
        super().__init__(
            self.CODE,
            f"{what_zh}已被他人更新，请刷新后重试",
            f"the {what_en} was changed by someone else; reload and try again",
            details={"expected": expected, "current": current, "version": current},
        )


def require_version(
    expected: int | str | None,
    current: int,
    *,
    what_zh: str = "记录",
    what_en: str = "record",
    error: type[StaleVersion] = StaleVersion,
) -> None:
    """Raise `error` unless the client sent no version or the current one."""
    if expected is not None and int(expected) != current:
        raise error(expected=int(expected), current=current, what_zh=what_zh, what_en=what_en)
