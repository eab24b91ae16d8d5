"""Reading Open311 parameters: an empty parameter is an absent one, lists are comma-separated, times are
W3C date-times with an offset (in posted values also a local time, read in the jurisdiction's zone),
`attribute[CODE]` and `attribute[CODE][]` carry the answers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.http import QueryDict
from django.utils import timezone

from qingcheng.core.errors import ValidationFailed
from qingcheng.core.inputs import MAX_YEAR, MIN_YEAR, date_in_range

from .errors import Open311Error, bad_request

MAX_RANGE = timedelta(days=90)
MAX_RESULTS = 1000
MAX_LIST_ITEMS = 1000
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,40})\](\[\])?$")
W3C_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$")
W3C_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What an HTML <input type="datetime-local"> submits (FixMyStreet renders datetime questions with it):
# minutes, optionally seconds and a fraction, no offset. The specification also allows a space for the T.
LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")


def get(data: QueryDict, name: str) -> str | None:
    """The parameter's value, stripped; empty or blank counts as absent."""
    value = data.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def get_list(data: QueryDict, name: str) -> list[str]:
    """A comma-separated list (the parameter may also repeat), empty items dropped, order kept."""
    items: list[str] = []
    for raw in data.getlist(name):
        for part in raw.split(","):
            part = part.strip()
            if part and part not in items:
                items.append(part)
    if len(items) > MAX_LIST_ITEMS:
        raise bad_request(
            "too_many_values", f"{name} 的取值过多", f"{name} lists more than {MAX_LIST_ITEMS} values"
        )
    return items


def parse_datetime(value: str, name: str, *, local_zone: tzinfo | None = None) -> datetime:
    """A W3C date-time with its offset (`2026-03-01T08:00:00+08:00`, `...Z`); a bare date is the start of
    that day in the city's time zone. Without `local_zone` a time without an offset is refused: in a
    filter it would be ambiguous. With it (posted answers and update times, which forms fill from an
    HTML datetime-local field) such a time is read in that zone."""
    text = value.strip()
    try:
        if W3C_DATE.match(text):
            day = _in_window(date.fromisoformat(text), name)
            return timezone.make_aware(datetime.combine(day, time.min), local_zone)
        if W3C_DATETIME.match(text):
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                return _in_window(parsed, name)
        if local_zone is not None and LOCAL_DATETIME.match(text):
            return _in_window(datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=local_zone), name)
    except ValueError:
        pass
    if local_zone is not None:
        raise bad_request(
            "invalid_datetime",
            f"{name} 须为日期时间，如 2026-03-01T08:00（本城市时间）或 2026-03-01T08:00:00+08:00",
            f"{name} must be a date and time, e.g. 2026-03-01T08:00 (local time) or 2026-03-01T08:00:00+08:00",
        )
    raise bad_request(
        "invalid_datetime",
        f"{name} 须为带时区的 W3C 时间，如 2026-03-01T08:00:00+08:00",
        f"{name} must be a W3C datetime with a time zone, e.g. 2026-03-01T08:00:00+08:00",
    )


def _in_window(value: date, name: str):
    """Far-past and far-future dates overflow the range arithmetic (`9999-12-31` plus 90 days)."""
    try:
        return date_in_range(value)
    except ValidationFailed:
        raise bad_request(
            "date_out_of_range",
            f"{name} 须在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间",
            f"{name} must lie between the years {MIN_YEAR} and {MAX_YEAR}",
        ) from None


def w3c(value: datetime | None) -> str | None:
    """A time on the wire: the city's local time with its offset, to the second."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def parse_float(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise bad_request("invalid_number", f"{name} 须为数字", f"{name} must be a number")
    return number


def parse_positive_int(value: str | None, name: str, *, default: int, maximum: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise bad_request("invalid_number", f"{name} 须为正整数", f"{name} must be a positive whole number")
    return min(int(value), maximum)


@dataclass(frozen=True)
class DateRange:
    start: datetime
    end: datetime


def date_range(data: QueryDict, now: datetime) -> DateRange:
    """`start_date`/`end_date`: at most 90 days apart. One of them alone means 90 days from or up to it;
    neither means the most recent 90 days."""
    problems: list[Open311Error] = []
    start = end = None
    for name in ("start_date", "end_date"):
        value = get(data, name)
        if value is None:
            continue
        try:
            parsed = parse_datetime(value, name)
        except Open311Error as exc:
            problems.append(exc)
            continue
        if name == "start_date":
            start = parsed
        else:
            end = parsed
    if problems:
        raise Open311Error.combine(problems)
    if start is None and end is None:
        end = now
    if start is None:
        start = end - MAX_RANGE
    if end is None:
        end = start + MAX_RANGE
    if end < start:
        raise bad_request(
            "invalid_date_range", "end_date 早于 start_date", "end_date is earlier than start_date"
        )
    if end - start > MAX_RANGE:
        raise bad_request(
            "date_range_too_long",
            "start_date 与 end_date 相隔不能超过 90 天",
            "the date range may not span more than 90 days",
        )
    return DateRange(start=start, end=end)


def attributes(data: QueryDict) -> dict[str, list[str]]:
    """`attribute[CODE]=v` and `attribute[CODE][]=v1&attribute[CODE][]=v2` as {code: [values]}."""
    answers: dict[str, list[str]] = {}
    for key in data:
        match = ATTRIBUTE_KEY.match(key)
        if match is None:
            continue
        values = [v.strip() for v in data.getlist(key) if v and v.strip()]
        if values:
            answers.setdefault(match.group(1), []).extend(values)
    return answers
