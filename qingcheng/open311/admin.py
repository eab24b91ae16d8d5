from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from qingcheng.core.admin_scope import CityWideConfigAdmin, ReadOnlyScopedAdmin

from . import services
from .models import (
    Client,
    InboundUpdate,
    Jurisdiction,
    ServiceAttribute,
    ServiceAttributeValue,
    ServiceOption,
    ServiceRequest,
)


@admin.register(Jurisdiction)
class JurisdictionAdmin(CityWideConfigAdmin):
    list_display = ("jurisdiction_id", "name", "area_code", "active")
    list_filter = ("active",)
    search_fields = ("jurisdiction_id", "name", "area_code")


def _show_key(request, client: Client, raw: str) -> None:
    messages.warning(
        request,
        _("The API key of %(name)s, shown only this once — give it to the application now: %(key)s")
        % {"name": client.name, "key": raw},
    )


@admin.register(Client)
class ClientAdmin(CityWideConfigAdmin):
    """Keys are issued by the services (hashed, audited); the key itself is shown once after saving."""

    list_display = (
        "name",
        "key_prefix",
        "jurisdiction",
        "requests_per_minute",
        "is_staff_client",
        "active",
        "last_used_at",
    )
    list_filter = ("active", "is_staff_client", "jurisdiction")
    search_fields = ("name", "contact", "key_prefix")
    readonly_fields = ("key_prefix", "last_used_at", "created_at", "updated_at")
    fields = (
        "name",
        "contact",
        "jurisdiction",
        "requests_per_minute",
        "is_staff_client",
        "active",
        "note",
        "key_prefix",
        "last_used_at",
        "created_at",
        "updated_at",
    )
    actions = ["rotate_key"]

    def save_model(self, request, obj, form, change):
        if change:
            services.client_update(actor=request.user, client=obj, fields=list(form.changed_data))
            return
        client, raw = services.client_create(
            actor=request.user,
            name=obj.name,
            contact=obj.contact,
            jurisdiction=obj.jurisdiction,
            requests_per_minute=obj.requests_per_minute,
            is_staff_client=obj.is_staff_client,
            note=obj.note,
        )
        if not obj.active:
            client.active = False
            services.client_update(actor=request.user, client=client, fields=["active"])
        obj.pk = client.pk
        obj.key_prefix, obj.key_hash = client.key_prefix, client.key_hash
        obj.created_at, obj.updated_at = client.created_at, client.updated_at
        obj._state.adding = False
        obj._state.db = client._state.db
        _show_key(request, client, raw)

    @admin.action(description=_("Issue a new API key (the old one stops working)"), permissions=["change"])
    def rotate_key(self, request, queryset):
        for client in queryset:
            client, raw = services.client_rotate_key(actor=request.user, client=client)
            _show_key(request, client, raw)


@admin.register(ServiceOption)
class ServiceOptionAdmin(CityWideConfigAdmin):
    list_display = (
        "category_code",
        "service_type",
        "keywords",
        "extra_groups",
        "private",
        "staff_only",
        "hidden",
    )
    list_filter = ("service_type", "private", "staff_only", "hidden")
    search_fields = ("category_code", "keywords")


class ServiceAttributeValueInline(admin.TabularInline):
    model = ServiceAttributeValue
    extra = 1


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(CityWideConfigAdmin):
    list_display = (
        "category_code",
        "order",
        "code",
        "datatype",
        "required",
        "variable",
        "description",
        "active",
    )
    list_filter = ("datatype", "required", "active")
    search_fields = ("category_code", "code", "description")
    inlines = [ServiceAttributeValueInline]


@admin.register(ServiceAttributeValue)
class ServiceAttributeValueAdmin(CityWideConfigAdmin):
    list_display = ("attribute", "order", "key", "name")
    search_fields = ("attribute__category_code", "attribute__code", "key", "name")
    raw_id_fields = ("attribute",)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyScopedAdmin):
    """Read-only: requests are written by the Open311 endpoint through the intake pipeline."""

    personal_fields = ("attributes",)
    personal_permission = "cases.view_personal_case"

    list_display = ("case", "service_code", "client", "token", "area_code", "created_at")
    list_filter = ("client", "service_code")
    search_fields = ("case__number", "service_code", "token")
    raw_id_fields = ("case", "client", "jurisdiction")


@admin.register(InboundUpdate)
class InboundUpdateAdmin(ReadOnlyScopedAdmin):
    personal_fields = ("description",)
    personal_permission = "cases.view_personal_case"
    list_display = ("case", "status", "client", "external_id", "reopened", "created_at")
    list_filter = ("status", "reopened", "client")
    search_fields = ("case__number", "external_id")
    raw_id_fields = ("case", "client")
