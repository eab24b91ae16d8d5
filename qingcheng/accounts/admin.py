from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from qingcheng.core.admin_scope import AreaScopedAdmin
from qingcheng.core.errors import DomainError

from .forms import ThrottledAdminAuthenticationForm
from .guards import check_user_may_hold, enforcement_permission_ids
from .models import ApiKey, Department, LoginFailure, LoginThrottle, User
from .roles import AUXILIARY

admin.site.login_form = ThrottledAdminAuthenticationForm


class UserChangeForm(BaseUserAdmin.form):
    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        perms = cleaned.get("user_permissions")
        category = cleaned.get("staff_category", getattr(self.instance, "staff_category", ""))
        try:
            check_user_may_hold(
                staff_category=category or "",
                group_ids=[g.pk for g in groups]
                if groups is not None
                else self.instance.groups.values_list("pk", flat=True),
                permission_ids=[p.pk for p in perms] if perms is not None else [],
                who=cleaned.get("username", ""),
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return cleaned


@admin.register(User)
class UserAdmin(AreaScopedAdmin, BaseUserAdmin):
    form = UserChangeForm
    list_display = ("username", "display_name", "area_code", "department", "staff_category", "is_active")
    list_filter = ("staff_category", "is_active", "groups")
    search_fields = ("username", "display_name")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Qingcheng"),
            {
                "fields": (
                    "display_name",
                    "phone",
                    "area_code",
                    "department",
                    "staff_category",
                    "enforcement_certificate",
                )
            },
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Qingcheng"), {"fields": ("display_name", "area_code", "department", "staff_category")}),
    )


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ("name", "permissions")

    def clean(self):
        cleaned = super().clean()
        perms = cleaned.get("permissions")
        if perms is None:
            return cleaned
        enforcement = {p.pk for p in perms} & enforcement_permission_ids()
        if not enforcement:
            return cleaned
        name = cleaned.get("name") or self.instance.name
        members = self.instance.user_set.all() if self.instance.pk else []
        if name == AUXILIARY.group_name or any(user.is_auxiliary for user in members):
            raise forms.ValidationError(_("Auxiliary staff may never be given an enforcement permission."))
        return cleaned


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    form = GroupForm


@admin.register(Department)
class DepartmentAdmin(AreaScopedAdmin):
    list_display = ("code", "name", "kind", "area_code", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)


@admin.register(ApiKey)
class ApiKeyAdmin(AreaScopedAdmin):
    scope_field = "user__area_code"
    list_display = ("name", "prefix", "user", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "secret_hash", "last_used_at")
    search_fields = ("name", "prefix")

    def has_add_permission(self, request):
        # Keys are issued with `manage.py create_api_key` or the API so the secret is shown exactly once.
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("username", "client_ip", "at")
    search_fields = ("username", "client_ip")
    readonly_fields = ("username", "client_ip", "at")

    def has_add_permission(self, request):
        return False


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Read-only: the counters are the backend's; an administrator may delete one to lift a lock early."""

    list_display = ("key", "failures", "window_start")
    search_fields = ("key",)
    readonly_fields = ("key", "failures", "window_start")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
