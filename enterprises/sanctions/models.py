"""Tables of firm sanctions (see enterprises/sanctions/__init__.py). Imported by enterprises/models.py."""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.scope import DistrictRecordQuerySet, ScopedQuerySet


class EventKind(models.TextChoices):
    SAFETY_ACCIDENT = "safety_accident", _("重大安全责任事故")
    PETITION = "petition", _("业主群体上访（因管理不善）")
    CRIME = "crime", _("盗窃抢劫等重大案件")
    MEDIA = "media", _("新闻媒体曝光")
    OTHER = "other", _("其他严重影响行业形象")


def all_event_kinds() -> list[str]:
    return list(EventKind.values)


class SanctionPolicyQuerySet(DistrictRecordQuerySet):
    pass


class SanctionPolicy(models.Model):
    """A district's rules for firm sanctions from `effective_from` on (versioned like every policy:
    accounts.versions.version_in_force). Without a version in force the district sanctions nobody."""

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="sanction_policies",
                                 verbose_name=_("区"))
    effective_from = models.DateField(_("生效日期"))
    enabled = models.BooleanField(_("启用企业重大负面事件惩戒"), default=True)
    sanctioning_kinds = models.JSONField(_("立即取消当年评比资格的事件类型"), default=all_event_kinds,
                                         help_text=_("新闻媒体曝光按年度累计次数计算，见下一项。"))
    media_threshold = models.PositiveSmallIntegerField(
        _("年度媒体曝光次数上限"), default=3, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("同一企业同一自然年度内第 N 次被新闻媒体曝光即取消当年评比资格。"))
    street_run_orders = models.BooleanField(_("街道物业公司一星级及以下责令限期整改"), default=True)
    street_run_max_tier = models.PositiveSmallIntegerField(
        _("责令整改的最高星级"), default=1, validators=[MaxValueValidator(5)],
        help_text=_("季度结果公布时，街道物业公司管理的小区星级在此及以下（含未评星、未参评）的，自动下发整改通知。"))
    street_run_deadline_days = models.PositiveSmallIntegerField(
        _("整改期限（工作日）"), default=20, validators=[MinValueValidator(1), MaxValueValidator(120)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = SanctionPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业惩戒政策")
        verbose_name_plural = _("企业惩戒政策")
        ordering = ["district", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["district", "effective_from"], name="one_sanction_policy_per_date"),
            models.CheckConstraint(condition=Q(media_threshold__gte=1), name="sanction_media_threshold_positive"),
        ]

    def __str__(self):
        return f"{self.district} · {self.effective_from}"

    def sanctions(self, kind: str) -> bool:
        """Does an event of `kind` sanction the firm at once under this version?"""
        return self.enabled and kind != EventKind.MEDIA and kind in (self.sanctioning_kinds or [])


class NegativeEventQuerySet(ScopedQuerySet):
    # The recording district sees its events, a street those it recorded or of its estates, a firm its own.
    scope_paths = {"district": "district", "street": "street", "firm": "firm"}
    scope_edit_levels = ("district",)

    def _scope_q(self, scope, *, edit, levels=None):
        q = super()._scope_q(scope, edit=edit, levels=levels)
        streets = scope.ids("street", edit=edit)
        if streets and not edit:
            q |= Q(estate__community__street__in=streets)
        return q

    def active(self):
        return self.filter(withdrawn_at__isnull=True)


class NegativeEvent(models.Model):
    """重大负面事件 recorded against a firm by a street or district, with its evidence."""

    firm = models.ForeignKey("enterprises.Firm", on_delete=models.PROTECT, related_name="negative_events",
                             verbose_name=_("物业企业"))
    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("记录单位（区）"))
    street = models.ForeignKey("communities.Street", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("记录单位（街道）"))
    kind = models.CharField(_("事件类型"), max_length=20, choices=EventKind.choices)
    occurred_on = models.DateField(_("发生日期"))
    estate = models.ForeignKey("communities.Estate", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("小区"))
    description = models.TextField(_("事件经过"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"))
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("撤销人"))
    withdrawal_reason = models.TextField(_("撤销原因"), blank=True)

    objects = NegativeEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("重大负面事件")
        verbose_name_plural = _("重大负面事件")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                                   name="negative_event_withdrawal_has_reason"),
        ]
        indexes = [models.Index(fields=["firm", "district", "occurred_on"], name="negative_event_firm_year")]

    def __str__(self):
        return f"{self.firm} · {self.get_kind_display()} · {self.occurred_on}"

    @property
    def recording_unit_name(self) -> str:
        if self.street_id:
            return self.street.name
        return _("%(d)s住房保障服务中心") % {"d": self.district.name}


class NegativeEventFile(models.Model):
    event = models.ForeignKey(NegativeEvent, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("证明材料"), upload_to="sanctions/%Y/")
    name = models.CharField(_("文件名"), max_length=200)

    class Meta:
        verbose_name = _("事件证明材料")
        verbose_name_plural = _("事件证明材料")
        ordering = ["pk"]


class FirmSanctionQuerySet(ScopedQuerySet):
    scope_paths = {"district": "district", "street": "district__streets", "firm": "firm"}
    scope_edit_levels = ()
    scope_multi_valued = True

    def active(self):
        return self.filter(lifted_at__isnull=True)


class FirmSanction(models.Model):
    """The firm loses eligibility for the district's ratings of `year` (and may not apply for demonstration
    projects): one row per firm, district and year; lifted when no active event keeps it, imposed again
    (same row) when a later event does."""

    firm = models.ForeignKey("enterprises.Firm", on_delete=models.PROTECT, related_name="sanctions",
                             verbose_name=_("物业企业"))
    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    trigger = models.ForeignKey(NegativeEvent, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("触发事件"))
    reason = models.CharField(_("原因"), max_length=200)
    imposed_at = models.DateTimeField(_("生效时间"))
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lift_reason = models.TextField(_("解除原因"), blank=True)

    objects = FirmSanctionQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业取消当年评比资格")
        verbose_name_plural = _("企业取消当年评比资格")
        ordering = ["-year", "firm__name"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "district", "year"], name="one_sanction_per_firm_district_year"),
        ]

    def __str__(self):
        return f"{self.firm} · {self.year}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class StreetRunOrderQuerySet(ScopedQuerySet):
    scope_paths = {"district": "district", "street": "estate__community__street", "firm": "firm"}
    scope_edit_levels = ()


class StreetRunOrder(models.Model):
    """The rectification order issued automatically to a street-run firm when a published quarter rated its
    estate at or below the policy's tier, or the estate did not take part: once per (period, estate).
    `order_id` names the inspections.RectificationOrder (an id, not a key: this app sits below inspections)."""

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("小区"))
    firm = models.ForeignKey("enterprises.Firm", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("物业企业"))
    tier = models.PositiveSmallIntegerField(_("星级"), null=True, blank=True, help_text=_("为空：未参评。"))
    order_id = models.PositiveBigIntegerField(_("整改通知"))
    created_at = models.DateTimeField(_("下发时间"))

    objects = StreetRunOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("街道物业公司限期整改")
        verbose_name_plural = _("街道物业公司限期整改")
        ordering = ["-year", "-quarter", "estate_id"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "year", "quarter"], name="one_street_run_order_per_period"),
        ]
