"""API authentication: an API key (`X-API-Key` header) or a browser session with CSRF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, django_auth

from .services import api_key_authenticate


class ApiKeyAuth(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        user = api_key_authenticate(key)
        if user is None:
            return None
        request.user = user
        return user


api_auth = [ApiKeyAuth(), django_auth]
