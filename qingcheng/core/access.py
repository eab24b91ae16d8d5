"""Access checks that every app shares: a permission, and configuration that only city-wide users change."""

from __future__ import annotations

from typing import Any

from .errors import PermissionDeniedError
from .scope import is_city_wide


def require_permission(actor: Any, permission: str) -> None:
    """`actor=None` is the system itself (loaders, migrations, jobs) and may do anything."""
    if actor is None:
        return
    if not getattr(actor, "is_active", False) or not actor.has_perm(permission):
        raise PermissionDeniedError()


def require_city_wide(actor: Any, permission: str) -> None:
    """Global configuration: the permission, held by a user whose area is the whole city or above."""
    require_permission(actor, permission)
    if actor is not None and not is_city_wide(actor):
        raise PermissionDeniedError(
            "该配置对全市生效，只能由市级人员修改",
            "This configuration applies to the whole city and is changed only by city-wide staff",
        )
