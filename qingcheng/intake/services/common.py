"""What the intake channels share: the subclass a report or an event names (问题小类)."""

from __future__ import annotations

from qingcheng.cases.catalogue import category_by_code
from qingcheng.cases.models import CaseCategory
from qingcheng.core.errors import ValidationFailed


def category_subclass(code: str | None) -> CaseCategory | None:
    """The subclass the channel names, `None` when it names none; a code that is no subclass is refused."""
    if not code:
        return None
    category = category_by_code(code)
    if category is None or not category.is_subclass:
        raise ValidationFailed(
            f"未知的问题小类 {code}",
            f"unknown subclass {code!r}",
            field="category_code",
            code="unknown_category",
        )
    return category
