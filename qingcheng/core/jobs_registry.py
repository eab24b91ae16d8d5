"""Periodic jobs: sweeps registered in each app's `jobs.py` with `periodic(seconds)`.

Every job is a function `<thing>_sweep(*, now)` (a service, or a small function in `jobs.py`); the loop
passes the business clock's time as `now`, tests pass the instant they need. `manage.py run_jobs` imports
every installed app's `jobs` module and runs each job when it is due.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

from qingcheng.core import clock

logger = logging.getLogger("qingcheng.jobs")


Sweep = Callable[..., object]  # called as sweep(now=...)


@dataclass
class Job:
    name: str
    func: Sweep
    every_seconds: int
    next_run: float = field(default=0.0)


_REGISTRY: dict[str, Job] = {}


def periodic(every_seconds: int) -> Callable[[Sweep], Sweep]:
    def register(func: Sweep) -> Sweep:
        name = f"{func.__module__}.{func.__qualname__}"
        _REGISTRY[name] = Job(name=name, func=func, every_seconds=every_seconds)
        return func

    return register


def discover() -> dict[str, Job]:
    # Django's own discovery (as for admin.py): imports every installed app's `jobs` module if it has one.
    autodiscover_modules("jobs")
    return _REGISTRY


def run_due(now: float | None = None) -> list[str]:
    """Run every job that is due; a failing job is logged and does not stop the others."""
    now = time.monotonic() if now is None else now
    ran = []
    for job in discover().values():
        if job.next_run > now:
            continue
        try:
            result = job.func(now=clock.now())
            logger.info("job %s done: %s", job.name, result)
        except Exception:
            logger.exception("job %s failed", job.name)
        job.next_run = now + job.every_seconds
        ran.append(job.name)
    return ran
