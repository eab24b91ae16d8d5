from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import TimeStampedModel

from .fields import GeometryColumns


class Road(TimeStampedModel, GeometryColumns):
    """Road (道路) of the address gazetteer (地理编码数据)."""

    name = models.CharField(_("name"), max_length=100, db_index=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    area_code = models.CharField(_("district code"), max_length=15, db_index=True)
    synthetic = models.BooleanField(_("synthetic"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("road")
        verbose_name_plural = _("roads")

    def __str__(self) -> str:
        return self.name


class Place(TimeStampedModel):
    """A door-plate address (门牌地址) or point of interest (兴趣点) of the gazetteer."""

    class Kind(models.TextChoices):
        DOORPLATE = "doorplate", _("Door-plate address (门牌)")
        POI = "poi", _("Point of interest (兴趣点)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120, db_index=True)
    address_text = models.CharField(_("full address"), max_length=200)
    normalized = models.CharField(_("normalized address"), max_length=200, db_index=True)
    road = models.ForeignKey(Road, verbose_name=_("road"), null=True, blank=True, on_delete=models.SET_NULL)
    house_number = models.CharField(_("house number"), max_length=20, blank=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    area_code = models.CharField(_("area code"), max_length=15, db_index=True, blank=True)
    synthetic = models.BooleanField(_("synthetic"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        indexes = [models.Index(fields=["lon", "lat"], name="geo_place_lonlat")]

    def __str__(self) -> str:
        return self.address_text
