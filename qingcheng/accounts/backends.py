"""Authentication backend with login throttling and the auxiliary rule at permission-check time."""

from __future__ import annotations

import time

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from qingcheng.core.http import client_address

from . import services
from .roles import enforcement_permissions

# Permission sets are read from the database on every request with a fresh user object (every API call).
# They change rarely, so each process keeps them for PERMISSION_CACHE_SECONDS and drops them at once when
# this process changes a user's groups or permissions or a group's permissions (signals.py). Another
# process sees a revocation within the cache period.
PERMISSION_CACHE_SECONDS = 30.0
_permission_cache: dict[tuple[int, str], tuple[float, set[str]]] = {}


def forget_permissions(*args, **kwargs) -> None:
    _permission_cache.clear()


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("username")
        if not username or password is None:
            return None
        attempt = services.login_attempt_begin(username=username, client_address=client_address(request))
        if attempt.locked:
            if request is not None:
                # The login forms read this to say "locked" rather than "wrong password".
                request.login_locked = True
            # PermissionDenied stops Django from trying other backends: a locked account stays locked.
            raise PermissionDenied("login locked")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        services.login_attempt_end(attempt=attempt, succeeded=user is not None)
        return user

    def _cached(self, user_obj, kind: str, load) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or user_obj.pk is None:
            return load(user_obj)
        key = (user_obj.pk, kind)
        hit = _permission_cache.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < PERMISSION_CACHE_SECONDS:
            return hit[1]
        perms = load(user_obj)
        _permission_cache[key] = (now, perms)
        return perms

    def get_user_permissions(self, user_obj, obj=None):
        if obj is not None:
            return set()
        return self._cached(
            user_obj, "user", lambda u: super(ThrottledModelBackend, self).get_user_permissions(u)
        )

    def get_group_permissions(self, user_obj, obj=None):
        if obj is not None:
            return set()
        return self._cached(
            user_obj, "group", lambda u: super(ThrottledModelBackend, self).get_group_permissions(u)
        )

    def has_perm(self, user_obj, perm, obj=None):
        if perm in enforcement_permissions() and getattr(user_obj, "is_auxiliary", False):
            return False
        return super().has_perm(user_obj, perm, obj)
