"""Admin base classes: every admin page of ours keeps its lists, change pages and choices inside the user's
area scope, shows domain errors as messages rather than server errors, and leaves configuration that
applies to the whole city to city-wide users."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from .access import has_permission, is_in_scope
from .errors import DomainError
from .scope import is_city_wide


class QingchengAdmin(admin.ModelAdmin):
    """Choices of related records come from the related model's own admin queryset, so a form never offers
    (nor accepts a posted id of) a unit, user or area outside the user's scope."""

    def _related_queryset(self, db_field, request):
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if related_admin is None:
            return None
        return related_admin.get_queryset(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self._related_queryset(db_field, request)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self._related_queryset(db_field, request)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _refused(self, request, exc: DomainError):
        # The change was made inside the admin's transaction, which the exception has rolled back.
        messages.error(request, exc.message)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            return self._refused(request, exc)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except DomainError as exc:  # an admin action refused by a service
            return self._refused(request, exc)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            return self._refused(request, exc)


class AreaScopedAdmin(QingchengAdmin):
    """`scope_field` names the code column (possibly across relations) that decides the scope."""

    scope_field = "area_code"
    # Free-text fields where people write phone and ID numbers (descriptions, notes, work-order content):
    # the back office cannot mask inside a form, so they are left out for users without this permission.
    personal_fields: tuple[str, ...] = ()
    personal_permission: str | None = None

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.personal_fields and not (
            self.personal_permission and has_permission(request.user, self.personal_permission)
        ):
            fields = [name for name in fields if name not in self.personal_fields]
        return fields

    def get_queryset(self, request):
        from .scope import scope_queryset

        return scope_queryset(super().get_queryset(request), request.user, self.scope_field)

    def _object_area(self, obj) -> str:
        value = obj
        for part in self.scope_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return ""
        return str(value)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not is_in_scope(request.user, self._object_area(obj)):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not is_in_scope(request.user, self._object_area(obj)):
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        scope_field = self.scope_field
        if "__" in scope_field or scope_field not in form.base_fields:
            return form
        user = request.user

        class ScopedForm(form):
            def clean(self):
                cleaned = super().clean()
                value = cleaned.get(scope_field)
                if value is not None and not is_in_scope(user, str(value)):
                    self.add_error(scope_field, _("This area is outside your own area."))
                return cleaned

        ScopedForm.__name__ = form.__name__
        return ScopedForm

    def save_model(self, request, obj, form, change):
        # Creating or moving a record out of one's own area is refused the same way as editing one.
        if not is_in_scope(request.user, self._object_area(obj)):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(QingchengAdmin):
    """A record written only by the services (which check the rules and write the audit log): viewable
    here, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyScopedAdmin(ReadOnlyAdmin, AreaScopedAdmin):
    """Read-only, and inside the user's area scope."""


class CityWideConfigAdmin(QingchengAdmin):
    """Configuration without an area that every district's work depends on (the case catalogue, the work
    calendar, component classes, scoring schemes, rules and mappings): anyone with the view permission
    reads it; only a city-wide user holding the model permission adds, changes or deletes it."""

    def has_add_permission(self, request, *args):
        return is_city_wide(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_city_wide(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_city_wide(request.user) and super().has_delete_permission(request, obj)
