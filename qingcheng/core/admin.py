from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin_scope import ReadOnlyAdmin
from .models import AuditChainHead, AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log is append-only: nobody edits or deletes it through the admin."""

    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_id", "area_code")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "action")
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    ordering = ("-id",)

    def get_queryset(self, request):
        from .scope import scope_queryset

        qs = super().get_queryset(request)
        # Entries with no area (system-wide actions) are visible to superusers only.
        return scope_queryset(qs, request.user)


admin.site.site_header = _("Qingcheng back office")
admin.site.site_title = _("Qingcheng")
admin.site.index_title = _("Administration")
from . import worktime_admin  # noqa: E402,F401


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("last_seq", "last_hash")
