"""The state mapping: every case state has both wire statuses, and they never disagree."""

from qingcheng.cases.models import Case
from qingcheng.cases.workflow import OPEN_STATES, TERMINAL_STATES
from qingcheng.open311.statuses import (
    EXTENDED,
    EXTENDED_STATUSES,
    OUTBOUND_STATUSES,
    extended_status,
    simple_status,
    status_filter,
)

# FixMyStreet's state types (perllib/FixMyStreet/DB/ResultSet/State.pm and the default states).
FMS_CLOSED_TYPE = {
    "FIXED",
    "CLOSED",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "CANCELLED",
}


def test_every_state_maps_and_open_closed_agree_with_fixmystreet_types():
    assert set(EXTENDED) == set(Case.Status.values)
    for state in Case.Status.values:
        extended = extended_status(state)
        assert extended in OUTBOUND_STATUSES
        assert (simple_status(state) == "closed") == (extended in FMS_CLOSED_TYPE), state
    assert {s for s in Case.Status.values if simple_status(s) == "open"} == set(OPEN_STATES)


def test_refinements_by_timeline_entry():
    # A reopened case goes out as an open status FixMyStreet knows, never REOPEN (its map_state does
    # not know it and would leave its copy fixed).
    assert extended_status("handling", action="callback", from_status="closed") == "IN_PROGRESS"
    assert extended_status("opened", action="callback", from_status="closed") == "OPEN"
    assert "REOPEN" in EXTENDED_STATUSES and "REOPEN" not in OUTBOUND_STATUSES
    for state in Case.Status.values:
        for action in ("callback", "check", "approve_return", "cancel", "close", ""):
            for before in Case.Status.values:
                assert extended_status(state, action=action, from_status=before) in OUTBOUND_STATUSES
    assert extended_status("closed", action="callback", from_status="closed") == "FIXED"
    assert (
        extended_status("cancelled", action="cancel", reason="已移交110：斗殴")
        == "NOT_COUNCILS_RESPONSIBILITY"
    )
    assert extended_status("cancelled", action="cancel", reason="重复上报") == "NO_FURTHER_ACTION"


def test_status_filter():
    assert status_filter({"closed"}) == set(TERMINAL_STATES)
    assert status_filter({"open"}) == set(OPEN_STATES)
    assert status_filter({"open", "closed"}) == set(Case.Status.values)
