"""The report page's filter form (GET)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qingcheng.cases.export import parse_instant
from qingcheng.core import clock

from .indicators import LEVELS
from .periods import Period, month_of, parse_period

LEVEL_CHOICES = [
    ("district", _("District")),
    ("street", _("Street")),
    ("community", _("Community")),
    ("grid", _("Grid")),
    ("department", _("Handling unit")),
    ("supervisor", _("Supervisors")),
    ("receiver", _("Receivers")),
    ("dispatcher", _("Dispatchers")),
]
assert [key for key, _label in LEVEL_CHOICES] == list(LEVELS)


class ReportForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        max_length=30,
        required=False,
        help_text=_("2026-10 (month), 2026-Q4 (quarter), 2026 (year) or 2026-10-01..2026-10-15"),
    )
    level = forms.ChoiceField(label=_("Level"), choices=LEVEL_CHOICES, required=False)
    as_of = forms.CharField(
        label=_("As of"),
        max_length=40,
        required=False,
        help_text=_("Empty = now; a date means the end of that day"),
    )

    def clean_period(self) -> Period:
        value = self.cleaned_data.get("period") or ""
        if not value:
            return month_of(clock.now())
        try:
            return parse_period(value)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Not a period: use 2026-10, 2026-Q4, 2026 or 2026-10-01..2026-10-15.")
            ) from exc

    def clean_level(self) -> str:
        return self.cleaned_data.get("level") or "district"

    def clean_as_of(self):
        value = (self.cleaned_data.get("as_of") or "").strip()
        if not value:
            return None
        try:
            return parse_instant(value, end_of_day=True)
        except ValueError as exc:
            raise forms.ValidationError(_("Not a date or date and time.")) from exc
