"""Reads of the accounts domain, always inside the actor's area scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from qingcheng.core.errors import NotFound, PermissionDeniedError
from qingcheng.core.masking import may_see_login_names
from qingcheng.core.scope import covering_q, scope_queryset

from .models import Department, User


def department_list(*, actor: Any, kind: str | None = None, q: str | None = None) -> QuerySet[Department]:
    if not actor.has_perm("accounts.view_department"):
        raise PermissionDeniedError()
    qs = scope_queryset(Department.objects.select_related("parent"), actor)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.order_by("code")


def department_get(*, actor: Any, department_id: int) -> Department:
    department = (
        scope_queryset(Department.objects.select_related("parent"), actor).filter(pk=department_id).first()
    )
    if department is None or not actor.has_perm("accounts.view_department"):
        raise NotFound("单位", "department")
    return department


def user_list(*, actor: Any, q: str | None = None) -> QuerySet[User]:
    if not actor.has_perm("accounts.view_user"):
        raise PermissionDeniedError()
    qs = scope_queryset(User.objects.select_related("department"), actor)
    if q:
        # Searching login names would let those who may not see them find them out letter by letter.
        by_login = Q(username__icontains=q) if may_see_login_names(actor) else Q(pk__in=[])
        qs = qs.filter(by_login | Q(display_name__icontains=q))
    return qs.order_by("username")


def units_covering(area_code: str) -> QuerySet[Department]:
    """Active units that cover `area_code` (`core.scope.area_covers`): the ones a record of that area may
    be given to, from the city bureau down to the district's own units, never a neighbour's."""
    return Department.objects.filter(is_active=True).filter(covering_q("area_code", area_code))


def is_unit_member(actor: Any, department: Department | None) -> bool:
    """The actor belongs to `department` or to a unit above it (a bureau acts for its sections)."""
    if department is None or getattr(actor, "department_id", None) is None:
        return False
    node: Department | None = department
    seen = 0
    while node is not None and seen < 10:  # a cycle in bad data must not hang a request
        if node.pk == actor.department_id:
            return True
        node = node.parent
        seen += 1
    return False


def unit_subtree_ids(department_id: int | None) -> set[int]:
    """The unit and every unit below it."""
    if department_id is None:
        return set()
    found, frontier = {department_id}, {department_id}
    while frontier:
        frontier = set(Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found
