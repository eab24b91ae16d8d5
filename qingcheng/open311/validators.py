"""Field checks of the Open311 tables, shared by the admin forms, the seed data and the migrations."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# An attribute code becomes part of a parameter name (`attribute[CODE]`). FixMyStreet's client sends
# parameter names as they are and only encodes the values, so a non-ASCII code makes it encode the whole
# form twice: codes are kept to ASCII letters, digits, `_` and `-`.
ATTRIBUTE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def validate_attribute_code(value: str) -> None:
    if not ATTRIBUTE_CODE.match(value or ""):
        raise ValidationError(
            _(
                "Use only ASCII letters, digits, _ and - (at most 40): clients send the code as a parameter name"
            ),
            code="invalid_attribute_code",
        )


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("Not a time zone of the IANA database, e.g. Asia/Shanghai"), code="invalid_time_zone"
        ) from exc


def ascii_attribute_code(code: str, *, taken: set[str], order: int) -> str:
    """The code that replaces one which is not ASCII: `q<order>` (the question's position), made unique
    among the codes `taken` in its subclass."""
    if ATTRIBUTE_CODE.match(code or ""):
        return code
    base = f"q{order}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
