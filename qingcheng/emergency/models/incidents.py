"""Incidents (突发事件): the incident, its warnings (预警), response activations, tasks and timeline."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import AreaScopedModel, PublicIdModel, TimeStampedModel

from ._common import DEPARTMENT, USER, RiskColour
from .plans import EmergencyPlan


class Incident(TimeStampedModel, PublicIdModel, AreaScopedModel):
    class Category(models.TextChoices):
        NATURAL = "natural", _("Natural disaster (自然灾害)")
        ACCIDENT = "accident", _("Accident (事故灾难)")
        HEALTH = "health", _("Public health (公共卫生事件)")
        SOCIAL = "social", _("Social security (社会安全事件)")

    class Grade(models.TextChoices):
        PARTICULARLY_MAJOR = "1", _("Particularly major (特别重大)")
        MAJOR = "2", _("Major (重大)")
        LARGER = "3", _("Larger (较大)")
        GENERAL = "4", _("General (一般)")

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        RESPONDING = "responding", _("Responding")
        RECOVERY = "recovery", _("Response ended (recovery)")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=160)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    grade = models.CharField(_("event grade"), max_length=1, choices=Grade.choices)
    description = models.TextField(_("description"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REPORTED)
    response_level = models.PositiveSmallIntegerField(_("current response level"), null=True, blank=True)
    plan = models.ForeignKey(
        EmergencyPlan, verbose_name=_("plan"), null=True, blank=True, on_delete=models.SET_NULL
    )
    reported_by = models.ForeignKey(USER, verbose_name=_("reported by"), null=True, on_delete=models.SET_NULL)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [
            ("command_incident", _("Can start, adjust and end emergency responses")),
            ("issue_warning", _("Can issue and lift warnings")),
            ("dispatch_supplies", _("Can dispatch supplies and tasks for incidents")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class EmergencyWarning(TimeStampedModel, AreaScopedModel):
    """A warning (预警) with the fields of 突发事件应对法 Art. 64."""

    class Level(models.IntegerChoices):
        ONE = 1, _("Level 1 – red (一级 红色)")
        TWO = 2, _("Level 2 – orange (二级 橙色)")
        THREE = 3, _("Level 3 – yellow (三级 黄色)")
        FOUR = 4, _("Level 4 – blue (四级 蓝色)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("In force")
        LIFTED = "lifted", _("Lifted")

    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warnings",
    )
    category = models.CharField(_("category"), max_length=60)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    colour = models.CharField(_("colour"), max_length=10, choices=RiskColour.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    affected_area = models.CharField(_("affected area"), max_length=200)
    advice = models.TextField(_("matters to heed"))
    measures = models.TextField(_("measures"))
    issuer = models.CharField(_("issued by (unit)"), max_length=120)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        USER, verbose_name=_("issued by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        USER, verbose_name=_("lifted by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")

    def __str__(self) -> str:
        return f"{self.category} {self.get_level_display()}"


class ResponseActivation(models.Model):
    """One period of an emergency response at one level (Art. 72 start, Art. 86 end)."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="responses"
    )
    level = models.PositiveSmallIntegerField(_("response level"))
    matters = models.TextField(_("response matters"))
    measures = models.TextField(_("measures"))
    expected_until = models.DateTimeField(_("expected until"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    started_by = models.ForeignKey(
        USER, verbose_name=_("started by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        USER, verbose_name=_("ended by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(_("end reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("response activation")
        verbose_name_plural = _("response activations")

    def __str__(self) -> str:
        return f"{self.incident.number} L{self.level}"


class IncidentTask(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        DONE = "done", _("Done")

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="tasks"
    )
    department = models.ForeignKey(DEPARTMENT, verbose_name=_("unit"), on_delete=models.PROTECT)
    description = models.TextField(_("task"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ASSIGNED)
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.ForeignKey(
        USER, verbose_name=_("assigned by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["assigned_at", "id"]
        verbose_name = _("incident task")
        verbose_name_plural = _("incident tasks")

    def __str__(self) -> str:
        return f"{self.incident.number} → {self.department}"


class IncidentEvent(models.Model):
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, on_delete=models.SET_NULL)
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from status"), max_length=12, blank=True)
    to_status = models.CharField(_("to status"), max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")

    def __str__(self) -> str:
        return f"{self.incident.number} {self.action}"
