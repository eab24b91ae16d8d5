"""Emergency supplies (应急物资): warehouses, items, lots, minimums and movements."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import AreaScopedModel, TimeStampedModel

from ._common import DEPARTMENT, USER


class Warehouse(TimeStampedModel, AreaScopedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    department = models.ForeignKey(
        DEPARTMENT, verbose_name=_("managing unit"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return self.name


class SupplyItem(models.Model):
    """An entry of the reserve catalogue (储备品种目录)."""

    class Category(models.TextChoices):
        RESCUE = "rescue", _("Rescue supplies (应急救援物资)")
        LIVING = "living", _("Necessities (生活必需品)")
        EQUIPMENT = "equipment", _("Response equipment (应急处置装备)")
        MEDICAL = "medical", _("Medical supplies")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    unit = models.CharField(_("unit"), max_length=12)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("supply item")
        verbose_name_plural = _("supply items")

    def __str__(self) -> str:
        return self.name


class StockLot(models.Model):
    """A quantity of one item in one warehouse with one expiry date."""

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="lots"
    )
    item = models.ForeignKey(
        SupplyItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="lots"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    received_on = models.DateField(_("received on"))
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)

    class Meta:
        ordering = ["warehouse", "item", "expiry_date", "id"]
        verbose_name = _("stock lot")
        verbose_name_plural = _("stock lots")

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity} @ {self.warehouse}"


class StockMinimum(models.Model):
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="minimums"
    )
    item = models.ForeignKey(SupplyItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="+")
    minimum = models.PositiveIntegerField(_("minimum stock"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warehouse", "item"], name="emergency_minimum_unique")]
        verbose_name = _("minimum stock")
        verbose_name_plural = _("minimum stocks")

    def __str__(self) -> str:
        return f"{self.item} ≥ {self.minimum} @ {self.warehouse}"


class StockMovement(models.Model):
    class Kind(models.TextChoices):
        RECEIVE = "receive", _("Received")
        DISPATCH = "dispatch", _("Dispatched")
        ADJUST = "adjust", _("Adjusted")

    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT)
    item = models.ForeignKey(SupplyItem, verbose_name=_("item"), on_delete=models.PROTECT)
    lot = models.ForeignKey(StockLot, verbose_name=_("lot"), null=True, on_delete=models.SET_NULL)
    delta = models.IntegerField(_("change"))
    incident = models.ForeignKey(
        "Incident", verbose_name=_("incident"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, on_delete=models.SET_NULL)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")

    def __str__(self) -> str:
        return f"{self.kind} {self.item} {self.delta:+d}"
