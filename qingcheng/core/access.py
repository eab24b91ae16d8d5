"""The access kernel (权限与管辖范围): every permission and area-scope check of the platform, once.

The one rule for actors:
- an `Actor` is an authenticated user, or `None` for the system itself (loaders, commands, jobs);
- `None` passes only where a service says so (`allow_system=True`): services that loaders and jobs call.
  Everywhere else a missing actor is refused like any other outsider;
- an anonymous or inactive user is refused, whatever permissions their groups name;
- a record outside the actor's area answers exactly like a missing one (`NotFound`), so scope cannot be
  probed; writes that document a 403 for an area named in their input pass `refusal=outside_area()`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.shortcuts import render

from .errors import DomainError, NotFound, PermissionDeniedError
from .scope import in_scope, is_city_wide, scope_queryset

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


class User(Protocol):
    """What the kernel reads of a user (the accounts `User` and Django's `AnonymousUser` both fit)."""

    is_active: bool
    is_authenticated: bool
    is_superuser: bool

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


# An authenticated user, or None for the system (loaders, commands, jobs).
Actor: TypeAlias = User | None

M = TypeVar("M", bound=Model)

NO_ACCESS_TEMPLATE = "web/no_access.html"


def has_permission(actor: Actor, permission: str, *, allow_system: bool = False) -> bool:
    """The actor may do what `permission` names: an active, signed-in user holding it, or the system
    where `allow_system` says the system may act."""
    if actor is None:
        return allow_system
    return bool(
        getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", False)
        and actor.has_perm(permission)
    )


def require_permission(actor: Actor, permission: str, *, allow_system: bool = False) -> None:
    """Refuse (403 `permission_denied`) an actor without `permission`; `None` passes only with
    `allow_system=True` (services that loaders and jobs call)."""
    if not has_permission(actor, permission, allow_system=allow_system):
        raise PermissionDeniedError()


def require_city_wide(actor: Actor, permission: str, *, allow_system: bool = True) -> None:
    """Global configuration: the permission, held by a user whose area is the whole city or above. The
    system (`None`) may change it: loaders and commands set up catalogues and calendars."""
    require_permission(actor, permission, allow_system=allow_system)
    if actor is not None and not is_city_wide(actor):
        raise PermissionDeniedError(
            "该配置对全市生效，只能由市级人员修改",
            "This configuration applies to the whole city and is changed only by city-wide staff",
        )


def is_in_scope(actor: Actor, area_code: str | None, *, allow_system: bool = False) -> bool:
    """The area lies inside the actor's scope (an active, signed-in user; a superuser everywhere). For
    answers that are not refusals: choosing the people who work in an area, hiding a control, the rows an
    import refuses one by one. `None` is outside every scope unless `allow_system` says the system may act
    (imports that loaders run), as for `require_in_scope`."""
    if actor is None:
        return allow_system
    return in_scope(actor, area_code)


def require_in_scope(
    actor: Actor,
    area_code: str | None,
    *,
    what_zh: str = "记录",
    what_en: str = "record",
    refusal: DomainError | None = None,
    allow_system: bool = False,
) -> None:
    """Refuse an area outside the actor's scope exactly like a missing record: `NotFound(what)`; or
    `refusal` where the caller documents another answer for an area named in its input (a 403, see
    `outside_area`)."""
    if not is_in_scope(actor, area_code, allow_system=allow_system):
        raise refusal or NotFound(what_zh, what_en)


def outside_area(location: bool = False) -> PermissionDeniedError:
    """The 403 of writes whose input names an area (or a location) outside the actor's scope."""
    if location:
        return PermissionDeniedError("该位置不在您的管辖区域内", "the location is outside your area")
    return PermissionDeniedError("该区域不在您的管辖范围内", "This area is outside your scope")


def get_visible_or_404(
    queryset_or_model: QuerySet[M] | type[M],
    actor: Actor,
    *,
    field: str = "area_code",
    what_zh: str = "记录",
    what_en: str = "record",
    **lookup: Any,
) -> M:
    """The one row matching `lookup` inside the actor's scope (its code in `field`); `NotFound` when it is
    missing or outside, which answer the same."""
    queryset = queryset_or_model.objects.all() if isinstance(queryset_or_model, type) else queryset_or_model
    row = scope_queryset(queryset, actor, field).filter(**lookup).first()
    if row is None:
        raise NotFound(what_zh, what_en)
    return row


def page_permission(
    permission: str | None = None, *, template: str = NO_ACCESS_TEMPLATE
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Page views: an anonymous visitor goes to the login page; a signed-in user without `permission`
    (or inactive) gets the shell's "not available" page with 403. `permission=None` asks only for a
    sign-in."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if permission is not None and not has_permission(request.user, permission):
                return render(request, template, status=403)
            return view(request, *args, **kwargs)

        return login_required(inner)

    return wrap
