"""The error model of the platform: HTTP status, a machine code and a message in zh-Hans and English.

Services raise `DomainError`; the API turns it into
`{"error": {"code", "message", "message_zh", "message_en", "details"}}` with the status, and pages show
the message in the user's language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


class DomainError(Exception):
    status: int = 400

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        if status is not None:
            self.status = status
        self.details = details or {}

    @property
    def message(self) -> str:
        language = (get_language() or "zh-hans").lower()
        return self.message_en if language.startswith("en") else self.message_zh

    def as_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "message_zh": self.message_zh,
                "message_en": self.message_en,
                "details": self.details,
            }
        }


class NotFound(DomainError):
    status = 404

    def __init__(self, what_zh: str = "记录", what_en: str = "record", **kwargs: Any) -> None:
        # Out-of-scope records are reported exactly like missing ones, so scope is not probeable.
        super().__init__("not_found", f"{what_zh}不存在", f"{what_en} not found", **kwargs)


class PermissionDeniedError(DomainError):
    status = 403

    def __init__(
        self,
        message_zh: str = "没有执行此操作的权限",
        message_en: str = "You do not have permission to do this",
        **kwargs: Any,
    ) -> None:
        super().__init__("permission_denied", message_zh, message_en, **kwargs)


class ValidationFailed(DomainError):
    status = 400

    def __init__(self, message_zh: str, message_en: str, *, field: str | None = None, **kwargs: Any) -> None:
        details = kwargs.pop("details", {}) or {}
        if field:
            details["field"] = field
        super().__init__(kwargs.pop("code", "invalid"), message_zh, message_en, details=details, **kwargs)


class Conflict(DomainError):
    status = 409
