"""Emergency plans (应急预案), their revisions and drills."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import AreaScopedModel, TimeStampedModel

from ._common import DEPARTMENT, USER
from .hazards import HazardSource
from .shelters import Shelter
from .supplies import Warehouse


class EmergencyPlan(TimeStampedModel, AreaScopedModel):
    class Kind(models.TextChoices):
        OVERALL = "overall", _("Overall plan (总体预案)")
        SPECIAL = "special", _("Special plan (专项预案)")
        DEPARTMENT = "department", _("Department plan (部门预案)")
        UNIT = "unit", _("Unit plan (单位预案)")
        ONSITE = "onsite", _("On-site disposal plan (现场处置方案)")

    class Owner(models.TextChoices):
        GOVERNMENT = "government", _("Government or department (every 2 years)")
        HIGH_RISK = "high_risk", _("High-risk unit (every 6 months)")
        OTHER = "other", _("Other unit")

    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    owner_type = models.CharField(_("owner type"), max_length=12, choices=Owner.choices)
    event_category = models.CharField(_("event category"), max_length=60, blank=True)
    compiled_by = models.ForeignKey(
        DEPARTMENT, verbose_name=_("compiled by"), null=True, blank=True, on_delete=models.PROTECT
    )
    version = models.CharField(_("version"), max_length=20, default="1.0")
    published_on = models.DateField(_("published on"))
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    filed_with = models.CharField(_("filed with"), max_length=120, blank=True)
    response_levels = models.TextField(_("response levels"), blank=True)
    drill_interval_months = models.PositiveSmallIntegerField(_("drill interval (months)"))
    revision_needed = models.BooleanField(_("revision needed"), default=False)
    hazard_sources = models.ManyToManyField(
        HazardSource, verbose_name=_("hazard sources"), blank=True, related_name="plans"
    )
    shelters = models.ManyToManyField(Shelter, verbose_name=_("shelters"), blank=True, related_name="plans")
    warehouses = models.ManyToManyField(
        Warehouse, verbose_name=_("warehouses"), blank=True, related_name="plans"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        constraints = [models.UniqueConstraint(fields=["code"], name="emergency_plan_code_unique")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PlanRevision(models.Model):
    class Trigger(models.TextChoices):
        LAW = "law", _("Law, rule or standard changed")
        COMMAND = "command", _("Command structure or duties changed")
        RISK = "risk", _("Major change in risk")
        RESOURCES = "resources", _("Major change in key resources")
        DRILL = "drill", _("Problems found in a drill or response")
        OTHER = "other", _("Other")

    plan = models.ForeignKey(
        EmergencyPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="revisions"
    )
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices)
    reason = models.TextField(_("reason"))
    drill = models.ForeignKey(
        "Drill", verbose_name=_("drill"), null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    new_version = models.CharField(_("new version"), max_length=20, blank=True)
    revised_on = models.DateField(_("revised on"), null=True, blank=True)
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("plan revision")
        verbose_name_plural = _("plan revisions")

    def __str__(self) -> str:
        return f"{self.plan.code} {self.trigger}"


class Drill(models.Model):
    class Form(models.TextChoices):
        LIVE = "live", _("Live exercise (实战演练)")
        TABLETOP = "tabletop", _("Tabletop exercise (桌面推演)")

    plan = models.ForeignKey(
        EmergencyPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="drills"
    )
    held_on = models.DateField(_("held on"))
    form = models.CharField(_("form"), max_length=10, choices=Form.choices)
    participants = models.PositiveIntegerField(_("participants"))
    evaluation = models.TextField(_("evaluation"), blank=True)
    problems = models.TextField(_("problems found"), blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("drill")
        verbose_name_plural = _("drills")

    def __str__(self) -> str:
        return f"{self.plan.code} {self.held_on}"
