"""Periodic jobs: plain functions in each app's `jobs.py`, registered with `@periodic(seconds)`.

`manage.py run_jobs` imports every installed app's `jobs` module and runs each job when it is due;
tests call the functions directly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger("qingcheng.jobs")


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    every_seconds: int
    next_run: float = field(default=0.0)


_REGISTRY: dict[str, Job] = {}


def periodic(every_seconds: int) -> Callable[[Callable[[], object]], Callable[[], object]]:
    def register(func: Callable[[], object]) -> Callable[[], object]:
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
            result = job.func()
            logger.info("job %s done: %s", job.name, result)
        except Exception:
            logger.exception("job %s failed", job.name)
        job.next_run = now + job.every_seconds
        ran.append(job.name)
    return ran
