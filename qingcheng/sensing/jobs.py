"""Periodic sensing jobs (run by `manage.py run_jobs`): which sweep runs how often."""

from __future__ import annotations

from qingcheng.core.jobs_registry import periodic

from .services import device_stale_sweep

# Raise stale-data alarms for devices that stopped reporting.
periodic(60)(device_stale_sweep)
