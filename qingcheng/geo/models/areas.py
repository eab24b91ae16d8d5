from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import TimeStampedModel

from .fields import GeometryColumns


class AdminArea(TimeStampedModel, GeometryColumns):
    """Administrative area (行政区划): 自治区 → 盟/市 → 旗/县/区 (GB/T 2260, six digits) → 街道/镇 (nine
    digits) → 社区/村 (twelve digits)."""

    class Level(models.TextChoices):
        REGION = "region", _("Region (自治区/省)")
        CITY = "city", _("League or city (盟/市)")
        DISTRICT = "district", _("Banner, county or district (旗/县/区)")
        STREET = "street", _("Street or town (街道/镇)")
        COMMUNITY = "community", _("Community or village (社区/村)")

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    synthetic_boundary = models.BooleanField(
        _("synthetic boundary"), default=False, help_text=_("The boundary was generated, not surveyed.")
    )
    synthetic_name = models.BooleanField(_("synthetic name and code"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        indexes = [models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"], name="geo_area_bbox")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def area_code(self) -> str:
        return self.code
