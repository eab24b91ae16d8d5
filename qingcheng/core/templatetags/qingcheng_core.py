from django import template

from qingcheng.core.access import has_permission

register = template.Library()


@register.simple_tag
def calendar_warnings_for(user) -> list[str]:
    """Warnings about calendar years without an official schedule, for users who maintain the calendar."""
    if not has_permission(user, "core.change_calendaroverride"):
        return []
    from qingcheng.core.worktime import calendar_warnings

    return calendar_warnings()
