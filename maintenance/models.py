"""The old-estate maintenance fund (老旧小区住宅维修资金, 章贡区 policy 三.2).

What the policy says, and how it is held here:

- Old estates (built before the district's cut-off) collect a maintenance fund from their owners, by
  building area: at most 75 yuan/㎡ for buildings with a lift and 55 yuan/㎡ without; the district's
  finance adds the same amount again (等额配套, a 1:1 match). The money is kept for the estate's shared
  facilities: repair, renewal and refitting.
- `MaintenancePolicy` holds a district's numbers (the two caps, the match ratio, an optional yearly budget
  for the district's match), versioned by effective date like every other policy. The old-estate cut-off
  is NOT repeated here: it is `communities.DistrictPolicy.old_estate_cutoff_year`, the one definition of
  "old estate" the whole portal uses (Estate.objects.old), so the fund can never disagree with the lists
  and dashboards about which estates are old.
- `FundApplication` is one estate's application (维修资金申请): the street files it for the estate
  (for the firm, owner committee or management committee that collects the money: `collector`), with
  the repair items, the building area covered, lift or not, and the amount per ㎡. The amounts are
  computed once by the service and stored with the numbers they came from (cap, ratio, cut-off, policy):
  granted = area × per-㎡, matched = granted × ratio, each rounded half-up to the fen.
- Workflow: submitted (street) → reviewed (district staff) → approved (district admin) → disbursed
  (district), with return to the street and withdrawal by it; each step is an `ApplicationEvent`.
"""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import TransitionEvent
from accounts.scope import DistrictRecordQuerySet, ScopedQuerySet

MONEY = {"max_digits": 14, "decimal_places": 2}
PER_SQM = {"max_digits": 8, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class MaintenancePolicy(models.Model):
    """A district's maintenance-fund numbers from `effective_from` on."""

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT,
                                 related_name="maintenance_policies", verbose_name=_("区"))
    effective_from = models.DateField(_("生效日期"))
    lift_cap = models.DecimalField(_("电梯房交存上限（元/㎡）"), default=Decimal("75.00"), **PER_SQM)
    no_lift_cap = models.DecimalField(_("非电梯房交存上限（元/㎡）"), default=Decimal("55.00"), **PER_SQM)
    match_ratio = models.DecimalField(
        _("区财政配套比例"), max_digits=4, decimal_places=2, default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("小区每交存 1 元，区财政配套的金额；1.00 即 1:1 等额配套。"))
    yearly_budget = models.DecimalField(_("年度配套预算（元）"), default=Decimal("0"), **MONEY,
                                        help_text=_("区财政每年配套资金的预算；填 0 表示不设预算。"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = DistrictRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("维修资金政策")
        verbose_name_plural = _("维修资金政策")
        ordering = ["district", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["district", "effective_from"], name="one_maintenance_policy_per_date"),
            models.CheckConstraint(condition=Q(lift_cap__gt=0, no_lift_cap__gt=0, match_ratio__gte=0,
                                               yearly_budget__gte=0),
                                   name="maintenance_policy_numbers_valid"),
        ]

    def __str__(self):
        return f"{self.district} · {self.effective_from:%Y-%m-%d}"

    def cap_for(self, has_lift: bool) -> Decimal:
        return self.lift_cap if has_lift else self.no_lift_cap


class Collector(models.TextChoices):
    """Who collects the owners' money for the estate (the policy names these three)."""

    FIRM = "firm", _("物业服务企业")
    OWNERS = "owners", _("业主委员会")
    STANDIN = "standin", _("物业管理委员会")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    REVIEWED = "reviewed", _("已审核")
    APPROVED = "approved", _("已批准")
    DISBURSED = "disbursed", _("已拨付")
    WITHDRAWN = "withdrawn", _("已撤回")


# An estate has at most one application in these states (the constraint below; the service says why).
OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.REVIEWED,
                 ApplicationStatus.APPROVED)
# Applications whose money counts: the district has committed its match.
COMMITTED_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.DISBURSED)


class FundApplicationQuerySet(ScopedQuerySet):
    # The street and district are the ones that filed and decided it (kept if the estate moves later).
    scope_paths = {"district": "district", "street": "street", "community": "estate__community"}
    scope_edit_levels = ("street",)


class FundApplication(models.Model):
    """One old estate's maintenance-fund application, with the amounts and the rules they came from."""

    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT,
                               related_name="maintenance_applications", verbose_name=_("小区"))
    street = models.ForeignKey("communities.Street", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("街道"))
    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(_("状态"), max_length=10, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    collector = models.CharField(_("归集单位"), max_length=10, choices=Collector.choices)
    repair_items = models.TextField(_("维修项目"))
    area = models.DecimalField(_("申请面积（㎡）"), max_digits=12, decimal_places=2)
    has_lift = models.BooleanField(_("电梯房"))
    per_sqm = models.DecimalField(_("交存标准（元/㎡）"), **PER_SQM)
    # The rules in force when it was (re)submitted, kept with it.
    policy = models.ForeignKey(MaintenancePolicy, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("适用政策"))
    cutoff_year = models.PositiveSmallIntegerField(_("老旧小区建成年份截止"))
    cap = models.DecimalField(_("交存上限（元/㎡）"), **PER_SQM)
    match_ratio = models.DecimalField(_("配套比例"), max_digits=4, decimal_places=2)
    granted = models.DecimalField(_("核定金额（元）"), **MONEY)
    matched = models.DecimalField(_("区财政配套（元）"), **MONEY)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("申请人"))
    submitted_on = models.DateField(_("申请日期"))
    budget_override_reason = models.TextField(_("超预算批准理由"), blank=True)
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    disbursed_on = models.DateField(_("拨付日期"), null=True, blank=True)
    disbursement_voucher = models.CharField(_("拨付凭证号"), max_length=50, blank=True)
    history = HistoricalRecords()

    objects = FundApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("维修资金申请")
        verbose_name_plural = _("维修资金申请")
        ordering = ["-submitted_on", "-pk"]
        constraints = [
            # Exactly once: a double submit (or two clerks at once) leaves one open application per estate.
            models.UniqueConstraint(fields=["estate"], condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                                    name="one_open_maintenance_application_per_estate"),
            models.CheckConstraint(condition=Q(area__gt=0, per_sqm__gt=0), name="maintenance_area_and_rate_positive"),
            models.CheckConstraint(condition=Q(per_sqm__lte=F("cap")), name="maintenance_rate_within_cap"),
            models.CheckConstraint(condition=Q(granted__gte=0, matched__gte=0), name="maintenance_amounts_not_negative"),
            models.CheckConstraint(condition=~Q(status="disbursed") | Q(disbursed_on__isnull=False),
                                   name="maintenance_disbursed_has_date"),
        ]
        indexes = [models.Index(fields=["district", "year"]), models.Index(fields=["street", "year"])]

    def __str__(self):
        return f"{self.estate} · {self.year}"

    @property
    def total(self) -> Decimal:
        """The estate's part and the district's match together."""
        return self.granted + self.matched


class ApplicationEvent(TransitionEvent):
    application = models.ForeignKey(FundApplication, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ApplicationStatus.choices)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("维修资金申请办理记录")
        verbose_name_plural = _("维修资金申请办理记录")
