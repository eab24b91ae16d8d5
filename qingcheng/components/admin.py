"""Back office (Django admin) for the component classes and the component inventory (部件); edits go
through the services so they are scope-checked and audited."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from qingcheng.core.admin_scope import AreaScopedAdmin, CityWideConfigAdmin
from qingcheng.core.errors import DomainError

from . import services
from .models import Component, ComponentClass


class MajorClassFilter(admin.SimpleListFilter):
    title = _("major class")
    parameter_name = "major"

    def lookups(self, request, model_admin):
        return [(c.code, str(c)) for c in ComponentClass.objects.filter(parent__isnull=True)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(component_class__code__startswith=self.value())
        return queryset


@admin.register(ComponentClass)
class ComponentClassAdmin(CityWideConfigAdmin):
    list_display = ("code", "name", "parent", "verified", "default_accuracy", "note")
    list_filter = ("verified", "parent")
    search_fields = ("^code", "name")


@admin.register(Component)
class ComponentAdmin(AreaScopedAdmin):
    scope_field = "grid_code"
    list_display = ("code", "name", "component_class", "grid_code", "state", "accuracy", "synthetic")
    list_filter = ("state", MajorClassFilter, "component_class", "accuracy", "synthetic")
    search_fields = ("^code", "name", "^grid_code")
    list_select_related = ("component_class",)
    # Counting 10⁵ rows on every page load is slow and tells an operator nothing.
    show_full_result_count = False
    readonly_fields = ("code", "component_class", "grid_code", "synthetic", "created_at", "updated_at")
    raw_id_fields = ("competent_department", "maintenance_department")
    fields = (
        "code",
        "component_class",
        "name",
        "grid_code",
        ("lon", "lat"),
        "state",
        "accuracy",
        "competent_department",
        "owner_unit",
        "maintenance_department",
        ("first_recorded", "changed_on"),
        "data_source",
        "photo",
        "note",
        "synthetic",
        ("created_at", "updated_at"),
    )

    def has_add_permission(self, request):
        # New components need a code and a located grid: the API, the import command or the services.
        return False

    def save_model(self, request, obj, form, change):
        # Edits go through the services so they are scope-checked, re-located and audited like API edits.
        original = Component.objects.get(pk=obj.pk)
        changed = [name for name in form.changed_data if name in services.EDITABLE_FIELDS]
        try:
            if changed:
                services.component_update(
                    actor=request.user,
                    component=original,
                    changes={name: getattr(obj, name) for name in changed},
                )
            if "state" in form.changed_data:
                services.component_set_state(actor=request.user, component=original, state=obj.state)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        obj.refresh_from_db()
