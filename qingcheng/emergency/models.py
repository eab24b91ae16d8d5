"""Emergency management tables: hazard sources, hidden dangers, plans and drills, shelters, supplies,
incidents with warnings and response levels, lifeline status. Tables only; rules live in `grading.py`,
`workflow.py`, `services.py` and `selectors.py`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import AreaScopedModel, PublicIdModel, TimeStampedModel

USER = settings.AUTH_USER_MODEL
DEPARTMENT = "accounts.Department"


class RiskColour(models.TextChoices):
    """Four-colour risk grading (双重预防机制)."""

    RED = "red", _("Red – major risk (重大风险)")
    ORANGE = "orange", _("Orange – larger risk (较大风险)")
    YELLOW = "yellow", _("Yellow – general risk (一般风险)")
    BLUE = "blue", _("Blue – low risk (低风险)")


# ---------------------------------------------------------------------------------------- hazard sources


class HazardSource(TimeStampedModel, PublicIdModel, AreaScopedModel):
    """A major hazard source (重大危险源), graded by the R index from its substances."""

    class Grade(models.IntegerChoices):
        ONE = 1, _("Grade 1 (一级, R ≥ 100)")
        TWO = 2, _("Grade 2 (二级, 50 ≤ R < 100)")
        THREE = 3, _("Grade 3 (三级, 10 ≤ R < 50)")
        FOUR = 4, _("Grade 4 (四级, R < 10)")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    owner_name = models.CharField(_("owner (unit)"), max_length=120)
    supervising_department = models.ForeignKey(
        DEPARTMENT,
        verbose_name=_("supervising department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    people_exposed = models.PositiveIntegerField(
        _("people within 500 m"), default=0, help_text=_("Number of people within 500 m of the boundary.")
    )
    s_value = models.DecimalField(_("S = Σ q/Q"), max_digits=12, decimal_places=4, default=0)
    r_value = models.DecimalField(_("R index"), max_digits=12, decimal_places=4, default=0)
    is_major = models.BooleanField(_("major hazard source (S ≥ 1)"), default=False)
    grade = models.PositiveSmallIntegerField(_("grade"), choices=Grade.choices, null=True, blank=True)
    risk_colour = models.CharField(_("risk colour"), max_length=10, choices=RiskColour.choices, blank=True)
    inspection_interval_days = models.PositiveIntegerField(_("inspection interval (days)"), default=30)
    last_inspected_on = models.DateField(_("last inspected on"), null=True, blank=True)
    filed_on = models.DateField(_("filed with the emergency management bureau on"), null=True, blank=True)
    sensor_codes = models.JSONField(_("linked sensors"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("hazard source")
        verbose_name_plural = _("hazard sources")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HazardSubstance(models.Model):
    class Category(models.TextChoices):
        TOXIC_GAS = "toxic_gas", _("Toxic gas (毒性气体)")
        HIGHLY_TOXIC = "highly_toxic", _("Highly toxic (剧毒)")
        EXPLOSIVE = "explosive", _("Explosive (爆炸品)")
        FLAMMABLE_GAS = "flammable_gas", _("Flammable gas (易燃气体)")
        OTHER = "other", _("Other (其他)")

    source = models.ForeignKey(
        HazardSource, verbose_name=_("hazard source"), on_delete=models.CASCADE, related_name="substances"
    )
    name = models.CharField(_("substance"), max_length=80)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    gas_key = models.CharField(
        _("toxic gas (β table key)"), max_length=20, blank=True, help_text=_("For example cl2, nh3, h2s.")
    )
    quantity_t = models.DecimalField(_("actual quantity q (t)"), max_digits=14, decimal_places=4)
    critical_t = models.DecimalField(_("critical quantity Q (t)"), max_digits=14, decimal_places=4)
    beta = models.DecimalField(_("correction factor β"), max_digits=6, decimal_places=2, default=1)

    class Meta:
        ordering = ["source", "name"]
        verbose_name = _("hazardous substance")
        verbose_name_plural = _("hazardous substances")

    def __str__(self) -> str:
        return f"{self.name} {self.quantity_t} t"


class HazardInspection(models.Model):
    source = models.ForeignKey(
        HazardSource, verbose_name=_("hazard source"), on_delete=models.CASCADE, related_name="inspections"
    )
    inspected_on = models.DateField(_("inspected on"))
    inspector = models.ForeignKey(USER, verbose_name=_("inspector"), null=True, on_delete=models.SET_NULL)
    findings = models.TextField(_("findings"), blank=True)
    passed = models.BooleanField(_("no hidden danger found"), default=True)

    class Meta:
        ordering = ["-inspected_on", "-id"]
        verbose_name = _("hazard source inspection")
        verbose_name_plural = _("hazard source inspections")

    def __str__(self) -> str:
        return f"{self.source.code} {self.inspected_on}"


# ---------------------------------------------------------------------------------------- hidden dangers


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


# ---------------------------------------------------------------------------------------- shelters


class Shelter(TimeStampedModel, AreaScopedModel):
    """An emergency shelter (应急避难场所), graded and classified after GB/T 44013-2024."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province level (省级)")
        CITY = "city", _("City level (市级)")
        COUNTY = "county", _("County level (县级)")
        TOWNSHIP = "township", _("Township/street level (乡镇(街道)级)")
        COMMUNITY = "community", _("Village/community level (村(社区)级)")

    class Duration(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediate (紧急)")
        SHORT = "short", _("Short term (短期)")
        MEDIUM = "medium", _("Medium term (中期)")
        LONG = "long", _("Long term (长期)")

    class Function(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("Comprehensive (综合)")
        SINGLE = "single", _("Single purpose (单一)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    duration = models.CharField(_("shelter duration"), max_length=12, choices=Duration.choices)
    function = models.CharField(_("function"), max_length=16, choices=Function.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    effective_area_m2 = models.PositiveIntegerField(_("effective area (m²)"))
    area_per_person_m2 = models.DecimalField(_("area per person (m²)"), max_digits=6, decimal_places=2)
    capacity = models.PositiveIntegerField(_("capacity (people)"))
    occupancy = models.PositiveIntegerField(_("people sheltered now"), default=0)
    service_radius_m = models.PositiveIntegerField(_("service radius (m)"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.CLOSED)
    managing_department = models.ForeignKey(
        DEPARTMENT,
        verbose_name=_("managing unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("shelter")
        verbose_name_plural = _("shelters")

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------- supplies


class Warehouse(TimeStampedModel, AreaScopedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    department = models.ForeignKey(
        DEPARTMENT, verbose_name=_("managing unit"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return self.name


class SupplyItem(models.Model):
    """An entry of the reserve catalogue (储备品种目录)."""

    class Category(models.TextChoices):
        RESCUE = "rescue", _("Rescue supplies (应急救援物资)")
        LIVING = "living", _("Necessities (生活必需品)")
        EQUIPMENT = "equipment", _("Response equipment (应急处置装备)")
        MEDICAL = "medical", _("Medical supplies")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    unit = models.CharField(_("unit"), max_length=12)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("supply item")
        verbose_name_plural = _("supply items")

    def __str__(self) -> str:
        return self.name


class StockLot(models.Model):
    """A quantity of one item in one warehouse with one expiry date."""

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="lots"
    )
    item = models.ForeignKey(
        SupplyItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="lots"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    received_on = models.DateField(_("received on"))
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)

    class Meta:
        ordering = ["warehouse", "item", "expiry_date", "id"]
        verbose_name = _("stock lot")
        verbose_name_plural = _("stock lots")

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity} @ {self.warehouse}"


class StockMinimum(models.Model):
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="minimums"
    )
    item = models.ForeignKey(SupplyItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="+")
    minimum = models.PositiveIntegerField(_("minimum stock"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warehouse", "item"], name="emergency_minimum_unique")]
        verbose_name = _("minimum stock")
        verbose_name_plural = _("minimum stocks")

    def __str__(self) -> str:
        return f"{self.item} ≥ {self.minimum} @ {self.warehouse}"


class StockMovement(models.Model):
    class Kind(models.TextChoices):
        RECEIVE = "receive", _("Received")
        DISPATCH = "dispatch", _("Dispatched")
        ADJUST = "adjust", _("Adjusted")

    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT)
    item = models.ForeignKey(SupplyItem, verbose_name=_("item"), on_delete=models.PROTECT)
    lot = models.ForeignKey(StockLot, verbose_name=_("lot"), null=True, on_delete=models.SET_NULL)
    delta = models.IntegerField(_("change"))
    incident = models.ForeignKey(
        "Incident", verbose_name=_("incident"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, on_delete=models.SET_NULL)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")

    def __str__(self) -> str:
        return f"{self.kind} {self.item} {self.delta:+d}"


# ---------------------------------------------------------------------------------------- plans and drills


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


# ---------------------------------------------------------------------------------------- incidents


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


class LifelineStatus(models.Model):
    """The latest known state of one lifeline (生命线) in one area; one row per area and kind."""

    class Kind(models.TextChoices):
        WATER = "water", _("Water supply")
        POWER = "power", _("Power")
        GAS = "gas", _("Gas")
        HEAT = "heat", _("Heating")
        TRAFFIC = "traffic", _("Traffic")
        TELECOM = "telecom", _("Telecom")

    class State(models.TextChoices):
        NORMAL = "normal", _("Normal")
        DEGRADED = "degraded", _("Degraded")
        OUTAGE = "outage", _("Outage")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Reported by staff")
        SENSING = "sensing", _("Sensing")

    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    kind = models.CharField(_("lifeline"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NORMAL)
    note = models.CharField(_("note"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        USER, verbose_name=_("updated by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["area_code", "kind"]
        verbose_name = _("lifeline status")
        verbose_name_plural = _("lifeline statuses")
        constraints = [
            models.UniqueConstraint(fields=["area_code", "kind"], name="emergency_lifeline_unique")
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.kind} {self.state}"
