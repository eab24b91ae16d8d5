from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import TimeStampedModel

from .areas import AdminArea
from .fields import GeometryColumns


class GridRevision(models.Model):
    """One change of the grid layer. Every process compares the newest id with the one its spatial index
    was built from and rebuilds when they differ."""

    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)
    grid_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("grid revision")
        verbose_name_plural = _("grid revisions")

    def __str__(self) -> str:
        return f"r{self.pk} {self.note}"


class UnitGrid(TimeStampedModel, GeometryColumns):
    """Unit grid (单元网格, GB/T 30428.1): a closed polygon of about 10,000 m² with a 15-digit code
    (6 county + 3 street + 3 community + 3 serial). Rows are versioned by validity dates, so a case keeps
    the grid it was found in after the grids are redrawn."""

    class LandUse(models.TextChoices):
        # Major classes of GB 50137-2011 (城市用地分类).
        RESIDENTIAL = "R", _("Residential (居住用地)")
        PUBLIC = "A", _("Public administration and services (公共管理与公共服务用地)")
        COMMERCIAL = "B", _("Commercial (商业服务业设施用地)")
        INDUSTRIAL = "M", _("Industrial (工业用地)")
        LOGISTICS = "W", _("Logistics and warehousing (物流仓储用地)")
        ROADS = "S", _("Roads and transport (道路与交通设施用地)")
        UTILITIES = "U", _("Public utilities (公用设施用地)")
        GREEN = "G", _("Green space and squares (绿地与广场用地)")
        NON_URBAN = "E", _("Non-urban (非建设用地)")

    class ManagementLevel(models.TextChoices):
        KEY = "1", _("Key area (一级, 重点区域)")
        MAIN = "2", _("Main area (二级, 主要区域)")
        GENERAL = "3", _("General area (三级, 一般区域)")

    code = models.CharField(_("grid code"), max_length=15, db_index=True)
    community = models.ForeignKey(
        AdminArea, verbose_name=_("community"), on_delete=models.PROTECT, related_name="grids"
    )
    area_m2 = models.FloatField(_("area (m²)"))
    land_use = models.CharField(_("land use"), max_length=1, choices=LandUse.choices, blank=True)
    management_level = models.CharField(
        _("management level"), max_length=1, choices=ManagementLevel.choices, default=ManagementLevel.GENERAL
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True, db_index=True)
    revision = models.ForeignKey(GridRevision, on_delete=models.PROTECT, related_name="grids")
    synthetic = models.BooleanField(_("synthetic"), default=False)

    class Meta:
        ordering = ["code", "valid_from"]
        verbose_name = _("unit grid")
        verbose_name_plural = _("unit grids")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="geo_grid_code_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="geo_grid_one_current"
            ),
        ]
        indexes = [models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"], name="geo_grid_bbox")]

    def __str__(self) -> str:
        return self.code

    @property
    def area_code(self) -> str:
        return self.code

    @property
    def district_code(self) -> str:
        return self.code[:6]

    @property
    def street_code(self) -> str:
        return self.code[:9]

    @property
    def community_code(self) -> str:
        return self.code[:12]


class SupervisionBeat(TimeStampedModel):
    """Supervision beat (监督网格): a group of unit grids patrolled by assigned supervisors."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    grid_codes = models.JSONField(_("grid codes"), default=list, blank=True)
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("supervisors"), blank=True, related_name="beats"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("supervision beat")
        verbose_name_plural = _("supervision beats")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Responsibility(TimeStampedModel):
    """Who answers for an area (责任主体): for an area code prefix (a district, street, community or one
    grid) and a matter type (a catalogue code prefix, blank = every matter), the grid chief (网格长), grid
    members (网格员) and responsible departments. Where no department is named, the street office is
    responsible (属地兜底)."""

    class Role(models.TextChoices):
        GRID_CHIEF = "grid_chief", _("Grid chief (网格长)")
        GRID_MEMBER = "grid_member", _("Grid member (网格员)")
        DEPARTMENT = "department", _("Responsible department (责任单位)")

    area_code = models.CharField(
        _("area or grid code"),
        max_length=15,
        db_index=True,
        help_text=_("Applies to every grid under this code."),
    )
    matter_type = models.CharField(
        _("matter type"),
        max_length=12,
        blank=True,
        help_text=_("Catalogue code prefix; blank means every matter."),
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), null=True, blank=True, on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.CASCADE
    )

    class Meta:
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(department__isnull=False),
                name="geo_responsibility_has_party",
            )
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.matter_type or '*'} {self.role}"
