"""Navigation for the page shell: role-aware links and calendar warnings for administrators."""

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    from .navigation import nav_items_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_active": ""}
    items = nav_items_for(user)
    matching = [i for i in items if i.url != "/" and request.path.startswith(i.url)]
    active = (
        max(matching, key=lambda i: len(i.url)).key if matching else ("home" if request.path == "/" else "")
    )
    return {"nav_items": items, "nav_active": active}
