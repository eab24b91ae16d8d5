"""Administrative enforcement tables (行政执法): the catalogue of violations with discretion benchmarks,
penalty cases with their documents, evidence, hearings and reviews, payments through the bank, disclosure
and credit, transfers of suspected crimes and non-site enforcement records.

Tables only; the rules live in `workflow.py` (transition tables), `deadlines.py` (statutory periods),
`services.py` and the other service modules. Money is integer fen (分) everywhere.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import AreaScopedModel, PublicIdModel, TimeStampedModel

USER = settings.AUTH_USER_MODEL


# ------------------------------------------------------------------------------------------ catalogue


class LegalBasis(models.Model):
    """One cited provision (法律依据): a law or regulation, an article, the quoted text and whether it was
    checked against a real text. An unverified basis is shown as such and is never presented as law."""

    law_name = models.CharField(_("law or regulation"), max_length=120)
    law_version = models.CharField(
        _("version"), max_length=60, blank=True, help_text=_("For example 2017-03-01 revision.")
    )
    article = models.CharField(_("article"), max_length=60, help_text=_("For example 第三十六条."))
    text = models.TextField(_("quoted text"), blank=True)
    verified = models.BooleanField(_("verified against the text"), default=False)
    source = models.CharField(
        _("source of the text"), max_length=300, blank=True, help_text=_("Where the quoted text was checked.")
    )

    class Meta:
        ordering = ["law_name", "article"]
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        constraints = [
            models.UniqueConstraint(fields=["law_name", "law_version", "article"], name="legal_basis_unique")
        ]

    def __str__(self) -> str:
        return f"《{self.law_name}》{self.article}"


class Violation(TimeStampedModel):
    """A violation in the catalogue (违法行为/案由), e.g. 占道经营, with what it breaks (违则) and what
    punishes it (罚则)."""

    class Domain(models.TextChoices):
        CITY_APPEARANCE = "appearance", _("City appearance and sanitation (市容环境卫生)")
        PLANNING = "planning", _("Planning and construction (规划建设)")
        ENVIRONMENT = "environment", _("Environmental protection (环境保护)")
        ROADS = "roads", _("Roads and traffic (道路交通)")
        WATER = "water", _("Water (水务)")
        GREENING = "greening", _("Greening (园林绿化)")
        MARKET = "market", _("Market and food (工商食药)")
        MUNICIPAL = "municipal", _("Municipal utilities (市政公用)")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices, db_index=True)
    description = models.TextField(_("description"), blank=True)
    violated = models.ManyToManyField(
        LegalBasis,
        verbose_name=_("provisions violated (违则)"),
        related_name="violations_violating",
        blank=True,
    )
    penalised_by = models.ManyToManyField(
        LegalBasis,
        verbose_name=_("penalty provisions (罚则)"),
        related_name="violations_penalising",
        blank=True,
    )
    case_category_code = models.CharField(
        _("case category code"),
        max_length=20,
        blank=True,
        help_text=_("The case-loop category (GB/T 30428.2 class) this violation is usually found as."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("violation")
        verbose_name_plural = _("violations")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def basis_verified(self) -> bool:
        bases = list(self.violated.all()) + list(self.penalised_by.all())
        return bool(bases) and all(b.verified for b in bases)


class DiscretionLevel(models.Model):
    """A discretion benchmark row (裁量基准): circumstances → the penalty range an officer may choose."""

    class Level(models.TextChoices):
        NONE = "none", _("No penalty (不予处罚)")
        MINOR = "minor", _("Minor (轻微)")
        ORDINARY = "ordinary", _("Ordinary (一般)")
        SERIOUS = "serious", _("Serious (较重)")
        SEVERE = "severe", _("Severe (严重)")

    violation = models.ForeignKey(Violation, on_delete=models.CASCADE, related_name="discretion_levels")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    circumstances = models.TextField(_("circumstances"))
    warning = models.BooleanField(_("warning"), default=False)
    fine_min_fen = models.PositiveBigIntegerField(_("minimum fine (fen)"), default=0)
    fine_max_fen = models.PositiveBigIntegerField(_("maximum fine (fen)"), default=0)
    fine_unit = models.CharField(
        _("fine unit"),
        max_length=40,
        blank=True,
        help_text=_(
            "Empty for a fixed amount, or what the amount is per (per m², per day, ×construction cost)."
        ),
    )
    other_penalties = models.CharField(_("other penalties"), max_length=200, blank=True)
    verified = models.BooleanField(
        _("benchmark from a published local standard"),
        default=False,
        help_text=_("Unchecked when the range is derived from the penalty provision only."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["violation", "order"]
        verbose_name = _("discretion benchmark")
        verbose_name_plural = _("discretion benchmarks")

    def __str__(self) -> str:
        return f"{self.violation.code} {self.get_level_display()}"


class CollectingBank(models.Model):
    """A bank branch that collects fines under a 代收罚款协议 (国务院令第235号). The platform never holds money;
    the bank reports payments by a signed callback whose key comes from the environment."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("bank and branch"), max_length=120)
    address = models.CharField(_("address"), max_length=200)
    agreement_number = models.CharField(_("collection agreement number"), max_length=60)
    budget_subject = models.CharField(_("budget subject"), max_length=60, blank=True)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("collecting bank")
        verbose_name_plural = _("collecting banks")

    def __str__(self) -> str:
        return self.name


class MonitoringPoint(TimeStampedModel, AreaScopedModel):
    """A published electronic monitoring point (电子技术监控设备, 行政处罚法 第四十一条): only records from a
    point that passed the legal and technical review and whose location is published may become evidence."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    violation = models.ForeignKey(
        Violation, verbose_name=_("violation detected"), on_delete=models.PROTECT, related_name="+"
    )
    reviewed_on = models.DateField(_("legal and technical review passed on"), null=True, blank=True)
    published_on = models.DateField(_("location published on"), null=True, blank=True)
    published_where = models.CharField(_("published where"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("monitoring point")
        verbose_name_plural = _("monitoring points")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# -------------------------------------------------------------------------------------- penalty cases


class Party(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual (自然人)")
    ORGANISATION = "organisation", _("Organisation (法人或其他组织)")


class PenaltyCase(TimeStampedModel, PublicIdModel, AreaScopedModel):
    """An administrative penalty case (行政处罚案件) under the general or the simplified procedure."""

    class Procedure(models.TextChoices):
        GENERAL = "general", _("General procedure (普通程序)")
        SIMPLIFIED = "simplified", _("Simplified on-the-spot procedure (简易程序)")

    class Source(models.TextChoices):
        CASE_LOOP = "case_loop", _("Case of the urban-management loop (数字城管案件)")
        INSPECTION = "inspection", _("Patrol inspection (巡查发现)")
        COMPLAINT = "complaint", _("Complaint or report (投诉举报)")
        NON_SITE = "non_site", _("Electronic monitoring (非现场执法)")
        REFERRAL = "referral", _("Referred by another agency (移送/交办)")
        RETURNED = "returned", _("Sent back by the police (公安退回)")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting filing approval (待立案审批)")
        NOT_FILED = "not_filed", _("Not filed (不予立案)")
        INVESTIGATING = "investigating", _("Investigating (调查取证)")
        REVIEWING = "reviewing", _("Investigation ended, head's review (调查终结审查)")
        NOTIFIED = "notified", _("Notified, statements and hearing period (告知/陈述申辩)")
        HEARING = "hearing", _("Hearing (听证)")
        DECIDING = "deciding", _("Deciding (审查决定)")
        LEGAL_REVIEW = "legal_review", _("Legal review (法制审核)")
        DECIDED = "decided", _("Decided, to be served (已决定/待送达)")
        EXECUTING = "executing", _("Served, executing (执行中)")
        EXECUTED = "executed", _("Executed (执行完毕)")
        NO_PENALTY = "no_penalty", _("No penalty (不予处罚)")
        TRANSFERRED = "transferred", _("Transferred to the judicial organs (移送司法机关)")
        SUSPENDED = "suspended", _("Suspended (中止)")
        TERMINATED = "terminated", _("Terminated (终结)")
        CLOSED = "closed", _("Closed (结案)")

    number = models.CharField(_("case number"), max_length=40, unique=True)
    procedure = models.CharField(_("procedure"), max_length=12, choices=Procedure.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, db_index=True)
    status_before_suspension = models.CharField(max_length=16, blank=True)
    source_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case of the loop"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="penalty_cases",
    )
    violation = models.ForeignKey(Violation, verbose_name=_("violation"), on_delete=models.PROTECT)
    discretion_level = models.ForeignKey(
        DiscretionLevel,
        verbose_name=_("discretion benchmark"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    facts = models.TextField(_("facts"), max_length=8000)
    address = models.CharField(_("place of the violation"), max_length=200)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    # 住建部令第55号 第十五条: the lead is checked and the filing decided within 15 working days of this.
    discovered_at = models.DateTimeField(
        _("lead discovered or received at (发现线索/收到材料)"), null=True, blank=True
    )

    # The party (当事人). Personal data: masked unless the actor may see it; ID numbers are never logged.
    party_kind = models.CharField(_("party"), max_length=12, choices=Party.choices)
    party_name = models.CharField(_("party name"), max_length=120)
    party_id_number = models.CharField(
        _("ID number or unified social credit code"), max_length=18, blank=True
    )
    party_representative = models.CharField(_("legal representative"), max_length=60, blank=True)
    party_address = models.CharField(_("party address"), max_length=200, blank=True)
    party_phone = models.CharField(_("party phone"), max_length=20, blank=True)

    officers = models.ManyToManyField(USER, verbose_name=_("case officers"), related_name="penalty_cases")
    proposed_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed at (立案)"), null=True, blank=True, db_index=True)
    filing_approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Penalty: intended at the notice, final at the decision.
    warning = models.BooleanField(_("warning"), default=False)
    fine_fen = models.PositiveBigIntegerField(_("fine (fen)"), default=0)
    confiscation_fen = models.PositiveBigIntegerField(_("confiscated illegal gains (fen)"), default=0)
    other_penalty = models.CharField(
        _("other penalty"),
        max_length=30,
        blank=True,
        help_text=_("Licence revocation, suspension of business and the other heavier penalties of Art. 63."),
    )
    hearing_right = models.BooleanField(_("hearing right (听证权)"), default=False)
    is_major = models.BooleanField(_("major case (集体讨论)"), default=False)
    needs_legal_review = models.BooleanField(_("legal review required (法制审核)"), default=False)

    # Stage facts the workflow guards consult.
    notified_at = models.DateTimeField(_("notice of intended penalty served at"), null=True, blank=True)
    rights_waived = models.BooleanField(_("party waived statements and hearing"), default=False)
    hearing_requested = models.BooleanField(default=False)
    hearing_done = models.BooleanField(default=False)
    legal_review_done = models.BooleanField(default=False)
    discussion_done = models.BooleanField(default=False)
    decision_extension_days = models.PositiveSmallIntegerField(
        _("decision period extended by (days)"), default=0
    )
    excluded_days = models.PositiveSmallIntegerField(
        _("days excluded from the decision period"),
        default=0,
        help_text=_(
            "Hearings, testing and suspension do not count towards the 90 days (住建部令第55号 第二十九条)."
        ),
    )

    decision_number = models.CharField(_("decision number"), max_length=60, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    served_at = models.DateTimeField(_("decision served at"), null=True, blank=True)
    service_method = models.CharField(_("service method"), max_length=20, blank=True)
    bank = models.ForeignKey(
        CollectingBank, verbose_name=_("collecting bank"), null=True, blank=True, on_delete=models.PROTECT
    )
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    simplified_filed_at = models.DateTimeField(
        _("on-the-spot decision filed with the agency at"), null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("penalty case")
        verbose_name_plural = _("penalty cases")
        permissions = [
            ("investigate_penaltycase", "Investigate and act on penalty cases (执法人员)"),
            ("approve_penaltycase", "Approve filing, decide, extend and close penalty cases (负责人)"),
            ("review_penaltycase", "Give the legal review opinion (法制审核)"),
            ("preside_hearing", "Preside over hearings (听证主持)"),
            ("view_party_data", "See the party's personal data unmasked"),
            ("collect_on_the_spot", "Collect fines on the spot with official receipts (当场收缴)"),
            ("manage_disclosure", "Publish and withdraw decisions and credit records (双公示)"),
            ("review_nonsite", "Review electronic monitoring records before use (非现场执法审核)"),
        ]
        indexes = [models.Index(fields=["area_code", "status"])]

    def __str__(self) -> str:
        return self.number


class PenaltyEvent(models.Model):
    """One step of a penalty case's timeline, with the officers who acted (全过程记录)."""

    case = models.ForeignKey(PenaltyCase, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    officer_ids = models.JSONField(_("officers present"), default=list, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)
    note = models.TextField(_("note"), blank=True, max_length=4000)
    data = models.JSONField(default=dict, blank=True)
    audit_entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("penalty case event")
        verbose_name_plural = _("penalty case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class PenaltyDeadline(models.Model):
    """A statutory period running on a penalty case, pointing at the stored `core.Deadline`. The sweep warns
    before it falls due and marks it overdue after; meeting it stops it."""

    class Purpose(models.TextChoices):
        FILING = "filing", _("Decide on filing (15 working days from the lead)")
        SIMPLIFIED_FILING = "simplified_filing", _("File the on-the-spot decision (3 working days)")
        STATEMENT = "statement", _("Statements and objections (5 working days)")
        HEARING_REQUEST = "hearing_request", _("Hearing request (5 working days)")
        LEGAL_REVIEW = "legal_review", _("Legal review opinion (10 working days)")
        DECISION = "decision", _("Decision (90 days from filing)")
        SERVICE = "service", _("Service of the decision (7 working days)")
        PAYMENT = "payment", _("Payment (15 days from service)")
        DISCLOSURE = "disclosure", _("Publication (7 working days)")
        WITHDRAWAL = "withdrawal", _("Withdrawal of a changed decision (3 working days)")
        CLOSING = "closing", _("Closing (15 working days after execution)")
        HAND_IN = "hand_in", _("Hand in cash collected on the spot (2 working days)")

    case = models.ForeignKey(PenaltyCase, on_delete=models.CASCADE, related_name="deadlines")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    deadline = models.ForeignKey("core.Deadline", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(db_index=True)
    met_at = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)
    warned_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("statutory period")
        verbose_name_plural = _("statutory periods")
        indexes = [models.Index(fields=["met_at", "cancelled", "due_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.purpose} → {self.due_at:%Y-%m-%d %H:%M}"


class ExcludedPeriod(models.Model):
    """Time that does not count towards the decision period: hearing, testing, suspension (中止)."""

    class Reason(models.TextChoices):
        HEARING = "hearing", _("Hearing (听证)")
        TESTING = "testing", _("Testing, inspection or expert opinion (检测检验鉴定)")
        SUSPENSION = "suspension", _("Suspension (中止)")

    case = models.ForeignKey(PenaltyCase, on_delete=models.CASCADE, related_name="excluded_periods")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["started_at"]
        verbose_name = _("excluded period")
        verbose_name_plural = _("excluded periods")

    def __str__(self) -> str:
        return f"{self.case_id} {self.reason} {self.started_at:%Y-%m-%d}"


class PenaltyDocument(models.Model):
    """A document of the case (执法文书) as issued: its number, kind and the fields it carries. The
    archive orders them as 住建部令第55号 第四十条 requires."""

    class Kind(models.TextChoices):
        CASE_SOURCE = "case_source", _("Case source record (案源登记)")
        FILING_APPROVAL = "filing_approval", _("Filing approval form (立案审批表)")
        INVESTIGATION_REPORT = "investigation_report", _("Investigation report (调查终结报告)")
        NOTICE = "notice", _("Notice of intended penalty (行政处罚告知书)")
        DECISION = "decision", _("Penalty decision (行政处罚决定书)")
        SIMPLIFIED_DECISION = "simplified_decision", _("On-the-spot decision (当场处罚决定书)")
        SERVICE_RECEIPT = "service_receipt", _("Proof of service (送达回证)")
        STATEMENT = "statement", _("Statements and objections (陈述申辩笔录)")
        HEARING_NOTICE = "hearing_notice", _("Hearing notice (听证通知书)")
        HEARING_RECORD = "hearing_record", _("Hearing record (听证笔录)")
        LEGAL_REVIEW = "legal_review", _("Legal review opinion (法制审核意见)")
        DISCUSSION = "discussion", _("Collective discussion record (集体讨论记录)")
        PAYMENT_NOTICE = "payment_notice", _("Payment notice (缴款通知书)")
        EXECUTION = "execution", _("Execution record (执行记录)")
        COURT_APPLICATION = "court_application", _("Application for compulsory execution (强制执行申请书)")
        CLOSING_APPROVAL = "closing_approval", _("Closing approval form (结案审批表)")
        OTHER = "other", _("Other (其他)")

    case = models.ForeignKey(PenaltyCase, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    number = models.CharField(_("document number"), max_length=60, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(_("fields"), default=dict)

    class Meta:
        ordering = ["issued_at", "pk"]
        verbose_name = _("enforcement document")
        verbose_name_plural = _("enforcement documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Evidence(TimeStampedModel):
    """An evidence file (证据) stored under its SHA-256 content address outside the web root; who collected
    it, when and where is recorded and chained into the audit log, so a changed file or row shows."""

    class Kind(models.TextChoices):
        DOCUMENTARY = "documentary", _("Documentary evidence (书证)")
        PHYSICAL = "physical", _("Physical evidence (物证)")
        AUDIOVISUAL = "audiovisual", _("Audio-visual material (视听资料)")
        ELECTRONIC = "electronic", _("Electronic data (电子数据)")
        WITNESS = "witness", _("Witness testimony (证人证言)")
        PARTY_STATEMENT = "party_statement", _("Party's statement (当事人陈述)")
        EXPERT = "expert", _("Expert opinion (鉴定意见)")
        ON_SITE_RECORD = "on_site_record", _("Inspection or on-site record (勘验笔录/现场笔录)")

    case = models.ForeignKey(
        PenaltyCase, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(max_length=60)
    storage_path = models.CharField(max_length=200)
    collected_at = models.DateTimeField(_("collected at"))
    collected_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    officer_ids = models.JSONField(_("officers present"), default=list)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    nonsite_record = models.ForeignKey(
        "NonSiteRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    record_digest = models.CharField(
        _("record digest"), max_length=64, help_text=_("SHA-256 of the row's fields, also in the audit log.")
    )
    audit_entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["collected_at", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")


class Hearing(models.Model):
    """A hearing (听证, 行政处罚法 第六十三至六十五条)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        HELD = "held", _("Held (已举行)")
        ABSENT = "absent", _("Party absent, taken as waiver (缺席视为放弃)")
        WITHDRAWN = "withdrawn", _("Request withdrawn (撤回)")

    case = models.OneToOneField(PenaltyCase, on_delete=models.CASCADE, related_name="hearing")
    requested_at = models.DateTimeField(_("requested at"))
    notice_served_at = models.DateTimeField(_("hearing notice served at"), null=True, blank=True)
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    public = models.BooleanField(_("public hearing"), default=True)
    presiding_officer = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agents = models.CharField(_("party's agents (at most 2)"), max_length=120, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    held_at = models.DateTimeField(null=True, blank=True)
    record = models.TextField(_("hearing record (笔录)"), blank=True)

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")

    def __str__(self) -> str:
        return f"{self.case_id} {self.outcome}"


class LegalReview(models.Model):
    """A legal review opinion (法制审核意见, 国办发〔2018〕118号; 住建部令第55号 第二十五条)."""

    class Opinion(models.TextChoices):
        AGREE = "agree", _("Agree (同意)")
        SUPPLEMENT = "supplement", _("Investigate further (补充调查)")
        CORRECT = "correct", _("Correct (纠正)")
        TRANSFER = "transfer", _("Transfer as a suspected crime (移送)")

    case = models.ForeignKey(PenaltyCase, on_delete=models.CASCADE, related_name="legal_reviews")
    requested_at = models.DateTimeField()
    reviewer = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    opinion = models.CharField(max_length=12, choices=Opinion.choices, blank=True)
    text = models.TextField(blank=True, max_length=4000)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]
        verbose_name = _("legal review")
        verbose_name_plural = _("legal reviews")

    def __str__(self) -> str:
        return f"{self.case_id} {self.opinion or 'pending'}"


# ------------------------------------------------------------------------------------------- payment


class PaymentNotice(TimeStampedModel):
    """A payment notice (缴款通知书): what the party pays at the collecting bank, by when. The surcharge
    (加处罚款, 3% a day, capped at the fine) is computed, never stored as money the platform holds."""

    class Status(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(PenaltyCase, on_delete=models.PROTECT, related_name="payment_notices")
    number = models.CharField(_("payment notice number"), max_length=32, unique=True)
    bank = models.ForeignKey(CollectingBank, on_delete=models.PROTECT, related_name="notices")
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    # When the notice was issued (with the decision's service): nobody can pay it before.
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    due_at = models.DateTimeField(_("pay by"))
    surcharge_applies = models.BooleanField(_("late-payment surcharge applies"), default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNPAID, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_fen = models.PositiveBigIntegerField(default=0)
    surcharge_paid_fen = models.PositiveBigIntegerField(default=0)
    bank_receipt_number = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment notice")
        verbose_name_plural = _("payment notices")


class SurchargeSuspension(models.Model):
    """A period in which the surcharge does not accrue: administrative review or litigation (第七十三条)."""

    class Reason(models.TextChoices):
        REVIEW = "review", _("Administrative review (行政复议)")
        LITIGATION = "litigation", _("Administrative litigation (行政诉讼)")

    notice = models.ForeignKey(PaymentNotice, on_delete=models.CASCADE, related_name="suspensions")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["started_on"]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.reason} {self.started_on}"


class BankCallback(models.Model):
    """A payment report received from a collecting bank. The (bank, transaction) pair is unique, so a
    duplicate callback is answered without paying twice; the nonce and timestamp stop replays."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        DUPLICATE = "duplicate", _("Duplicate")
        REJECTED = "rejected", _("Rejected")

    bank = models.ForeignKey(CollectingBank, on_delete=models.PROTECT, related_name="callbacks")
    transaction_id = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64, unique=True)
    notice = models.ForeignKey(PaymentNotice, null=True, on_delete=models.PROTECT, related_name="callbacks")
    amount_fen = models.PositiveBigIntegerField()
    paid_at = models.DateTimeField()
    received_at = models.DateTimeField(db_index=True)
    body_sha256 = models.CharField(max_length=64)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "transaction_id"], name="bank_transaction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bank_id} {self.transaction_id} {self.outcome}"


class OnTheSpotCollection(models.Model):
    """Cash collected on the spot with the finance department's receipt (当场收缴, 第六十八至七十一条),
    handed in to the agency within 2 working days and paid to the bank within 2 days after."""

    case = models.OneToOneField(PenaltyCase, on_delete=models.PROTECT, related_name="on_the_spot")
    receipt_number = models.CharField(_("official receipt number"), max_length=40, unique=True)
    amount_fen = models.PositiveBigIntegerField()
    ground = models.CharField(max_length=20)
    collected_at = models.DateTimeField()
    collected_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    hand_in_due_at = models.DateTimeField()
    handed_in_at = models.DateTimeField(null=True, blank=True)
    bank_due_at = models.DateTimeField(null=True, blank=True)
    banked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.receipt_number


class CourtApplication(TimeStampedModel):
    """An application to the people's court for compulsory execution (申请人民法院强制执行, 行政强制法
    第五十三、五十四条): a written reminder (催告) first, at least 10 days, and within 3 months after the
    review and litigation periods end."""

    class Status(models.TextChoices):
        REMINDED = "reminded", _("Reminder served (已催告)")
        FILED = "filed", _("Filed with the court (已申请)")
        ACCEPTED = "accepted", _("Accepted by the court (已受理)")
        REFUSED = "refused", _("Refused by the court (不予受理/不予执行)")
        EXECUTED = "executed", _("Executed (执行完毕)")

    case = models.ForeignKey(PenaltyCase, on_delete=models.PROTECT, related_name="court_applications")
    status = models.CharField(max_length=10, choices=Status.choices)
    reminder_served_at = models.DateTimeField()
    earliest_filing_at = models.DateTimeField()
    latest_filing_at = models.DateTimeField()
    court = models.CharField(max_length=120, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.CharField(max_length=300, blank=True)


# ----------------------------------------------------------------------------- disclosure and credit


class Disclosure(TimeStampedModel):
    """Public disclosure of a decision (行政处罚信息公示, 双公示) with personal data masked; withdrawn
    within 3 working days when the decision is changed, revoked or voided."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.OneToOneField(PenaltyCase, on_delete=models.PROTECT, related_name="disclosure")
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    published_at = models.DateTimeField(db_index=True)
    content = models.JSONField(_("published fields (masked)"))
    withdrawal_requested_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")


class CreditRecord(TimeStampedModel):
    """A credit record from a penalty decision (行政处罚信用信息): shown from the decision date for at least
    the minimum and at most the maximum period; the party may apply for repair (信用修复) after the minimum."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Published")
        REPAIRED = "repaired", _("Repaired (已修复)")
        EXPIRED = "expired", _("Publication period over")
        WITHDRAWN = "withdrawn", _("Withdrawn with the decision")

    case = models.OneToOneField(PenaltyCase, on_delete=models.PROTECT, related_name="credit_record")
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    shown_from = models.DateField()
    minimum_until = models.DateField()
    maximum_until = models.DateField()
    repair_requested_at = models.DateTimeField(null=True, blank=True)
    repaired_at = models.DateTimeField(null=True, blank=True)
    repair_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-shown_from"]
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")


# ------------------------------------------------------------------------- transfer of suspected crime


class CrimeTransfer(TimeStampedModel, PublicIdModel, AreaScopedModel):
    """Transfer of a suspected crime to the police (行刑衔接, 国务院令第310号), supervised by the
    procuratorate."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Written report, awaiting the head (书面报告待审批)")
        NOT_APPROVED = "not_approved", _("Not approved, reasons recorded (不批准移送)")
        APPROVED = "approved", _("Approved, to transfer within 24 hours (批准移送)")
        TRANSFERRED = "transferred", _("Transferred, awaiting the police receipt (已移送)")
        POLICE_REVIEWING = "police_reviewing", _("Received, police reviewing (公安审查中)")
        POLICE_FILED = "police_filed", _("Filed by the police (公安立案)")
        POLICE_REFUSED = "police_refused", _("Not filed by the police (公安不予立案)")
        RECONSIDERATION = "reconsideration", _("Reconsideration requested (提请复议)")
        PROCURATORATE = "procuratorate", _("Procuratorate supervision requested (提请立案监督)")
        HANDED_OVER = "handed_over", _("Goods and files handed over (移交完毕)")
        RETURNED = "returned", _("Back to administrative handling (退回/行政处理)")

    number = models.CharField(_("transfer number"), max_length=40, unique=True)
    penalty_case = models.ForeignKey(
        PenaltyCase, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers"
    )
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    suspected_offence = models.CharField(_("suspected offence"), max_length=120)
    summary = models.TextField(_("summary of facts"), max_length=8000)
    team = models.ManyToManyField(USER, verbose_name=_("task team (专案组)"), related_name="crime_transfers")
    reported_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    refusal_reasons = models.TextField(blank=True)
    police_unit = models.CharField(_("police unit"), max_length=120, blank=True)
    transferred_at = models.DateTimeField(null=True, blank=True)
    receipt_at = models.DateTimeField(_("police receipt signed at"), null=True, blank=True)
    police_decided_at = models.DateTimeField(null=True, blank=True)
    police_reasons = models.TextField(blank=True)
    reconsideration_requested_at = models.DateTimeField(null=True, blank=True)
    reconsideration_answered_at = models.DateTimeField(null=True, blank=True)
    procuratorate_requested_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    goods_list = models.JSONField(_("list of goods involved (涉案物品清单)"), default=list, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("transfer of a suspected crime")
        verbose_name_plural = _("transfers of suspected crimes")
        permissions = [
            ("decide_crimetransfer", "Decide on transfers of suspected crimes (负责人审批)"),
            ("observe_crimetransfer", "Supervise transfers read-only (检察监督)"),
        ]


class TransferEvent(models.Model):
    """One step of a transfer, with its deadline as it stood."""

    transfer = models.ForeignKey(CrimeTransfer, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True, max_length=4000)
    next_due_at = models.DateTimeField(null=True, blank=True)
    next_deadline = models.ForeignKey(
        "core.Deadline", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    late = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


# --------------------------------------------------------------------------------- non-site enforcement


class NonSiteRecord(TimeStampedModel, PublicIdModel, AreaScopedModel):
    """A record from a published monitoring point (非现场执法记录): reviewed before use, the party told and
    able to view the record and answer online through a link with its own secret."""

    class Status(models.TextChoices):
        CAPTURED = "captured", _("Captured, awaiting review (待审核)")
        REJECTED = "rejected", _("Rejected at review (审核不予采用)")
        NOTIFIED = "notified", _("Party notified (已告知)")
        ANSWERED = "answered", _("Party answered (已陈述申辩)")
        CASE_OPENED = "case_opened", _("Penalty case opened (已立案)")
        DROPPED = "dropped", _("Dropped after the answer (不予处罚)")

    point = models.ForeignKey(MonitoringPoint, on_delete=models.PROTECT, related_name="records")
    status = models.CharField(max_length=12, choices=Status.choices, db_index=True)
    captured_at = models.DateTimeField()
    subject = models.CharField(_("vehicle plate or subject"), max_length=40)
    party_name = models.CharField(max_length=120, blank=True)
    party_phone = models.CharField(max_length=20, blank=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    access_hash = models.CharField(max_length=64, blank=True)
    answer = models.TextField(blank=True, max_length=4000)
    answered_at = models.DateTimeField(null=True, blank=True)
    penalty_case = models.ForeignKey(
        PenaltyCase, null=True, blank=True, on_delete=models.PROTECT, related_name="nonsite_records"
    )

    class Meta:
        ordering = ["-captured_at"]
        verbose_name = _("non-site enforcement record")
        verbose_name_plural = _("non-site enforcement records")
