"""Evaluation (综合评价, GB/T 30428.4): the configurable scoring scheme.

Indicators are computed on demand from the case tables (see `indicators.py` and docs/evaluation.md); the
only table of this app is the scoring scheme a bureau edits in the back office.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import TimeStampedModel

_PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]
_NON_NEGATIVE = [MinValueValidator(Decimal(0))]


def _points(label, default: str, help_text=""):
    return models.DecimalField(
        label,
        max_digits=7,
        decimal_places=3,
        default=Decimal(default),
        validators=_NON_NEGATIVE,
        help_text=help_text,
    )


def _percent(label, default: str, help_text=""):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=_PERCENT,
        help_text=help_text,
    )


class ScoringScheme(TimeStampedModel):
    """Weights and thresholds of the composite score (综合评分方案). The default is the 金华 scheme:
    按期结案率 ≥ 70% gives 50 points, one point less per percentage point below; 结案率 ≥ 90% gives 20
    points, one point less per point below; 0.2 points off per rework (返工), 0.5 more per case sent
    back three times or more. Exactly one scheme is active."""

    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=False)
    note = models.TextField(_("note"), blank=True)

    on_time_points = _points(_("on-time closure: full points"), "50")
    on_time_target = _percent(_("on-time closure: target rate (%)"), "70")
    on_time_deduction = _points(_("on-time closure: points off per percentage point below"), "1")
    close_points = _points(_("closure: full points"), "20")
    close_target = _percent(_("closure: target rate (%)"), "90")
    close_deduction = _points(_("closure: points off per percentage point below"), "1")
    urgent_points = _points(
        _("urgent on-time closure: full points"), "0", _("0 leaves urgent cases out of the score.")
    )
    urgent_target = _percent(_("urgent on-time closure: target rate (%)"), "95")
    urgent_deduction = _points(_("urgent on-time closure: points off per percentage point below"), "0.5")
    rework_penalty = _points(_("points off per rework"), "0.2")
    repeat_rework_threshold = models.PositiveSmallIntegerField(
        _("repeated rework: number of reworks"), default=3, validators=[MinValueValidator(1)]
    )
    repeat_rework_penalty = _points(_("repeated rework: extra points off per case"), "0.5")
    green_min_percent = _percent(_("green grade from (percent of full points)"), "90")
    yellow_min_percent = _percent(_("yellow grade from (percent of full points)"), "75")

    supervisor_valid_weight = _points(_("supervisors: weight of the valid-report rate"), "40")
    supervisor_verify_weight = _points(_("supervisors: weight of on-time verification"), "30")
    supervisor_check_weight = _points(_("supervisors: weight of on-time checks"), "30")
    receiver_on_time_weight = _points(_("receivers: weight of on-time acceptance"), "100")
    dispatcher_accuracy_weight = _points(_("dispatchers: weight of dispatch accuracy"), "50")
    dispatcher_on_time_weight = _points(_("dispatchers: weight of on-time dispatch"), "50")

    class Meta:
        ordering = ["-is_active", "name"]
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="evaluation_one_active_scheme"
            )
        ]
        permissions = [
            ("view_evaluation", _("Can see evaluation results and download reports")),
            ("view_command_centre", _("Can see the command centre")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def max_points(self) -> Decimal:
        return self.on_time_points + self.close_points + self.urgent_points


# The weights and thresholds, in the order the back office and the reports show them.
SCHEME_FIELDS = (
    "on_time_points",
    "on_time_target",
    "on_time_deduction",
    "close_points",
    "close_target",
    "close_deduction",
    "urgent_points",
    "urgent_target",
    "urgent_deduction",
    "rework_penalty",
    "repeat_rework_threshold",
    "repeat_rework_penalty",
    "green_min_percent",
    "yellow_min_percent",
    "supervisor_valid_weight",
    "supervisor_verify_weight",
    "supervisor_check_weight",
    "receiver_on_time_weight",
    "dispatcher_accuracy_weight",
    "dispatcher_on_time_weight",
)
