import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import TransitionEvent
from accounts.scope import DistrictRecordQuerySet, ScopedQuerySet
from workdays.models import TimeUnit

MIN_COMPLETION_YEAR = 1949
DEFAULT_OLD_ESTATE_CUTOFF = 2004  # 章贡区: completed before the end of 2004


class DistrictQuerySet(ScopedQuerySet):
    scope_paths = {"district": "pk", "street": "streets", "community": "streets__communities",
                   "firm": "streets__communities__estates__firm"}
    scope_edit_levels = ("district",)
    scope_multi_valued = True


class District(models.Model):
    """区 / 开发区管委会. One deployment serves one city."""

    name = models.CharField(_("区名称"), max_length=50, unique=True)
    code = models.CharField(_("行政区划代码"), max_length=12, blank=True)

    objects = DistrictQuerySet.as_manager()

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = _("区")
        ordering = ["name"]

    def __str__(self):
        return self.name


# The units a rectification deadline (a date) may be counted in.
RECTIFICATION_DEADLINE_UNITS = [(u.value, u.label) for u in (TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_DAYS)]


class DistrictPolicy(models.Model):
    """The district's policy settings, versioned by effective date.

    Later issues add their numbers here (or in their own versioned rows). The committee-formation targets
    are CommitteeTarget rows (per district and year), not a field here.
    """

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="policies", verbose_name=_("区"))
    effective_from = models.DateField(_("生效日期"))
    old_estate_cutoff_year = models.PositiveSmallIntegerField(
        _("老旧小区建成年份截止"),
        default=2004,
        validators=[MinValueValidator(MIN_COMPLETION_YEAR), MaxValueValidator(2100)],
        help_text=_("在该年底之前（含该年）建成的小区为老旧小区。"),
    )
    coverage_target = models.DecimalField(
        _("物业管理覆盖率目标（%）"), max_digits=5, decimal_places=2, default=Decimal("100.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    rectification_deadline_days = models.PositiveSmallIntegerField(
        _("整改期限默认天数"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    rectification_deadline_unit = models.CharField(
        _("整改期限计算单位"), max_length=20, choices=RECTIFICATION_DEADLINE_UNITS, default=TimeUnit.CALENDAR_DAYS,
        help_text=_("工作日按工作日历（法定节假日及调休）计算，当天不计。"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("区政策参数")
        verbose_name_plural = _("区政策参数")
        ordering = ["district", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["district", "effective_from"], name="one_policy_per_district_and_date"),
            models.CheckConstraint(
                condition=Q(coverage_target__gte=0, coverage_target__lte=100),
                name="policy_coverage_target_is_percentage",
            ),
        ]

    def __str__(self):
        return f"{self.district} · {self.effective_from:%Y-%m-%d}"


def cutoff_years(on: datetime.date) -> dict[int, int]:
    """district id -> the old-estate cut-off year of the policy in force on `on` (one query, one row each)."""
    years: dict[int, int] = {}
    for district_id, year in (DistrictPolicy.objects.filter(effective_from__lte=on)
                              .order_by("district_id", "-effective_from")
                              .values_list("district_id", "old_estate_cutoff_year")):
        years.setdefault(district_id, year)
    return years


class StreetKind(models.TextChoices):
    STREET = "street", _("街道办事处")
    TOWN = "town", _("乡镇人民政府")


class StreetQuerySet(ScopedQuerySet):
    scope_paths = {"district": "district", "street": "pk", "community": "communities",
                   "firm": "communities__estates__firm"}
    scope_edit_levels = ("district",)
    scope_multi_valued = True


class Street(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets", verbose_name=_("区"))
    name = models.CharField(_("街道（乡镇）名称"), max_length=50)
    kind = models.CharField(_("类型"), max_length=10, choices=StreetKind.choices, default=StreetKind.STREET)

    objects = StreetQuerySet.as_manager()

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["district__name", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="unique_street_name_in_district")]

    def __str__(self):
        return self.name


class CommunityQuerySet(ScopedQuerySet):
    scope_paths = {"district": "street__district", "street": "street", "community": "pk",
                   "firm": "estates__firm"}
    scope_multi_valued = True


class Community(models.Model):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("街道"))
    name = models.CharField(_("社区名称"), max_length=50)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["street__name", "name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="unique_community_name_in_street")]

    def __str__(self):
        return self.name


class EstateType(models.TextChoices):
    COMMERCIAL = "commercial", _("新建商品房小区")
    OLD = "old", _("老旧小区")
    RESETTLEMENT = "resettlement", _("拆迁安置小区")
    AFFORDABLE = "affordable", _("保障房小区")


class ManagementMode(models.TextChoices):
    MARKET = "market", _("市场化物业服务企业")
    SELF = "self", _("业主自行管理")
    STREET_CENTRE = "street_centre", _("街道物业服务中心")
    COMMUNITY_CUSTODY = "community_custody", _("社区托管·准物业")
    WORK_UNIT = "work_unit", _("单位后勤管理")
    NONE = "none", _("无人管理")


class Category(models.IntegerChoices):
    ONE = 1, _("一类（基础设施完善，已实施管理）")
    TWO = 2, _("二类（基础设施一般，管理难度较大）")
    THREE = 3, _("三类（基础设施差或规模小，管理难度大）")


class EstateQuerySet(ScopedQuerySet):
    scope_paths = {
        "district": "community__street__district",
        "street": "community__street",
        "community": "community",
        "firm": "firm",
    }

    def covered(self):
        return self.exclude(management_mode=ManagementMode.NONE)

    def with_cutoff_year(self, on: datetime.date | None = None):
        """Annotate each estate with its district's old-estate cut-off year in force on `on` (default today).

        The cut-offs are read once, one row per district (cutoff_years), and go into the query as a CASE
        over the estate's district: no subquery per row. A district without a policy in force falls back
        to the DOMAIN default, as Estate.is_old does.
        """
        years = cutoff_years(on or timezone.localdate())
        if not years:
            return self.annotate(cutoff_year=Value(DEFAULT_OLD_ESTATE_CUTOFF))
        return self.annotate(cutoff_year=Case(
            *(When(community__street__district_id=district_id, then=Value(year)) for district_id, year in years.items()),
            default=Value(DEFAULT_OLD_ESTATE_CUTOFF), output_field=models.PositiveSmallIntegerField()))

    def old(self, is_old: bool = True, on: datetime.date | None = None):
        qs = self.with_cutoff_year(on)
        cond = Q(completion_year__lte=models.F("cutoff_year"))
        return qs.filter(cond) if is_old else qs.exclude(cond)

    def with_committee_flags(self):
        active = OwnerCommittee.objects.filter(estate=OuterRef("pk"), is_active=True)
        return self.annotate(
            has_filed_committee=Exists(active.filter(kind=CommitteeKind.OWNERS, filing_status=FilingStatus.FILED)),
            has_standin_committee=Exists(active.filter(kind=CommitteeKind.STANDIN)),
        )


class Estate(models.Model):
    """住宅小区."""

    # No index of its own: unique_estate_name_in_community (community, name) serves every lookup by community.
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="estates", verbose_name=_("社区"), db_index=False,
    )
    name = models.CharField(_("小区名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    completion_year = models.PositiveSmallIntegerField(_("建成年份"))
    total_area = models.DecimalField(
        _("总建筑面积（㎡）"), max_digits=12, decimal_places=2,
        help_text=_("补贴计算基数，必须大于 0。"),
    )
    building_count = models.PositiveIntegerField(_("楼栋数"), default=0)
    household_count = models.PositiveIntegerField(_("户数"), default=0)
    has_lift = models.BooleanField(_("有电梯"), default=False)
    estate_type = models.CharField(_("小区类型"), max_length=20, choices=EstateType.choices,
                                   default=EstateType.COMMERCIAL)
    management_mode = models.CharField(_("物业管理性质"), max_length=20, choices=ManagementMode.choices,
                                       default=ManagementMode.NONE)
    category = models.PositiveSmallIntegerField(_("类别"), choices=Category.choices, default=Category.ONE)
    in_renovation_programme = models.BooleanField(_("纳入老旧小区改造"), default=False)
    renovation_accepted = models.BooleanField(_("改造达标"), default=False)
    firm = models.ForeignKey(
        "enterprises.Firm", null=True, blank=True, on_delete=models.PROTECT, related_name="estates",
        verbose_name=_("服务企业"),
        help_text=_("由物业服务合同维护。"),
    )
    firm_since = models.DateField(_("入驻时间"), null=True, blank=True)
    service_content = models.CharField(_("服务内容"), max_length=200, blank=True)
    contact_name = models.CharField(_("物业负责人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords()

    objects = EstateQuerySet.as_manager()

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["community__street__name", "community__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="unique_estate_name_in_community"),
            models.CheckConstraint(condition=Q(total_area__gt=0), name="estate_area_positive"),
            models.CheckConstraint(condition=Q(completion_year__gte=MIN_COMPLETION_YEAR),
                                   name="estate_completion_year_plausible"),
            models.CheckConstraint(
                condition=Q(renovation_accepted=False) | Q(in_renovation_programme=True),
                name="estate_renovation_accepted_needs_programme",
            ),
            models.CheckConstraint(
                condition=Q(firm__isnull=True) | Q(firm_since__isnull=False),
                name="estate_firm_has_since_date",
            ),
        ]
        indexes = [models.Index(fields=["management_mode"]), models.Index(fields=["completion_year"])]

    def __str__(self):
        return self.name

    @property
    def is_covered(self) -> bool:
        return self.management_mode != ManagementMode.NONE

    def is_old(self, cutoff_year: int | None = None) -> bool:
        if cutoff_year is None:
            cutoff_year = getattr(self, "cutoff_year", None) or DEFAULT_OLD_ESTATE_CUTOFF
        return self.completion_year <= cutoff_year


class CommitteeKind(models.TextChoices):
    OWNERS = "owners", _("业主委员会")
    STANDIN = "standin", _("物业管理委员会")


class FilingStatus(models.TextChoices):
    NOT_FILED = "not_filed", _("未备案")
    PENDING = "pending", _("备案审核中")
    FILED = "filed", _("已备案")


class EstateArea(models.Model):
    """The estate's total building area from `effective_from` on: the subsidy base of each service month.

    `Estate.total_area` is the area in force today. A row exists only once the
    area has changed (the first edit also records the area before it); an
    estate without rows has had its current area all along. The payout of a
    service month uses the area in force on the month's first day (DOMAIN.md §6).
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="areas", verbose_name=_("小区"))
    area = models.DecimalField(_("总建筑面积（㎡）"), max_digits=12, decimal_places=2)
    effective_from = models.DateField(_("生效日期"))
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("小区面积变更")
        verbose_name_plural = _("小区面积变更")
        ordering = ["estate", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "effective_from"], name="one_area_per_estate_date"),
            models.CheckConstraint(condition=Q(area__gt=0), name="estate_area_version_positive"),
        ]

    def __str__(self):
        return f"{self.estate} {self.area} ㎡ · {self.effective_from}"


class OwnerCommitteeQuerySet(ScopedQuerySet):
    # A firm sees (never edits) the committees of the estates it serves now: the committee it works with,
    # whose opinion counts in its star rating. Members' phones and the change history stay with the
    # street and community (communities/views/committees.py).
    scope_paths = {
        "district": "estate__community__street__district",
        "street": "estate__community__street",
        "community": "estate__community",
        "firm": "estate__firm",
    }


class OwnerCommittee(models.Model):
    """业主委员会, or the 物业管理委员会 that stands in where none can be formed."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="committees", verbose_name=_("小区"))
    kind = models.CharField(_("类型"), max_length=10, choices=CommitteeKind.choices, default=CommitteeKind.OWNERS)
    elected_on = models.DateField(_("成立（选举）日期"))
    term_end = models.DateField(_("任期届满"))
    filing_status = models.CharField(_("备案状态"), max_length=10, choices=FilingStatus.choices,
                                     default=FilingStatus.NOT_FILED)
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    is_active = models.BooleanField(_("在任"), default=True)
    notes = models.TextField(_("备注"), blank=True)
    history = HistoricalRecords()

    objects = OwnerCommitteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("业主委员会")
        verbose_name_plural = _("业主委员会")
        ordering = ["-is_active", "-elected_on"]
        constraints = [
            models.UniqueConstraint(fields=["estate"], condition=Q(is_active=True),
                                    name="one_active_committee_per_estate"),
            models.CheckConstraint(condition=Q(term_end__gt=models.F("elected_on")),
                                   name="committee_term_ends_after_election"),
            models.CheckConstraint(
                condition=~Q(filing_status="filed") | Q(filed_on__isnull=False),
                name="committee_filed_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.estate} · {self.get_kind_display()}"


class CommitteeMember(models.Model):
    committee = models.ForeignKey(OwnerCommittee, on_delete=models.CASCADE, related_name="members",
                                  verbose_name=_("委员会"))
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(
        _("职务"), max_length=10,
        choices=[("chair", _("主任")), ("vice", _("副主任")), ("member", _("委员"))], default="member",
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("委员会成员")
        verbose_name_plural = _("委员会成员")
        ordering = ["committee", "position", "name"]

    def __str__(self):
        return f"{self.name}（{self.get_position_display()}）"


class StationKind(models.TextChoices):
    """两站一中心: the stations each street sets up (驻马店市社区物业化服务实施意见 五(二))."""

    MEDIATION = "mediation", _("物业管理矛盾投诉调解站")
    REPAIR = "repair", _("物业应急维修服务站")
    SERVICE_CENTRE = "centre", _("街道物业服务中心")


class StreetStationQuerySet(ScopedQuerySet):
    # Everyone acting in the street sees its stations (they are on the public estate page anyway); the
    # street's staff keep their own, the district's administrators their streets'.
    scope_paths = {"district": "street__district", "street": "street", "community": "street__communities",
                   "firm": "street__communities__estates__firm"}
    scope_edit_levels = ("district", "street")
    scope_multi_valued = True


class StreetStation(models.Model):
    """One of the street's "two stations and one centre": where residents bring a complaint or a repair."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="stations", verbose_name=_("街道"))
    kind = models.CharField(_("类型"), max_length=12, choices=StationKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)
    phone = models.CharField(_("联系电话"), max_length=30)
    opening_hours = models.CharField(_("服务时间"), max_length=100, blank=True,
                                     help_text=_("例如：工作日 8:30—17:30"))
    is_active = models.BooleanField(_("在用"), default=True)
    history = HistoricalRecords()

    objects = StreetStationQuerySet.as_manager()

    class Meta:
        verbose_name = _("街道物业服务站点")
        verbose_name_plural = _("街道物业服务站点")
        ordering = ["street__name", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "kind"], condition=Q(is_active=True),
                                    name="one_active_station_per_street_and_kind"),
        ]

    def __str__(self):
        return f"{self.street} · {self.name}"


class TargetForm(models.TextChoices):
    RATE = "rate", _("组建率")
    REMAINING_SHARE = "remaining", _("按年度完成剩余小区比例")


class CommitteeTargetQuerySet(ScopedQuerySet):
    # A district's rows are the district's records; the city's rows (no district) are read by everyone.
    scope_paths = {"district": "district", "street": "district__streets",
                   "community": "district__streets__communities",
                   "firm": "district__streets__communities__estates__contracts__firm"}
    scope_edit_levels = ("district",)
    scope_multi_valued = True


class CommitteeTarget(models.Model):
    """The committee-formation target of a district (or, without a district, the whole city) for a year.

    The one place these targets live (the place lists and the reports read them through
    communities.targets). Two forms:

    - 组建率 (`rate`): the share of the estates with a committee should be at least `value` % from `year` on
      (the city's "≥ 80 %").
    - 剩余小区比例 (`remaining`): the estates without a committee on `baseline_on` (the programme start) get one
      in yearly steps; `value` is this year's step, the target of a year is the sum of the steps of the
      programme up to it (经开区: 30 %, 40 %, 30 % → 30 %, 70 %, 100 % of the estates left at the start).
    """

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="committee_targets",
                                 null=True, blank=True, verbose_name=_("区"), help_text=_("留空为全市目标。"))
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    form = models.CharField(_("目标形式"), max_length=10, choices=TargetForm.choices, default=TargetForm.RATE)
    value = models.DecimalField(
        _("目标值（%）"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("组建率：不低于该比例；剩余小区比例：当年完成的比例（各年度之和不超过 100%）。"),
    )
    baseline_on = models.DateField(_("基数日期"), null=True, blank=True,
                                   help_text=_("剩余小区比例：以该日尚未成立业委会的小区为基数（计划开始日）。"))
    source = models.CharField(_("依据"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = CommitteeTargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("业委会组建目标")
        verbose_name_plural = _("业委会组建目标")
        ordering = ["district__name", "year"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], condition=Q(district__isnull=False),
                                    name="one_committee_target_per_district_year"),
            models.UniqueConstraint(fields=["year"], condition=Q(district__isnull=True),
                                    name="one_city_committee_target_per_year"),
            models.CheckConstraint(condition=Q(value__gte=0, value__lte=100),
                                   name="committee_target_is_percentage"),
            models.CheckConstraint(
                condition=Q(form="rate", baseline_on__isnull=True)
                | Q(form="remaining", baseline_on__isnull=False, district__isnull=False),
                name="committee_target_baseline_with_remaining_form",
            ),
        ]

    def __str__(self):
        return f"{self.district or _('全市')} · {self.year} · {self.get_form_display()} {self.value}%"

    def clean(self):
        """A 剩余小区比例 row needs its district and the programme's start; its steps add up to at most 100 %."""
        if self.form == TargetForm.RATE:
            if self.baseline_on is not None:
                raise ValidationError({"baseline_on": _("组建率目标不需要基数日期。")})
            return
        if self.district_id is None:
            raise ValidationError({"district": _("按年度完成剩余小区比例的目标须指定区。")})
        if self.baseline_on is None:
            raise ValidationError({"baseline_on": _("请填写基数日期（计划开始日，以该日尚未成立业委会的小区为基数）。")})
        if self.baseline_on.year > self.year:
            raise ValidationError({"baseline_on": _("基数日期不能晚于目标年度。")})
        if self.value is None:
            return
        others = (CommitteeTarget.objects.filter(district_id=self.district_id, form=TargetForm.REMAINING_SHARE,
                                                 baseline_on=self.baseline_on)
                  .exclude(pk=self.pk).aggregate(total=models.Sum("value"))["total"] or Decimal(0))
        if others + self.value > 100:
            raise ValidationError({"value": _("同一计划各年度比例之和不能超过 100%%（其他年度已有 %(n)s%%）。")
                                   % {"n": int(others) if others == int(others) else others.normalize()}})


# --- owner-committee yearly assessment and allowance (章贡 四(一)) ---------------------------------------------
#
# 「各街道（镇）…加强对业主委员会或物业管理委员会的监管并进行年度考核评定。评定结果合格的，业主委员会或物业管理委员会
# 成员可按照每人每月不高于300元的标准发放交通、通讯补贴，补贴资金从该小区物业服务费或公共收益中列支。」
#
# The 300 yuan is the document's own ceiling, not a district's figure: a district sets its amount at or below it
# (CommitteeAssessmentPolicy.allowance_per_member), and every statement is capped at it again. The money comes
# from the estate's property fee or public income, never from the district's budget (ALLOWANCE_FUNDS).

ALLOWANCE_CAP = Decimal("300.00")  # 每人每月不高于300元
ALLOWANCE_FUNDS = _("小区物业服务费或公共收益")  # 补贴资金从该小区物业服务费或公共收益中列支


class AssessmentPolicyQuerySet(DistrictRecordQuerySet):
    # The district's government side reads its rules; a firm sees nothing of the assessment.
    scope_paths = {k: v for k, v in DistrictRecordQuerySet.scope_paths.items() if k != "firm"}


class CommitteeAssessmentPolicy(models.Model):
    """A district's assessment rules from `effective_from` on: the criteria (rows of AssessmentCriterion), the
    pass mark and the monthly allowance per member. A version in use is never edited: a change is a new
    version, and an assessment keeps the version it was made under."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="assessment_policies",
                                 verbose_name=_("区"))
    effective_from = models.DateField(_("生效日期"))
    pass_mark = models.DecimalField(_("合格分数线"), max_digits=6, decimal_places=2, default=Decimal("60.00"),
                                    validators=[MinValueValidator(0)],
                                    help_text=_("计分项得分合计达到该分数且所有合格/不合格项均合格，评定为合格。"))
    allowance_per_member = models.DecimalField(
        _("每人每月补贴（元）"), max_digits=8, decimal_places=2, default=ALLOWANCE_CAP,
        validators=[MinValueValidator(0), MaxValueValidator(ALLOWANCE_CAP)],
        help_text=_("交通、通讯补贴，不高于每人每月 300 元；从小区物业服务费或公共收益中列支。"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = AssessmentPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("业委会考核政策")
        verbose_name_plural = _("业委会考核政策")
        ordering = ["district", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["district", "effective_from"], name="one_assessment_policy_per_date"),
            models.CheckConstraint(condition=Q(allowance_per_member__gte=0, allowance_per_member__lte=ALLOWANCE_CAP),
                                   name="assessment_allowance_within_cap"),
            models.CheckConstraint(condition=Q(pass_mark__gte=0), name="assessment_pass_mark_not_negative"),
        ]

    def __str__(self):
        return f"{self.district} · {self.effective_from:%Y-%m-%d}"

    @property
    def max_points(self) -> Decimal:
        return sum((c.max_points or Decimal("0") for c in self.criteria.all()), Decimal("0"))


class CriterionKind(models.TextChoices):
    POINTS = "points", _("计分")
    PASS_FAIL = "pass_fail", _("合格/不合格")


class AssessmentCriterion(models.Model):
    """One item of a policy version's criteria: scored up to `max_points`, or passed / failed."""

    policy = models.ForeignKey(CommitteeAssessmentPolicy, on_delete=models.CASCADE, related_name="criteria",
                               verbose_name=_("考核政策"))
    order = models.PositiveSmallIntegerField(_("序号"), default=1)
    title = models.CharField(_("考核项目"), max_length=100)
    description = models.TextField(_("考核内容"), blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=CriterionKind.choices, default=CriterionKind.POINTS)
    max_points = models.DecimalField(_("满分"), max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("业委会考核项目")
        verbose_name_plural = _("业委会考核项目")
        ordering = ["policy", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="points", max_points__gt=0) | Q(kind="pass_fail", max_points__isnull=True)),
                name="assessment_criterion_points_by_kind"),
        ]

    def __str__(self):
        return self.title


class AssessmentStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待区确认")
    RETURNED = "returned", _("已退回街道")
    CONFIRMED = "confirmed", _("区已确认")


class CommitteeAssessmentQuerySet(ScopedQuerySet):
    # The government side only: the street that assessed, its district, the estate's community. A firm sees
    # nothing of the assessment or the allowance (no "firm" path).
    scope_paths = {"district": "district", "street": "street", "community": "committee__estate__community"}
    scope_edit_levels = ("street",)

    def counting(self):
        """Assessments that count: confirmed by the district."""
        return self.filter(status=AssessmentStatus.CONFIRMED)


class CommitteeAssessment(models.Model):
    """The street's yearly assessment (年度考核评定) of one committee; it counts once the district confirms it.

    The result is computed from the items (`qualified`): the points reach the pass mark and every pass/fail
    item is passed. The pass mark is kept with the assessment, as is the policy version it was made under."""

    committee = models.ForeignKey(OwnerCommittee, on_delete=models.PROTECT, related_name="assessments",
                                  verbose_name=_("委员会"))
    year = models.PositiveSmallIntegerField(_("考核年度"))
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("区"))
    policy = models.ForeignKey(CommitteeAssessmentPolicy, on_delete=models.PROTECT, related_name="assessments",
                               verbose_name=_("适用政策"))
    status = models.CharField(_("状态"), max_length=10, choices=AssessmentStatus.choices,
                              default=AssessmentStatus.SUBMITTED)
    total_points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    pass_mark = models.DecimalField(_("合格分数线"), max_digits=6, decimal_places=2)
    qualified = models.BooleanField(_("评定合格"))
    comment = models.TextField(_("考核意见"), blank=True)
    assessed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("考核人"))
    assessed_on = models.DateField(_("考核日期"))
    confirmed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("确认人"))
    confirmed_on = models.DateField(_("确认日期"), null=True, blank=True)
    history = HistoricalRecords()

    objects = CommitteeAssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("业委会年度考核")
        verbose_name_plural = _("业委会年度考核")
        ordering = ["-year", "street__name", "pk"]
        constraints = [
            # Once a year: a second assessment of the same committee and year is refused.
            models.UniqueConstraint(fields=["committee", "year"], name="one_assessment_per_committee_and_year"),
            models.CheckConstraint(condition=~Q(status="confirmed") | Q(confirmed_on__isnull=False),
                                   name="assessment_confirmed_has_date"),
        ]
        indexes = [models.Index(fields=["street", "year"]), models.Index(fields=["district", "year"])]

    def __str__(self):
        return f"{self.committee} · {self.year}"

    @property
    def counts(self) -> bool:
        return self.status == AssessmentStatus.CONFIRMED


class AssessmentScore(models.Model):
    """One criterion's result in an assessment."""

    assessment = models.ForeignKey(CommitteeAssessment, on_delete=models.CASCADE, related_name="scores",
                                   verbose_name=_("考核"))
    criterion = models.ForeignKey(AssessmentCriterion, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("考核项目"))
    points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("合格"), null=True, blank=True)
    remark = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("业委会考核得分")
        verbose_name_plural = _("业委会考核得分")
        ordering = ["assessment", "criterion__order", "criterion_id"]
        constraints = [models.UniqueConstraint(fields=["assessment", "criterion"], name="one_score_per_criterion")]


class AssessmentMember(models.Model):
    """A member in office during the assessed year and the months served (the allowance's base). The members
    table keeps today's members only, so the street states the year's roster with the assessment (prefilled
    from the members and the committee's term) and the district confirms it with the result."""

    assessment = models.ForeignKey(CommitteeAssessment, on_delete=models.CASCADE, related_name="roster",
                                   verbose_name=_("考核"))
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=10,
                                choices=[("chair", _("主任")), ("vice", _("副主任")), ("member", _("委员"))],
                                default="member")
    from_month = models.PositiveSmallIntegerField(_("起始月份"), validators=[MinValueValidator(1),
                                                                           MaxValueValidator(12)])
    to_month = models.PositiveSmallIntegerField(_("截止月份"), validators=[MinValueValidator(1),
                                                                         MaxValueValidator(12)])

    class Meta:
        verbose_name = _("年度在任成员")
        verbose_name_plural = _("年度在任成员")
        ordering = ["assessment", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(from_month__gte=1, to_month__lte=12, from_month__lte=models.F("to_month")),
                                   name="assessment_member_months_valid"),
        ]

    def __str__(self):
        return self.name

    @property
    def months(self) -> int:
        return self.to_month - self.from_month + 1


class AssessmentEvent(TransitionEvent):
    """Each step of an assessment (submitted, corrected, returned, confirmed): who, when, what."""

    assessment = models.ForeignKey(CommitteeAssessment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=AssessmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=AssessmentStatus.choices)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("业委会考核办理记录")
        verbose_name_plural = _("业委会考核办理记录")
