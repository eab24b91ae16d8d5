"""Periodic jobs of the shared kernel."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from qingcheng.core.audit import audit_seal
from qingcheng.core.jobs_registry import periodic
from qingcheng.core.worktime import calendar_warnings, deadline_recompute_provisional

logger = logging.getLogger("qingcheng.worktime")


@periodic(3600)
def calendar_coverage_sweep(*, now: dt.datetime | None = None) -> int:
    """Log each working-time calendar warning (a year without an official holiday schedule); returns
    how many there are, so the jobs loop's log line shows it."""
    warnings = calendar_warnings(timezone.localdate(now) if now else None)
    for warning in warnings:
        logger.warning("%s", warning)
    return len(warnings)


@periodic(3600)
def provisional_deadline_sweep(*, now: dt.datetime | None = None) -> int:
    """Recompute provisional deadlines whose year has become official without anyone marking it, i.e.
    after an upgrade of `chinesecalendar` covers it; marking a year official recomputes at once.
    (`now` is unused: every sweep takes it.)"""
    return deadline_recompute_provisional()


@periodic(5)
def audit_seal_sweep(*, now: dt.datetime | None = None) -> int:
    """Chain the audit entries written since the last run (see core.audit; `now` is unused)."""
    return audit_seal()
