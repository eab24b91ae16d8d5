"""Checks of user input shared by the services: each raises `ValidationFailed` with a zh-Hans and an
English message naming the field, so bad input always gets a clear 4xx."""

from __future__ import annotations

from typing import Any

from django.db import models

from .errors import ValidationFailed


def text(value: Any, field: str, zh: str, en: str, *, required: bool = True, max_length: int = 0) -> str:
    result = ("" if value is None else str(value)).strip()
    if required and not result:
        raise ValidationFailed(f"请填写{zh}", f"{en} is required", field=field, code="required")
    if max_length and len(result) > max_length:
        raise ValidationFailed(
            f"{zh}过长（最多 {max_length} 字）", f"{en} is too long (at most {max_length})", field=field
        )
    return result


def choice(value: Any, choices: type[models.Choices], field: str, zh: str, en: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(
            f"{zh}无效", f"invalid {en}", field=field, details={"allowed": list(choices.values)}
        )
    return value


def whole_number(
    value: Any, field: str, zh: str, en: str, *, minimum: int = 0, maximum: int | None = None
) -> int:
    if isinstance(value, bool):
        raise ValidationFailed(f"{zh}必须是整数", f"{en} must be an integer", field=field)
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationFailed(f"{zh}必须是整数", f"{en} must be an integer", field=field) from None
    if isinstance(value, float) and number != value:
        raise ValidationFailed(f"{zh}必须是整数", f"{en} must be an integer", field=field)
    if number < minimum:
        raise ValidationFailed(f"{zh}不能小于{minimum}", f"{en} must be at least {minimum}", field=field)
    if maximum is not None and number > maximum:
        raise ValidationFailed(f"{zh}不能大于{maximum}", f"{en} must be at most {maximum}", field=field)
    return number
