from decimal import Decimal

from django import template

from qingcheng.evaluation.scoring import GRADES

register = template.Library()

_CLASSES = {"green": "text-bg-success", "yellow": "text-bg-warning", "red": "text-bg-danger"}


@register.filter
def grade_class(grade: str | None) -> str:
    return _CLASSES.get(grade or "", "text-bg-secondary")


@register.filter
def grade_label(grade: str | None) -> str:
    return str(GRADES[grade]) if grade in GRADES else ""


@register.filter
def absolute(value):
    return abs(value) if value is not None else value


@register.simple_tag
def indicator_value(obj, indicator) -> str:
    value = obj.indicators.get(indicator.key)
    if value is None:
        return "–"
    if indicator.kind == "rate":
        return f"{value}%"
    if isinstance(value, Decimal):
        return f"{value}"
    return f"{value:,}" if isinstance(value, int) else str(value)
