"""Periodic sensing jobs (run by `manage.py run_jobs`)."""

from __future__ import annotations

from qingcheng.core.jobs_registry import periodic

from .services import stale_sweep


@periodic(60)
def sensing_stale_devices() -> int:
    """Raise stale-data alarms for devices that stopped reporting."""
    return stale_sweep()
