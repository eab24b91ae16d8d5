"""Writes of the accounts domain: users, departments, roles, API keys, login throttling."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qingcheng.core.access import Actor, require_in_scope, require_permission
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import ValidationFailed

from . import grants
from .guards import AuxiliaryEnforcementError, check_user_may_hold, permission_label
from .models import ApiKey, Department, LoginFailure, LoginThrottle, User
from .roles import ROLES_BY_KEY, role_permissions

# ---------------------------------------------------------------- roles


def roles_sync(*, strict: bool = True, using: str = "default") -> dict[str, int]:
    """Create or update one group per role with exactly the role's permissions. Idempotent."""
    counts: dict[str, int] = {}
    with transaction.atomic(using=using):
        for key, labels in role_permissions().items():
            counts[key] = _role_sync(key, labels, strict=strict, using=using)
    return counts


def _role_sync(key: str, labels: set[str], *, strict: bool, using: str) -> int:
    group, _ = Group.objects.using(using).get_or_create(
        name=ROLES_BY_KEY[key].group_name if key in ROLES_BY_KEY else key
    )
    perms = []
    for label in sorted(labels):
        app_label, codename = label.split(".", 1)
        perm = (
            Permission.objects.using(using)
            .filter(content_type__app_label=app_label, codename=codename)
            .first()
        )
        if perm is None:
            if strict:
                raise ValidationFailed(
                    f"角色 {key} 引用了不存在的权限 {label}",
                    f"role {key} names a permission that does not exist: {label}",
                    code="unknown_permission",
                )
            continue
        perms.append(perm)
    group.permissions.set(perms)
    return len(perms)


# ---------------------------------------------------------------- users


def user_create_check(
    *,
    actor: Actor,
    username: str,
    area_code: str,
    department: Department | None,
    roles: list[str] | tuple[str, ...],
    staff_category: str,
) -> list[Group]:
    """Every check of `user_create`, without writing; returns the groups of the roles."""
    require_permission(actor, "accounts.manage_accounts", allow_system=True)
    require_in_scope(actor, area_code, what_zh="区域", what_en="area", allow_system=True)
    unknown = [r for r in roles if r not in ROLES_BY_KEY]
    if unknown:
        raise ValidationFailed(
            "未知角色", f"unknown roles: {', '.join(unknown)}", field="roles", code="unknown_role"
        )
    if not area_code or not area_code.isdigit() or len(area_code) > 15:
        raise ValidationFailed("区域代码无效", "area code must be 1–15 digits", field="area_code")
    if actor is not None:
        grants.check_may_grant_roles(actor, before=(), after=roles)
        grants.check_area_and_unit(actor, area_code=area_code, department=department)
    if User.objects.filter(username=username).exists():
        raise ValidationFailed("用户名已存在", "username already exists", field="username", code="duplicate")
    groups = list(Group.objects.filter(name__in=[ROLES_BY_KEY[r].group_name for r in roles]))
    check_user_may_hold(
        staff_category=staff_category, group_ids=[g.pk for g in groups], permission_ids=[], who=username
    )
    return groups


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    password: str | None,
    area_code: str,
    display_name: str = "",
    phone: str = "",
    department: Department | None = None,
    roles: list[str] | tuple[str, ...] = (),
    staff_category: str = User.StaffCategory.OFFICIAL,
    enforcement_certificate: str = "",
) -> User:
    """Create a user with roles. `actor=None` means the system itself (demo loader, migrations)."""
    groups = user_create_check(
        actor=actor,
        username=username,
        area_code=area_code,
        department=department,
        roles=roles,
        staff_category=staff_category,
    )
    user = User(
        username=username,
        display_name=display_name,
        phone=phone,
        area_code=area_code,
        department=department,
        staff_category=staff_category,
        enforcement_certificate=enforcement_certificate,
        is_staff=any(ROLES_BY_KEY[r].staff for r in roles),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.set(groups)
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after={
            **model_snapshot(user, ["username", "area_code", "department", "staff_category"]),
            "roles": list(roles),
        },
    )
    return user


@transaction.atomic
def user_set_roles(*, actor: Actor, user: User, roles: list[str]) -> User:
    require_permission(actor, "accounts.manage_accounts", allow_system=True)
    require_in_scope(actor, user.area_code, what_zh="用户", what_en="user", allow_system=True)
    unknown = [r for r in roles if r not in ROLES_BY_KEY]
    if unknown:
        raise ValidationFailed(
            "未知角色", f"unknown roles: {', '.join(unknown)}", field="roles", code="unknown_role"
        )
    before = sorted(user.groups.values_list("name", flat=True))
    if actor is not None:
        grants.check_may_edit_user(actor, user)
        grants.check_not_self(actor, user, ["groups"] if set(before) != set(roles) else [])
        grants.check_may_grant_roles(actor, before=before, after=roles)
    groups = list(Group.objects.filter(name__in=[ROLES_BY_KEY[r].group_name for r in roles]))
    check_user_may_hold(
        staff_category=user.staff_category,
        group_ids=[g.pk for g in groups],
        permission_ids=user.user_permissions.values_list("pk", flat=True),
        who=user.username,
    )
    user.groups.set(groups)
    user.is_staff = any(ROLES_BY_KEY[r].staff for r in roles) or user.is_superuser
    user.save(update_fields=["is_staff"])
    audit_record(
        actor=actor,
        action="user.set_roles",
        obj=user,
        before={"roles": before},
        after={"roles": sorted(roles)},
    )
    return user


def user_role_keys(user: User) -> list[str]:
    return [name for name in user.groups.values_list("name", flat=True) if name in ROLES_BY_KEY]


# What an account manager may change on a user without touching power, and what carries power.
USER_PROFILE_FIELDS = ("display_name", "phone", "email", "first_name", "last_name", "enforcement_certificate")
USER_POWER_FIELDS = ("username", "area_code", "department", "staff_category", "is_active")


@dataclass
class _UserPlan:
    roles: list[str]
    permissions: list[str]
    groups: list[Group]
    permission_rows: list[Permission]
    fields: list[str]
    before: dict[str, Any]


def _user_update_plan(actor: Actor, user: User, changes: dict[str, Any]) -> _UserPlan:
    """Every check of `user_update`, without writing: the admin form runs it to show errors on the form."""
    allowed = {*USER_PROFILE_FIELDS, *USER_POWER_FIELDS, "roles", "permissions"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            "包含不可修改的字段",
            f"fields cannot be changed: {', '.join(sorted(unknown))}",
            code="read_only_field",
        )
    grants.check_may_edit_user(actor, user)
    before_roles = sorted(user_role_keys(user))
    before_perms = sorted(permission_label(p) for p in user.user_permissions.select_related("content_type"))
    touched = [
        name
        for name, value in changes.items()
        if (name == "roles" and sorted(value) != before_roles)
        or (name == "permissions" and sorted(value) != before_perms)
        or (name in USER_POWER_FIELDS and getattr(user, name) != value)
    ]
    grants.check_not_self(
        actor, user, [{"roles": "groups", "permissions": "user_permissions"}.get(n, n) for n in touched]
    )
    roles = list(changes.get("roles", before_roles))
    unknown_roles = [r for r in roles if r not in ROLES_BY_KEY]
    if unknown_roles:
        raise ValidationFailed(
            "未知角色", f"unknown roles: {', '.join(unknown_roles)}", field="roles", code="unknown_role"
        )
    grants.check_may_grant_roles(actor, before=before_roles, after=roles)
    permissions = list(changes.get("permissions", before_perms))
    grants.check_may_grant_permissions(actor, before=before_perms, after=permissions)
    area_code = changes.get("area_code", user.area_code)
    department = changes.get("department", user.department)
    if {"area_code", "department"} & set(touched):
        if not area_code or not str(area_code).isdigit() or len(area_code) > 15:
            raise ValidationFailed("区域代码无效", "area code must be 1–15 digits", field="area_code")
        grants.check_area_and_unit(actor, area_code=area_code, department=department)
    username = changes.get("username", user.username)
    if username != user.username and User.objects.filter(username=username).exclude(pk=user.pk).exists():
        raise ValidationFailed("用户名已存在", "username already exists", field="username", code="duplicate")
    groups = list(Group.objects.filter(name__in=[ROLES_BY_KEY[r].group_name for r in roles]))
    permission_rows = _permissions_by_label(permissions)
    check_user_may_hold(
        staff_category=changes.get("staff_category", user.staff_category),
        group_ids=[g.pk for g in groups],
        permission_ids=[p.pk for p in permission_rows],
        who=user.username,
    )
    fields = [n for n in (*USER_PROFILE_FIELDS, *USER_POWER_FIELDS) if n in changes]
    before = {**model_snapshot(user, fields), "roles": before_roles, "permissions": before_perms}
    return _UserPlan(roles, permissions, groups, permission_rows, fields, before)


def user_update_check(*, actor: Actor, user: User, changes: dict[str, Any]) -> None:
    """Raise the error `user_update` would raise for these changes; write nothing."""
    _user_update_plan(actor, user, changes)


@transaction.atomic
def user_update(*, actor: Actor, user: User, changes: dict[str, Any]) -> User:
    """Change a user as `grants` allows: profile fields, the power-bearing fields, `roles` (role keys)
    and `permissions` ("app.codename" labels). Superuser and staff flags are never set here."""
    user = User.objects.select_for_update().get(pk=user.pk)
    plan = _user_update_plan(actor, user, changes)
    for name in plan.fields:
        setattr(user, name, changes[name])
    user.is_staff = any(ROLES_BY_KEY[r].staff for r in plan.roles) or user.is_superuser
    user.full_clean(exclude=["password"])
    user.save()
    if "roles" in changes:
        user.groups.set(plan.groups)
    if "permissions" in changes:
        user.user_permissions.set(plan.permission_rows)
    audit_record(
        actor=actor,
        action="user.update",
        obj=user,
        before=plan.before,
        after={
            **model_snapshot(user, plan.fields),
            "roles": sorted(plan.roles),
            "permissions": sorted(plan.permissions),
        },
    )
    return user


def _permissions_by_label(labels: list[str]) -> list[Permission]:
    rows = []
    for label in sorted(set(labels)):
        app_label, _, codename = label.partition(".")
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is None:
            raise ValidationFailed(
                f"权限不存在：{label}",
                f"unknown permission {label}",
                field="permissions",
                code="unknown_permission",
            )
        rows.append(perm)
    return rows


@transaction.atomic
def user_set_password(*, actor: Actor, user: User, password: str | None) -> User:
    """An account manager sets (or, with None, disables) the password of a user they may edit. Not for
    one's own account: that goes through the password change form, which asks for the old password."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None:
        if user.pk == actor.pk:
            raise grants.GrantRefused(
                "请通过“修改密码”更改自己的密码",
                "Change your own password with the password change form",
                code="own_password",
            )
        grants.check_may_edit_user(actor, user)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(
                "密码不符合要求", "; ".join(exc.messages), field="password", code="weak_password"
            ) from exc
        user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="user.set_password", obj=user, after={"usable": password is not None})
    return user


# ---------------------------------------------------------------- departments


@transaction.atomic
def department_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    area_code: str,
    parent: Department | None = None,
    phone: str = "",
) -> Department:
    require_permission(actor, "accounts.add_department", allow_system=True)
    require_in_scope(actor, area_code, what_zh="区域", what_en="area", allow_system=True)
    if kind not in Department.Kind.values:
        raise ValidationFailed("单位类型无效", f"unknown department kind {kind!r}", field="kind")
    if Department.objects.filter(code=code).exists():
        raise ValidationFailed(
            "单位编码已存在", "department code already exists", field="code", code="duplicate"
        )
    department = Department.objects.create(
        code=code, name=name, kind=kind, area_code=area_code, parent=parent, phone=phone
    )
    audit_record(actor=actor, action="department.create", obj=department, after=model_snapshot(department))
    return department


DEPARTMENT_EDITABLE = ("name", "phone", "is_active", "kind")


@transaction.atomic
def department_update(*, actor: Actor, department: Department, changes: dict[str, Any]) -> Department:
    """Change the editable fields of a department inside the actor's scope."""
    require_in_scope(actor, department.area_code, what_zh="单位", what_en="department")
    require_permission(actor, "accounts.change_department")
    unknown = set(changes) - set(DEPARTMENT_EDITABLE)
    if unknown:
        raise ValidationFailed(
            "包含不可修改的字段",
            f"fields cannot be changed: {', '.join(sorted(unknown))}",
            code="read_only_field",
        )
    if "kind" in changes and changes["kind"] not in Department.Kind.values:
        raise ValidationFailed("单位类型无效", "unknown department kind", field="kind")
    department = Department.objects.select_for_update().get(pk=department.pk)
    before = model_snapshot(department, list(changes))
    for field, value in changes.items():
        setattr(department, field, value)
    department.full_clean()
    department.save()
    audit_record(
        actor=actor,
        action="department.update",
        obj=department,
        before=before,
        after=model_snapshot(department, list(changes)),
    )
    return department


# ---------------------------------------------------------------- API keys

API_KEY_PREFIX = "qc"


def hash_api_secret(raw: str) -> str:
    # API keys are 256-bit random secrets, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def api_key_create(*, actor: Actor, user: User, name: str, expires_at=None) -> tuple[ApiKey, str]:
    """Create a key; the raw secret is returned once and never stored."""
    require_permission(actor, "accounts.add_apikey", allow_system=True)
    require_in_scope(actor, user.area_code, what_zh="用户", what_en="user", allow_system=True)
    if actor is not None:
        # A key is a login as that user: issued only by someone who may edit the user.
        grants.check_may_edit_user(actor, user)
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        user=user, name=name, prefix=prefix, secret_hash=hash_api_secret(raw), expires_at=expires_at
    )
    audit_record(
        actor=actor,
        action="api_key.create",
        obj=key,
        area_code=user.area_code,
        after={"prefix": prefix, "user": user.pk},
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    require_permission(actor, "accounts.change_apikey", allow_system=True)
    require_in_scope(actor, key.user.area_code, what_zh="接口密钥", what_en="API key", allow_system=True)
    if actor is not None:
        grants.check_may_edit_user(actor, key.user)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_key.revoke", obj=key, area_code=key.user.area_code)
    return key


@transaction.atomic
def api_key_rotate(
    *, actor: Actor, key: ApiKey, grace: timedelta = timedelta(hours=24)
) -> tuple[ApiKey, str]:
    """Issue a new key for the same client; the old one keeps working for `grace`, then expires."""
    new_key, raw = api_key_create(actor=actor, user=key.user, name=key.name, expires_at=key.expires_at)
    old_expiry = timezone.now() + grace
    if key.expires_at is None or key.expires_at > old_expiry:
        key.expires_at = old_expiry
        key.save(update_fields=["expires_at"])
    audit_record(
        actor=actor,
        action="api_key.rotate",
        obj=key,
        area_code=key.user.area_code,
        after={"new_prefix": new_key.prefix},
    )
    return new_key, raw


def api_key_authenticate(raw: str) -> User | None:
    """The active user behind a raw key, or None. Unknown, revoked and expired keys look the same."""
    parts = raw.split("_", 2) if raw else []
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    key = ApiKey.objects.select_related("user").filter(prefix=parts[1]).first()
    if key is None or not secrets.compare_digest(key.secret_hash, hash_api_secret(raw)):
        return None
    now = timezone.now()
    if (
        key.revoked_at is not None
        or (key.expires_at is not None and key.expires_at <= now)
        or not key.user.is_active
    ):
        return None
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key.user


# ---------------------------------------------------------------- login throttling
#
# The policy, in full:
# - A username (any letter case) may fail LOGIN_MAX_FAILURES times within LOGIN_FAILURE_WINDOW_SECONDS;
#   after that every attempt at it is refused without checking the password (the right one too) until
#   the window that began with its first failure ends. This bounds guessing at one account, from however
#   many addresses.
# - A client address (core.http.client_address: behind trusted proxies, the real client) that has made
#   LOGIN_ADDRESS_MAX_FAILURES failures in its window may no longer try, from that address, a username
#   that has failed in the window: guessing across many usernames gets one wrong guess per username.
#   A username without failures can always be tried, so colleagues behind the same proxy address are
#   never locked out by someone else's failures.
# - Counting is atomic: an attempt takes its slots (one for the username, one for the address) under row
#   locks before the password is checked, so concurrent attempts cannot all be checked; a success gives
#   the address slot back and clears the username's count.


@dataclass(frozen=True)
class LoginAttempt:
    """Slots taken by one login attempt; `locked` when it was refused without a check."""

    username: str
    client_address: str
    locked: bool


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def _username_key(username: str) -> str:
    return "user:" + username.lower()[:150]


def _address_key(client_address: str) -> str:
    return "addr:" + client_address[:64]


def login_attempt_begin(*, username: str, client_address: str) -> LoginAttempt:
    """Take this attempt's slots, or refuse it (`locked`) without taking any. Commits at once, before
    the password is checked, so the next attempt sees the slot taken."""
    now = timezone.now()
    keys = [_username_key(username)] + ([_address_key(client_address)] if client_address else [])
    with transaction.atomic():
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(key=key, failures=0, window_start=now) for key in keys], ignore_conflicts=True
        )
        # Locked in key order, the same order in every attempt, so two attempts never wait on each other.
        rows = {
            row.key: row
            for row in LoginThrottle.objects.select_for_update().filter(key__in=keys).order_by("key")
        }
        for row in rows.values():
            if now - row.window_start >= _window():
                row.failures, row.window_start = 0, now
        user_row = rows[keys[0]]
        address_row = rows.get(keys[1]) if len(keys) > 1 else None
        locked = user_row.failures >= settings.LOGIN_MAX_FAILURES or (
            address_row is not None
            and address_row.failures >= settings.LOGIN_ADDRESS_MAX_FAILURES
            and user_row.failures > 0
        )
        if not locked:
            for row in rows.values():
                row.failures += 1
        for row in rows.values():
            row.save(update_fields=["failures", "window_start"])
    return LoginAttempt(username=username, client_address=client_address, locked=locked)


@transaction.atomic
def login_attempt_end(*, attempt: LoginAttempt, succeeded: bool) -> None:
    """Settle an attempt: a failure keeps its slots and is logged; a success clears the username's count
    and gives the address its slot back."""
    if attempt.locked:
        return
    if not succeeded:
        now = timezone.now()
        LoginFailure.objects.create(
            username=attempt.username.lower()[:150], client_ip=attempt.client_address[:64], at=now
        )
        stale = now - _window() - timedelta(days=1)
        LoginFailure.objects.filter(at__lt=stale).delete()
        LoginThrottle.objects.filter(window_start__lt=stale).delete()
        return
    LoginThrottle.objects.filter(key=_username_key(attempt.username)).update(failures=0)
    if attempt.client_address:
        LoginThrottle.objects.filter(key=_address_key(attempt.client_address), failures__gt=0).update(
            failures=F("failures") - 1
        )
    LoginFailure.objects.filter(username=attempt.username.lower()[:150]).delete()


__all__ = [
    "AuxiliaryEnforcementError",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "api_key_rotate",
    "department_create",
    "department_update",
    "login_attempt_begin",
    "login_attempt_end",
    "roles_sync",
    "user_create",
    "user_create_check",
    "user_set_password",
    "user_set_roles",
    "user_update",
    "user_update_check",
]
