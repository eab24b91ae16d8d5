"""The rule that an auxiliary (协管员) may never hold an enforcement permission.

Checked in forms for a friendly message, in signals so no code path can bypass it, and again in the
auth backend at permission-check time.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission

from qingcheng.core.errors import DomainError

from .roles import AUXILIARY, enforcement_permissions


class AuxiliaryEnforcementError(DomainError):
    status = 400

    def __init__(self, who: str = "") -> None:
        super().__init__(
            "auxiliary_enforcement_forbidden",
            f"协管员{who}不得被授予任何执法权限",
            f"Auxiliary staff{(' ' + who) if who else ''} may never be given an enforcement permission",
        )


def permission_label(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def enforcement_permission_ids() -> set[int]:
    wanted = enforcement_permissions()
    ids = set()
    for perm in Permission.objects.select_related("content_type").filter(
        codename__in={label.split(".", 1)[1] for label in wanted}
    ):
        if permission_label(perm) in wanted:
            ids.add(perm.pk)
    return ids


def groups_grant_enforcement(group_ids: Iterable[int]) -> bool:
    ids = enforcement_permission_ids()
    return Group.permissions.through.objects.filter(
        group_id__in=list(group_ids), permission_id__in=ids
    ).exists()


def is_auxiliary_group_id(group_ids: Iterable[int]) -> bool:
    return Group.objects.filter(pk__in=list(group_ids), name=AUXILIARY.group_name).exists()


def check_user_may_hold(
    *,
    staff_category: str,
    group_ids: Iterable[int],
    permission_ids: Iterable[int],
    who: str = "",
) -> None:
    """Raise if this combination would make an auxiliary hold an enforcement permission."""
    group_ids = list(group_ids)
    permission_ids = set(permission_ids)
    auxiliary = staff_category == "auxiliary" or is_auxiliary_group_id(group_ids)
    if not auxiliary:
        return
    if permission_ids & enforcement_permission_ids() or groups_grant_enforcement(group_ids):
        raise AuxiliaryEnforcementError(who)
