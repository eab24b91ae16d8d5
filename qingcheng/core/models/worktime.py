"""Tables behind working time (工作时间): calendar overrides, official years, office hours, stored deadlines.

The arithmetic lives in `qingcheng.core.worktime`; these are tables only.
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import TimeStampedModel

month_day_validator = RegexValidator(
    r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
    _("Enter a month and day as MM-DD, e.g. 05-01."),
)


class CalendarOverride(TimeStampedModel):
    """One day whose status differs from what the library says (节假日/调休): an extra holiday or a
    make-up workday (调休上班). An override always wins over `chinesecalendar`; for a year the library
    does not cover yet, the State Council schedule (国务院办公厅节假日安排) is entered here."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (rest day)")
        WORKDAY = "workday", _("Make-up workday")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True, help_text=_("For example 元旦 or 春节."))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """Whether the official holiday schedule (国务院节假日安排) of a year has been entered as overrides.

    A year that `chinesecalendar` covers is official without a row. For any other year, deadlines are
    computed with Saturday/Sunday rest days plus the overrides and marked provisional until this flag is
    set (through `worktime.calendar_year_mark_official`, which recomputes them)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    official_schedule_entered = models.BooleanField(_("official schedule entered"), default=False)
    entered_at = models.DateTimeField(_("entered at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return str(self.year)


class WorkSchedule(TimeStampedModel):
    """Office hours (作息时间) of an area for a season, e.g. summer 夏季作息 and winter 冬季作息.

    The row with the longest `area_code` prefix of the case's area whose season contains the date wins
    (then the higher priority); blank `area_code` applies everywhere. Where nothing matches,
    `settings.WORKTIME_DEFAULT_PERIODS` applies."""

    area_code = models.CharField(
        _("area code prefix"),
        max_length=15,
        blank=True,
        db_index=True,
        help_text=_("Administrative-area code prefix; leave blank for everywhere."),
    )
    name = models.CharField(_("name"), max_length=60)
    valid_from_month_day = models.CharField(
        _("valid from (MM-DD)"), max_length=5, default="01-01", validators=[month_day_validator]
    )
    valid_to_month_day = models.CharField(
        _("valid to (MM-DD)"),
        max_length=5,
        default="12-31",
        validators=[month_day_validator],
        help_text=_("May be earlier than 'valid from' to wrap over the new year, e.g. 10-01 to 04-30."),
    )
    morning_start = models.TimeField(_("morning start"))
    morning_end = models.TimeField(_("morning end"))
    afternoon_start = models.TimeField(_("afternoon start"), null=True, blank=True)
    afternoon_end = models.TimeField(_("afternoon end"), null=True, blank=True)
    priority = models.SmallIntegerField(
        _("priority"), default=0, help_text=_("Breaks ties between rows of the same area prefix.")
    )

    class Meta:
        ordering = ["area_code", "valid_from_month_day", "-priority"]
        verbose_name = _("work schedule")
        verbose_name_plural = _("work schedules")

    def __str__(self) -> str:
        return f"{self.area_code or '*'} {self.name}"

    def clean(self) -> None:
        super().clean()
        if None in (self.morning_start, self.morning_end):
            return
        if (self.afternoon_start is None) != (self.afternoon_end is None):
            raise ValidationError(_("Give both afternoon times or neither."))
        times = [self.morning_start, self.morning_end]
        if self.afternoon_start is not None:
            times += [self.afternoon_start, self.afternoon_end]
        # Periods must be non-empty and in order, otherwise working time could be counted twice.
        for i in range(len(times) - 1):
            if times[i] > times[i + 1] or (i % 2 == 0 and times[i] == times[i + 1]):
                raise ValidationError(_("Working periods must be non-empty and in order within the day."))


class Deadline(TimeStampedModel):
    """A stored deadline (办理时限/法定期限). Cases and enforcement records point at these rows: `due_at` is
    stored so a later calendar change does not rewrite history, and provisional rows (computed in a year
    without an official holiday schedule) are found and recomputed when that year's schedule is entered.

    `amount` is in the unit of `kind`: hours for working or clock hours, days for working or calendar days
    (whole days only)."""

    class Kind(models.TextChoices):
        WORKING_HOURS = "working_hours", _("Working hours")
        WORKING_DAYS = "working_days", _("Working days")
        CALENDAR_DAYS = "calendar_days", _("Calendar days")
        CLOCK_HOURS = "clock_hours", _("Clock hours")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    start = models.DateTimeField(_("start"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=6)
    area_code = models.CharField(_("area code"), max_length=15, blank=True, db_index=True)
    due_at = models.DateTimeField(_("due at"), db_index=True)
    provisional = models.BooleanField(_("provisional"), default=False, db_index=True)
    computed_at = models.DateTimeField(_("computed at"))
    purpose = models.CharField(
        _("purpose"), max_length=80, blank=True, help_text=_("For example case.handle.")
    )

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")

    def __str__(self) -> str:
        return f"{self.purpose or self.kind} {self.amount.normalize():f} → {self.due_at.isoformat()}"
