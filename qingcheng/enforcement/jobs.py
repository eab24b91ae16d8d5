"""Periodic jobs of administrative enforcement (run by `manage.py run_jobs`): which sweep runs how often."""

from qingcheng.core.jobs_registry import periodic

from .disclosure.services import credit_expiry_sweep
from .payments.services import payments_sweep
from .penalty.services import penalty_deadline_sweep
from .transfers.services import transfer_sweep

# Warn officers before each statutory period falls due; flag agency periods overdue to the head.
periodic(15 * 60)(penalty_deadline_sweep)
# Mark unpaid fines overdue, cash collected on the spot not banked in time, court windows closing.
periodic(5 * 60)(payments_sweep)
# Record transfer steps past their statutory period (国务院令第310号) in the audit log.
periodic(5 * 60)(transfer_sweep)
# End credit records whose longest publication period is over.
periodic(60 * 60)(credit_expiry_sweep)
