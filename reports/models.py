"""Targets as data: the value an indicator should reach, per area and year (issue 13)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    CITY = "city", _("全市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")


class Target(models.Model):
    """目标值: the indicator should reach at least `value` in the area from `year` on.

    A target holds from its year until a later year's row of the same area replaces it (the city's "by
    2020: ≥ 80 %" still holds in 2026). The lookup (reports.selectors.target_for) takes the most specific
    area that has a target, then that area's latest year not after the one asked.
    """

    indicator = models.CharField(_("指标"), max_length=40, help_text=_("reports.indicators 中的指标代码"))
    level = models.CharField(_("区域层级"), max_length=10, choices=AreaLevel.choices)
    area_id = models.PositiveIntegerField(_("区域编号"), null=True, blank=True,
                                          help_text=_("区、街道或社区的编号；全市留空。"))
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("目标值"), max_digits=6, decimal_places=1)
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("指标目标")
        verbose_name_plural = _("指标目标")
        ordering = ["indicator", "level", "area_id", "year"]
        constraints = [
            # NULL is never equal to NULL in a unique index: the city's rows need a constraint of their own.
            models.UniqueConstraint(fields=["indicator", "level", "area_id", "year"],
                                    condition=Q(area_id__isnull=False), name="unique_target_per_area_year"),
            models.UniqueConstraint(fields=["indicator", "year"], condition=Q(level="city"),
                                    name="unique_city_target_per_year"),
            models.CheckConstraint(condition=Q(level="city", area_id__isnull=True)
                                   | (~Q(level="city") & Q(area_id__isnull=False)),
                                   name="target_city_has_no_area"),
        ]

    def __str__(self):
        return f"{self.indicator} · {self.get_level_display()} {self.area_id or ''} · {self.year} · {self.value}"

    def clean(self):
        from .indicators import BY_CODE

        if self.indicator not in BY_CODE:
            raise ValidationError({"indicator": _("没有这个指标。")})
        if self.indicator == "committee_formation":
            raise ValidationError({"indicator": _("业委会组建目标在“业委会组建目标”中按区和年度设置，不在这里。")})
