"""Authentication backend with login throttling and the auxiliary rule at permission-check time."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import services
from .roles import enforcement_permissions


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("username")
        client_ip = services.client_ip(request)
        if username and services.login_is_locked(username=username, client_ip=client_ip):
            # PermissionDenied stops Django from trying other backends: a locked account stays locked.
            raise PermissionDenied("login locked")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if username:
            if user is None:
                services.login_record_failure(username=username, client_ip=client_ip)
            else:
                services.login_clear_failures(username=username)
        return user

    def has_perm(self, user_obj, perm, obj=None):
        if perm in enforcement_permissions() and getattr(user_obj, "is_auxiliary", False):
            return False
        return super().has_perm(user_obj, perm, obj)
