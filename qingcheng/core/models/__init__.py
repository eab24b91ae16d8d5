"""Tables of the shared kernel. Each concern lives in its own module; import them here for Django."""

from .audit import AuditChainHead, AuditEntry
from .base import AreaScopedModel, PublicIdModel, TimeStampedModel
from .worktime import CalendarOverride, CalendarYear, Deadline, WorkSchedule

__all__ = [
    "AreaScopedModel",
    "AuditChainHead",
    "AuditEntry",
    "CalendarOverride",
    "CalendarYear",
    "Deadline",
    "PublicIdModel",
    "TimeStampedModel",
    "WorkSchedule",
]
