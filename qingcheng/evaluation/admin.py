from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qingcheng.core.admin_scope import CityWideConfigAdmin
from qingcheng.core.errors import ValidationFailed

from .models import SCHEME_FIELDS, ScoringScheme
from .services import scoring_scheme_check, scoring_scheme_save


class ScoringSchemeForm(forms.ModelForm):
    class Meta:
        model = ScoringScheme
        fields = ["name", "is_active", "note", *SCHEME_FIELDS]

    def _get_validation_exclusions(self):
        # Activating this scheme deactivates the others when it is saved (services.scoring_scheme_save),
        # so the one-active constraint is not checked against the schemes as they are now.
        return {*super()._get_validation_exclusions(), "is_active"}

    def clean(self):
        data = super().clean()
        if not self.errors:
            candidate = self.instance
            for name, value in data.items():
                setattr(candidate, name, value)
            try:
                scoring_scheme_check(candidate)
            except ValidationFailed as exc:
                self.add_error(exc.details.get("field") or None, exc.message)
        return data


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(CityWideConfigAdmin):
    """Weights and thresholds of the composite score; saved through the audited service."""

    form = ScoringSchemeForm

    list_display = [
        "name",
        "is_active",
        "on_time_target",
        "on_time_points",
        "close_target",
        "close_points",
        "updated_at",
    ]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "note"]}),
        (
            _("Regions and units (按期结案率, 结案率, 返工)"),
            {
                "fields": [
                    ("on_time_points", "on_time_target", "on_time_deduction"),
                    ("close_points", "close_target", "close_deduction"),
                    ("urgent_points", "urgent_target", "urgent_deduction"),
                    ("rework_penalty", "repeat_rework_threshold", "repeat_rework_penalty"),
                ]
            },
        ),
        (_("Colour grades"), {"fields": [("green_min_percent", "yellow_min_percent")]}),
        (
            _("Posts (岗位)"),
            {
                "fields": [
                    ("supervisor_valid_weight", "supervisor_verify_weight", "supervisor_check_weight"),
                    "receiver_on_time_weight",
                    ("dispatcher_accuracy_weight", "dispatcher_on_time_weight"),
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        scoring_scheme_save(actor=request.user, scheme=obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_active:
            return False
        return super().has_delete_permission(request, obj)
