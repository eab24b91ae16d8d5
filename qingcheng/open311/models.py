"""Open311 GeoReport v2 server (开放311接口): jurisdictions, client applications and their keys, service
options and extra questions per subclass, and the link between a request posted over Open311 and its case.

Tables only; the rules live in services.py and selectors.py.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import TimeStampedModel

from .validators import validate_attribute_code, validate_time_zone


class Jurisdiction(TimeStampedModel):
    """A city served by this endpoint (管辖区域). While at most one is active, `jurisdiction_id` is
    optional; with two or more it is required on every call and each one sees only its own cases."""

    jurisdiction_id = models.CharField(
        _("jurisdiction id"),
        max_length=100,
        unique=True,
        help_text=_("What clients send as jurisdiction_id, e.g. the city's domain or its GB/T 2260 code"),
    )
    name = models.CharField(_("name"), max_length=100)
    area_code = models.CharField(
        _("area code"),
        max_length=12,
        blank=True,
        help_text=_(
            "GB/T 2260 code of the area it covers (150100) or a code prefix (1501); blank = everywhere"
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Shanghai",
        validators=[validate_time_zone],
        help_text=_(
            "Times that clients send without an offset (an HTML datetime-local value) are read in it"
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["jurisdiction_id"]
        verbose_name = _("Open311 jurisdiction")
        verbose_name_plural = _("Open311 jurisdictions")

    def __str__(self) -> str:
        return f"{self.name} ({self.jurisdiction_id})"


class Client(TimeStampedModel):
    """A client application (接入应用) with its own API key and rate limit. Only a SHA-256 of the key is
    stored; the key itself is shown once when it is issued."""

    name = models.CharField(_("application name"), max_length=100)
    contact = models.CharField(
        _("contact"), max_length=200, help_text=_("Who runs the application: organisation and e-mail")
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients",
        help_text=_("Blank = the key works for every jurisdiction"),
    )
    key_prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"), default=60, help_text=_("0 = no limit")
    )
    is_staff_client = models.BooleanField(
        _("staff application"),
        default=False,
        help_text=_("May use staff-only services, see private requests and update any request"),
    )
    active = models.BooleanField(_("active"), default=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 client application")
        verbose_name_plural = _("Open311 client applications")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class ServiceOption(TimeStampedModel):
    """How one subclass (by code, so it survives catalogue versions) is offered over Open311: its type,
    extra keywords and groups, and FixMyStreet's `private` and `staff` flags."""

    class Type(models.TextChoices):
        REALTIME = "realtime", _("realtime (the request id is returned at once)")
        BATCH = "batch", _("batch (a token is returned, resolved through tokens/)")

    category_code = models.CharField(_("subclass code"), max_length=12, unique=True)
    service_type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.REALTIME)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True, help_text=_("Comma-separated"))
    extra_groups = models.CharField(
        _("extra groups"), max_length=200, blank=True, help_text=_("Comma-separated, besides the major class")
    )
    private = models.BooleanField(
        _("private"), default=False, help_text=_("Its requests are not listed to the public")
    )
    staff_only = models.BooleanField(_("staff only"), default=False)
    hidden = models.BooleanField(_("not offered over Open311"), default=False)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Blank = the subclass's opening criteria")
    )

    class Meta:
        ordering = ["category_code"]
        verbose_name = _("Open311 service option")
        verbose_name_plural = _("Open311 service options")

    def __str__(self) -> str:
        return self.category_code


class ServiceAttribute(TimeStampedModel):
    """An extra question of a subclass (附加问题), published in its service definition."""

    class Datatype(models.TextChoices):
        STRING = "string", _("string (one line)")
        NUMBER = "number", _("number")
        DATETIME = "datetime", _("date and time")
        TEXT = "text", _("text (several lines)")
        SINGLE = "singlevaluelist", _("one of a list")
        MULTI = "multivaluelist", _("several of a list")

    category_code = models.CharField(_("subclass code"), max_length=12, db_index=True)
    code = models.CharField(
        _("code"),
        max_length=40,
        validators=[validate_attribute_code],
        help_text=_(
            "ASCII letters, digits, _ and - only: clients send it as the parameter name attribute[code]"
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    variable = models.BooleanField(
        _("asks for input"), default=True, help_text=_("Off: the description is only information")
    )
    datatype = models.CharField(_("datatype"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    description = models.CharField(_("question"), max_length=300)
    datatype_description = models.CharField(_("hint"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category_code", "order", "code"]
        verbose_name = _("Open311 service attribute")
        verbose_name_plural = _("Open311 service attributes")
        constraints = [
            models.UniqueConstraint(fields=["category_code", "code"], name="open311_attribute_code"),
            models.UniqueConstraint(fields=["category_code", "order"], name="open311_attribute_order"),
            models.CheckConstraint(condition=Q(order__gte=1), name="open311_attribute_order_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.category_code}.{self.code}"


class ServiceAttributeValue(models.Model):
    """One option of a list attribute."""

    attribute = models.ForeignKey(ServiceAttribute, on_delete=models.CASCADE, related_name="values")
    key = models.CharField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        ordering = ["attribute", "order", "key"]
        verbose_name = _("Open311 attribute value")
        verbose_name_plural = _("Open311 attribute values")
        constraints = [models.UniqueConstraint(fields=["attribute", "key"], name="open311_value_key")]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"


class ServiceRequest(TimeStampedModel):
    """A request posted over Open311 and the case the intake made of it. Personal data of the reporter
    goes to the case's reporter record (masked everywhere) and is not kept here."""

    client = models.ForeignKey(
        Client, verbose_name=_("client application"), on_delete=models.PROTECT, related_name="requests"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311_request"
    )
    service_code = models.CharField(_("service code"), max_length=12)
    token = models.CharField(_("token"), max_length=40, null=True, blank=True, unique=True)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    address_id = models.CharField(_("address id"), max_length=40, blank=True)
    area_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    closure_seen_at = models.DateTimeField(
        _("closure seen by the client at"),
        null=True,
        blank=True,
        help_text=_(
            "When the application, with its key, last fetched the case's latest closure: an OPEN update "
            "written after it is the reporter's request to reopen"
        ),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Open311 service request")
        verbose_name_plural = _("Open311 service requests")

    def __str__(self) -> str:
        return f"{self.service_code} → {self.case_id}"


class InboundUpdate(TimeStampedModel):
    """An update a client posted on a request (FixMyStreet's POST servicerequestupdates): a citizen's
    comment, 'fixed' or 'still there'. Names and e-mail addresses that come with it are not kept."""

    client = models.ForeignKey(
        Client, verbose_name=_("client application"), on_delete=models.PROTECT, related_name="updates"
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311_updates"
    )
    external_id = models.CharField(_("client's update id"), max_length=64)
    status = models.CharField(_("status"), max_length=40)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    media_urls = models.JSONField(_("media URLs"), default=list, blank=True)
    photos = models.JSONField(_("photos (SHA-256)"), default=list, blank=True)
    updated_at_client = models.DateTimeField(_("updated at (client)"))
    reopened = models.BooleanField(_("reopened the case"), default=False)
    case_status = models.CharField(_("case status after the update"), max_length=20, blank=True)
    area_code = models.CharField(_("grid code"), max_length=15, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Open311 inbound update")
        verbose_name_plural = _("Open311 inbound updates")
        constraints = [
            models.UniqueConstraint(fields=["client", "external_id"], name="open311_update_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.status} ({self.external_id})"
