from django.contrib import admin

from qingcheng.core.admin_scope import AreaScopedAdmin, CityWideConfigAdmin, ReadOnlyScopedAdmin

from .models import HotlineOrder, MachineEvent, MachineEventMapping, PublicRating


@admin.register(MachineEventMapping)
class MachineEventMappingAdmin(CityWideConfigAdmin):
    list_display = ["vendor", "event_code", "source", "name", "category_code", "urgency", "active"]
    list_filter = ["vendor", "source", "active"]
    search_fields = ["vendor", "event_code", "name", "category_code"]


@admin.register(MachineEvent)
class MachineEventAdmin(ReadOnlyScopedAdmin):
    list_display = ["vendor", "event_id", "event_code", "device_id", "occurred_at", "case", "deduplicated"]
    list_filter = ["vendor", "deduplicated"]
    search_fields = ["event_id", "device_id"]
    raw_id_fields = ["case", "mapping", "received_by"]


@admin.register(HotlineOrder)
class HotlineOrderAdmin(ReadOnlyScopedAdmin):
    """Read-only: orders are written through the hotline services (audited); callers are not listed."""

    personal_fields = ("content", "answer", "address", "transfer_reason")
    personal_permission = "cases.view_personal_case"

    list_display = ["number", "channel", "kind", "status", "external_number", "area_code", "created_at"]
    list_filter = ["channel", "kind", "status"]
    search_fields = ["number", "external_number"]
    exclude = ["caller_name", "caller_phone", "idempotency_key", "request_hash"]
    raw_id_fields = ["case", "created_by"]


@admin.register(PublicRating)
class PublicRatingAdmin(AreaScopedAdmin):
    personal_fields = ("comment",)
    personal_permission = "cases.view_personal_case"
    scope_field = "case__grid_code"
    list_display = ("case", "score", "created_at")
    list_filter = ("score",)
    readonly_fields = ("case", "score", "comment", "created_at")

    def has_add_permission(self, request):
        return False
