"""Periodic jobs of administrative enforcement (run by `manage.py run_jobs`)."""

from qingcheng.core.jobs_registry import periodic

from . import disclosure, payments, services, transfers


@periodic(15 * 60)
def enforcement_deadline_sweep() -> dict[str, int]:
    """Warn officers before each statutory period falls due; flag agency periods overdue to the head."""
    return services.penalty_deadline_sweep()


@periodic(5 * 60)
def enforcement_payments_sweep() -> dict[str, int]:
    """Mark unpaid fines overdue, cash collected on the spot not banked in time, court windows closing."""
    return payments.payments_sweep()


@periodic(5 * 60)
def enforcement_transfer_sweep() -> dict[str, int]:
    """Record transfer steps past their statutory period (国务院令第310号) in the audit log."""
    return transfers.transfer_sweep()


@periodic(60 * 60)
def enforcement_credit_expiry() -> int:
    """End credit records whose longest publication period is over."""
    return disclosure.credit_expire_sweep()
