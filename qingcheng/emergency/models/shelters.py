"""Emergency shelters (应急避难场所)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import AreaScopedModel, TimeStampedModel

from ._common import DEPARTMENT


class Shelter(TimeStampedModel, AreaScopedModel):
    """An emergency shelter (应急避难场所), graded and classified after GB/T 44013-2024."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province level (省级)")
        CITY = "city", _("City level (市级)")
        COUNTY = "county", _("County level (县级)")
        TOWNSHIP = "township", _("Township/street level (乡镇(街道)级)")
        COMMUNITY = "community", _("Village/community level (村(社区)级)")

    class Duration(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediate (紧急)")
        SHORT = "short", _("Short term (短期)")
        MEDIUM = "medium", _("Medium term (中期)")
        LONG = "long", _("Long term (长期)")

    class Function(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("Comprehensive (综合)")
        SINGLE = "single", _("Single purpose (单一)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    duration = models.CharField(_("shelter duration"), max_length=12, choices=Duration.choices)
    function = models.CharField(_("function"), max_length=16, choices=Function.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    effective_area_m2 = models.PositiveIntegerField(_("effective area (m²)"))
    area_per_person_m2 = models.DecimalField(_("area per person (m²)"), max_digits=6, decimal_places=2)
    capacity = models.PositiveIntegerField(_("capacity (people)"))
    occupancy = models.PositiveIntegerField(_("people sheltered now"), default=0)
    service_radius_m = models.PositiveIntegerField(_("service radius (m)"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.CLOSED)
    managing_department = models.ForeignKey(
        DEPARTMENT,
        verbose_name=_("managing unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("shelter")
        verbose_name_plural = _("shelters")

    def __str__(self) -> str:
        return self.name
