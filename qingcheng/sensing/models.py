"""Sensing tables: devices and their keys, readings, alarm rules, rule state, alarms, ingest counters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import TimeStampedModel

from .types import TYPE_CHOICES


class Severity(models.TextChoices):
    """The four warning colours; NGSI `Alert.severity` low/medium/high/critical map onto them."""

    BLUE = "blue", _("Blue (蓝)")
    YELLOW = "yellow", _("Yellow (黄)")
    ORANGE = "orange", _("Orange (橙)")
    RED = "red", _("Red (红)")


SEVERITY_RANK = {"blue": 1, "yellow": 2, "orange": 3, "red": 4}
SEVERITY_TO_NGSI = {"blue": "low", "yellow": "medium", "orange": "high", "red": "critical"}


class Device(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MAINTENANCE = "maintenance", _("Under maintenance")
        RETIRED = "retired", _("Retired")

    device_id = models.CharField(_("device id"), max_length=64, unique=True)
    device_type = models.CharField(_("device type"), max_length=20, choices=TYPE_CHOICES, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    area_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    owner = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("owner unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    controlled_properties = models.JSONField(_("controlled properties"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    synthetic = models.BooleanField(_("synthetic"), default=False)
    # Latest state, written by ingestion (one row update per device per batch).
    last_seen_at = models.DateTimeField(_("last reading received"), null=True, blank=True, db_index=True)
    last_observed_at = models.DateTimeField(_("last observed at"), null=True, blank=True)
    last_values = models.JSONField(_("latest values"), default=dict, blank=True)
    battery = models.FloatField(_("battery"), null=True, blank=True)

    class Meta:
        ordering = ["device_id"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def __str__(self) -> str:
        return self.device_id


class DeviceKey(TimeStampedModel):
    """An API key of one device for HTTP ingestion; only a SHA-256 of the secret is stored."""

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="keys"
    )
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device key")
        verbose_name_plural = _("device keys")

    def __str__(self) -> str:
        return f"{self.device_id} {self.prefix}…"


class Reading(models.Model):
    """One message of one device: its observation time and the values it carried."""

    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="+")
    observed_at = models.DateTimeField(_("observed at"))
    received_at = models.DateTimeField(_("received at"))
    seq = models.BigIntegerField(_("sequence number"), null=True, blank=True)
    values = models.JSONField(_("values"), default=dict)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        constraints = [
            models.UniqueConstraint(fields=["device", "observed_at"], name="sensing_reading_device_time")
        ]

    def __str__(self) -> str:
        return f"{self.device_id}@{self.observed_at:%Y-%m-%d %H:%M:%S}"


class AlarmRule(TimeStampedModel):
    class Kind(models.TextChoices):
        THRESHOLD = "threshold", _("Threshold with hysteresis")
        RATE = "rate", _("Rate of change")
        STALE = "stale", _("Stale data")
        STATUS = "status", _("Status value")

    name = models.CharField(_("name"), max_length=100)
    device_type = models.CharField(_("device type"), max_length=20, choices=TYPE_CHOICES, db_index=True)
    device = models.ForeignKey(
        Device,
        verbose_name=_("only this device"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    prop = models.CharField(_("property"), max_length=40, blank=True)
    high = models.FloatField(_("raise above"), null=True, blank=True)
    low = models.FloatField(_("raise below"), null=True, blank=True)
    hysteresis = models.FloatField(
        _("hysteresis"), default=0, help_text=_("Recover only this far back inside the limit")
    )
    raise_after = models.PositiveIntegerField(
        _("raise after N readings"),
        default=1,
        help_text=_("Tolerance window: consecutive breaching readings"),
    )
    clear_after = models.PositiveIntegerField(_("recover after N readings"), default=1)
    max_rate_per_min = models.FloatField(_("max change per minute"), null=True, blank=True)
    stale_seconds = models.PositiveIntegerField(_("stale after seconds"), null=True, blank=True)
    status_values = models.JSONField(_("alarming status values"), default=list, blank=True)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.YELLOW
    )
    event_code = models.CharField(
        _("machine event code"), max_length=60, blank=True, help_text=_("Opens a case through machine intake")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["device_type", "name"]
        verbose_name = _("alarm rule")
        verbose_name_plural = _("alarm rules")

    def __str__(self) -> str:
        return self.name


class RuleState(models.Model):
    """Evaluation state of one rule on one device (kept only once it differs from the quiet default)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+", verbose_name=_("device"))
    rule = models.ForeignKey(AlarmRule, on_delete=models.CASCADE, related_name="+", verbose_name=_("rule"))
    breaches = models.PositiveIntegerField(_("consecutive breaches"), default=0)
    oks = models.PositiveIntegerField(_("consecutive normal readings"), default=0)
    alarm = models.ForeignKey(
        "Alarm", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("alarm")
    )

    class Meta:
        verbose_name = _("rule state")
        verbose_name_plural = _("rule states")
        constraints = [models.UniqueConstraint(fields=["device", "rule"], name="sensing_state_device_rule")]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.rule_id}"


class Alarm(TimeStampedModel):
    class Status(models.TextChoices):
        RAISED = "raised", _("Raised")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RECOVERED = "recovered", _("Recovered")
        CLOSED = "closed", _("Closed")

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="alarms"
    )
    rule = models.ForeignKey(
        AlarmRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="alarms"
    )
    area_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, db_index=True)
    value = models.CharField(_("value"), max_length=60, blank=True)
    message = models.CharField(_("message"), max_length=200, blank=True)
    observed_at = models.DateTimeField(_("observed at"))
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recovered_at = models.DateTimeField(_("recovered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("case"),
    )
    case_error = models.CharField(_("case error"), max_length=200, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        permissions = [
            ("acknowledge_alarm", _("Can acknowledge sensor alarms")),
            ("close_alarm", _("Can close sensor alarms")),
        ]
        indexes = [models.Index(fields=["device", "rule", "status"], name="sensing_alarm_dev_rule")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.rule_id} {self.status}"


class IngestCounter(models.Model):
    """How many messages each ingestion outcome saw (stored, malformed, unknown_device, ...)."""

    source = models.CharField(_("source"), max_length=60, help_text=_("The ingester or channel"))
    reason = models.CharField(_("reason"), max_length=30)
    count = models.BigIntegerField(_("count"), default=0)
    last_at = models.DateTimeField(_("last at"), null=True, blank=True)
    last_detail = models.CharField(_("last detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["source", "reason"]
        verbose_name = _("ingest counter")
        verbose_name_plural = _("ingest counters")
        constraints = [
            models.UniqueConstraint(fields=["source", "reason"], name="sensing_counter_source_reason")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.reason}={self.count}"
