"""Users, handling units (departments), roles and area scopes, API keys and login throttling."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qingcheng.core.models import TimeStampedModel


class Department(TimeStampedModel):
    """Handling unit (处置单位): a professional department, street office, community or contractor."""

    class Kind(models.TextChoices):
        PROFESSIONAL = "professional", _("Professional department (专业部门)")
        STREET = "street", _("Street office (街道办事处)")
        COMMUNITY = "community", _("Community (社区)")
        CONTRACTOR = "contractor", _("Outsourced contractor (外包作业单位)")
        COMMAND = "command", _("Command centre (指挥中心)")
        ENFORCEMENT = "enforcement", _("Enforcement bureau (执法局)")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    area_code = models.CharField(
        _("area scope"),
        max_length=15,
        db_index=True,
        help_text=_("Administrative-area code prefix this unit is responsible for, e.g. 150105."),
    )
    phone = models.CharField(_("duty phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person or client application using the platform."""

    class StaffCategory(models.TextChoices):
        OFFICIAL = "official", _("Civil servant or public-institution staff (在编人员)")
        AUXILIARY = "auxiliary", _("Auxiliary staff (协管员)")
        CONTRACTOR = "contractor", _("Contractor staff (外包人员)")
        PUBLIC = "public", _("Member of the public (公众)")
        SYSTEM = "system", _("System or client application (系统)")

    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    area_code = models.CharField(
        _("area scope"),
        max_length=15,
        db_index=True,
        help_text=_("Administrative-area code prefix this user may see and act on, e.g. 150105 for 赛罕区."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    staff_category = models.CharField(
        _("staff category"), max_length=20, choices=StaffCategory.choices, default=StaffCategory.OFFICIAL
    )
    enforcement_certificate = models.CharField(_("enforcement certificate number"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("view_personal_data", _("Can see unmasked personal data")),
            ("perform_enforcement_act", _("Can perform administrative enforcement acts")),
            ("manage_accounts", _("Can manage users and departments in own area")),
            ("use_api", _("Can use the JSON API with an API key")),
            ("observe_only", _("Read-only supervision (procuratorate)")),
        ]

    def __str__(self) -> str:
        # Pages, exports and API answers name people with str(): never the login name, which is half a
        # credential (core.masking.person_label shows it only to account managers).
        return self.display_name or gettext("Staff member %(id)s") % {"id": self.pk}

    @property
    def is_auxiliary(self) -> bool:
        from .roles import AUXILIARY

        if self.staff_category == self.StaffCategory.AUXILIARY:
            return True
        if not self.pk:
            return False
        return self.groups.filter(name=AUXILIARY.group_name).exists()


class ApiKey(TimeStampedModel):
    """An API key for a client application. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginFailure(models.Model):
    """One failed login, kept for the throttling window."""

    username = models.CharField(max_length=150, db_index=True)
    client_ip = models.CharField(max_length=64, db_index=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"


class LoginThrottle(models.Model):
    """A counter of failed logins for one key (a username or a client address) in the current window.

    An attempt takes a slot under a row lock before the password is checked, so attempts running at the
    same moment cannot all be checked; a successful login gives its slot back."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
