"""The working-day calendar kept as data (法定节假日及调休安排).

China's working days follow the State Council's yearly holiday schedule, published each November,
with make-up working days (调休). A year is *known* once its `CalendarYear` row exists; its
`CalendarDay` rows list the days that differ from Monday–Friday: holidays (放假) and make-up
working days (调休上班). A year without a row is counted Monday–Friday, and each such year the
deadline arithmetic actually used is kept in `CalendarFallback` so administrators are warned.

Years 2004–2026 are seeded from the `chinesecalendar` library (workdays/seeding.py); later years
are entered by a city administrator on the 工作日历 pages.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

FIRST_YEAR = 2000
LAST_YEAR = 2100


class TimeUnit(models.TextChoices):
    """The unit of a time limit; other apps' policy rows use it as their field's choices."""

    MINUTES = "minutes", _("分钟")
    HOURS = "hours", _("小时")
    WORKING_DAYS = "working_days", _("工作日")
    CALENDAR_DAYS = "calendar_days", _("自然日")


class CalendarSource(models.TextChoices):
    LIBRARY = "library", _("程序内置（chinesecalendar）")
    MANUAL = "manual", _("人工录入")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class CalendarYear(models.Model):
    """A year whose holiday schedule has been entered; the year number is the primary key."""

    year = models.PositiveSmallIntegerField(
        _("年度"), primary_key=True, validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("录入人"))
    entered_at = models.DateTimeField(_("录入时间"))
    source = models.CharField(_("来源"), max_length=10, choices=CalendarSource.choices,
                              default=CalendarSource.MANUAL)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=FIRST_YEAR, year__lte=LAST_YEAR),
                                   name="calendar_year_in_range"),
        ]

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from Monday–Friday in a known year: a holiday or a make-up working day."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=40, blank=True, help_text=_("如：国庆节、春节调休"))
    year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days", verbose_name=_("年度"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("节假日及调休日")
        verbose_name_plural = _("节假日及调休日")
        ordering = ["date"]
        constraints = [
            # The year is CalendarYear's primary key, so year_id is the year number itself.
            models.CheckConstraint(condition=Q(date__year=F("year_id")), name="calendar_day_in_its_year"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


class CalendarFallback(models.Model):
    """A year the deadline arithmetic counted Monday–Friday because it had not been entered."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    first_used_at = models.DateTimeField(_("首次使用时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("按周一至周五计算的年度")
        verbose_name_plural = _("按周一至周五计算的年度")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)
