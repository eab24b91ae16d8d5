from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from qingcheng.core.admin_scope import (
    CityWideConfigAdmin,
    QingchengAdmin,
    ReadOnlyScopedAdmin,
)

from .models import (
    Case,
    CaseCategory,
    CaseEvent,
    CasePhoto,
    CaseReporter,
    CaseTask,
    CatalogueVersion,
    IdempotencyRecord,
    Notification,
    StepLimit,
)


class StepLimitInline(admin.TabularInline):
    model = StepLimit
    extra = 0


class FrozenWhenPublished:
    """A published catalogue version is frozen: its cases keep the limits they were opened under."""

    def _published(self, obj) -> bool:
        version = obj if isinstance(obj, CatalogueVersion) else getattr(obj, "version", None)
        return bool(version and version.published_at)

    def has_change_permission(self, request, obj=None):
        if obj is not None and self._published(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self._published(obj):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(FrozenWhenPublished, CityWideConfigAdmin):
    list_display = ("name", "standard_ref", "published_at", "is_current")
    actions = ["copy_as_draft", "publish_and_make_current"]

    @admin.action(description=_("Copy as a new draft version"), permissions=["add"])
    def copy_as_draft(self, request, queryset):
        from .catalogue_admin import copy_version

        for version in queryset:
            copy_version(version, actor=request.user)
        messages.success(request, _("Draft copies created."))

    @admin.action(description=_("Publish and make current"), permissions=["change"])
    def publish_and_make_current(self, request, queryset):
        from .catalogue_admin import publish_version

        if queryset.count() != 1:
            messages.error(request, _("Choose exactly one version."))
            return
        publish_version(queryset.first(), actor=request.user)
        messages.success(request, _("Version published; new cases use it."))


@admin.register(CaseCategory)
class CaseCategoryAdmin(FrozenWhenPublished, CityWideConfigAdmin):
    list_display = ("code", "name", "kind", "version", "active", "verified")
    list_filter = ("version", "kind", "active")
    search_fields = ("code", "name")
    inlines = [StepLimitInline]


@admin.register(StepLimit)
class StepLimitAdmin(CityWideConfigAdmin):
    list_display = ("category", "step", "handling_type", "urgency", "amount", "unit")
    list_filter = ("step", "unit", "category__version")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.category.version.published_at:
            return False
        return super().has_change_permission(request, obj)


@admin.register(Case)
class CaseAdmin(ReadOnlyScopedAdmin):
    personal_fields = ("description", "address", "pending_request")
    personal_permission = "cases.view_personal_case"
    scope_field = "grid_code"
    list_display = (
        "number",
        "source",
        "status",
        "category",
        "grid_code",
        "owner_department",
        "reported_at",
        "overdue",
        "supervised",
    )
    list_filter = ("status", "source", "overdue", "supervised", "urgency")
    search_fields = ("number", "external_number", "address")
    date_hierarchy = "reported_at"


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyScopedAdmin):
    personal_fields = ("note", "data")
    personal_permission = "cases.view_personal_case"
    scope_field = "case__grid_code"
    list_display = ("case", "seq", "at", "action", "actor_label", "from_status", "to_status")
    list_filter = ("action",)


@admin.register(CaseTask)
class CaseTaskAdmin(ReadOnlyScopedAdmin):
    personal_fields = ("note",)
    personal_permission = "cases.view_personal_case"
    scope_field = "case__grid_code"
    list_display = ("case", "kind", "assignee", "due_at", "done_at", "result")
    list_filter = ("kind",)


@admin.register(CaseReporter)
class CaseReporterAdmin(ReadOnlyScopedAdmin):
    scope_field = "case__grid_code"
    list_display = ("original_case_number", "case", "channel", "anonymous")
    exclude = ("name", "phone")  # personal data stays out of the back office lists


@admin.register(CasePhoto)
class CasePhotoAdmin(ReadOnlyScopedAdmin):
    scope_field = "case__grid_code"
    list_display = ("case", "kind", "sha256", "content_type", "width", "height")


@admin.register(Notification)
class NotificationAdmin(QingchengAdmin):
    list_display = ("created_at", "kind", "message", "user", "department", "read_at")
    list_filter = ("kind",)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(QingchengAdmin):
    list_display = ("scope", "key", "case", "created_at")
    readonly_fields = ("scope", "key", "request_hash", "case", "response", "created_at")
