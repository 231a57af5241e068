import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import TransitionEvent
from accounts.scope import ScopedQuerySet

from .validators import validate_credit_code

BOND_MIN = Decimal("20000.00")
BOND_MAX = Decimal("100000.00")


class FirmQuerySet(ScopedQuerySet):
    # A district sees the firms filed with it and those serving its estates;
    # a street or community sees the firms serving its estates; a firm sees itself.
    scope_paths = {
        "district": "estates__community__street__district",
        "street": "estates__community__street",
        "community": "estates__community",
        "firm": "pk",
    }
    scope_edit_levels = ("district", "firm")
    scope_multi_valued = True

    def _scope_q(self, scope, *, edit, levels=None):
        q = super()._scope_q(scope, edit=edit, levels=levels)
        districts = scope.ids("district", edit=edit)
        if districts and (not edit or "district" in (levels or self.scope_edit_levels)):
            q |= Q(registered_district__in=districts)
        return q


class Firm(models.Model):
    """物业服务企业."""

    name = models.CharField(_("企业名称"), max_length=100, unique=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True,
                                   validators=[validate_credit_code])
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    registered_district = models.ForeignKey(
        "communities.District", null=True, blank=True, on_delete=models.PROTECT, related_name="firms",
        verbose_name=_("备案区"),
    )
    is_filed = models.BooleanField(_("已在区备案"), default=False)
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    is_street_run = models.BooleanField(_("街道物业公司"), default=False)
    street = models.ForeignKey(
        "communities.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="street_firms",
        verbose_name=_("所属街道"), help_text=_("仅街道物业公司填写。"),
    )
    in_public_benefit_pool = models.BooleanField(_("公益性物业服务企业库"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = FirmQuerySet.as_manager()

    class Meta:
        verbose_name = _("物业企业")
        verbose_name_plural = _("物业企业")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(is_filed=False) | Q(filed_on__isnull=False),
                                   name="firm_filed_has_date"),
            models.CheckConstraint(condition=Q(is_street_run=True) | Q(street__isnull=True),
                                   name="firm_street_only_if_street_run"),
        ]

    def __str__(self):
        return self.name


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("履行中")
    ENDED = "ended", _("已终止")


class ServiceContractQuerySet(ScopedQuerySet):
    scope_paths = {
        "district": "estate__community__street__district",
        "street": "estate__community__street",
        "community": "estate__community",
        "firm": "firm",
    }

    def active(self):
        return self.filter(status=ContractStatus.ACTIVE)


class ServiceContract(models.Model):
    """物业服务合同. At most one active contract per estate (database constraint)."""

    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="contracts",
                               verbose_name=_("小区"))
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("物业企业"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("到期日期"))
    fee_standard = models.DecimalField(_("收费标准（元/㎡/月）"), max_digits=6, decimal_places=2)
    bond = models.DecimalField(
        _("履约保证金（元/年）"), max_digits=14, decimal_places=2,
        help_text=_("每个小区每年 20,000 至 100,000 元。"),
    )
    status = models.CharField(_("状态"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    ended_on = models.DateField(_("退出日期"), null=True, blank=True)
    handover_date = models.DateField(_("交接日期"), null=True, blank=True)
    handover_note = models.TextField(_("退出交接记录"), blank=True)
    handover_received_by = models.CharField(_("接收方"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ServiceContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("物业服务合同")
        verbose_name_plural = _("物业服务合同")
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["estate"], condition=Q(status="active"),
                                    name="one_active_contract_per_estate"),
            models.CheckConstraint(condition=Q(bond__gte=BOND_MIN, bond__lte=BOND_MAX),
                                   name="contract_bond_within_limits"),
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")),
                                   name="contract_ends_after_start"),
            models.CheckConstraint(condition=Q(fee_standard__gte=0), name="contract_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(status="active", ended_on__isnull=True)
                | Q(status="ended", ended_on__isnull=False, handover_date__isnull=False),
                name="contract_ended_has_handover",
            ),
        ]

    def __str__(self):
        return f"{self.estate} · {self.firm}"


def firm_scope_paths(prefix: str) -> dict[str, str]:
    """FirmQuerySet's scope paths seen from a row that names a firm through `prefix`."""
    return {level: prefix if path == "pk" else f"{prefix}__{path}" for level, path in FirmQuerySet.scope_paths.items()}


class FirmRowQuerySet(ScopedQuerySet):
    """Rows that belong to a firm (credit records, scores, blacklist entries): seen wherever the firm is
    seen (FirmQuerySet: a district sees the firms filed with it and those serving its estates, a street or
    community those serving its estates, a firm itself). Changes go through the credit services, which
    ask their own question per action (enterprises/credit/permissions.py)."""

    firm_prefix = "firm"
    scope_paths = firm_scope_paths("firm")
    scope_edit_levels = ()
    scope_multi_valued = True

    def _scope_q(self, scope, *, edit, levels=None):
        q = super()._scope_q(scope, edit=edit, levels=levels)
        districts = scope.ids("district", edit=edit)
        if districts and not edit:
            q |= Q(**{f"{self.firm_prefix}__registered_district__in": districts})
        return q


class BlacklistEntryQuerySet(FirmRowQuerySet):
    # The blacklist is public (DOMAIN.md §1); inside the portal each user sees the entries of the firms
    # they see.

    def in_force(self, on):
        """Entries listing their firm on `on`: listed on or before it, not past the planned end
        (`ends_on`, the last day listed) and not removed early (`removed_on`, the first day off the list)."""
        return (self.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
                .filter(Q(removed_on__isnull=True) | Q(removed_on__gt=on)))


class BlacklistBasis(models.TextChoices):
    SERIOUS_RECORD = "serious_record", _("严重失信行为")
    TWO_LOW_YEARS = "two_low_years", _("连续两年信用记分为70分及以下")
    MANUAL = "manual", _("其他（人工列入）")


class BlacklistEntry(models.Model):
    """失信黑名单: a firm is on it while an entry is in force (DOMAIN.md §3).

    Entries are written by the credit services (enterprises/credit/blacklist.py): a confirmed serious
    record lists the firm at once (`trigger_record`), a second published yearly score at or below the
    policy's line after one the year before lists it when the second is published (`first_score`,
    `second_score`). `starts_on` is the day listed, `ends_on` the planned end (the last day listed: the
    latest publication end of the records behind it), `removed_on` the first day off the list when the
    listing ended early (credit repair, an objection upheld), with its reason.
    """

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="blacklist_entries",
                             verbose_name=_("物业企业"))
    district = models.ForeignKey("communities.District", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("列入区"),
                                 help_text=_("为空时由市住房管理中心列入。"))
    reason = models.CharField(_("列入原因"), max_length=300)
    basis = models.CharField(_("列入依据"), max_length=20, choices=BlacklistBasis.choices,
                             default=BlacklistBasis.MANUAL)
    starts_on = models.DateField(_("列入日期"))
    ends_on = models.DateField(_("列入期限至"), null=True, blank=True,
                               help_text=_("计划移出前的最后一天：其所依据失信记录的公示期届满之日。"))
    removed_on = models.DateField(_("提前移出日期"), null=True, blank=True)
    removal_reason = models.TextField(_("提前移出原因"), blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("移出决定人"))
    records = models.ManyToManyField("CreditRecord", blank=True, related_name="blacklist_entries",
                                     verbose_name=_("所依据的信用记录"))
    trigger_record = models.OneToOneField("CreditRecord", null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="listing", verbose_name=_("列入所依据的严重失信记录"))
    first_score = models.ForeignKey("CreditScore", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("前一年度信用记分"))
    second_score = models.OneToOneField("CreditScore", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="listing", verbose_name=_("后一年度信用记分"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = BlacklistEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("失信黑名单")
        verbose_name_plural = _("失信黑名单")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                                   name="blacklist_ends_after_start"),
            models.CheckConstraint(condition=Q(removed_on__isnull=True) | Q(removed_on__gte=models.F("starts_on")),
                                   name="blacklist_removed_after_start"),
            models.CheckConstraint(condition=Q(removed_on__isnull=True) | ~Q(removal_reason=""),
                                   name="blacklist_removal_has_reason"),
        ]

    def __str__(self):
        return f"{self.firm} · {self.starts_on}"

    def in_force_on(self, on) -> bool:
        return (self.starts_on <= on and (self.ends_on is None or self.ends_on >= on)
                and (self.removed_on is None or self.removed_on > on))

    @property
    def off_on(self):
        """The first day the firm is off the list (removed early, or the day after the planned end)."""
        if self.removed_on is not None:
            return self.removed_on
        return self.ends_on + datetime.timedelta(days=1) if self.ends_on else None


def firm_is_blacklisted(firm_id: int, on) -> bool:
    return BlacklistEntry.objects.in_force(on).filter(firm_id=firm_id).exists()


# =============================================================================================== firm credit
# The rule catalogue (versioned city policy), credit records with their timeline and objections, the yearly
# credit score (computed -> reviewed -> published, like a rating period). The rules they follow are written
# in enterprises/credit/ (services) and DOMAIN.md §3.

POINTS = [MinValueValidator(-100), MaxValueValidator(100)]


class CreditPolicyQuerySet(models.QuerySet):
    def in_force(self, on):
        """The city's version in force on `on`: the latest `effective_from` not after it (the rule every
        versioned policy follows, accounts/versions.py; this one is city-wide, not per district)."""
        return self.filter(effective_from__lte=on).order_by("-effective_from").first()


class CreditPolicy(models.Model):
    """The city's credit rules from `effective_from` on: the score formula's figures, the level thresholds,
    the blacklist line, the objection window and, in `rules`, the rule catalogue. A version is never edited:
    a change is a new version; records keep the points they copied, a year keeps the version it used."""

    effective_from = models.DateField(_("生效日期"), unique=True)
    base_score = models.PositiveSmallIntegerField(_("基础分"), default=80, validators=[MaxValueValidator(100)])
    good_cap = models.PositiveSmallIntegerField(_("良好信息加分上限"), default=20, validators=[MaxValueValidator(100)])
    level_aaa = models.PositiveSmallIntegerField(_("AAA 级最低分"), default=85, validators=[MaxValueValidator(100)])
    level_aa = models.PositiveSmallIntegerField(_("AA 级最低分"), default=80, validators=[MaxValueValidator(100)])
    level_a = models.PositiveSmallIntegerField(_("A 级最低分"), default=70, validators=[MaxValueValidator(100)])
    level_b = models.PositiveSmallIntegerField(_("B 级最低分"), default=60, validators=[MaxValueValidator(100)])
    blacklist_score = models.PositiveSmallIntegerField(
        _("黑名单记分线"), default=70, validators=[MaxValueValidator(100)],
        help_text=_("连续两年信用记分在此分数及以下的企业列入失信黑名单（含本数）。"))
    objection_days = models.PositiveSmallIntegerField(
        _("异议期（工作日）"), default=5, validators=[MinValueValidator(1), MaxValueValidator(30)])
    inspection_line = models.PositiveSmallIntegerField(
        _("检查低分线"), default=60, validators=[MaxValueValidator(100)],
        help_text=_("检查总分低于此分数时记不良信息（每小区每季度至多一次）。"))
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CreditPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业信用规则")
        verbose_name_plural = _("企业信用规则")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level_aaa__gt=F("level_aa"), level_aa__gt=F("level_a"), level_a__gt=F("level_b"),
                            level_b__gt=0, level_aaa__lte=100),
                name="credit_levels_descending"),
            models.CheckConstraint(condition=Q(base_score__lte=100, good_cap__lte=100, blacklist_score__lte=100,
                                             inspection_line__lte=100),
                                   name="credit_policy_scores_0_100"),
        ]

    def __str__(self):
        return f"{self.effective_from:%Y-%m-%d}"

    def level_for(self, score: int) -> str:
        for level, minimum in (("AAA", self.level_aaa), ("AA", self.level_aa), ("A", self.level_a),
                               ("B", self.level_b)):
            if score >= minimum:
                return level
        return "C"


class CreditKind(models.TextChoices):
    GOOD = "good", _("良好信息")
    BAD = "bad", _("不良信息")
    SERIOUS = "serious", _("严重失信")


class CreditRule(models.Model):
    """One rule of a catalogue version: its kind, points (the default and the range a recording unit may
    choose in), how long a record is published, the evidence it needs, and whether the portal writes it."""

    policy = models.ForeignKey(CreditPolicy, on_delete=models.PROTECT, related_name="rules",
                               verbose_name=_("规则版本"))
    code = models.SlugField(_("规则代码"), max_length=40)
    name = models.CharField(_("规则名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=10, choices=CreditKind.choices)
    points = models.SmallIntegerField(_("分值"), validators=POINTS)
    points_min = models.SmallIntegerField(_("分值下限"), validators=POINTS)
    points_max = models.SmallIntegerField(_("分值上限"), validators=POINTS)
    publish_months = models.PositiveSmallIntegerField(_("公示期（月）"),
                                                      validators=[MinValueValidator(1), MaxValueValidator(120)])
    evidence = models.CharField(_("证据要求"), max_length=200)
    automatic = models.BooleanField(_("平台自动记录"), default=False)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("信用规则")
        verbose_name_plural = _("信用规则")
        ordering = ["policy", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "code"], name="one_credit_rule_code_per_version"),
            models.CheckConstraint(condition=Q(points_min__lte=F("points"), points__lte=F("points_max")),
                                   name="credit_rule_points_in_range"),
            models.CheckConstraint(
                condition=Q(kind="good", points_min__gt=0) | Q(kind="bad", points_max__lt=0)
                | Q(kind="serious", points_max__lte=0),
                name="credit_rule_points_sign_by_kind"),
        ]

    def __str__(self):
        return self.name


class CreditStatus(models.TextChoices):
    PROPOSED = "proposed", _("拟记录")
    NOTIFIED = "notified", _("已告知企业")
    CONFIRMED = "confirmed", _("已确认")
    WITHDRAWN = "withdrawn", _("已撤销")
    REPAIRED = "repaired", _("已信用修复")


class CreditRecordQuerySet(FirmRowQuerySet):
    def counted(self):
        """Records that count in a yearly score: confirmed (a later repair ends publication, not the fact)."""
        return self.filter(status__in=[CreditStatus.CONFIRMED, CreditStatus.REPAIRED])

    def public(self, on):
        """What the public sees on `on`: confirmed records inside their publication period."""
        return self.filter(status=CreditStatus.CONFIRMED, confirmed_on__lte=on, published_until__gte=on)


class CreditRecord(models.Model):
    """信用记录: one fact about a firm under one rule, with the rule's kind, points and publication period
    copied onto it. Written by the portal itself (`recorded_by` empty) from a source object, or by a
    recording unit with an uploaded document. Status moves only through enterprises/credit/records.py,
    one CreditRecordEvent each; nothing is edited after confirmation.

    The source is generic (content type + id): sources live in apps that depend on this one (orders,
    inspections, disqualifications, re-check decisions, complaints, and a record itself for the third media
    exposure), so a foreign key per kind would make this app's migrations depend on theirs, both ways.
    `source_key` names the source, or the occasion for a rule that counts once per occasion (an estate and
    quarter); (rule_code, source_key) is unique, so rerunning any writer adds nothing.
    """

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="credit_records",
                             verbose_name=_("物业企业"))
    rule = models.ForeignKey(CreditRule, on_delete=models.PROTECT, related_name="records", verbose_name=_("规则"))
    rule_code = models.CharField(_("规则代码"), max_length=40)
    kind = models.CharField(_("类别"), max_length=10, choices=CreditKind.choices)
    points = models.SmallIntegerField(_("分值"), validators=POINTS)
    publish_months = models.PositiveSmallIntegerField(_("公示期（月）"))
    title = models.CharField(_("失信或良好行为"), max_length=300)
    detail = models.TextField(_("事实与依据"), blank=True)
    estate = models.ForeignKey("communities.Estate", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="credit_records", verbose_name=_("小区"))
    occurred_on = models.DateField(_("发生日期"))
    source_type = models.ForeignKey("contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("来源类型"))
    source_id = models.PositiveBigIntegerField(_("来源编号"), null=True, blank=True)
    source_key = models.CharField(_("来源标识"), max_length=100, blank=True)
    document = models.FileField(_("证明文件"), upload_to="credit/%Y/", blank=True)
    document_name = models.CharField(_("文件名"), max_length=200, blank=True)
    recording_district = models.ForeignKey("communities.District", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", verbose_name=_("记录单位（区）"))
    recording_street = models.ForeignKey("communities.Street", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("记录单位（街道）"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"))
    status = models.CharField(_("状态"), max_length=10, choices=CreditStatus.choices,
                              default=CreditStatus.PROPOSED)
    notified_at = models.DateTimeField(_("告知时间"), null=True, blank=True)
    objection_deadline = models.DateTimeField(_("异议截止"), null=True, blank=True)
    confirmed_on = models.DateField(_("确认日期"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("确认人"))
    published_until = models.DateField(_("公示截止"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    repaired_on = models.DateField(_("信用修复日期"), null=True, blank=True)
    repair_reason = models.TextField(_("信用修复理由"), blank=True)
    repaired_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("修复决定人"))

    objects = CreditRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule_code", "source_key"], condition=~Q(source_key=""),
                                    name="one_credit_record_per_rule_source"),
            models.CheckConstraint(condition=Q(recording_street__isnull=True) | Q(recording_district__isnull=False),
                                   name="credit_street_unit_names_its_district"),
            models.CheckConstraint(
                condition=~Q(status__in=["confirmed", "repaired"])
                | Q(confirmed_on__isnull=False, published_until__isnull=False),
                name="credit_confirmed_has_dates"),
            models.CheckConstraint(
                condition=~Q(status="repaired") | (Q(repaired_on__isnull=False) & ~Q(repair_reason="")),
                name="credit_repaired_has_reason"),
            models.CheckConstraint(
                condition=Q(kind="good", points__gt=0) | Q(kind="bad", points__lt=0) | Q(kind="serious", points__lte=0),
                name="credit_record_points_sign_by_kind"),
        ]
        indexes = [
            models.Index(fields=["firm", "status"], name="credit_record_firm_status"),
            models.Index(fields=["status", "published_until"], name="credit_record_public"),
        ]

    def __str__(self):
        return f"{self.firm} · {self.title}"

    @property
    def recording_unit_name(self) -> str:
        if self.recording_street_id:
            return f"{self.recording_street.name}"
        if self.recording_district_id:
            return _("%(d)s住房保障服务中心") % {"d": self.recording_district.name}
        return str(_("市住房管理中心"))


class CreditAction(models.TextChoices):
    PROPOSE = "propose", _("拟记录")
    NOTIFY = "notify", _("告知企业")
    CONFIRM = "confirm", _("确认")
    OBJECT = "object", _("提出异议")
    DISMISS = "dismiss", _("异议不成立")
    WITHDRAW = "withdraw", _("异议成立，撤销记录")
    SOURCE_WITHDRAWN = "source_withdrawn", _("来源已撤销，撤销记录")
    REPAIR = "repair", _("信用修复")


class CreditRecordEvent(TransitionEvent):
    """The record's timeline: proposed, notified, confirmed, objection raised and decided, withdrawn, repaired."""

    record = models.ForeignKey(CreditRecord, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=CreditAction.choices)
    from_status = models.CharField(max_length=10, choices=CreditStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=CreditStatus.choices)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("信用记录操作")
        verbose_name_plural = _("信用记录操作")


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


class CreditObjectionQuerySet(FirmRowQuerySet):
    firm_prefix = "record__firm"
    scope_paths = firm_scope_paths("record__firm")


class CreditObjection(models.Model):
    """异议: the firm objects to a record within its window; the level above the recording unit decides."""

    record = models.ForeignKey(CreditRecord, on_delete=models.PROTECT, related_name="objections",
                               verbose_name=_("信用记录"))
    reason = models.TextField(_("异议理由"))
    status = models.CharField(_("状态"), max_length=10, choices=ObjectionStatus.choices,
                              default=ObjectionStatus.OPEN)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("提出人"))
    submitted_at = models.DateTimeField(_("提出时间"))
    decision = models.TextField(_("处理意见"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("处理人"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    objects = CreditObjectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("信用记录异议")
        verbose_name_plural = _("信用记录异议")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # One objection per record: a decided objection is final.
            models.UniqueConstraint(fields=["record"], name="one_objection_per_credit_record"),
            models.CheckConstraint(condition=Q(status="open") | (~Q(decision="") & Q(decided_at__isnull=False)),
                                   name="credit_objection_decided_has_reason"),
        ]


class CreditYearStatus(models.TextChoices):
    COMPUTED = "computed", _("已计算待审核")
    REVIEWED = "reviewed", _("已审核待公布")
    PUBLISHED = "published", _("已公布")


class CreditYearQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every logged-in user may see which years exist; the scores inside are scoped (CreditScore)."""
        return self


class CreditYear(models.Model):
    """One calendar year of credit scores for the whole city: computed by the January job (or
    `manage.py run_credit_year`), reviewed and published by the city; a published year never changes."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=CreditYearStatus.choices,
                              default=CreditYearStatus.COMPUTED)
    policy = models.ForeignKey(CreditPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用规则"))
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("审核人"))
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("公布人"))

    objects = CreditYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度信用记分")
        verbose_name_plural = _("年度信用记分")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=~Q(status="published") | Q(published_on__isnull=False),
                                   name="credit_year_published_has_date"),
        ]

    def __str__(self):
        return str(self.year)


class CreditYearAction(models.TextChoices):
    COMPUTE = "compute", _("计算")
    RECOMPUTE = "recompute", _("退回重新计算")
    REVIEW = "review", _("审核")
    PUBLISH = "publish", _("公布")


class CreditYearEvent(TransitionEvent):
    credit_year = models.ForeignKey(CreditYear, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=CreditYearAction.choices)
    from_status = models.CharField(max_length=10, choices=CreditYearStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=CreditYearStatus.choices)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("年度信用记分记录")
        verbose_name_plural = _("年度信用记分记录")


class CreditScoreQuerySet(FirmRowQuerySet):
    def published(self):
        return self.filter(credit_year__status=CreditYearStatus.PUBLISHED)


class CreditScore(models.Model):
    """A firm's credit score for a year: base + min(good, cap) − bad, kept within 0–100, and its level."""

    credit_year = models.ForeignKey(CreditYear, on_delete=models.PROTECT, related_name="scores",
                                    verbose_name=_("年度"))
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="credit_scores",
                             verbose_name=_("物业企业"))
    good_points = models.PositiveSmallIntegerField(_("良好信息分"))
    bad_points = models.PositiveSmallIntegerField(_("不良信息分"))
    record_count = models.PositiveSmallIntegerField(_("记录数"))
    score = models.PositiveSmallIntegerField(_("信用记分"), validators=[MaxValueValidator(100)])
    level = models.CharField(_("信用等级"), max_length=3)

    objects = CreditScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业年度信用记分")
        verbose_name_plural = _("企业年度信用记分")
        ordering = ["credit_year", "firm__name"]
        constraints = [
            models.UniqueConstraint(fields=["credit_year", "firm"], name="one_credit_score_per_firm_year"),
            models.CheckConstraint(condition=Q(score__lte=100), name="credit_score_0_100"),
        ]

    def __str__(self):
        return f"{self.firm} {self.credit_year.year}: {self.score}"


# Firm sanctions (重大负面事件) and the street-run firms' automatic orders: enterprises/sanctions/.
from .sanctions.models import (  # noqa: E402,F401
    EventKind,
    FirmSanction,
    NegativeEvent,
    NegativeEventFile,
    SanctionPolicy,
    StreetRunOrder,
)
