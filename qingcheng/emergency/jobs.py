"""Periodic jobs of emergency management (run by `manage.py run_jobs`)."""

from qingcheng.core.jobs_registry import periodic

from .services import hidden_danger_sweep_overdue


@periodic(15 * 60)
def sweep_overdue_hidden_dangers() -> dict[str, int]:
    """Mark hidden dangers past their rectification deadline overdue and escalate them."""
    return hidden_danger_sweep_overdue()
