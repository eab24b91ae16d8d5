"""Periodic work of the case loop, run by `manage.py run_jobs`."""

from qingcheng.core.jobs_registry import periodic

from . import services


@periodic(60)
def case_overdue_sweep() -> dict[str, int]:
    return services.sweep_overdue()


@periodic(30)
def case_public_photo_copies() -> int:
    return services.make_public_photo_copies()
