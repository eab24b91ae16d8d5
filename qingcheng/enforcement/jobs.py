"""Periodic jobs of administrative enforcement (run by `manage.py run_jobs`)."""

from qingcheng.core.jobs_registry import periodic

from . import payments, services


@periodic(15 * 60)
def enforcement_deadline_sweep() -> dict[str, int]:
    """Warn officers before each statutory period falls due; flag agency periods overdue to the head."""
    return services.penalty_deadline_sweep()


@periodic(5 * 60)
def enforcement_payments_sweep() -> dict[str, int]:
    """Mark unpaid fines overdue, cash collected on the spot not banked in time, court windows closing."""
    return payments.payments_sweep()
