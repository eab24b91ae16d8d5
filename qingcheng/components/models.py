"""City components (城市部件, GB/T 30428.2): the classes and the inventory."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import TimeStampedModel


class ComponentClass(models.Model):
    """A component major class (大类, 2 digits) or minor class (小类, 4 digits = major + minor)."""

    code = models.CharField(_("code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("major class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="minors",
    )
    verified = models.BooleanField(
        _("code verified"),
        default=False,
        help_text=_("Whether two independent implementations of the standard agree on this code."),
    )
    default_accuracy = models.CharField(_("default accuracy class"), max_length=1, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("component class")
        verbose_name_plural = _("component classes")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Component(TimeStampedModel):
    """A city component (部件) with its 16-digit code: 6 county + 2 major + 2 minor + 6 serial."""

    class State(models.TextChoices):
        INTACT = "intact", _("Intact (完好)")
        DAMAGED = "damaged", _("Damaged (破损)")
        LOST = "lost", _("Lost (丢失)")
        ABANDONED = "abandoned", _("Abandoned (废弃)")

    class Accuracy(models.TextChoices):
        A = "A", _("A: ±0.5 m")
        B = "B", _("B: ±1 m")
        C = "C", _("C: ±10 m")

    code = models.CharField(_("component code"), max_length=16, unique=True)
    component_class = models.ForeignKey(
        ComponentClass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="components"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    competent_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("competent department (主管部门)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_unit = models.CharField(_("owner unit (权属单位)"), max_length=100, blank=True)
    maintenance_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("maintenance unit (养护单位)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.INTACT)
    accuracy = models.CharField(
        _("positioning accuracy"), max_length=1, choices=Accuracy.choices, default="B"
    )
    first_recorded = models.DateField(_("first recorded (初始日期)"), null=True, blank=True)
    changed_on = models.DateField(_("changed (变更日期)"), null=True, blank=True)
    data_source = models.CharField(_("data source"), max_length=40, blank=True)
    photo = models.CharField(_("photo"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    synthetic = models.BooleanField(_("synthetic"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("component")
        verbose_name_plural = _("components")
        indexes = [models.Index(fields=["lon", "lat"], name="comp_lonlat")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def area_code(self) -> str:
        return self.grid_code

    @property
    def county_code(self) -> str:
        return self.code[:6]
