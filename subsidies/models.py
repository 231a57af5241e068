"""Efficiency subsidies (效能补贴): policy, monthly batches, lines, the approval chain."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import TransitionEvent
from accounts.scope import DistrictRecordQuerySet, ScopedQuerySet

RATE = {"max_digits": 4, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}
MONEY = {"max_digits": 14, "decimal_places": 2}


class SubsidyPolicy(models.Model):
    """Rates per tier, the cap, the programme window and the yearly budget, from `effective_from` on."""

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="subsidy_policies",
                                 verbose_name=_("区"))
    effective_from = models.DateField(_("生效日期"))
    rate_5 = models.DecimalField(_("五星级（元/㎡/月）"), default=Decimal("0.30"), **RATE)
    rate_4 = models.DecimalField(_("四星级（元/㎡/月）"), default=Decimal("0.25"), **RATE)
    rate_3 = models.DecimalField(_("三星级（元/㎡/月）"), default=Decimal("0.20"), **RATE)
    rate_2 = models.DecimalField(_("二星级（元/㎡/月）"), default=Decimal("0.15"), **RATE)
    rate_1 = models.DecimalField(_("一星级（元/㎡/月）"), default=Decimal("0.10"), **RATE)
    cap = models.DecimalField(_("补贴上限（元/㎡/月）"), default=Decimal("0.30"), **RATE)
    programme_start = models.DateField(_("补贴起始月"), help_text=_("每月 1 日"))
    programme_months = models.PositiveSmallIntegerField(_("补贴期（月）"), default=36)
    pilot_start = models.DateField(_("试点小区起始月"), null=True, blank=True)
    pilot_estates = models.ManyToManyField("communities.Estate", blank=True, related_name="+",
                                           verbose_name=_("试点小区"))
    yearly_budget = models.DecimalField(_("年度预算（元）"), default=Decimal("0"), **MONEY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[pilot_estates])

    objects = DistrictRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("效能补贴政策")
        verbose_name_plural = _("效能补贴政策")
        ordering = ["district", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["district", "effective_from"], name="one_subsidy_policy_per_date"),
            models.CheckConstraint(
                condition=Q(rate_5__lte=F("cap"), rate_4__lte=F("cap"), rate_3__lte=F("cap"),
                            rate_2__lte=F("cap"), rate_1__lte=F("cap")),
                name="subsidy_rates_within_cap"),
            models.CheckConstraint(
                condition=Q(rate_5__gte=0, rate_4__gte=0, rate_3__gte=0, rate_2__gte=0, rate_1__gte=0,
                            yearly_budget__gte=0),
                name="subsidy_rates_not_negative"),
            models.CheckConstraint(condition=Q(programme_start__day=1), name="subsidy_programme_starts_on_1st"),
            models.CheckConstraint(condition=Q(pilot_start__isnull=True) | Q(pilot_start__day=1),
                                   name="subsidy_pilot_starts_on_1st"),
        ]

    def __str__(self):
        return f"{self.district} · {self.effective_from}"

    def rate_for(self, tier: int) -> Decimal:
        return {5: self.rate_5, 4: self.rate_4, 3: self.rate_3, 2: self.rate_2, 1: self.rate_1}.get(tier, Decimal("0"))


class BatchStatus(models.TextChoices):
    GENERATED = "generated", _("已生成")
    CHECKED = "checked", _("已审核")
    APPROVED = "approved", _("已批准")
    DISBURSED = "disbursed", _("已拨付街道")
    COMPLETED = "completed", _("已拨付企业")


class PayoutBatch(models.Model):
    """One district's payouts for one month: the unit of approval."""

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="payout_batches",
                                 verbose_name=_("区"))
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    policy = models.ForeignKey(SubsidyPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用政策"))
    status = models.CharField(_("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.GENERATED)
    total = models.DecimalField(_("合计（元）"), default=Decimal("0"), **MONEY)
    line_count = models.PositiveIntegerField(_("明细数"), default=0)
    year_to_date = models.DecimalField(_("本年此前批次合计（元）"), default=Decimal("0"), **MONEY)
    over_budget = models.BooleanField(_("超出年度预算"), default=False)
    budget_override_reason = models.TextField(_("超预算批准理由"), blank=True)
    generated_at = models.DateTimeField(_("生成时间"))
    disbursed_on = models.DateField(_("拨付街道日期"), null=True, blank=True)
    disbursement_voucher = models.CharField(_("拨付凭证号"), max_length=50, blank=True)

    objects = DistrictRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("补贴拨付批次")
        verbose_name_plural = _("补贴拨付批次")
        ordering = ["-month", "district"]
        constraints = [
            models.UniqueConstraint(fields=["district", "month"], name="one_batch_per_district_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="batch_month_is_first_day"),
        ]

    def __str__(self):
        return f"{self.district} {self.month:%Y-%m}"


class PayoutKind(models.TextChoices):
    REGULAR = "regular", _("月度补贴")
    ADJUSTMENT = "adjustment", _("调整")


class PayoutQuerySet(ScopedQuerySet):
    scope_paths = {"district": "batch__district", "street": "street", "community": "estate__community",
                   "firm": "firm"}
    scope_edit_levels = ()


class Payout(models.Model):
    """One line: estate × month, with everything the amount came from. Never edited once approved."""

    # No index of its own: the (batch, street) index serves every lookup by batch (and the lines page's
    # order, street by street: accounts.pagination.GroupedPaginator).
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="lines", verbose_name=_("批次"),
                              db_index=False)
    kind = models.CharField(_("类型"), max_length=10, choices=PayoutKind.choices, default=PayoutKind.REGULAR)
    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="payouts",
                               verbose_name=_("小区"))
    month = models.DateField(_("补贴月份"))
    street = models.ForeignKey("communities.Street", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("街道"))
    firm = models.ForeignKey("enterprises.Firm", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="payouts", verbose_name=_("物业企业"))
    area = models.DecimalField(_("面积（㎡）"), max_digits=12, decimal_places=2)
    tier = models.PositiveSmallIntegerField(_("星级"), default=0)
    rate = models.DecimalField(_("标准（元/㎡/月）"), max_digits=4, decimal_places=2, default=Decimal("0"))
    rating = models.ForeignKey("ratings.StarRating", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="payouts", verbose_name=_("依据评定"))
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    reason = models.CharField(_("说明"), max_length=100, blank=True)
    adjusts = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments",
                                verbose_name=_("调整的原明细"))
    # The days of the service month this line covers (a month split between firms, or with days no firm
    # served); null on lines made before months were split by days.
    days = models.PositiveSmallIntegerField(_("服务天数"), null=True, blank=True)
    month_days = models.PositiveSmallIntegerField(_("当月天数"), null=True, blank=True)

    objects = PayoutQuerySet.as_manager()

    class Meta:
        verbose_name = _("补贴明细")
        verbose_name_plural = _("补贴明细")
        ordering = ["street_id", "estate_id"]
        constraints = [
            # Exactly once: one regular line per estate, service month and serving firm, whatever happens
            # (and one for the days no firm served).
            models.UniqueConstraint(fields=["estate", "month", "firm"], condition=Q(kind="regular", firm__isnull=False),
                                    name="one_regular_payout_per_estate_month_firm"),
            models.UniqueConstraint(fields=["estate", "month"], condition=Q(kind="regular", firm__isnull=True),
                                    name="one_regular_unserved_payout_per_estate_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="payout_month_is_first_day"),
            models.CheckConstraint(condition=Q(kind="adjustment") | Q(amount__gte=0),
                                   name="regular_payout_not_negative"),
            models.CheckConstraint(condition=Q(kind="regular", adjusts__isnull=True)
                                   | Q(kind="adjustment", adjusts__isnull=False), name="adjustment_refers_to_line"),
        ]
        indexes = [models.Index(fields=["batch", "street"]), models.Index(fields=["batch", "firm"])]


class BatchMonth(models.Model):
    """A service month a batch settled (paid its lines) or deferred (顺延: its quarter not yet published).

    先考核后拨付: a service month is settled once, in the first batch generated after its
    quarter's rating is published (unique per district and month); until then every batch
    lists it as deferred with the reason, so it is never lost.
    """

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="months", verbose_name=_("批次"))
    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("区"))
    month = models.DateField(_("服务月份"))
    settled = models.BooleanField(_("已结算"), default=False)
    reason = models.CharField(_("顺延原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("批次服务月份")
        verbose_name_plural = _("批次服务月份")
        ordering = ["batch", "month"]
        constraints = [
            models.UniqueConstraint(fields=["district", "month"], condition=Q(settled=True),
                                    name="one_settlement_per_district_month"),
            models.UniqueConstraint(fields=["batch", "month"], name="one_row_per_batch_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="batch_month_row_is_first_day"),
        ]

    def __str__(self):
        return f"{self.batch} · {self.month:%Y-%m}"


class Adjustment(models.Model):
    """A correction of an approved line, waiting for (or included in) the next batch."""

    original = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="pending_adjustments")
    delta = models.DecimalField(_("调整金额（元）"), **MONEY)
    reason = models.CharField(_("调整原因"), max_length=300)
    line = models.OneToOneField(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(delta=0), name="adjustment_not_zero")]


class BatchEvent(TransitionEvent):
    batch = models.ForeignKey(PayoutBatch, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=BatchStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=BatchStatus.choices)


class PassOnQuerySet(ScopedQuerySet):
    scope_paths = {"district": "batch__district", "street": "street", "community": "street__communities",
                   "firm": "firm"}
    scope_edit_levels = ("street",)
    scope_multi_valued = True


class PassOn(models.Model):
    """The street office passes a batch's money on to one firm (date and voucher)."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="pass_ons")
    street = models.ForeignKey("communities.Street", on_delete=models.PROTECT, related_name="+")
    firm = models.ForeignKey("enterprises.Firm", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    paid_on = models.DateField(_("拨付日期"))
    voucher = models.CharField(_("凭证号"), max_length=50)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = PassOnQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "street", "firm"], name="one_pass_on_per_firm")]
