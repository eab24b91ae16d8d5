"""Periodic jobs of emergency management (run by `manage.py run_jobs`): which sweep runs how often."""

from qingcheng.core.jobs_registry import periodic

from .services.dangers import hidden_danger_overdue_sweep

# Mark hidden dangers past their rectification deadline overdue and escalate them.
periodic(15 * 60)(hidden_danger_overdue_sweep)
