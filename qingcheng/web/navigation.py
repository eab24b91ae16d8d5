"""Role-aware navigation. Later apps add their entries here, gated by permission."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    icon: str


def nav_items_for(user) -> list[NavItem]:
    items = [NavItem(_("Home"), reverse("home"), "house"), NavItem(_("Grid map"), reverse("geo-map"), "map")]
    if user.is_staff:
        items.append(NavItem(_("Back office"), reverse("admin:index"), "gear"))
    items.append(NavItem(_("API documentation"), "/api/docs", "braces"))
    return items
