"""Lifeline status (生命线) per area and kind."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ._common import USER


class LifelineStatus(models.Model):
    """The latest known state of one lifeline (生命线) in one area; one row per area and kind."""

    class Kind(models.TextChoices):
        WATER = "water", _("Water supply")
        POWER = "power", _("Power")
        GAS = "gas", _("Gas")
        HEAT = "heat", _("Heating")
        TRAFFIC = "traffic", _("Traffic")
        TELECOM = "telecom", _("Telecom")

    class State(models.TextChoices):
        NORMAL = "normal", _("Normal")
        DEGRADED = "degraded", _("Degraded")
        OUTAGE = "outage", _("Outage")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Reported by staff")
        SENSING = "sensing", _("Sensing")

    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    kind = models.CharField(_("lifeline"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NORMAL)
    note = models.CharField(_("note"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        USER, verbose_name=_("updated by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["area_code", "kind"]
        verbose_name = _("lifeline status")
        verbose_name_plural = _("lifeline statuses")
        constraints = [
            models.UniqueConstraint(fields=["area_code", "kind"], name="emergency_lifeline_unique")
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.kind} {self.state}"
