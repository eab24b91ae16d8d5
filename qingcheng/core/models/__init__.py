"""Tables of the shared kernel. Each concern lives in its own module; import them here for Django."""

from .audit import AuditChainHead, AuditEntry
from .base import AreaScopedModel, PublicIdModel, TimeStampedModel

__all__ = [
    "AreaScopedModel",
    "AuditChainHead",
    "AuditEntry",
    "PublicIdModel",
    "TimeStampedModel",
]
