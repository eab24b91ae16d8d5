from django import template

register = template.Library()


@register.simple_tag
def calendar_warnings_for(user) -> list[str]:
    """Warnings about calendar years without an official schedule, for users who maintain the calendar."""
    if user is None or not user.is_authenticated:
        return []
    if not (user.is_superuser or user.has_perm("core.change_calendaroverride")):
        return []
    from qingcheng.core.worktime import calendar_warnings

    return calendar_warnings()
