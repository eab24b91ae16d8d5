"""Back-office pages for working time (工作时间): calendar overrides, official years, office hours and
stored deadlines. `worktime.calendar_warnings()` gives the banner text for the admin index."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_scope import AreaScopedAdmin, CityWideConfigAdmin, ReadOnlyScopedAdmin
from .audit import audit_record, model_snapshot
from .models import CalendarOverride, CalendarYear, Deadline, WorkSchedule
from .worktime import calendar_year_mark_official, library_covers


class AuditedAdminMixin:
    """Edits made in the admin are writes like any other, so they go to the audit log too."""

    audit_prefix = ""

    def save_model(self, request, obj, form, change):
        before = None
        if change and obj.pk is not None:
            old = type(obj).objects.filter(pk=obj.pk).first()
            before = model_snapshot(old) if old is not None else None
        super().save_model(request, obj, form, change)
        action = f"{self.audit_prefix}.{'change' if change else 'create'}"
        audit_record(actor=request.user, action=action, obj=obj, before=before, after=model_snapshot(obj))

    def delete_model(self, request, obj):
        before, pk = model_snapshot(obj), str(obj.pk)
        super().delete_model(request, obj)
        audit_record(
            actor=request.user,
            action=f"{self.audit_prefix}.delete",
            object_type=obj._meta.label_lower,
            object_id=pk,
            area_code=getattr(obj, "area_code", "") or "",
            before=before,
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class YearListFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = CalendarOverride.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(AuditedAdminMixin, CityWideConfigAdmin):
    audit_prefix = "calendar_override"
    list_display = ("date", "weekday", "kind", "name", "note")
    list_filter = ("kind", YearListFilter)
    search_fields = ("name", "note")
    date_hierarchy = "date"
    ordering = ("date",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarOverride) -> str:
        return str(WEEKDAYS_ABBR[obj.date.weekday()])


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedAdminMixin, CityWideConfigAdmin):
    audit_prefix = "calendar_year"
    list_display = ("year", "covered_by_library", "official_schedule_entered", "entered_at", "note")
    list_filter = ("official_schedule_entered",)
    # The flag is only set by the action, which also recomputes the provisional deadlines.
    readonly_fields = ("official_schedule_entered", "entered_at")
    ordering = ("-year",)
    actions = ["mark_official"]

    @admin.display(boolean=True, description=_("covered by chinesecalendar"))
    def covered_by_library(self, obj: CalendarYear) -> bool:
        return library_covers(obj.year)

    @admin.action(
        description=_("Mark official schedule entered (recomputes provisional deadlines)"),
        permissions=["change"],
    )
    def mark_official(self, request, queryset):
        changed = 0
        for row in queryset:
            changed += calendar_year_mark_official(year=row.year, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "Marked official; %(count)d provisional deadline recomputed.",
                "Marked official; %(count)d provisional deadlines recomputed.",
                changed,
            )
            % {"count": changed},
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None):
        # Unmarking a year would make new deadlines provisional again while old ones stay official.
        return False


@admin.register(WorkSchedule)
class WorkScheduleAdmin(AuditedAdminMixin, AreaScopedAdmin):
    audit_prefix = "work_schedule"
    list_display = (
        "name",
        "area_code",
        "valid_from_month_day",
        "valid_to_month_day",
        "morning_start",
        "morning_end",
        "afternoon_start",
        "afternoon_end",
        "priority",
    )
    search_fields = ("name", "area_code")


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyScopedAdmin):
    """Stored deadlines are written by services only; here they are read."""

    list_display = ("pk", "purpose", "kind", "amount", "start", "due_at", "provisional", "area_code")
    list_filter = ("kind", "provisional")
    search_fields = ("purpose", "area_code")
    readonly_fields = [f.name for f in Deadline._meta.fields]
    date_hierarchy = "due_at"
