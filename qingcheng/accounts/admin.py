from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qingcheng.core.admin_scope import AreaScopedAdmin, QingchengAdmin, ReadOnlyAdmin
from qingcheng.core.errors import DomainError

from . import grants, services
from .forms import ThrottledAdminAuthenticationForm
from .guards import permission_label
from .models import ApiKey, Department, LoginFailure, LoginThrottle, User
from .roles import ROLES_BY_KEY

admin.site.login_form = ThrottledAdminAuthenticationForm


def _role_choices(actor, current: list[str]) -> list[Group]:
    keys = grants.grantable_roles(actor) | set(current)
    return Group.objects.filter(name__in=[ROLES_BY_KEY[k].group_name for k in keys if k in ROLES_BY_KEY])


def _changes_from(form) -> dict:
    """The form's changes in the terms of `services.user_update`."""
    changes = {}
    for name in form.changed_data:
        if name not in form.cleaned_data:
            continue
        value = form.cleaned_data[name]
        if name == "groups":
            changes["roles"] = [g.name for g in value]
        elif name == "user_permissions":
            changes["permissions"] = [permission_label(p) for p in value]
        elif name in services.USER_PROFILE_FIELDS or name in services.USER_POWER_FIELDS:
            changes[name] = value
    return changes


class UserChangeForm(BaseUserAdmin.form):
    """Roles offered are only those the editing user may grant (and the ones the user already holds);
    every rule of `accounts.grants` is checked here so a refusal shows on the form."""

    actor = None  # set per request by UserAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "groups" in self.fields:
            current = list(self.instance.groups.values_list("name", flat=True)) if self.instance.pk else []
            self.fields["groups"].queryset = _role_choices(self.actor, current)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.user_update_check(
                actor=self.actor, user=self.instance_before, changes=_changes_from(self)
            )
        except DomainError as exc:
            field = exc.details.get("field")
            self.add_error(field if field in self.fields else None, exc.message)
        return cleaned

    @property
    def instance_before(self):
        return User.objects.get(pk=self.instance.pk)


class UserCreationForm(BaseUserAdmin.add_form):
    actor = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "groups" in self.fields:
            self.fields["groups"].queryset = _role_choices(self.actor, [])

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.user_create_check(
                actor=self.actor,
                username=cleaned.get("username", ""),
                area_code=cleaned.get("area_code", ""),
                department=cleaned.get("department"),
                roles=[g.name for g in cleaned.get("groups") or []],
                staff_category=cleaned.get("staff_category") or User.StaffCategory.OFFICIAL,
            )
        except DomainError as exc:
            field = exc.details.get("field")
            self.add_error(field if field in self.fields else None, exc.message)
        return cleaned


@admin.register(User)
class UserAdmin(AreaScopedAdmin, BaseUserAdmin):
    """Accounts in the back office under the rules of `accounts.grants`: superuser and staff status are
    shown, never edited; roles only as the editor may grant them; users above the editor read only."""

    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("username", "display_name", "area_code", "department", "staff_category", "is_active")
    list_filter = ("staff_category", "is_active", "groups")
    search_fields = ("username", "display_name")
    filter_horizontal = ("groups",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "phone", "email")}),
        (
            _("Area, unit and roles"),
            {
                "fields": (
                    "area_code",
                    "department",
                    "staff_category",
                    "enforcement_certificate",
                    "is_active",
                    "groups",
                )
            },
        ),
        (_("Status"), {"fields": ("is_staff", "is_superuser", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")},
        ),
        (
            _("Qingcheng"),
            {"fields": ("display_name", "phone", "area_code", "department", "staff_category", "groups")},
        ),
    )
    always_read_only = ("is_staff", "is_superuser", "last_login", "date_joined")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if grants.is_unit_bound(request.user):
            from .selectors import unit_subtree_ids

            queryset = queryset.filter(department_id__in=unit_subtree_ids(request.user.department_id))
        return queryset

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not request.user.is_superuser:
            return fieldsets
        # Single permissions stay a superuser's tool; everyone else grants roles.
        return (
            *fieldsets[:2],
            (fieldsets[2][0], {"fields": (*fieldsets[2][1]["fields"], "user_permissions")}),
            *fieldsets[3:],
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.pk == request.user.pk:
            return (
                *self.always_read_only,
                *[f for f in grants.PRIVILEGE_FIELDS if f not in self.always_read_only],
            )
        return self.always_read_only

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def has_change_permission(self, request, obj=None):
        if obj is not None and not grants.may_edit_user(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.pk == request.user.pk or not grants.may_edit_user(request.user, obj)):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            services.user_update(actor=request.user, user=obj, changes=_changes_from(form))
            obj.refresh_from_db()
            return
        data = form.cleaned_data
        user = services.user_create(
            actor=request.user,
            username=data["username"],
            password=data.get("password1") if data.get("set_usable_password", True) else None,
            area_code=data["area_code"],
            display_name=data.get("display_name", ""),
            phone=data.get("phone", ""),
            department=data.get("department"),
            roles=[g.name for g in data.get("groups") or []],
            staff_category=data.get("staff_category") or User.StaffCategory.OFFICIAL,
        )
        obj.pk = user.pk
        obj._state.adding = False
        obj._state.db = user._state.db

    def save_related(self, request, form, formsets, change):
        # Roles and permissions were written by the service, under its checks; the form must not write
        # its many-to-many fields again behind them.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and (user.pk == request.user.pk or not self.has_change_permission(request, user)):
            # One's own password is changed with the form that asks for the old one.
            raise PermissionDenied
        if user is not None and request.method == "POST":
            form = self.change_password_form(user, request.POST)
            if form.is_valid():
                usable = form.cleaned_data.get("set_usable_password", True)
                services.user_set_password(
                    actor=request.user, user=user, password=form.cleaned_data["password1"] if usable else None
                )
                messages.success(request, _("The password was changed."))
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=(user.pk,)))
        return super().user_change_password(request, id, form_url)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin, BaseGroupAdmin):
    """Roles are defined in code (`accounts/roles.py`) and kept exact by `sync_roles`: read only here, so
    nobody widens a role, and with it everyone who holds it, from the back office."""


@admin.register(Department)
class DepartmentAdmin(AreaScopedAdmin):
    list_display = ("code", "name", "kind", "area_code", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if grants.is_unit_bound(request.user):
            from .selectors import unit_subtree_ids

            queryset = queryset.filter(pk__in=unit_subtree_ids(request.user.department_id))
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(AreaScopedAdmin):
    scope_field = "user__area_code"
    list_display = ("name", "prefix", "user", "created_at", "expires_at", "revoked_at", "last_used_at")
    # A key is someone's login: it is never handed to another user.
    readonly_fields = ("user", "prefix", "secret_hash", "last_used_at")
    search_fields = ("name", "prefix")

    def has_change_permission(self, request, obj=None):
        if obj is not None and not grants.may_edit_user(request.user, obj.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not grants.may_edit_user(request.user, obj.user):
            return False
        return super().has_delete_permission(request, obj)

    def has_add_permission(self, request):
        # Keys are issued with `manage.py create_api_key` or the API so the secret is shown exactly once.
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(QingchengAdmin):
    list_display = ("username", "client_ip", "at")
    search_fields = ("username", "client_ip")
    readonly_fields = ("username", "client_ip", "at")

    def has_add_permission(self, request):
        return False


@admin.register(LoginThrottle)
class LoginThrottleAdmin(QingchengAdmin):
    """Read-only: the counters are the backend's; an administrator may delete one to lift a lock early."""

    list_display = ("key", "failures", "window_start")
    search_fields = ("key",)
    readonly_fields = ("key", "failures", "window_start")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
