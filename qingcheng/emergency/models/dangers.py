"""Hidden dangers (隐患) and their timeline."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import AreaScopedModel, PublicIdModel, TimeStampedModel

from ._common import DEPARTMENT, USER
from .hazards import HazardSource


class HiddenDanger(TimeStampedModel, PublicIdModel, AreaScopedModel):
    """A hidden danger (事故隐患) and its graded rectification."""

    class Level(models.TextChoices):
        GENERAL = "general", _("General (一般事故隐患)")
        MAJOR = "major", _("Major (重大事故隐患)")

    class Origin(models.TextChoices):
        INSPECTION = "inspection", _("Inspection (排查)")
        SUPERVISOR = "supervisor", _("Supervisor (监督员)")
        SENSOR = "sensor", _("Sensor (感知设备)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("To be rectified (待整改)")
        RECTIFYING = "rectifying", _("Rectifying (整改中)")
        AWAITING_ACCEPTANCE = "awaiting_acceptance", _("Awaiting acceptance (待验收)")
        CLOSED = "closed", _("Closed out (已销号)")

    number = models.CharField(_("number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    origin = models.CharField(_("found by"), max_length=12, choices=Origin.choices)
    hazard_source = models.ForeignKey(
        HazardSource,
        verbose_name=_("hazard source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hidden_dangers",
    )
    sensor_code = models.CharField(_("sensor"), max_length=64, blank=True)
    reported_by = models.ForeignKey(
        USER, verbose_name=_("reported by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    found_at = models.DateTimeField(_("found at"))
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    responsible_department = models.ForeignKey(
        DEPARTMENT, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    responsible_person = models.CharField(_("responsible person"), max_length=60, blank=True)
    measures = models.TextField(_("rectification measures"), blank=True)
    funds_fen = models.PositiveBigIntegerField(_("funds (fen)"), default=0)
    deadline = models.ForeignKey(
        "core.Deadline", verbose_name=_("deadline"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("rectification due at"), db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    rectified_by = models.ForeignKey(
        USER,
        verbose_name=_("rectified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        USER,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    supervised = models.BooleanField(_("listed for supervision (挂牌督办)"), default=False)
    reported_upward_at = models.DateTimeField(_("reported upward at"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    version = models.PositiveIntegerField(_("version"), default=0)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("hidden danger")
        verbose_name_plural = _("hidden dangers")
        permissions = [
            ("report_hiddendanger", _("Can report hidden dangers")),
            ("rectify_hiddendanger", _("Can rectify hidden dangers of their unit")),
            ("accept_hiddendanger", _("Can accept rectifications of hidden dangers")),
            ("supervise_hiddendanger", _("Can list hidden dangers for supervision")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class HiddenDangerEvent(models.Model):
    danger = models.ForeignKey(
        HiddenDanger, verbose_name=_("hidden danger"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, on_delete=models.SET_NULL)
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("hidden danger event")
        verbose_name_plural = _("hidden danger events")

    def __str__(self) -> str:
        return f"{self.danger.number} {self.action}"
