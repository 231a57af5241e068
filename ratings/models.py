"""Star ratings: policy (versioned), applications, scores, periods, results, appeals, yearly re-checks."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import TransitionEvent
from accounts.scope import DistrictRecordQuerySet, ScopedQuerySet, Served

ESTATE_PATHS = {
    "district": "estate__community__street__district",
    "street": "estate__community__street",
    "community": "estate__community",
    "firm": "estate__firm",
}
# Rows of an estate and quarter: a firm sees those of the quarters it served the estate (DOMAIN.md §5).
QUARTER_PATHS = {**ESTATE_PATHS, "firm": Served(estate="estate_id", year="year", quarter="quarter")}
PCT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]

DEFAULT_DISQUALIFYING_REASONS = [
    "小区内新增违法建设",
    "小区内出现群租房",
    "破坏房屋承重结构",
    "“12345”市长热线等重大投诉",
]


class RatingPolicyQuerySet(DistrictRecordQuerySet):
    pass


class RatingPolicy(models.Model):
    """A district's star-rating rules from `effective_from` on (DOMAIN.md §5). Code never hard-codes them."""

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="rating_policies",
                                 verbose_name=_("区"))
    effective_from = models.DateField(_("生效日期"))
    weight_inspection = models.DecimalField(_("日常检查权重（%）"), max_digits=5, decimal_places=2,
                                            default=Decimal("70"), validators=PCT)
    weight_opinion = models.DecimalField(_("业主及业委会意见权重（%）"), max_digits=5, decimal_places=2,
                                         default=Decimal("10"), validators=PCT)
    weight_satisfaction = models.DecimalField(_("第三方满意度权重（%）"), max_digits=5, decimal_places=2,
                                              default=Decimal("20"), validators=PCT)
    threshold_5 = models.DecimalField(_("五星级最低分"), max_digits=5, decimal_places=2, default=Decimal("85"),
                                      validators=PCT)
    threshold_4 = models.DecimalField(_("四星级最低分"), max_digits=5, decimal_places=2, default=Decimal("80"),
                                      validators=PCT)
    threshold_3 = models.DecimalField(_("三星级最低分"), max_digits=5, decimal_places=2, default=Decimal("75"),
                                      validators=PCT)
    threshold_2 = models.DecimalField(_("二星级最低分"), max_digits=5, decimal_places=2, default=Decimal("70"),
                                      validators=PCT)
    threshold_1 = models.DecimalField(_("一星级最低分"), max_digits=5, decimal_places=2, default=Decimal("65"),
                                      validators=PCT)
    application_start = models.CharField(_("申报开始（月-日）"), max_length=5, default="01-01")
    application_end = models.CharField(_("申报截止（月-日）"), max_length=5, default="03-31")
    appeal_days = models.PositiveSmallIntegerField(_("申诉期（天）"), default=7,
                                                   validators=[MinValueValidator(1), MaxValueValidator(60)])
    run_day = models.PositiveSmallIntegerField(
        _("季度结束后第几日自动评定"), default=5, validators=[MinValueValidator(1), MaxValueValidator(28)])
    disqualifying_reasons = models.JSONField(_("取消参评情形"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = RatingPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("星级评定政策")
        verbose_name_plural = _("星级评定政策")
        ordering = ["district", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["district", "effective_from"], name="one_rating_policy_per_date"),
            models.CheckConstraint(
                condition=Q(weight_inspection__gte=0, weight_opinion__gte=0, weight_satisfaction__gte=0)
                & Q(weight_inspection=Decimal("100") - F("weight_opinion") - F("weight_satisfaction")),
                name="rating_weights_sum_to_100",
            ),
            models.CheckConstraint(
                condition=Q(threshold_5__gt=F("threshold_4"), threshold_4__gt=F("threshold_3"),
                            threshold_3__gt=F("threshold_2"), threshold_2__gt=F("threshold_1"),
                            threshold_1__gt=0, threshold_5__lte=100),
                name="rating_thresholds_descending",
            ),
        ]

    def __str__(self):
        return f"{self.district} · {self.effective_from}"

    def thresholds(self):
        """[(tier, minimum score)] from 5★ down."""
        return [(5, self.threshold_5), (4, self.threshold_4), (3, self.threshold_3), (2, self.threshold_2),
                (1, self.threshold_1)]


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已申报")
    REPORTED = "reported", _("街道已审核上报")
    RETURNED = "returned", _("已退回")
    ACCEPTED = "accepted", _("区已受理")
    REJECTED = "rejected", _("区不予受理")


class ApplicationQuerySet(ScopedQuerySet):
    scope_paths = {**ESTATE_PATHS, "firm": "firm"}
    scope_edit_levels = ("district", "street")


class Application(models.Model):
    """申报: a firm applies for one estate for one year."""

    firm = models.ForeignKey("enterprises.Firm", on_delete=models.PROTECT, related_name="rating_applications",
                             verbose_name=_("物业企业"))
    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="rating_applications",
                               verbose_name=_("小区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(_("状态"), max_length=10, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    statement = models.TextField(_("申报说明"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("申报人"))
    submitted_at = models.DateTimeField(_("申报时间"), auto_now_add=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("星级评定申报")
        verbose_name_plural = _("星级评定申报")
        ordering = ["-year", "-submitted_at"]
        constraints = [
            # A returned or rejected application may be followed by a new one; otherwise one per estate and year.
            models.UniqueConstraint(fields=["estate", "year"],
                                    condition=Q(status__in=["submitted", "reported", "accepted"]),
                                    name="one_live_application_per_estate_year"),
        ]

    def __str__(self):
        return f"{self.estate} · {self.year}"


class ApplicationEvent(TransitionEvent):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ApplicationStatus.choices)


class PendingUpload(models.Model):
    """A file chosen in an application form the server refused, kept so the corrected form need not
    choose it again (services/uploads.py). It belongs to its uploader only and is removed once attached
    or when it expires."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="ratings/pending/%Y/%m/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("暂存附件")
        verbose_name_plural = _("暂存附件")
        indexes = [models.Index(fields=["created_at"], name="pending_upload_created")]


class ApplicationAttachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("证明材料"), upload_to="ratings/evidence/%Y/")
    name = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class PeriodStatus(models.TextChoices):
    """A quarter's life (DOMAIN.md §5): computed -> announced once (公示, the appeal window) -> published.

    A computation never announced may be discarded (作废) by the district with a reason: its results are
    removed, the nightly job leaves the period alone, and the district may compute it again by hand."""

    PROVISIONAL = "provisional", _("待公示")
    ANNOUNCED = "announced", _("公示中")
    PUBLISHED = "published", _("已公布")
    DISCARDED = "discarded", _("已作废")


class RatingPeriodQuerySet(RatingPolicyQuerySet):
    pass


class RatingPeriod(models.Model):
    """One district-quarter of ratings.

    Provisional results are recomputed by the nightly job until the district
    announces them (公示); the announcement opens the appeal window once.
    After it only the district's recompute with a reason changes the results
    (and reopens the window); published results never change in place.
    """

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="rating_periods",
                                 verbose_name=_("区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    status = models.CharField(_("状态"), max_length=12, choices=PeriodStatus.choices,
                              default=PeriodStatus.PROVISIONAL)
    policy = models.ForeignKey(RatingPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用政策"))
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    announced_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    announced_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("公示人"))
    appeal_deadline = models.DateField(_("申诉截止"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("公布人"))

    objects = RatingPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("评定期")
        verbose_name_plural = _("评定期")
        ordering = ["district", "-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "quarter"], name="one_period_per_district_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="period_quarter_1_to_4"),
        ]

    def __str__(self):
        return f"{self.district} {self.year}Q{self.quarter}"

    @property
    def label(self):
        return f"{self.year}Q{self.quarter}"


class PeriodAction(models.TextChoices):
    COMPUTE = "compute", _("计算暂定结果")
    ANNOUNCE = "announce", _("公示")
    RECOMPUTE = "recompute", _("重新计算")
    PUBLISH = "publish", _("确认并公布")
    DISCARD = "discard", _("作废暂定结果")


class PeriodEvent(TransitionEvent):
    """The period's timeline: computed by hand, announced, recomputed (comment = the reason), published,
    discarded before the announcement (comment = the reason, `discarded_results` = how many were removed)."""

    period = models.ForeignKey(RatingPeriod, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=PeriodAction.choices)
    from_status = models.CharField(max_length=12, choices=PeriodStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=PeriodStatus.choices)
    appeal_deadline = models.DateField(_("申诉截止"), null=True, blank=True)
    discarded_results = models.PositiveIntegerField(_("作废结果数"), null=True, blank=True)
    discarded_uninspected = models.PositiveIntegerField(_("其中无检查记录"), null=True, blank=True)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("评定期记录")
        verbose_name_plural = _("评定期记录")


class ComponentKind(models.TextChoices):
    OPINION = "opinion", _("业主及业委会意见")
    SATISFACTION = "satisfaction", _("第三方满意度")


class ComponentScoreQuerySet(ScopedQuerySet):
    scope_paths = QUARTER_PATHS
    scope_edit_levels = ("district", "street")


class ComponentScore(models.Model):
    """Opinion or satisfaction score (0–100) of an estate for a quarter, entered by hand or imported."""

    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="component_scores",
                               verbose_name=_("小区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    kind = models.CharField(_("类型"), max_length=12, choices=ComponentKind.choices)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2, validators=PCT)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = ComponentScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("意见及满意度得分")
        verbose_name_plural = _("意见及满意度得分")
        constraints = [
            models.UniqueConstraint(fields=["estate", "year", "quarter", "kind"], name="one_component_score"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="component_score_0_100"),
        ]


class DisqualificationQuerySet(ScopedQuerySet):
    scope_paths = QUARTER_PATHS
    scope_edit_levels = ("district", "street")


class Disqualification(models.Model):
    """取消参评资格 of an estate for one quarter."""

    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="disqualifications",
                               verbose_name=_("小区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    reason = models.CharField(_("原因"), max_length=100)
    occurred_on = models.DateField(_("发生日期"))
    evidence = models.TextField(_("事实与证据"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    # A withdrawn record is kept (struck through) and no longer counts (disqualification_withdraw).
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("撤销人"))
    withdrawal_reason = models.TextField(_("撤销原因"), blank=True)

    objects = DisqualificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("取消参评记录")
        verbose_name_plural = _("取消参评记录")
        ordering = ["-occurred_on"]


class NoTierReason(models.TextChoices):
    NO_INSPECTION = "no_inspection", _("本季度无已提交的检查")
    DISQUALIFIED = "disqualified", _("取消参评资格")
    BELOW = "below", _("得分低于一星级标准")
    MISSING_COMPONENT = "missing_component", _("缺少意见或满意度得分")
    CORRECTED = "corrected", _("经更正不评星")
    FIRM_SANCTIONED = "firm_sanctioned", _("企业发生重大负面事件，取消当年评比资格")


class StarRatingQuerySet(ScopedQuerySet):
    # The rating belongs to the estate; every firm that served in the quarter sees it, before and after it left.
    scope_paths = {**ESTATE_PATHS,
                   "firm": Served(estate="estate_id", year="period__year", quarter="period__quarter")}

    def current(self):
        """The current version of each (period, estate): corrections supersede, never delete."""
        return self.filter(superseded_by__isnull=True, superseded_at__isnull=True)

    def published(self):
        """Current versions of published periods (what pays, what the public and plaques show)."""
        return self.current().filter(period__status=PeriodStatus.PUBLISHED)


class StarRating(models.Model):
    """One estate's result for one period: components, weighted score, tier (0 = no star) and why.

    A published result is corrected as a new version (rating_correct): the old row stays, with
    `superseded_at` and `superseded_by` set; the current version is the one without them.
    """

    # The quarterly job writes 12,000 rows at once, so every index costs (issue 10). No index of their own:
    # the period's lookups use the current rows' partial indexes (one_current_rating_per_estate_period,
    # rating_current_period_tier); the estate's use one_rating_version_per_estate (estate, period, version).
    period = models.ForeignKey(RatingPeriod, on_delete=models.PROTECT, related_name="ratings",
                               verbose_name=_("评定期"), db_index=False)
    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="star_ratings",
                               verbose_name=_("小区"), db_index=False)
    firm = models.ForeignKey("enterprises.Firm", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="star_ratings", verbose_name=_("物业企业"))
    inspection_count = models.PositiveSmallIntegerField(_("检查次数"), default=0)
    inspection_score = models.DecimalField(_("检查平均分"), max_digits=5, decimal_places=2, null=True, blank=True)
    opinion_score = models.DecimalField(_("意见得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    satisfaction_score = models.DecimalField(_("满意度得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(_("综合得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    tier = models.PositiveSmallIntegerField(_("星级"), default=0,
                                            validators=[MinValueValidator(0), MaxValueValidator(5)])
    no_tier_reason = models.CharField(_("未评星原因"), max_length=20, choices=NoTierReason.choices, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    superseded_at = models.DateTimeField(_("被更正时间"), null=True, blank=True)
    # Set on corrected rows only (a few): partial indexes below, not a full one that stores 12,000 NULLs a quarter.
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, db_index=False,
                                      related_name="supersedes", verbose_name=_("更正后版本"))
    correction_reason = models.TextField(_("更正原因"), blank=True)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     db_index=False,
                                     related_name="+", verbose_name=_("更正人"))
    corrected_at = models.DateTimeField(_("更正时间"), null=True, blank=True)

    objects = StarRatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("星级评定结果")
        verbose_name_plural = _("星级评定结果")
        ordering = ["period", "-score", "estate_id"]
        constraints = [
            # One current version per estate and period. The condition is on superseded_at (set first by
            # rating_correct, before the new version exists); superseded_by is set in the same transaction,
            # and a row with superseded_by always has superseded_at (check below).
            models.UniqueConstraint(fields=["period", "estate"], condition=Q(superseded_at__isnull=True),
                                    name="one_current_rating_per_estate_period"),
            # Estate first: it also serves the estate's own lookups (its ratings, the PROTECT check).
            models.UniqueConstraint(fields=["estate", "period", "version"],
                                    name="one_rating_version_per_estate"),
            models.CheckConstraint(condition=Q(version__gte=1), name="rating_version_from_1"),
            models.CheckConstraint(condition=Q(superseded_by__isnull=True) | Q(superseded_at__isnull=False),
                                   name="rating_superseded_has_date"),
            models.CheckConstraint(condition=Q(tier__gte=0, tier__lte=5), name="rating_tier_0_to_5"),
            models.CheckConstraint(condition=Q(tier=0) | Q(no_tier_reason=""), name="rating_reason_only_without_tier"),
        ]
        # The public page's order, period by period, tier by tier, estate by estate (ratings/views/public.py):
        # a page is a short index scan, and its counts per (period, tier) read the index only.
        indexes = [models.Index(fields=["period", "tier", "estate"], condition=Q(superseded_at__isnull=True),
                                name="rating_current_period_tier"),
                   models.Index(fields=["superseded_by"], condition=Q(superseded_by__isnull=False),
                                name="rating_superseded_by"),
                   models.Index(fields=["corrected_by"], condition=Q(corrected_by__isnull=False),
                                name="rating_corrected_by")]

    def __str__(self):
        return f"{self.estate} {self.period.label} {self.tier}★"

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None and self.superseded_at is None


class AppealStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("申诉成立")
    DISMISSED = "dismissed", _("申诉驳回")


class AppealQuerySet(ScopedQuerySet):
    scope_paths = {
        "district": "rating__estate__community__street__district",
        "street": "rating__estate__community__street",
        "community": "rating__estate__community",
        "firm": "firm",
    }
    scope_edit_levels = ("district",)


class Appeal(models.Model):
    rating = models.ForeignKey(StarRating, on_delete=models.PROTECT, related_name="appeals")
    firm = models.ForeignKey("enterprises.Firm", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("申诉理由"))
    status = models.CharField(_("状态"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decision = models.TextField(_("处理意见"), blank=True)
    adjusted_tier = models.PositiveSmallIntegerField(_("调整后星级"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("评定申诉")
        verbose_name_plural = _("评定申诉")
        constraints = [
            models.UniqueConstraint(fields=["rating"], condition=Q(status="open"), name="one_open_appeal_per_rating"),
        ]


class RecheckDecisionQuerySet(ScopedQuerySet):
    scope_paths = ESTATE_PATHS
    scope_edit_levels = ("district",)


class RecheckDecision(models.Model):
    """年度复查: the district confirms an estate's yearly re-check (管城 附件2 七(二)).

    `tier_before` is the tier its latest published quarter of the year shows (the plaque), `tier_after`
    the tier the yearly mean earns. Where the decision lowers the tier, the plaques of that year's
    ratings above `tier_after` are revoked (selectors.plaque_ratings, the verification page).
    """

    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="recheck_decisions",
                               verbose_name=_("小区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    mean_score = models.DecimalField(_("年度得分"), max_digits=5, decimal_places=2)
    tier_before = models.PositiveSmallIntegerField(_("复查前星级"))
    tier_after = models.PositiveSmallIntegerField(_("复查后星级"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("确认人"))
    decided_at = models.DateTimeField(_("确认时间"))
    note = models.TextField(_("说明"), blank=True)

    objects = RecheckDecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度复查结论")
        verbose_name_plural = _("年度复查结论")
        ordering = ["-year", "estate_id"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "year"], name="one_recheck_decision_per_estate_year"),
            models.CheckConstraint(condition=Q(tier_before__lte=5, tier_after__lte=5),
                                   name="recheck_tiers_0_to_5"),
        ]

    def __str__(self):
        return f"{self.estate} {self.year} {self.tier_before}★→{self.tier_after}★"

    @property
    def lowers(self) -> bool:
        return self.tier_after < self.tier_before
