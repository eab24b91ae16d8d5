from django.contrib import admin

from qingcheng.core.admin_scope import AreaScopedAdmin, QingchengAdmin

from .models import AdminArea, GridRevision, Place, Responsibility, Road, SupervisionBeat, UnitGrid

GEOMETRY_FIELDS = ("geometry", "min_lon", "min_lat", "max_lon", "max_lat", "centroid_lon", "centroid_lat")


@admin.register(AdminArea)
class AdminAreaAdmin(AreaScopedAdmin):
    scope_field = "code"
    list_display = ("code", "name", "level", "parent", "area_km2", "synthetic_boundary", "synthetic_name")
    list_filter = ("level", "synthetic_boundary")
    search_fields = ("code", "name")
    readonly_fields = GEOMETRY_FIELDS
    autocomplete_fields = ("parent",)


@admin.register(UnitGrid)
class UnitGridAdmin(AreaScopedAdmin):
    """Grids change by importing a new layer version (import_geo), which keeps history; the admin only
    corrects attributes."""

    scope_field = "code"
    list_display = ("code", "community", "area_m2", "land_use", "management_level", "valid_from", "valid_to")
    list_filter = ("land_use", "management_level", "synthetic")
    search_fields = ("code",)
    readonly_fields = ("code", "community", "area_m2", "valid_from", "valid_to", "revision", *GEOMETRY_FIELDS)

    def has_add_permission(self, request):
        return False


@admin.register(GridRevision)
class GridRevisionAdmin(QingchengAdmin):
    list_display = ("id", "created_at", "note", "grid_count")
    readonly_fields = ("created_at", "note", "grid_count")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SupervisionBeat)
class SupervisionBeatAdmin(AreaScopedAdmin):
    list_display = ("code", "name", "area_code")
    search_fields = ("code", "name")
    filter_horizontal = ("supervisors",)


@admin.register(Responsibility)
class ResponsibilityAdmin(AreaScopedAdmin):
    list_display = ("area_code", "matter_type", "role", "department", "user")
    list_filter = ("role",)
    search_fields = ("area_code", "matter_type")
    autocomplete_fields = ("department", "user")


@admin.register(Road)
class RoadAdmin(AreaScopedAdmin):
    list_display = ("name", "area_code", "synthetic")
    search_fields = ("name",)
    readonly_fields = GEOMETRY_FIELDS


@admin.register(Place)
class PlaceAdmin(AreaScopedAdmin):
    list_display = ("address_text", "kind", "area_code", "synthetic")
    list_filter = ("kind", "synthetic")
    search_fields = ("name", "address_text")
