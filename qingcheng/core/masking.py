"""Masking of personal data (个人信息脱敏) for lists, exports, public pages and logs.

Fields that hold one known value are masked by their own helper: names keep the surname (张*), phone
numbers keep 3+4 digits (138****5678), resident ID numbers keep 4+4 characters (1501**********1234).

Free text (descriptions, notes, work-order content, log lines) goes through `mask_personal_text`, the one
function every public or unprivileged output uses. It finds, however they are written:
- mainland mobiles: bare, grouped with spaces, hyphens or dots, with +86 / 0086 / (+86) / 86 in front;
- landlines with an area code: 0471-6012345, 0471 6012345, (0471)6012345, 04716012345, with extension;
- resident ID numbers: 18 characters (last one X/x), the 15-digit first generation, spaced or hyphenated;
- e-mail addresses;
also in full-width digits and punctuation (１３８…, ＋８６, （０４７１）) or a mix of full and half width.
Detection reads a half-width copy of the text; the text itself is kept as written except that the masked
characters become `*`, so the surrounding words, the separators and the kept digits stay as they were.

What is left alone on purpose: case numbers (14 digits), 16-digit component codes, dates, amounts,
coordinates (`111.70 40.80`) and 15-digit grid codes. A grid code has the shape of a first-generation ID
number (6-digit area, then street and community codes where the birth date would be), so a bare 15-digit
number counts as an ID number only when an ID word (身份证, 证件, ID …) stands just before it, or when it
is not introduced as a code (网格, 编码, grid …) and its middle six digits are a birth date in 1930–1999
(a street code of 300 or more, where a grid code could look like that, is rare). First-generation cards
have been invalid since 2013, so this errs on the side of keeping codes readable.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from django.utils.translation import gettext

# Compound surnames that must stay whole when a name is masked.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "端木",
        "呼延",
        "独孤",
        "南宫",
    ]
)

MASK = "*"


# Staff categories of `accounts.User` (kept as strings: core imports no app).
STAFF_CATEGORIES = frozenset({"official", "auxiliary", "contractor"})


def may_see_login_names(viewer: Any) -> bool:
    """Only those who manage accounts see login names; everyone else sees display names."""
    # Imported here: the logging configuration loads this module before Django's apps are ready.
    from .access import has_permission

    return has_permission(viewer, "accounts.manage_accounts")


def is_staff_viewer(viewer: Any) -> bool:
    """A logged-in member of staff (officials, auxiliaries, contractors), as opposed to the public and
    client applications."""
    return bool(
        viewer is not None
        and getattr(viewer, "is_authenticated", False)
        and getattr(viewer, "is_active", False)
        and (
            getattr(viewer, "is_superuser", False)
            or getattr(viewer, "staff_category", "") in STAFF_CATEGORIES
        )
    )


def person_label(person: Any, *, viewer: Any) -> str:
    """How a user is named to `viewer`. A login name is half a credential, not a name: only those who
    manage accounts see it. Staff are named by their display name to staff and masked (张*) to everyone
    else; members of the public are always masked (their name is personal data); client applications
    and system accounts by their display name."""
    if person is None:
        return ""
    display = (getattr(person, "display_name", "") or "").strip()
    if may_see_login_names(viewer):
        return display or person.username
    category = getattr(person, "staff_category", "official")
    if category == "system":
        return display or gettext("system")
    if category not in STAFF_CATEGORIES:
        return mask_name(display) or gettext("Member of the public")
    if is_staff_viewer(viewer):
        return display or gettext("Staff member %(id)s") % {"id": person.pk}
    return mask_name(display) or gettext("Staff member")


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    name = name.strip()
    if not name:
        return ""
    if all(ord(ch) < 128 for ch in name):
        # Latin names: keep the initial of the first word only.
        first = name.split()[0]
        return first[0] + "*" * max(len(first) - 1, 1)
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    if len(name) <= keep:
        return name[0] + "*"
    return name[:keep] + "*" * (len(name) - keep)


def mask_phone(phone: str | None) -> str:
    """A field that holds one phone number, in any writing: a mobile keeps 3+4 digits (a country code in
    front is dropped), a landline its area code and last 2 digits, anything shorter nothing."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", _half_width(phone))
    if (len(digits) == 13 and digits.startswith("86")) or (len(digits) == 15 and digits.startswith("0086")):
        digits = digits[-11:]
    if len(digits) == 11 and digits[0] == "1":
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 8:
        area = 3 if digits[:2] in ("01", "02") else 4
        return digits[:area] + "*" * (len(digits) - area - 2) + digits[-2:]
    return "*" * len(digits)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    value = re.sub(r"[\s-]", "", _half_width(value.strip()))
    if len(value) == 18:
        return f"{value[:4]}{'*' * 10}{value[-4:]}"
    if len(value) == 15:
        return f"{value[:4]}{'*' * 7}{value[-4:]}"
    return "*" * len(value)


def mask_address(value: str | None) -> str:
    """An address (地址) with only its first six characters (city and district) kept."""
    if not value:
        return ""
    return value[:6] + "****" if len(value) > 6 else "****"


# ------------------------------------------------------------------------------------------ free text

# Dashes people type between digit groups, besides the hyphen-minus.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"


def _half_width_char(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII (１, ＋, （, ＠, Ｘ …)
        return chr(code - 0xFEE0)
    if ch.isdecimal():  # any other decimal digit
        return str(unicodedata.decimal(ch))
    if ch in _DASHES:
        return "-"
    if ch.isspace():
        return " "
    return ch


def _half_width(text: str) -> str:
    """The text with full-width characters, other digits, dashes and spaces made plain ASCII, one
    character for one, so a position in the copy is the same position in the text."""
    return "".join(_half_width_char(ch) for ch in text)


# Between two digits of one number: nothing, or up to three spaces, hyphens or dots (138 - 1234 - 5678).
_SEP = r"[ \-.]{0,3}"


def _run(count: int, first: str = "[0-9]") -> str:
    return first + f"(?:{_SEP}[0-9]){{{count - 1}}}"


_ID_18 = re.compile(rf"(?<![0-9])(?P<number>{_run(17, '[1-9]')}{_SEP}[0-9Xx])(?![0-9])")
_ID_15 = re.compile(rf"(?<![0-9])(?P<number>{_run(15, '[1-9]')})(?![0-9])")
_MOBILE = re.compile(
    r"(?<![0-9])(?:(?:\+|00)[ -]?86[ -]?|\( ?(?:\+|00)?86 ?\)[ -]?|86[ -]?)?"
    rf"(?P<number>1{_SEP}[3-9](?:{_SEP}[0-9]){{9}})(?![0-9])"
)
_LANDLINE = re.compile(
    r"(?<![0-9])(?:\( ?(?P<bracketed>0[0-9]{2,3}) ?\)|(?P<area>0[0-9]{2,3}))"
    rf"{_SEP}(?P<local>[1-9][0-9]{{2,3}}[ \-]?[0-9]{{4}})"
    r"(?:[ ]*(?:转|分机|ext\.?|x|#|-)[ ]*[0-9]{1,6})?(?![0-9])",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+\-]*)@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"
    r"\.[A-Za-z]{2,}"
)
# Words just before a 15-digit number that say what it is.
_ID_WORDS = re.compile(r"身份|证件|证号|(?<![A-Za-z])(?:ID|I\.D\.)(?![A-Za-z])", re.IGNORECASE)
_CODE_WORDS = re.compile(r"网格|部件|编码|代码|编号|案卷|案号|grid|code", re.IGNORECASE)
_CUE_WINDOW = 12


def _positions(shadow: str, start: int, end: int, chars: str = "0123456789") -> list[int]:
    return [i for i in range(start, end) if shadow[i] in chars]


def _birth_date(digits: str) -> dt.date | None:
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _decimal_like(match: re.Match, group: str = "number") -> bool:
    """Dots group a number only when they are its sole separator and there are several (138.1234.5678);
    otherwise they are decimal points (131.12345678, a coordinate pair 111.703456 40.8012)."""
    text = match.group(group)
    dots = text.count(".")
    return dots > 0 and (dots == 1 or bool(re.search(r"[ \-]", text)))


def _id_18(shadow: str, match: re.Match) -> list[int] | None:
    if _decimal_like(match):
        return None
    places = _positions(shadow, *match.span("number"), chars="0123456789Xx")
    digits = "".join(shadow[i] for i in places)
    born = _birth_date(digits[6:14])
    if born is None or not 1900 <= born.year <= 2099:
        return None
    return places[4:-4]


def _id_15(shadow: str, match: re.Match) -> list[int] | None:
    if _decimal_like(match):
        return None
    places = _positions(shadow, *match.span("number"))
    digits = "".join(shadow[i] for i in places)
    before = shadow[max(0, match.start() - _CUE_WINDOW) : match.start()]
    if not _ID_WORDS.search(before):
        if _CODE_WORDS.search(before) or int(digits[6:8]) < 30:
            return None
        if _birth_date("19" + digits[6:12]) is None:
            return None
    return places[4:-4]


def _mobile(shadow: str, match: re.Match) -> list[int] | None:
    if _decimal_like(match):
        return None
    return _positions(shadow, *match.span("number"))[3:7]


def _landline(shadow: str, match: re.Match) -> list[int] | None:
    if _decimal_like(match, "local"):
        return None
    if match.group("bracketed"):
        # The brackets say where the area code ends; the local number keeps its last 2 digits.
        return _positions(shadow, *match.span("local"))[:-2]
    area = _positions(shadow, match.start("area"), match.end("area"))
    local = _positions(shadow, *match.span("local"))
    digits = area + local
    # 010 and 02x are the three-digit area codes (Beijing, Shanghai, Tianjin, Chongqing, big cities).
    area_length = 3 if "".join(shadow[i] for i in digits[:2]) in ("01", "02") else 4
    return digits[area_length:-2]


def _email(shadow: str, match: re.Match) -> list[int] | None:
    start, end = match.span("local")
    return list(range(start + 1, end))


_FINDERS: tuple[tuple[re.Pattern, Callable[[str, re.Match], list[int] | None]], ...] = (
    (_ID_18, _id_18),
    (_ID_15, _id_15),
    (_MOBILE, _mobile),
    (_LANDLINE, _landline),
    (_EMAIL, _email),
)


def _hits(
    pattern: re.Pattern, check: Callable[[str, re.Match], list[int] | None], shadow: str
) -> Iterator[int]:
    position = 0
    while (match := pattern.search(shadow, position)) is not None:
        hidden = check(shadow, match)
        if hidden is None:
            # Not one of ours: a shorter number may still start inside it.
            position = match.start() + 1
            continue
        yield from hidden
        position = match.end()


def mask_personal_text(text: str | None) -> str:
    """`text` with every phone number, ID number and e-mail address in it masked (see the module's
    docstring for the forms found and the numbers left alone)."""
    if not text:
        return ""
    chars = list(text)
    shadow = list(_half_width(text))
    for pattern, check in _FINDERS:
        hidden = list(_hits(pattern, check, "".join(shadow)))
        for index in hidden:
            chars[index] = MASK
            shadow[index] = MASK
    return "".join(chars)


def mask_personal_data(value: object) -> object:
    """`mask_personal_text` applied to every string inside a JSON-like value (dicts, lists)."""
    if isinstance(value, str):
        return mask_personal_text(value)
    if isinstance(value, dict):
        return {key: mask_personal_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_personal_data(item) for item in value]
    return value


def personal_text(shown: bool) -> Callable[[str], str]:
    """The text as written for a reader who may see personal data, masked for everyone else."""
    return _unchanged if shown else mask_personal_text


def _unchanged(text: str | None) -> str:
    return text or ""


class PersonalDataLogFilter(logging.Filter):
    """Rewrites every log record, its traceback included, so an ID or phone number never reaches a log."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not stop logging
            return True
        masked = mask_personal_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_text(record.stack_info)
        return True
