"""Who may grant what (授权规则): the one policy for giving roles and permissions and for editing users.

The rules, checked here for the admin, the services and the API alike:

1. **Nobody grants what they do not hold.** A role is granted (or taken away) only by someone who holds
   every permission the role carries; a single permission only by someone who holds it. A superuser holds
   everything.
2. **Only account managers grant**, and only inside the explicit table below: a holder of
   `accounts.manage_accounts` may grant any role they fully hold, except that unit managers
   (部门管理员) grant only the roles a handling unit has (`UNIT_ROLES`) and only to members of their own
   unit.
3. **Nobody edits a user above them.** A user is above the actor when they are a superuser (and the actor
   is not), live outside the actor's area, or hold any permission the actor does not. Such users are read
   only to the actor: no field, password, role or status change. Editing someone is taking their powers
   (a password reset is a login as them), so the rule that forbids granting a power also forbids this.
4. **Superuser status is never editable in the app** (only `manage.py createsuperuser` makes one).
5. **Nobody changes their own privileges**: roles, permissions, area, unit, category and active flag of
   one's own account are read only.
6. **A unit belongs to the area**: a user is put only into a unit inside the actor's area whose area and
   the user's area lie one inside the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission

from qingcheng.core.access import Actor, has_permission, is_in_scope, require_in_scope
from qingcheng.core.errors import PermissionDeniedError, ValidationFailed
from qingcheng.core.scope import scope_prefix

from .guards import permission_label
from .roles import ADMIN, HANDLER, ROLES_BY_KEY, UNIT_MANAGER, role_permissions

# The roles a handling unit has: what a unit manager may give to the members of their unit.
UNIT_ROLES = frozenset({HANDLER.key, UNIT_MANAGER.key})

# Fields of a user that carry power: changed only by someone who may manage that user, never on oneself.
PRIVILEGE_FIELDS = (
    "groups",
    "user_permissions",
    "area_code",
    "department",
    "staff_category",
    "is_active",
    "is_staff",
    "is_superuser",
    "username",
)


class GrantRefused(PermissionDeniedError):
    def __init__(self, message_zh: str, message_en: str, *, code: str, **details: Any) -> None:
        super().__init__(message_zh, message_en, details=details)
        self.code = code


def permissions_of(user: Any) -> set[str]:
    """Every permission the user holds ("app_label.codename"); a superuser holds all of them."""
    if user is None or not getattr(user, "is_active", False):
        return set()
    if getattr(user, "is_superuser", False):
        return all_permission_labels()
    return set(user.get_all_permissions())


def all_permission_labels() -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }


def role_permission_labels(key: str) -> set[str]:
    """The permissions a role carries as its group holds them now (sync_roles keeps them exact)."""
    group = Group.objects.filter(name=ROLES_BY_KEY[key].group_name if key in ROLES_BY_KEY else key).first()
    if group is None:
        return set(role_permissions().get(key, set()))
    return {permission_label(p) for p in group.permissions.select_related("content_type")}


def is_unit_bound(actor: Any) -> bool:
    """A unit manager who is not also an area administrator manages only their own unit."""
    if getattr(actor, "is_superuser", False):
        return False
    names = set(actor.groups.values_list("name", flat=True))
    return UNIT_MANAGER.group_name in names and ADMIN.group_name not in names


def may_manage_accounts(actor: Actor) -> bool:
    return has_permission(actor, "accounts.manage_accounts")


def grantable_roles(actor: Any) -> set[str]:
    """The role keys the actor may give or take away (rules 1 and 2)."""
    if actor is None or not getattr(actor, "is_active", False):
        return set()
    if actor.is_superuser:
        return set(ROLES_BY_KEY)
    if not may_manage_accounts(actor):
        return set()
    held = permissions_of(actor)
    candidates = UNIT_ROLES if is_unit_bound(actor) else set(ROLES_BY_KEY)
    return {key for key in candidates if role_permission_labels(key) <= held}


def _in_unit_of(actor: Any, target: Any) -> bool:
    from .selectors import is_unit_member

    return target.department_id is not None and is_unit_member(actor, target.department)


def is_above(actor: Actor, target: Any) -> bool:
    """Rule 3: the target is a superuser, outside the actor's area, or holds a power the actor lacks."""
    if actor is None or target is None:
        return True
    if target.pk is not None and target.pk == actor.pk:
        return False
    if target.is_superuser and not actor.is_superuser:
        return True
    if not is_in_scope(actor, target.area_code):
        return True
    return not permissions_of(target) <= permissions_of(actor)


def may_edit_user(actor: Actor, target: Any) -> bool:
    """The actor may change this user's record (for oneself: only the fields without power)."""
    if actor is None or not actor.is_active:
        return False
    if target.pk is not None and target.pk == actor.pk:
        return True
    if not has_permission(actor, "accounts.change_user"):  # a superuser holds every permission
        return False
    if is_above(actor, target):
        return False
    return not (is_unit_bound(actor) and not _in_unit_of(actor, target))


def check_may_edit_user(actor: Any, target: Any) -> None:
    if not may_edit_user(actor, target):
        raise GrantRefused(
            "不能修改该用户：其权限高于您、不在您的区域或单位内",
            "You may not change this user: they hold powers you do not, or are outside your area or unit",
            code="user_above_you",
        )


def check_may_grant_roles(actor: Any, *, before: Iterable[str], after: Iterable[str]) -> None:
    """Every role added or removed must be one the actor may grant (rules 1 and 2)."""
    changed = set(before) ^ set(after)
    if not changed:
        return
    refused = sorted(changed - grantable_roles(actor))
    if refused:
        raise GrantRefused(
            f"您不能授予或收回这些角色：{'、'.join(refused)}（只能授予您自己完全持有的权限）",
            f"You may not grant or remove these roles: {', '.join(refused)} "
            "(you may only grant permissions you hold yourself)",
            code="grant_not_held",
            roles=refused,
        )


def check_may_grant_permissions(actor: Any, *, before: Iterable[str], after: Iterable[str]) -> None:
    """A single permission is granted only by an area account manager holding it (never by a unit manager)."""
    changed = set(before) ^ set(after)
    if not changed:
        return
    if not getattr(actor, "is_superuser", False) and not may_manage_accounts(actor):
        raise GrantRefused("没有授权的权限", "You may not grant permissions", code="grant_not_held")
    refused = sorted(changed - permissions_of(actor))
    if refused or is_unit_bound(actor):
        raise GrantRefused(
            f"您不能授予或收回这些权限：{'、'.join(refused) or '单项权限'}",
            f"You may not grant or remove these permissions: {', '.join(refused) or 'single permissions'}",
            code="grant_not_held",
            permissions=refused,
        )


def check_not_self(actor: Any, target: Any, fields: Iterable[str]) -> None:
    """Rule 5: nobody changes the power-bearing fields of their own account."""
    touched = sorted(set(fields) & set(PRIVILEGE_FIELDS))
    if actor is not None and target.pk is not None and target.pk == actor.pk and touched:
        raise GrantRefused(
            "不能修改自己账号的权限、区域、单位或状态",
            "You may not change the roles, permissions, area, unit or status of your own account",
            code="own_privileges",
            fields=touched,
        )


def codes_nest(a: str, b: str) -> bool:
    """One area lies inside the other (a unit of the city may have district staff and vice versa)."""
    pa, pb = scope_prefix(a or ""), scope_prefix(b or "")
    if not pa or not pb:
        return False
    return pa.startswith(pb) or pb.startswith(pa)


def check_area_and_unit(actor: Actor, *, area_code: str, department: Any) -> None:
    """Rule 6, and that the user's area is inside the actor's."""
    # Refused as a form error (400) rather than like a missing record: the area is the actor's own input.
    require_in_scope(
        actor,
        area_code,
        refusal=ValidationFailed(
            "区域不在您的管辖范围内",
            "This area is outside your own area",
            field="area_code",
            code="area_out_of_scope",
        ),
        allow_system=True,
    )
    if department is None:
        return
    require_in_scope(
        actor,
        department.area_code,
        refusal=ValidationFailed(
            "该单位不在您的管辖范围内",
            "This unit is outside your own area",
            field="department",
            code="unit_out_of_scope",
        ),
        allow_system=True,
    )
    if not codes_nest(area_code, department.area_code):
        raise ValidationFailed(
            "用户的区域与所在单位的区域不一致",
            "The user's area and the unit's area must lie one inside the other",
            field="department",
            code="unit_area_mismatch",
        )
    if actor is not None and is_unit_bound(actor):
        from .selectors import is_unit_member

        if not is_unit_member(actor, department):
            raise GrantRefused(
                "部门管理员只能管理本单位人员",
                "A unit manager manages only the members of their own unit",
                code="outside_own_unit",
            )
