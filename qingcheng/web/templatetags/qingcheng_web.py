"""Template filters of the workbenches: dates in zh-Hans conventions, status colours, deadline urgency,
free text masked for readers without the personal-data permission."""

from __future__ import annotations

import json
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import get_language

from qingcheng.cases.models import Case
from qingcheng.cases.selectors import is_overdue_now
from qingcheng.core import clock
from qingcheng.core.masking import personal_text

register = template.Library()


@register.filter
def personal(value: str | None, shown: bool) -> str:
    """Free text (a description, a note, an address) whole when `shown` (the view's `see_personal`, from
    cases.selectors.sees_personal_data), masked otherwise: a page that forgets to say shows it masked."""
    return personal_text(bool(shown))(value or "")


S = Case.Status
_STATUS_COLOURS = {
    S.REPORTED: "info",
    S.VERIFYING: "info",
    S.VERIFIED: "info",
    S.OPENED: "primary",
    S.DISPATCHED: "primary",
    S.HANDLING: "primary",
    S.RETURN_REQUESTED: "warning",
    S.EXTENSION_REQUESTED: "warning",
    S.PARK_REQUESTED: "warning",
    S.PARKED: "secondary",
    S.DEFERRED: "secondary",
    S.FEEDBACK: "success",
    S.CHECKING: "success",
    S.CHECK_PASSED: "success",
    S.SELF_HANDLED: "success",
    S.CLOSED: "dark",
    S.CANCELLED: "light",
    S.MERGED: "light",
}


def _english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


@register.filter
def moment(value: datetime | None) -> str:
    """2026年11月26日 14:05 (zh-Hans) or 26 Nov 2026 14:05, in Beijing time."""
    if not value:
        return "—"
    local = timezone.localtime(value)
    return date_format(local, "j M Y H:i" if _english() else "Y年n月j日 H:i")


@register.filter
def short_moment(value: datetime | None) -> str:
    """11月26日 14:05 this year, 2025年11月26日 otherwise."""
    if not value:
        return "—"
    local = timezone.localtime(value)
    same_year = local.year == timezone.localtime(clock.now()).year
    if _english():
        return date_format(local, "j M H:i" if same_year else "j M Y")
    return date_format(local, "n月j日 H:i" if same_year else "Y年n月j日")


@register.filter
def status_colour(status: str) -> str:
    return _STATUS_COLOURS.get(status, "secondary")


@register.filter
def status_label(status: str) -> str:
    return str(S(status).label) if status in S.values else status


@register.filter
def overdue_now(case: Case) -> bool:
    """Whether the case is overdue now (cases.selectors.overdue_now_q), not whether the sweep marked it."""
    return is_overdue_now(case)


@register.filter
def due_class(case: Case) -> str:
    """Red when overdue now (cases.selectors.overdue_now_q), amber within a day, nothing otherwise."""
    if is_overdue_now(case):
        return "text-danger fw-bold"
    if case.handle_due_at and (case.handle_due_at - clock.now()).total_seconds() < 86400:
        return "text-warning-emphasis fw-semibold"
    return ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def json_attr(value) -> str:
    """JSON for a data attribute: a plain string, so the template engine escapes it like any other text
    (json_script is for one element per page; a panel that htmx swaps in may appear more than once)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
