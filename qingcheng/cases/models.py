"""The case loop (七步闭环): catalogue, cases, tasks, timeline, photos, reporters and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import PublicIdModel, TimeStampedModel


class CatalogueVersion(TimeStampedModel):
    """A version of the case catalogue (事部件分类及时限). A published version is frozen: cases keep the
    limits of the version they were opened under; changes go into a new draft version."""

    name = models.CharField(_("name"), max_length=100)
    standard_ref = models.CharField(_("standard"), max_length=60, default="GB/T 30428.2-2013")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    is_current = models.BooleanField(_("current"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="cases_one_current_catalogue"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CaseCategory(models.Model):
    """A class of problem: a component (部件, code C + major + minor) or event (事件, E + major + minor)
    major class (大类), subclass (小类) or sub-subclass (子类)."""

    class Kind(models.TextChoices):
        COMPONENT = "component", _("Component (部件)")
        EVENT = "event", _("Event (事件)")

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(
        _("code"), max_length=12, help_text=_("C0101 = component 上水井盖; E0102 = event 暴露垃圾")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    opening_criteria = models.TextField(_("opening criteria (立案标准)"), blank=True)
    closing_criteria = models.TextField(_("closing criteria (结案标准)"), blank=True)
    default_urgency = models.CharField(_("default urgency"), max_length=10, default="normal")
    verified = models.BooleanField(_("code verified"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["version", "code"]
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="cases_category_code_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_subclass(self) -> bool:
        return len(self.code) >= 5


class StepLimit(models.Model):
    """Time limit of one step for a category (时限), optionally per handling type (处置类型, e.g. 停工 or
    拆除) and urgency."""

    class Step(models.TextChoices):
        VERIFY = "verify", _("Verify (核实)")
        OPEN = "open", _("Open (立案)")
        DISPATCH = "dispatch", _("Dispatch (派遣)")
        ACCEPT = "accept", _("Accept (签收)")
        HANDLE = "handle", _("Handle (处置)")
        CHECK = "check", _("Check (核查)")

    class Unit(models.TextChoices):
        WORKING_HOURS = "working_hours", _("working hours (工作时)")
        WORKING_DAYS = "working_days", _("working days (工作日)")
        CLOCK_HOURS = "clock_hours", _("clock hours (小时)")
        CALENDAR_DAYS = "calendar_days", _("calendar days (自然日)")

    category = models.ForeignKey(CaseCategory, on_delete=models.CASCADE, related_name="limits")
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    handling_type = models.CharField(_("handling type"), max_length=30, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, blank=True, help_text=_("blank = any"))
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)
    amount = models.DecimalField(_("amount"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("step limit")
        verbose_name_plural = _("step limits")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "step", "handling_type", "urgency"], name="cases_one_limit_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category.code} {self.step} {self.handling_type} {self.amount} {self.unit}"


class Case(TimeStampedModel, PublicIdModel):
    """A case (案卷) going round the seven-step loop."""

    class Source(models.TextChoices):
        SUPERVISOR = "supervisor", _("Supervisor (监督员上报)")
        HOTLINE_12319 = "hotline_12319", _("12319 hotline")
        HOTLINE_12345 = "hotline_12345", _("12345 transfer")
        POLICE_110 = "police_110", _("110 transfer")
        PUBLIC = "public", _("Public report (公众举报)")
        OPEN311 = "open311", _("Open311 client")
        SENSOR = "sensor", _("Sensor alarm (物联感知)")
        VIDEO = "video", _("Video analytics (视频智能识别)")
        LEADER = "leader", _("Assigned by leaders (领导交办)")

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported (待受理)")
        VERIFYING = "verifying", _("Verifying (核实中)")
        VERIFIED = "verified", _("Verified (待立案)")
        CANCELLED = "cancelled", _("Not opened (不予立案/作废)")
        MERGED = "merged", _("Merged (已合并)")
        OPENED = "opened", _("Opened (已立案/待派遣)")
        DISPATCHED = "dispatched", _("Dispatched (已派遣/待签收)")
        HANDLING = "handling", _("Handling (处置中)")
        RETURN_REQUESTED = "return_requested", _("Return requested (申请回退)")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested (申请延期)")
        PARK_REQUESTED = "park_requested", _("Parking requested (申请挂账)")
        PARKED = "parked", _("Parked (挂账)")
        DEFERRED = "deferred", _("Deferred (缓办)")
        FEEDBACK = "feedback", _("Handled, awaiting check (处理反馈)")
        CHECKING = "checking", _("Checking (核查中)")
        CHECK_PASSED = "check_passed", _("Check passed (待结案)")
        SELF_HANDLED = "self_handled", _("Self-handled (自行处置)")
        CLOSED = "closed", _("Closed (结案)")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent (紧急)")

    number = models.CharField(_("case number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, db_index=True)
    external_number = models.CharField(
        _("external number (12345/110)"), max_length=40, blank=True, db_index=True
    )
    category = models.ForeignKey(
        CaseCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    handling_type = models.CharField(_("handling type"), max_length=30, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, db_index=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    grid = models.ForeignKey(
        "geo.UnitGrid", verbose_name=_("grid (as found)"), on_delete=models.PROTECT, related_name="+"
    )
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=4000)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    owner_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("handling unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    suggested_department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Deadlines are stored rows (core.Deadline) so a later calendar change does not rewrite history.
    verify_deadline = models.ForeignKey(
        "core.Deadline", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    open_deadline = models.ForeignKey(
        "core.Deadline", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dispatch_deadline = models.ForeignKey(
        "core.Deadline", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accept_deadline = models.ForeignKey(
        "core.Deadline", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handle_deadline = models.ForeignKey(
        "core.Deadline", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    check_deadline = models.ForeignKey(
        "core.Deadline", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handle_due_at = models.DateTimeField(_("handling deadline"), null=True, blank=True, db_index=True)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returns"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)
    # Marked late in this handling round (by the sweep): a record, not what the screens count; see
    # cases.selectors.overdue_now_q for "overdue now".
    overdue = models.BooleanField(_("overdue"), default=False, db_index=True)
    supervised = models.BooleanField(_("under supervision (督办)"), default=False)
    was_deferred = models.BooleanField(_("deferred at some point (缓办)"), default=False)
    was_parked = models.BooleanField(_("parked at some point (挂账)"), default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    public_tracking_hash = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)
    pending_request = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["status", "handle_due_at"], name="cases_status_due"),
            models.Index(fields=["category", "status", "lon", "lat"], name="cases_dupe_lookup"),
        ]
        permissions = [
            ("report_case", _("Can report a problem")),
            ("field_task_case", _("Can do verification and check tasks on site")),
            ("accept_report_case", _("Can verify, open, reject and merge reports; send check tasks")),
            ("dispatch_case", _("Can dispatch and re-dispatch cases")),
            ("handle_case", _("Can accept and handle cases of own unit")),
            ("apply_case", _("Can apply for return, extension and parking")),
            ("approve_case", _("Can approve returns, extensions, parking and deferrals")),
            ("approve_second_extension_case", _("Can approve a second extension")),
            ("close_case", _("Can close cases")),
            ("supervise_case", _("Can place cases under supervision (督办)")),
            ("callback_case", _("Can call reporters back")),
            ("view_personal_case", _("Can see reporters' personal data")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def area_code(self) -> str:
        return self.grid_code


class CaseReporter(TimeStampedModel):
    """Who reported a problem. Merged cases bring their reporters to the surviving case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reporters")
    channel = models.CharField(max_length=20, choices=Case.Source.choices)
    name = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    anonymous = models.BooleanField(default=False)
    external_number = models.CharField(max_length=40, blank=True)
    original_case_number = models.CharField(max_length=20)

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")

    def __str__(self) -> str:
        return f"{self.original_case_number} {self.channel}"


class CaseTask(TimeStampedModel):
    """A field task for a supervisor: verify a report (核实) or check a handled case (核查)."""

    class Kind(models.TextChoices):
        VERIFY = "verify", _("Verification (核实)")
        CHECK = "check", _("Check (核查)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_tasks"
    )
    beat_code = models.CharField(max_length=20, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.BooleanField(null=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("field task")
        verbose_name_plural = _("field tasks")

    def __str__(self) -> str:
        return f"{self.case.number} {self.kind}"


class CaseEvent(models.Model):
    """One entry of a case's timeline (案卷流转记录)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(
        default=False, help_text=_("Shown to the reporter on the public tracking page")
    )

    class Meta:
        ordering = ["case", "seq"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="cases_event_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class CasePhoto(TimeStampedModel):
    """A photo of a case, stored by content hash outside the web root."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Before (处置前)")
        AFTER = "after", _("After (处置后)")
        CHECK = "check", _("Check (核查)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    storage_path = models.CharField(max_length=200)
    public_path = models.CharField(max_length=200, blank=True, help_text=_("Copy without GPS metadata"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.sha256[:12]}"


class Notification(TimeStampedModel):
    """An in-app notice to a person or to everyone of a unit (站内通知)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30)
    message = models.CharField(max_length=300)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.message


class IdempotencyRecord(models.Model):
    """A request that created something, keyed by the client's Idempotency-Key, so a retried upload from a
    field phone returns the first result instead of creating a second case."""

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    # Who may replay the key inside its scope (a hash of the client's identity, e.g. the public
    # reporter's browser token); empty where the scope itself is one client (a user, an application).
    client_hash = models.CharField(max_length=64, blank=True, default="")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="cases_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
