"""What the emergency tables share: how they name the user and the unit tables, and the four risk colours
of hazard sources and warnings."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL
DEPARTMENT = "accounts.Department"


class RiskColour(models.TextChoices):
    """Four-colour risk grading (双重预防机制)."""

    RED = "red", _("Red – major risk (重大风险)")
    ORANGE = "orange", _("Orange – larger risk (较大风险)")
    YELLOW = "yellow", _("Yellow – general risk (一般风险)")
    BLUE = "blue", _("Blue – low risk (低风险)")
