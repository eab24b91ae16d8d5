"""The workflow kernel (`core.workflow`) and the tables built on it: cases, enforcement penalty,
enforcement transfers, emergency hidden dangers and incidents."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from qingcheng.cases import services as case_services
from qingcheng.cases import workflow as case_workflow
from qingcheng.cases.models import Case
from qingcheng.core.errors import Conflict
from qingcheng.core.workflow import (
    InvalidTransition,
    StaleVersion,
    Transition,
    TransitionTable,
    require_version,
)
from qingcheng.emergency import workflow as emergency_workflow
from qingcheng.emergency.models import HiddenDanger, Incident
from qingcheng.emergency.services import dangers as danger_services
from qingcheng.emergency.services import incidents as incident_services
from qingcheng.enforcement.models import CrimeTransfer, PenaltyCase
from qingcheng.enforcement.penalty import services as penalty_services
from qingcheng.enforcement.penalty import workflow as penalty_workflow
from qingcheng.enforcement.transfers import services as transfer_services
from qingcheng.enforcement.transfers import workflow as transfer_workflow

DOOR = TransitionTable(
    [
        Transition("open", frozenset({"closed"}), "open", "door.open", "开门", effect="opened"),
        Transition("close", frozenset({"open"}), "closed", "door.close", "关门", effect="closed"),
        Transition("knock", frozenset({"open", "closed"}), None, "", "敲门"),
    ]
)


def test_lookup_finds_the_transition_of_a_state_and_action():
    assert DOOR.lookup("closed", "open").target == "open"
    assert DOOR.lookup("open", "knock").target is None
    assert DOOR.lookup("open", "open") is None
    assert DOOR.lookup("ajar", "close") is None


def test_actions_from_keeps_table_order_and_actions_are_unique():
    assert [t.action for t in DOOR.actions_from("closed")] == ["open", "knock"]
    assert [t.action for t in DOOR.actions_from("open")] == ["close", "knock"]
    assert DOOR.actions_from("ajar") == []
    assert DOOR.actions == ("open", "close", "knock")
    assert set(DOOR.by_action()) == {"open", "close", "knock"}
    assert len(DOOR) == 3 and list(DOOR) == list(DOOR.transitions)


def test_effects_and_unhandled():
    assert DOOR.effects() == {"opened", "closed"}
    assert DOOR.unhandled({"opened": None, "closed": None}) == (frozenset(), frozenset())
    assert DOOR.unhandled({"opened": None, "slammed": None}) == ({"closed"}, {"slammed"})


def test_transitions_are_frozen_and_a_table_refuses_two_rows_for_one_state_and_action():
    step = DOOR.lookup("closed", "open")
    with pytest.raises(FrozenInstanceError):
        step.target = "ajar"
    with pytest.raises(ValueError, match="two transitions"):
        TransitionTable(
            [
                Transition("open", frozenset({"closed"}), "open", "door.open"),
                Transition("open", frozenset({"closed", "locked"}), "ajar", "door.open"),
            ]
        )


def test_invalid_transition_is_one_409_code():
    error = InvalidTransition("closed", "close", what_zh="门", what_en="door", status_label="已关")
    assert isinstance(error, Conflict)
    assert (error.status, error.code) == (409, "invalid_transition")
    assert error.details == {"status": "closed", "action": "close"}
    assert "已关" in error.message_zh and "门" in error.message_zh
    assert error.message_en == "a door in state 'closed' does not allow 'close'"


def test_stale_version_is_one_409_code_and_require_version_raises_only_when_stale():
    require_version(None, 3)
    require_version(3, 3)
    require_version("3", 3)
    with pytest.raises(StaleVersion) as caught:
        require_version(2, 3, what_zh="案卷", what_en="case")
    error = caught.value
    assert isinstance(error, Conflict)
    assert (error.status, error.code) == (409, "stale_version")
    assert error.details == {"expected": 2, "current": 3, "version": 3}
    assert error.message_zh.startswith("案卷")


# (table, its handler dictionary, the record's states)
WORKFLOWS = {
    "cases": (case_workflow.TABLE, case_services.HANDLERS, Case.Status.values),
    "penalty": (penalty_workflow.TABLE, penalty_services.EFFECTS, PenaltyCase.Status.values),
    "transfer": (transfer_workflow.TABLE, transfer_services.EFFECTS, CrimeTransfer.Status.values),
    "hidden_danger": (
        emergency_workflow.DANGERS,
        danger_services.DANGER_EFFECTS,
        HiddenDanger.Status.values,
    ),
    "incident": (emergency_workflow.INCIDENTS, incident_services.INCIDENT_EFFECTS, Incident.Status.values),
}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_every_effect_has_a_handler_and_every_handler_an_effect(name):
    table, handlers, _states = WORKFLOWS[name]
    missing, dead = table.unhandled(handlers)
    assert not missing, f"{name}: effects without a handler: {sorted(missing)}"
    assert not dead, f"{name}: handlers no transition names: {sorted(dead)}"
    assert all(callable(h) for h in handlers.values())


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_every_table_names_only_states_of_its_record(name):
    table, _handlers, states = WORKFLOWS[name]
    assert isinstance(table, TransitionTable) and len(table) > 0
    for step in table:
        assert isinstance(step, Transition)
        assert step.sources <= set(states), step.action
        assert step.target is None or step.target in states, step.action
        for source in step.sources:
            assert table.lookup(source, step.action) is step
