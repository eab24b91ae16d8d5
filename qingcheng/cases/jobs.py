"""Periodic work of the case loop, run by `manage.py run_jobs`: which sweep runs how often."""

from qingcheng.core.jobs_registry import periodic

from .services.sweeps import case_overdue_sweep, case_public_photo_sweep

periodic(60)(case_overdue_sweep)
periodic(30)(case_public_photo_sweep)
