from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qingcheng.core.access import is_in_scope
from qingcheng.core.admin_scope import AreaScopedAdmin, QingchengAdmin
from qingcheng.core.scope import is_city_wide, scope_queryset

from .models import Alarm, AlarmRule, Device, DeviceKey, IngestCounter, Reading, RuleState


@admin.register(Device)
class DeviceAdmin(AreaScopedAdmin):
    list_display = [
        "device_id",
        "device_type",
        "name",
        "area_code",
        "status",
        "last_observed_at",
        "synthetic",
    ]
    list_filter = ["device_type", "status", "synthetic"]
    search_fields = ["device_id", "name", "area_code"]
    raw_id_fields = ["owner"]
    readonly_fields = ["last_seen_at", "last_observed_at", "last_values", "battery"]
    actions = ["issue_key"]

    @admin.action(description=_("Issue an HTTP ingestion key (shown once)"), permissions=["change"])
    def issue_key(self, request, queryset):
        from . import services

        for device in queryset:
            _key, raw = services.device_key_create(actor=request.user, device=device)
            messages.warning(
                request,
                _("The ingestion key of %(device)s, shown only this once — put it in the device now: %(key)s")
                % {"device": device.device_id, "key": raw},
            )


@admin.register(DeviceKey)
class DeviceKeyAdmin(AreaScopedAdmin):
    """Keys are issued from the device list ("Issue an HTTP ingestion key", shown once); here they are
    listed and can be revoked."""

    scope_field = "device__area_code"
    list_display = ["device", "prefix", "created_at", "revoked_at"]
    exclude = ["secret_hash"]
    raw_id_fields = ["device"]

    def has_add_permission(self, request):
        return False


@admin.register(Reading)
class ReadingAdmin(AreaScopedAdmin):
    scope_field = "device__area_code"
    list_display = ["device", "observed_at", "received_at", "seq"]
    raw_id_fields = ["device"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AlarmRule)
class AlarmRuleAdmin(QingchengAdmin):
    """A rule for every device of a type applies to the whole city (city-wide users only); a rule for one
    device belongs to the device's area."""

    list_display = [
        "name",
        "device_type",
        "kind",
        "prop",
        "low",
        "high",
        "hysteresis",
        "severity",
        "event_code",
        "active",
    ]
    list_filter = ["device_type", "kind", "severity", "active"]
    search_fields = ["name", "prop", "event_code"]
    raw_id_fields = ["device"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        mine = scope_queryset(queryset.filter(device__isnull=False), request.user, "device__area_code")
        return queryset.filter(Q(device__isnull=True) | Q(pk__in=mine.values("pk")))

    def _may_touch(self, request, obj) -> bool:
        if obj is None:
            return True
        if obj.device_id is None:
            return is_city_wide(request.user)
        return is_in_scope(request.user, obj.device.area_code)

    def has_change_permission(self, request, obj=None):
        return self._may_touch(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_touch(request, obj) and super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        class RuleForm(form):
            def clean(self):
                cleaned = super().clean()
                if cleaned.get("device") is None and not is_city_wide(user):
                    self.add_error(
                        "device",
                        _(
                            "A rule for every device of a type applies to the whole city: choose one of your devices."
                        ),
                    )
                return cleaned

        RuleForm.__name__ = form.__name__
        return RuleForm


@admin.register(RuleState)
class RuleStateAdmin(AreaScopedAdmin):
    scope_field = "device__area_code"
    list_display = ["device", "rule", "breaches", "oks", "alarm"]
    raw_id_fields = ["device", "rule", "alarm"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alarm)
class AlarmAdmin(AreaScopedAdmin):
    """Read-only: the lifecycle runs through the services (audited)."""

    list_display = ["device", "rule", "severity", "status", "raised_at", "case"]
    list_filter = ["severity", "status"]
    search_fields = ["device__device_id"]
    raw_id_fields = ["device", "rule", "case", "acknowledged_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IngestCounter)
class IngestCounterAdmin(QingchengAdmin):
    list_display = ["source", "reason", "count", "last_at", "last_detail"]
    list_filter = ["reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
