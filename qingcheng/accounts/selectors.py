"""Reads of the accounts domain, always inside the actor's area scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from qingcheng.core.access import Actor, get_visible_or_404, has_permission, require_permission
from qingcheng.core.errors import NotFound
from qingcheng.core.masking import may_see_login_names
from qingcheng.core.scope import covering_q, scope_queryset

from .models import Department, User


def department_list(*, actor: Actor, kind: str | None = None, q: str | None = None) -> QuerySet[Department]:
    require_permission(actor, "accounts.view_department")
    qs = scope_queryset(Department.objects.select_related("parent"), actor)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.order_by("code")


def department_get(*, actor: Actor, department_id: int) -> Department:
    # Without the right to see departments, none exists (404, as documented for the API).
    if not has_permission(actor, "accounts.view_department"):
        raise NotFound("单位", "department")
    return get_visible_or_404(
        Department.objects.select_related("parent"),
        actor,
        what_zh="单位",
        what_en="department",
        pk=department_id,
    )


def sees_personal_data(actor: Actor) -> bool:
    """Whether the actor reads users' names and phones whole (个人信息); others see them masked."""
    return has_permission(actor, "accounts.view_personal_data")


def user_list(*, actor: Actor, q: str | None = None) -> QuerySet[User]:
    require_permission(actor, "accounts.view_user")
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


def is_unit_member(actor: Actor, department: Department | None) -> bool:
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
