"""Back office for enforcement. The catalogue (violations, legal bases, discretion benchmarks), collecting
banks and monitoring points are edited here; penalty cases, evidence, payments, disclosures and transfers
are shown read-only and stay inside the user's area scope: they change only through the services, which
check the law's preconditions and write the audit log."""

from django.contrib import admin

from qingcheng.core.admin_scope import (
    AreaScopedAdmin,
    CityWideConfigAdmin,
    ReadOnlyScopedAdmin,
)

from . import models as m


class DiscretionInline(admin.TabularInline):
    model = m.DiscretionLevel
    extra = 0


@admin.register(m.LegalBasis)
class LegalBasisAdmin(CityWideConfigAdmin):
    list_display = ("law_name", "law_version", "article", "verified")
    list_filter = ("verified",)
    search_fields = ("law_name", "article", "text")


@admin.register(m.Violation)
class ViolationAdmin(CityWideConfigAdmin):
    list_display = ("code", "name", "domain", "case_category_code", "active")
    list_filter = ("domain", "active")
    search_fields = ("code", "name")
    filter_horizontal = ("violated", "penalised_by")
    inlines = [DiscretionInline]


@admin.register(m.DiscretionLevel)
class DiscretionLevelAdmin(CityWideConfigAdmin):
    list_display = ("violation", "level", "fine_min_fen", "fine_max_fen", "fine_unit", "verified")
    list_filter = ("level", "verified")


@admin.register(m.CollectingBank)
class CollectingBankAdmin(AreaScopedAdmin):
    list_display = ("code", "name", "agreement_number", "area_code", "active")


@admin.register(m.MonitoringPoint)
class MonitoringPointAdmin(AreaScopedAdmin):
    list_display = ("code", "name", "violation", "reviewed_on", "published_on", "active", "area_code")
    list_filter = ("active",)
    search_fields = ("code", "name")


class TimelineInline(admin.TabularInline):
    """A record's timeline shown under it, read-only: steps are written only by the services."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class CasePartAdmin(ReadOnlyScopedAdmin):
    """A row that belongs to a penalty case, scoped by the case's area."""

    scope_field = "case__area_code"


class EventInline(TimelineInline):
    model = m.PenaltyEvent
    fields = ("at", "action", "from_status", "to_status", "actor", "officer_ids", "note")


@admin.register(m.PenaltyCase)
class PenaltyCaseAdmin(ReadOnlyScopedAdmin):
    list_display = ("number", "procedure", "status", "violation", "area_code", "filed_at", "decided_at")
    list_filter = ("procedure", "status")
    search_fields = ("number", "decision_number")
    # The party's name, ID number and phone are personal data: not listed or searched here.
    exclude = ("party_name", "party_id_number", "party_phone", "party_address", "party_representative")
    inlines = [EventInline]


@admin.register(m.PenaltyEvent)
class PenaltyEventAdmin(CasePartAdmin):
    list_display = ("case", "action", "from_status", "to_status", "actor", "at")
    list_filter = ("action",)


@admin.register(m.PenaltyDeadline)
class PenaltyDeadlineAdmin(CasePartAdmin):
    list_display = ("case", "purpose", "due_at", "met_at", "overdue_at", "cancelled")
    list_filter = ("purpose",)


@admin.register(m.ExcludedPeriod)
class ExcludedPeriodAdmin(CasePartAdmin):
    list_display = ("case", "reason", "started_at", "ended_at")


@admin.register(m.PenaltyDocument)
class PenaltyDocumentAdmin(CasePartAdmin):
    list_display = ("case", "kind", "number", "issued_at")
    list_filter = ("kind",)
    exclude = ("fields",)


@admin.register(m.Evidence)
class EvidenceAdmin(CasePartAdmin):
    list_display = ("case", "kind", "title", "sha256", "size", "collected_at")
    list_filter = ("kind",)


@admin.register(m.Hearing)
class HearingAdmin(CasePartAdmin):
    list_display = ("case", "requested_at", "scheduled_for", "outcome")


@admin.register(m.LegalReview)
class LegalReviewAdmin(CasePartAdmin):
    list_display = ("case", "requested_at", "opinion", "answered_at")


@admin.register(m.PaymentNotice)
class PaymentNoticeAdmin(CasePartAdmin):
    list_display = ("number", "case", "bank", "amount_fen", "due_at", "status", "paid_at")
    list_filter = ("status",)


@admin.register(m.SurchargeSuspension)
class SurchargeSuspensionAdmin(ReadOnlyScopedAdmin):
    scope_field = "notice__case__area_code"
    list_display = ("notice", "reason", "started_on", "ended_on")


@admin.register(m.BankCallback)
class BankCallbackAdmin(ReadOnlyScopedAdmin):
    scope_field = "bank__area_code"
    list_display = ("bank", "transaction_id", "notice", "amount_fen", "outcome", "received_at")
    list_filter = ("outcome",)


@admin.register(m.OnTheSpotCollection)
class OnTheSpotCollectionAdmin(CasePartAdmin):
    list_display = ("receipt_number", "case", "amount_fen", "collected_at", "handed_in_at", "banked_at")


@admin.register(m.CourtApplication)
class CourtApplicationAdmin(CasePartAdmin):
    list_display = ("case", "status", "reminder_served_at", "earliest_filing_at", "latest_filing_at")


@admin.register(m.Disclosure)
class DisclosureAdmin(CasePartAdmin):
    list_display = ("case", "status", "published_at", "withdrawn_at")
    list_filter = ("status",)


@admin.register(m.CreditRecord)
class CreditRecordAdmin(CasePartAdmin):
    list_display = ("case", "status", "shown_from", "minimum_until", "maximum_until")
    list_filter = ("status",)


class TransferEventInline(TimelineInline):
    model = m.TransferEvent
    fields = ("at", "action", "from_status", "to_status", "actor", "next_due_at", "late")


@admin.register(m.CrimeTransfer)
class CrimeTransferAdmin(ReadOnlyScopedAdmin):
    list_display = ("number", "status", "suspected_offence", "reported_at", "transferred_at", "area_code")
    list_filter = ("status",)
    inlines = [TransferEventInline]


@admin.register(m.TransferEvent)
class TransferEventAdmin(ReadOnlyScopedAdmin):
    scope_field = "transfer__area_code"
    list_display = ("transfer", "action", "from_status", "to_status", "at", "late")


@admin.register(m.NonSiteRecord)
class NonSiteRecordAdmin(ReadOnlyScopedAdmin):
    list_display = ("point", "status", "captured_at", "subject", "area_code")
    list_filter = ("status",)
    exclude = ("party_name", "party_phone", "access_hash")
