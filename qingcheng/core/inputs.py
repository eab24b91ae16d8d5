"""Checks of user input shared by the services: each raises `ValidationFailed` with a zh-Hans and an
English message naming the field, so bad input always gets a clear 4xx."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from typing import Annotated, Any

from django.db import models
from pydantic import AfterValidator

from .errors import ValidationFailed

# The dates the platform can reason about. Before 1949 there are no records of this government and
# past 2200 nothing is planned; outside the window datetime arithmetic overflows (year 1 at +14:00 has no
# UTC instant, 9999-12-31 plus a day has no date), so such input is refused at the edge with a 4xx.
MIN_YEAR = 1949
MAX_YEAR = 2200
# Real UTC offsets lie between -12:00 and +14:00.
MAX_UTC_OFFSET = dt.timedelta(hours=14)

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
    """`value` stripped: `required` (code `required`) when it is empty, `too_long` past `max_length`."""
    result = ("" if value is None else str(value)).strip()
    if has_lone_surrogate(result):
        raise lone_surrogate_error(field)
    if required and not result:
        raise ValidationFailed(f"请填写{zh}", f"{en} is required", field=field, code="required")
    if max_length and len(result) > max_length:
        raise ValidationFailed(
            f"{zh}过长（最多 {max_length} 字）",
            f"{en} is too long (at most {max_length})",
            field=field,
            code="too_long",
        )
    return result


def choice(value: Any, choices: type[models.Choices] | Collection[str], field: str, zh: str, en: str) -> str:
    """`value` is one of `choices`: a model's choices, or the keys of a table of the domain's own."""
    allowed = list(choices.values) if isinstance(choices, type) else list(choices)
    if value not in allowed:
        raise ValidationFailed(f"{zh}无效", f"invalid {en}", field=field, details={"allowed": allowed})
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


def area_code(value: Any, field: str = "area_code") -> str:
    """An area code (区域代码: GB/T 2260 county digits, then street and community): 1–15 digits."""
    code = "" if value is None else str(value)
    if not code.isdigit() or len(code) > 15:
        raise ValidationFailed("区域代码无效", "area code must be 1–15 digits", field=field)
    return code


def _out_of_range(field: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(
        f"{zh}须在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间",
        f"{en} must lie between the years {MIN_YEAR} and {MAX_YEAR}",
        field=field,
        code="date_out_of_range",
        details={"min_year": MIN_YEAR, "max_year": MAX_YEAR},
    )


def year_in_range(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def date_in_range(value: dt.date, field: str = "date", zh: str = "日期", en: str = "the date") -> dt.date:
    """`value` unchanged when its year lies in the window, else ValidationFailed `date_out_of_range`.
    A datetime is checked on its year and its UTC offset (at most ±14:00)."""
    if not year_in_range(value.year):
        raise _out_of_range(field, zh, en)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationFailed(
                f"{zh}的时区偏移须在 ±14:00 以内",
                f"the UTC offset of {en} must lie within ±14:00",
                field=field,
                code="invalid_utc_offset",
            )
    return value


def parse_date(raw: Any, field: str, zh: str = "日期", en: str = "the date") -> dt.date:
    """An ISO 8601 calendar date (`2026-11-26`) inside the window."""
    try:
        value = dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValidationFailed(
            f"{zh}格式无效（应为 YYYY-MM-DD）",
            f"{en} is not a date (YYYY-MM-DD)",
            field=field,
            code="invalid_date",
        ) from None
    return date_in_range(value, field, zh, en)


def parse_datetime(
    raw: Any, field: str, zh: str = "时间", en: str = "the time", *, aware: bool = True
) -> dt.datetime:
    """An ISO 8601 date and time inside the window; with `aware` it must carry a UTC offset."""
    text_value = str(raw).strip()
    try:
        value = (
            dt.datetime.fromisoformat(text_value.replace("Z", "+00:00")) if len(text_value) <= 40 else None
        )
    except ValueError:
        value = None
    if value is None or (aware and value.tzinfo is None):
        raise ValidationFailed(
            f"{zh}格式无效（应为带时区的 ISO 8601 时间）",
            f"{en} is not an ISO 8601 time with a UTC offset",
            field=field,
            code="invalid_time",
        )
    return date_in_range(value, field, zh, en)


def _pydantic_bounds(value: dt.date) -> dt.date:
    # pydantic reports a ValueError as a 422 with the field's location, like its own type errors.
    if not year_in_range(value.year):
        raise ValueError(f"the year must lie between {MIN_YEAR} and {MAX_YEAR}")
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValueError("the UTC offset must lie within ±14:00")
    return value


# Schema types for every API date and datetime (query parameters and bodies).
SaneDate = Annotated[dt.date, AfterValidator(_pydantic_bounds)]
SaneDatetime = Annotated[dt.datetime, AfterValidator(_pydantic_bounds)]
