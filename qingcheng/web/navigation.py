"""Role-aware navigation: each entry shows only to users who hold its permission."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from qingcheng.core.access import Actor, has_permission


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    icon: str
    key: str = ""


# (key, label, url name, icon, permission or "" for every signed-in user, staff only)
_ENTRIES = (
    ("home", _("Home"), "home", "house", "", False),
    ("work", _("Workbench"), "workbench", "inboxes", "cases.view_case", False),
    ("hotline", _("Hotline desk"), "hotline", "telephone", "intake.view_hotlineorder", False),
    ("search", _("Case search"), "case-search", "search", "cases.view_case", False),
    ("field", _("Field app (城管通)"), "field-app", "phone", "cases.field_task_case", False),
    (
        "command",
        _("Command centre"),
        "evaluation-command-centre",
        "display",
        "evaluation.view_command_centre",
        False,
    ),
    ("evaluation", _("Evaluation"), "evaluation-reports", "bar-chart", "evaluation.view_evaluation", False),
    ("sensing", _("Sensing"), "sensing-monitor", "broadcast", "sensing.view_device", False),
    ("emergency", _("Emergency"), "emergency-home", "shield-exclamation", "emergency.view_incident", False),
    (
        "enforcement",
        _("Administrative enforcement"),
        "enforcement-home",
        "hammer",
        "enforcement.view_penaltycase",
        False,
    ),
    ("map", _("Grid map"), "geo-map", "map", "", False),
    ("admin", _("Back office"), "admin:index", "gear", "", True),
)


def nav_items_for(user: Actor) -> list[NavItem]:
    items = []
    for key, label, url_name, icon, permission, staff_only in _ENTRIES:
        if staff_only and not user.is_staff:
            continue
        if permission and not has_permission(user, permission):
            continue
        try:
            items.append(NavItem(label, reverse(url_name), icon, key))
        except NoReverseMatch:  # an app that is not installed in this deployment
            continue
    items.append(NavItem(_("API documentation"), "/api/docs", "braces", "api"))
    return items
