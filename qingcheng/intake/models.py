"""Intake channels (信息采集渠道): hotline work orders, machine (sensor/video) events and public ratings.

Supervisor and public reports need no table of their own: they become cases (with their reporters and
photos) through `cases.services.case_report`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import TimeStampedModel


class HotlineOrder(TimeStampedModel):
    """A hotline work order (热线工单): a 12319 call, or an order transferred from 12345 or 110."""

    class Channel(models.TextChoices):
        H12319 = "12319", _("12319 urban-management hotline")
        H12345 = "12345", _("12345 government hotline (transferred)")
        P110 = "110", _("110 police (transferred)")

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint (投诉)")
        ENQUIRY = "enquiry", _("Enquiry (咨询)")
        SUGGESTION = "suggestion", _("Suggestion (建议)")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received (已受理)")
        ANSWERED = "answered", _("Answered (已答复)")
        CASE_CREATED = "case_created", _("Case created (已转案卷)")
        TRANSFERRED_110 = "transferred_110", _("Transferred to 110 (已移交110)")
        CLOSED = "closed", _("Closed (已办结)")

    number = models.CharField(_("order number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, db_index=True)
    external_number = models.CharField(
        _("external number (12345/110)"), max_length=40, blank=True, db_index=True
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    caller_name = models.CharField(_("caller name"), max_length=60, blank=True)
    caller_phone = models.CharField(_("caller phone"), max_length=32, blank=True)
    content = models.TextField(_("content"), max_length=4000)
    answer = models.TextField(_("answer"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, db_index=True)
    category_code = models.CharField(_("subclass"), max_length=12, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hotline_orders",
    )
    transferred_at = models.DateTimeField(_("transferred to 110 at"), null=True, blank=True)
    transfer_reason = models.TextField(_("transfer reason"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hotline_orders"
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("hotline work order")
        verbose_name_plural = _("hotline work orders")
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="intake_hotline_idempotency_key",
            ),
            models.UniqueConstraint(
                fields=["channel", "external_number"],
                condition=~Q(external_number=""),
                name="intake_hotline_external_number",
            ),
        ]
        permissions = [("take_hotline_order", _("Can take hotline calls and transferred work orders"))]

    def __str__(self) -> str:
        return self.number


class MachineEventMapping(models.Model):
    """How a vendor's event code (a video-analytics or sensor alarm type) maps to a case subclass."""

    class Source(models.TextChoices):
        VIDEO = "video", _("Video analytics (视频智能识别)")
        SENSOR = "sensor", _("Sensor alarm (物联感知)")

    vendor = models.CharField(_("vendor"), max_length=40)
    event_code = models.CharField(_("vendor event code"), max_length=60)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    name = models.CharField(_("name"), max_length=60)
    category_code = models.CharField(_("subclass"), max_length=12)
    urgency = models.CharField(_("urgency"), max_length=10, default="normal")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["vendor", "event_code"]
        verbose_name = _("machine event mapping")
        verbose_name_plural = _("machine event mappings")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "event_code"], name="intake_mapping_vendor_code")
        ]

    def __str__(self) -> str:
        return f"{self.vendor}:{self.event_code} → {self.category_code}"


class MachineEvent(TimeStampedModel):
    """One event from a sensor or a video-analytics system; it becomes a draft case or joins an open one."""

    vendor = models.CharField(_("vendor"), max_length=40)
    event_id = models.CharField(_("vendor event id"), max_length=100)
    event_code = models.CharField(_("vendor event code"), max_length=60)
    device_id = models.CharField(_("device"), max_length=100, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    mapping = models.ForeignKey(MachineEventMapping, on_delete=models.PROTECT, related_name="events")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="machine_events"
    )
    deduplicated = models.BooleanField(
        _("joined an open case"), default=False, help_text=_("The event joined an open case of its subclass")
    )
    area_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("machine event")
        verbose_name_plural = _("machine events")
        constraints = [models.UniqueConstraint(fields=["vendor", "event_id"], name="intake_event_per_vendor")]

    def __str__(self) -> str:
        return f"{self.vendor}:{self.event_id}"


class PublicRating(TimeStampedModel):
    """The reporter's own satisfaction rating of a closed public case (one per case)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="public_rating")
    score = models.PositiveSmallIntegerField(_("score (1–5)"))
    comment = models.TextField(_("comment"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("public rating")
        verbose_name_plural = _("public ratings")

    def __str__(self) -> str:
        return f"{self.case_id} {self.score}"
