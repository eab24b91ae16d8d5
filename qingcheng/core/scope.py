"""Area scope: the one helper every selector uses to keep a user inside their administrative area.

A scope is a code prefix (`150105` = 赛罕区 and everything below it). A user without a scope sees
nothing; only a superuser sees everything.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .errors import ValidationFailed


def scope_prefix(code: str) -> str:
    """The code prefix that an area covers. Six-digit GB/T 2260 codes of a region or a city end in 00
    pairs (150000 内蒙古, 150100 呼和浩特市), so their prefix drops them: 150100 covers 1501xx. Longer
    codes (streets 9, communities 12, grids 15 digits) are prefixes as they stand."""
    if len(code) == 6 and code.isdigit():
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def area_covers(scope_code: str | None, area_code: str | None) -> bool:
    """A unit or person whose area is `scope_code` covers `area_code`: the area's code starts with the
    scope's prefix (`scope_prefix`), the same rule `scope_queryset` applies to people. A city unit
    (150100, prefix 1501) covers 150105 and every code below it; a district unit (150105) does not cover
    its neighbour 150102, nor the city as a whole. A blank scope covers nothing, as for a user."""
    prefix = scope_prefix(scope_code or "")
    return bool(prefix) and (area_code or "").startswith(prefix)


def covering_codes(area_code: str) -> set[str]:
    """Every scope code that covers `area_code`: its prefixes, plus the six-digit province and city codes
    whose prefixes are among them (150000 → 15, 150100 → 1501). For finding the units of an area with an
    indexed `area_code__in` instead of reading every unit."""
    codes = {area_code[:n] for n in range(1, len(area_code) + 1)}
    if len(area_code) >= 2:
        codes.add(area_code[:2] + "0000")
    if len(area_code) >= 4:
        codes.add(area_code[:4] + "00")
    return {c for c in codes if area_covers(c, area_code)}


def covering_q(field: str, area_code: str) -> Q:
    """Rows whose scope code (`field`) covers `area_code` (see `area_covers`)."""
    return Q(**{f"{field}__in": sorted(covering_codes(area_code or ""))})


def require_unit_covers(unit: Any, area_code: str, *, field: str) -> None:
    """Refuse (400 `outside_area`) a handling unit named from input that does not cover `area_code`."""
    if unit is None or not area_covers(getattr(unit, "area_code", ""), area_code):
        raise ValidationFailed(
            "所选单位不负责该区域",
            "the chosen unit does not cover this area",
            field=field,
            code="outside_area",
        )


def require_person_covers(person: Any, area_code: str, *, field: str) -> None:
    """Refuse (400 `outside_area`) a person named from input whose area does not contain `area_code`."""
    if not in_scope(person, area_code):
        raise ValidationFailed(
            "所选人员不负责该区域",
            "the chosen person does not work in this area",
            field=field,
            code="outside_area",
        )


def actor_scope(actor: Any) -> str | None:
    """The actor's area prefix; "" means everywhere (superuser), None means nowhere."""
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or not getattr(actor, "is_active", False)
    ):
        return None
    if getattr(actor, "is_superuser", False):
        return ""
    code = getattr(actor, "area_code", "") or ""
    return scope_prefix(code) or None


def in_scope(actor: Any, area_code: str | None) -> bool:
    scope = actor_scope(actor)
    if scope is None:
        return False
    return (area_code or "").startswith(scope)


def digit_prefix_q(field: str, prefix: str) -> Q:
    """`field` starts with the digit string `prefix`, written as a range (code ≥ "150105" and
    < "150106") rather than LIKE: neither SQLite nor PostgreSQL outside the C collation answers LIKE
    from the index, and codes are always digit strings."""
    if not prefix.isdigit():  # not a code at all: compare as text, which matches no code
        return Q(**{f"{field}__startswith": prefix})
    stem = prefix.rstrip("9")
    if not stem:
        return Q(**{f"{field}__gte": prefix})
    upper = stem[:-1] + str(int(stem[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def scope_queryset(queryset: QuerySet, actor: Any, field: str = "area_code") -> QuerySet:
    """Restrict `queryset` to rows whose `field` (a code, possibly across relations) lies in the actor's
    scope. Rows whose code is a *parent* of the scope (e.g. the city row for a district user) are not
    included: parents are not inside the scope."""
    scope = actor_scope(actor)
    if scope is None:
        return queryset.none()
    if scope == "":
        return queryset
    return queryset.filter(digit_prefix_q(field, scope))


def is_city_wide(actor: Any) -> bool:
    """The actor's area is a whole city (or the region above it): configuration that applies to every
    district (catalogue, calendar, component classes, scoring schemes, client applications) is theirs to
    change, never a district's."""
    scope = actor_scope(actor)
    return scope is not None and len(scope) <= 4
