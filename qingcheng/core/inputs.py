"""Checks of user input shared by the services: each raises `ValidationFailed` with a zh-Hans and an
English message naming the field, so bad input always gets a clear 4xx."""

from __future__ import annotations

import re
from typing import Any

from django.db import models

from .errors import ValidationFailed

# A surrogate code point alone in a str: JSON's "\ud800" decodes to one. It cannot be encoded as UTF-8, so
# PostgreSQL, SQLite and every renderer fail on it; refused wherever text comes in. (A valid pair decodes
# to one code point above U+FFFF and never matches.)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: str) -> bool:
    return _LONE_SURROGATE.search(value) is not None


def lone_surrogate_error(field: str = "") -> ValidationFailed:
    return ValidationFailed(
        "文本含有无效字符（孤立的代理码位）",
        "text contains an invalid character (a lone surrogate)",
        field=field or None,
        code="invalid_text",
    )


def find_lone_surrogate(data: Any) -> str | None:
    """The path ("a.b[2]") of the first key or string with a lone surrogate in decoded JSON, else None.
    Iterative, so no nesting depth can exhaust the stack."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return path or "$"
        elif isinstance(item, dict):
            for key, value in item.items():
                key_text = str(key)
                if has_lone_surrogate(key_text):
                    return f"{path}.{key_text.encode('utf-8', 'replace').decode()}".lstrip(".")
                stack.append((f"{path}.{key_text}".lstrip("."), value))
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}[{index}]", value) for index, value in enumerate(item))
    return None


def text(value: Any, field: str, zh: str, en: str, *, required: bool = True, max_length: int = 0) -> str:
    result = ("" if value is None else str(value)).strip()
    if has_lone_surrogate(result):
        raise lone_surrogate_error(field)
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
