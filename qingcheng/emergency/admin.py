"""Back office for the emergency registers. Lists stay inside the user's area scope; workflow state of
hidden dangers and incidents is read-only here (it changes only through the services)."""

from django.contrib import admin

from qingcheng.core.admin_scope import AreaScopedAdmin, CityWideConfigAdmin

from . import models as m


class SubstanceInline(admin.TabularInline):
    model = m.HazardSubstance
    extra = 0
    readonly_fields = ("beta",)


@admin.register(m.HazardSource)
class HazardSourceAdmin(AreaScopedAdmin):
    list_display = (
        "code",
        "name",
        "owner_name",
        "area_code",
        "r_value",
        "grade",
        "risk_colour",
        "last_inspected_on",
    )
    list_filter = ("grade", "risk_colour", "is_active")
    search_fields = ("code", "name", "owner_name")
    readonly_fields = ("s_value", "r_value", "is_major", "grade", "risk_colour")
    inlines = [SubstanceInline]


@admin.register(m.HazardSubstance)
class HazardSubstanceAdmin(AreaScopedAdmin):
    scope_field = "source__area_code"
    list_display = ("name", "source", "category", "quantity_t", "critical_t", "beta")
    readonly_fields = ("beta",)


@admin.register(m.HazardInspection)
class HazardInspectionAdmin(AreaScopedAdmin):
    scope_field = "source__area_code"
    list_display = ("source", "inspected_on", "inspector", "passed")


class TimelineInline(admin.TabularInline):
    """A record's timeline (处理记录), shown read-only: the services write it, step by step."""

    extra = 0
    can_delete = False
    readonly_fields = ("at", "actor", "action", "from_status", "to_status", "note")


class DangerEventInline(TimelineInline):
    model = m.HiddenDangerEvent


@admin.register(m.HiddenDanger)
class HiddenDangerAdmin(AreaScopedAdmin):
    list_display = (
        "number",
        "title",
        "level",
        "status",
        "responsible_department",
        "due_at",
        "overdue",
        "supervised",
    )
    list_filter = ("level", "status", "overdue", "supervised")
    search_fields = ("number", "title")
    readonly_fields = (
        "number",
        "status",
        "due_at",
        "deadline",
        "rectified_by",
        "rectified_at",
        "accepted_by",
        "accepted_at",
        "overdue",
        "escalation_level",
        "supervised",
        "reported_upward_at",
        "version",
    )
    inlines = [DangerEventInline]


@admin.register(m.HiddenDangerEvent)
class HiddenDangerEventAdmin(AreaScopedAdmin):
    scope_field = "danger__area_code"
    list_display = ("danger", "at", "action", "from_status", "to_status", "actor")


@admin.register(m.Shelter)
class ShelterAdmin(AreaScopedAdmin):
    list_display = (
        "code",
        "name",
        "level",
        "duration",
        "capacity",
        "occupancy",
        "service_radius_m",
        "status",
    )
    list_filter = ("level", "duration", "status")
    search_fields = ("code", "name")


@admin.register(m.Warehouse)
class WarehouseAdmin(AreaScopedAdmin):
    list_display = ("code", "name", "area_code", "department")


@admin.register(m.SupplyItem)
class SupplyItemAdmin(CityWideConfigAdmin):
    list_display = ("code", "name", "unit", "category")
    list_filter = ("category",)


@admin.register(m.StockLot)
class StockLotAdmin(AreaScopedAdmin):
    scope_field = "warehouse__area_code"
    list_display = ("warehouse", "item", "quantity", "received_on", "expiry_date")
    list_filter = ("warehouse",)


@admin.register(m.StockMinimum)
class StockMinimumAdmin(AreaScopedAdmin):
    scope_field = "warehouse__area_code"
    list_display = ("warehouse", "item", "minimum")


@admin.register(m.StockMovement)
class StockMovementAdmin(AreaScopedAdmin):
    scope_field = "warehouse__area_code"
    list_display = ("at", "kind", "warehouse", "item", "delta", "incident", "actor")
    list_filter = ("kind",)

    def has_change_permission(self, request, obj=None):
        return False


class DrillInline(admin.TabularInline):
    model = m.Drill
    extra = 0


@admin.register(m.EmergencyPlan)
class EmergencyPlanAdmin(AreaScopedAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "owner_type",
        "version",
        "published_on",
        "drill_interval_months",
        "revision_needed",
    )
    list_filter = ("kind", "owner_type", "revision_needed")
    filter_horizontal = ("hazard_sources", "shelters", "warehouses")
    inlines = [DrillInline]


@admin.register(m.PlanRevision)
class PlanRevisionAdmin(AreaScopedAdmin):
    scope_field = "plan__area_code"
    list_display = ("plan", "trigger", "recorded_at", "new_version")


@admin.register(m.Drill)
class DrillAdmin(AreaScopedAdmin):
    scope_field = "plan__area_code"
    list_display = ("plan", "held_on", "form", "participants")


class IncidentEventInline(TimelineInline):
    model = m.IncidentEvent


@admin.register(m.Incident)
class IncidentAdmin(AreaScopedAdmin):
    list_display = ("number", "title", "category", "grade", "status", "response_level", "occurred_at")
    list_filter = ("category", "grade", "status")
    search_fields = ("number", "title")
    readonly_fields = ("number", "status", "response_level", "closed_at", "version")
    inlines = [IncidentEventInline]


@admin.register(m.IncidentEvent)
class IncidentEventAdmin(AreaScopedAdmin):
    scope_field = "incident__area_code"
    list_display = ("incident", "at", "action", "actor")


@admin.register(m.EmergencyWarning)
class EmergencyWarningAdmin(AreaScopedAdmin):
    list_display = ("category", "level", "colour", "affected_area", "issuer", "issued_at", "status")
    list_filter = ("level", "status")


@admin.register(m.ResponseActivation)
class ResponseActivationAdmin(AreaScopedAdmin):
    scope_field = "incident__area_code"
    list_display = ("incident", "level", "started_at", "ended_at")


@admin.register(m.IncidentTask)
class IncidentTaskAdmin(AreaScopedAdmin):
    scope_field = "incident__area_code"
    list_display = ("incident", "department", "status", "due_at")


@admin.register(m.LifelineStatus)
class LifelineStatusAdmin(AreaScopedAdmin):
    list_display = ("area_code", "kind", "state", "source", "updated_at")
    list_filter = ("kind", "state")
