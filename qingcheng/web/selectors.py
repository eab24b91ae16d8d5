"""What the home page shows a user: who they are, their roles and scope, and warnings for them."""

from typing import Any

from qingcheng.accounts.roles import ROLES_BY_KEY


def home_context(user, language: str) -> dict[str, Any]:
    english = language.startswith("en")
    roles = []
    for name in user.groups.values_list("name", flat=True):
        role = ROLES_BY_KEY.get(name)
        if role is not None:
            roles.append(
                {
                    "key": role.key,
                    "label": role.name_en if english else role.name_zh,
                    "description": role.description_en,
                }
            )
    return {
        "roles": roles,
        "warnings": admin_warnings(user),
    }


def admin_warnings(user) -> list[str]:
    from qingcheng.core.templatetags.qingcheng_core import calendar_warnings_for

    return calendar_warnings_for(user)
