"""Masking of personal data (个人信息脱敏) for lists, exports, public pages and logs.

Names keep the surname (张*), phone numbers keep 3+4 digits (138****5678), resident ID numbers keep
4+4 characters (1501**********1234). A value that is too short to keep anything safely is masked whole.
"""

from __future__ import annotations

import logging
import re
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

ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


# Staff categories of `accounts.User` (kept as strings: core imports no app).
STAFF_CATEGORIES = frozenset({"official", "auxiliary", "contractor"})


def may_see_login_names(viewer: Any) -> bool:
    """Only those who manage accounts see login names; everyone else sees display names."""
    return bool(
        viewer is not None
        and getattr(viewer, "is_authenticated", False)
        and getattr(viewer, "is_active", False)
        and viewer.has_perm("accounts.manage_accounts")
    )


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
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 8:
        # Landlines (0471-6012345): keep the area code part and the last 2 digits.
        return digits[:4] + "*" * (len(digits) - 6) + digits[-2:]
    return "*" * len(digits)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    value = value.strip()
    if len(value) == 18:
        return f"{value[:4]}{'*' * 10}{value[-4:]}"
    if len(value) == 15:
        return f"{value[:4]}{'*' * 7}{value[-4:]}"
    return "*" * len(value)


def mask_text(text: str) -> str:
    """Mask ID numbers and mobile numbers wherever they appear in free text (logs, notes)."""
    text = ID_NUMBER_RE.sub(lambda m: m.group(1)[:4] + "*" * 10 + m.group(3)[-4:], text)
    return MOBILE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class PersonalDataLogFilter(logging.Filter):
    """Rewrites every log record so an ID or mobile number never reaches a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not stop logging
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
