"""Admin mixin that keeps every admin list and change page inside the user's area scope."""

from __future__ import annotations

from django.contrib import admin

from .scope import in_scope, scope_queryset


class AreaScopedAdmin(admin.ModelAdmin):
    """`scope_field` names the code column (possibly across relations) that decides the scope."""

    scope_field = "area_code"
    # Free-text fields where people write phone and ID numbers (descriptions, notes, work-order content):
    # the back office cannot mask inside a form, so they are left out for users without this permission.
    personal_fields: tuple[str, ...] = ()
    personal_permission: str | None = None

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.personal_fields and not (
            self.personal_permission and request.user.has_perm(self.personal_permission)
        ):
            fields = [name for name in fields if name not in self.personal_fields]
        return fields

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, self.scope_field)

    def _object_area(self, obj) -> str:
        value = obj
        for part in self.scope_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return ""
        return str(value)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not in_scope(request.user, self._object_area(obj)):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not in_scope(request.user, self._object_area(obj)):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # Creating or moving a record out of one's own area is refused the same way as editing one.
        if not in_scope(request.user, self._object_area(obj)):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        super().save_model(request, obj, form, change)
