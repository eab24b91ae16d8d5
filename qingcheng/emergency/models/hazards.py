"""Hazard sources (危险源) with their substances and periodic inspections."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import AreaScopedModel, PublicIdModel, TimeStampedModel

from ._common import DEPARTMENT, USER, RiskColour


class HazardSource(TimeStampedModel, PublicIdModel, AreaScopedModel):
    """A major hazard source (重大危险源), graded by the R index from its substances."""

    class Grade(models.IntegerChoices):
        ONE = 1, _("Grade 1 (一级, R ≥ 100)")
        TWO = 2, _("Grade 2 (二级, 50 ≤ R < 100)")
        THREE = 3, _("Grade 3 (三级, 10 ≤ R < 50)")
        FOUR = 4, _("Grade 4 (四级, R < 10)")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    owner_name = models.CharField(_("owner (unit)"), max_length=120)
    supervising_department = models.ForeignKey(
        DEPARTMENT,
        verbose_name=_("supervising department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    people_exposed = models.PositiveIntegerField(
        _("people within 500 m"), default=0, help_text=_("Number of people within 500 m of the boundary.")
    )
    s_value = models.DecimalField(_("S = Σ q/Q"), max_digits=12, decimal_places=4, default=0)
    r_value = models.DecimalField(_("R index"), max_digits=12, decimal_places=4, default=0)
    is_major = models.BooleanField(_("major hazard source (S ≥ 1)"), default=False)
    grade = models.PositiveSmallIntegerField(_("grade"), choices=Grade.choices, null=True, blank=True)
    risk_colour = models.CharField(_("risk colour"), max_length=10, choices=RiskColour.choices, blank=True)
    inspection_interval_days = models.PositiveIntegerField(_("inspection interval (days)"), default=30)
    last_inspected_on = models.DateField(_("last inspected on"), null=True, blank=True)
    filed_on = models.DateField(_("filed with the emergency management bureau on"), null=True, blank=True)
    sensor_codes = models.JSONField(_("linked sensors"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("hazard source")
        verbose_name_plural = _("hazard sources")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HazardSubstance(models.Model):
    class Category(models.TextChoices):
        TOXIC_GAS = "toxic_gas", _("Toxic gas (毒性气体)")
        HIGHLY_TOXIC = "highly_toxic", _("Highly toxic (剧毒)")
        EXPLOSIVE = "explosive", _("Explosive (爆炸品)")
        FLAMMABLE_GAS = "flammable_gas", _("Flammable gas (易燃气体)")
        OTHER = "other", _("Other (其他)")

    source = models.ForeignKey(
        HazardSource, verbose_name=_("hazard source"), on_delete=models.CASCADE, related_name="substances"
    )
    name = models.CharField(_("substance"), max_length=80)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    gas_key = models.CharField(
        _("toxic gas (β table key)"), max_length=20, blank=True, help_text=_("For example cl2, nh3, h2s.")
    )
    quantity_t = models.DecimalField(_("actual quantity q (t)"), max_digits=14, decimal_places=4)
    critical_t = models.DecimalField(_("critical quantity Q (t)"), max_digits=14, decimal_places=4)
    beta = models.DecimalField(_("correction factor β"), max_digits=6, decimal_places=2, default=1)

    class Meta:
        ordering = ["source", "name"]
        verbose_name = _("hazardous substance")
        verbose_name_plural = _("hazardous substances")

    def __str__(self) -> str:
        return f"{self.name} {self.quantity_t} t"


class HazardInspection(models.Model):
    source = models.ForeignKey(
        HazardSource, verbose_name=_("hazard source"), on_delete=models.CASCADE, related_name="inspections"
    )
    inspected_on = models.DateField(_("inspected on"))
    inspector = models.ForeignKey(USER, verbose_name=_("inspector"), null=True, on_delete=models.SET_NULL)
    findings = models.TextField(_("findings"), blank=True)
    passed = models.BooleanField(_("no hidden danger found"), default=True)

    class Meta:
        ordering = ["-inspected_on", "-id"]
        verbose_name = _("hazard source inspection")
        verbose_name_plural = _("hazard source inspections")

    def __str__(self) -> str:
        return f"{self.source.code} {self.inspected_on}"
