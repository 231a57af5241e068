"""Two-way evaluation of performance (履约双向评价, 驻马店 work plan 四(二)4).

What the passage asks: "建立街道办事处（乡镇人民政府）、业主委员会（业主）、物业服务企业对物业在管项目履约双向评价机制",
and to bring the results into the firms' credit system. How it is held here:

- `Campaign`: a district's evaluation of one year (unique per district and year), with its window
  (`opens_on` .. `closes_on`, both included) and its status: 草稿 (the district prepares the questions) →
  已发布 (fixed; filled in during the window) → 结果已确认 (after the window; the credit hook runs here).
  `feeds_credit` is the district's policy flag, off by default: the results feed nothing unless it is on.
- `Question`: the campaign's own questionnaires, one per `Direction` (街道/社区评价物业企业, and 物业企业/
  业主委员会评价街道/社区), each question a 1–5 score or a yes/no. A new campaign copies the district's
  previous campaign's questions (or the short default of `evaluations/default_questionnaire.py`), so every
  year's results keep the questions they were given: the questionnaire is versioned with the campaign.
- `Response`: one evaluator unit's questionnaire about one target unit, with an `Answer` per question.
  Evaluator: a street, a community, a firm, or an owners' committee (业主委员会); target: a firm, a street
  or a community. One response per campaign, evaluator and target (a partial unique constraint per
  combination): since a campaign is one district's year, that is one per evaluator, target and year.
- Owners' committees have no portal accounts (their members are volunteers, elected for a term, and hold
  no role): the street or community clerk enters the committee's signed paper questionnaire on its behalf,
  marked `on_paper` with the paper's number and date and the clerk who entered it (see services).
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import TransitionEvent
from accounts.scope import DistrictRecordQuerySet, ScopedQuerySet


class Direction(models.TextChoices):
    OF_FIRM = "of_firm", _("街道/社区评价物业企业")
    OF_OFFICE = "of_office", _("物业企业/业主委员会评价街道/社区")


class QuestionKind(models.TextChoices):
    SCALE = "scale", _("1–5 分")
    YESNO = "yesno", _("是/否")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CONFIRMED = "confirmed", _("结果已确认")


class Campaign(models.Model):
    """One district's two-way evaluation of one year."""

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT,
                                 related_name="evaluation_campaigns", verbose_name=_("区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    opens_on = models.DateField(_("开始日期"))
    closes_on = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=10, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT)
    feeds_credit = models.BooleanField(
        _("评价结果计入企业信用"), default=False,
        help_text=_("默认不计入。勾选后，结果确认时综合平均分低于下方分数线的企业按信用规则"
                    "“evaluation_poor（履约双向评价结果较差）”记一条不良信用记录（须市级信用规则目录中有该规则）。"))
    poor_line = models.DecimalField(_("较差分数线"), max_digits=3, decimal_places=2, default="3.00",
                                    validators=[MinValueValidator(1), MaxValueValidator(5)])
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    confirmed_on = models.DateField(_("结果确认日期"), null=True, blank=True)

    objects = DistrictRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("双向评价活动")
        verbose_name_plural = _("双向评价活动")
        ordering = ["-year", "district__name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="one_evaluation_campaign_per_district_year"),
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")),
                                   name="evaluation_campaign_closes_after_opening"),
        ]

    def __str__(self):
        return _("%(d)s %(y)d 年度履约双向评价") % {"d": self.district, "y": self.year}

    def is_open(self, today) -> bool:
        return self.status != CampaignStatus.DRAFT and self.opens_on <= today <= self.closes_on

    def is_closed(self, today) -> bool:
        return self.status != CampaignStatus.DRAFT and today > self.closes_on


class Question(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questions",
                                 verbose_name=_("评价活动"))
    direction = models.CharField(_("问卷"), max_length=10, choices=Direction.choices)
    order = models.PositiveSmallIntegerField(_("序号"))
    text = models.CharField(_("题目"), max_length=200)
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.SCALE)

    class Meta:
        verbose_name = _("评价题目")
        verbose_name_plural = _("评价题目")
        ordering = ["campaign", "direction", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "direction", "order"],
                                               name="one_evaluation_question_per_position")]

    def __str__(self):
        return self.text


class UnitKind(models.TextChoices):
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    FIRM = "firm", _("物业企业")
    COMMITTEE = "committee", _("业主委员会")


EVALUATOR_FIELDS = {UnitKind.STREET: "evaluator_street", UnitKind.COMMUNITY: "evaluator_community",
                    UnitKind.FIRM: "evaluator_firm", UnitKind.COMMITTEE: "evaluator_committee"}
TARGET_FIELDS = {UnitKind.FIRM: "target_firm", UnitKind.STREET: "target_street",
                 UnitKind.COMMUNITY: "target_community"}
# (evaluator kind, target kind) pairs the mechanism has, and their questionnaire.
PAIRS = {
    (UnitKind.STREET, UnitKind.FIRM): Direction.OF_FIRM,
    (UnitKind.COMMUNITY, UnitKind.FIRM): Direction.OF_FIRM,
    (UnitKind.FIRM, UnitKind.STREET): Direction.OF_OFFICE,
    (UnitKind.FIRM, UnitKind.COMMUNITY): Direction.OF_OFFICE,
    (UnitKind.COMMITTEE, UnitKind.STREET): Direction.OF_OFFICE,
    (UnitKind.COMMITTEE, UnitKind.COMMUNITY): Direction.OF_OFFICE,
}


def _one_per_pair():
    out = []
    for ev, tg in PAIRS:
        ef, tf = EVALUATOR_FIELDS[ev], TARGET_FIELDS[tg]
        out.append(models.UniqueConstraint(
            fields=["campaign", ef, tf], condition=Q(**{f"{ef}__isnull": False, f"{tf}__isnull": False}),
            name=f"one_evaluation_{ev}_{tg}_per_campaign"))
    return out


def _exactly_one(fields: dict, kind_field: str):
    return Q(*[Q(**{kind_field: kind, f"{f}__isnull": False},
                 **{f"{o}__isnull": True for o in fields.values() if o != f})
               for kind, f in fields.items()], _connector=Q.OR)


class ResponseQuerySet(ScopedQuerySet):
    """Who sees a filled questionnaire itself: the district (and city), and the unit that filled it (a street
    also the committees' paper questionnaires it entered for its estates). The unit evaluated never sees the
    individual questionnaires about it, only the averages after the window (selectors.results_for)."""

    scope_paths = {"district": "campaign__district", "street": "evaluator_street",
                   "community": "evaluator_community", "firm": "evaluator_firm"}

    def _scope_q(self, scope, *, edit, levels=None):
        q = super()._scope_q(scope, edit=edit, levels=levels)
        if not edit:
            streets, communities = scope.ids("street"), scope.ids("community")
            if streets:
                q |= Q(evaluator_committee__estate__community__street__in=streets)
            if communities:
                q |= Q(evaluator_committee__estate__community__in=communities)
        return q


class Response(models.Model):
    """One evaluator unit's questionnaire about one target unit in one campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="responses",
                                 verbose_name=_("评价活动"))
    direction = models.CharField(_("问卷"), max_length=10, choices=Direction.choices)
    evaluator_kind = models.CharField(_("评价方类型"), max_length=10, choices=UnitKind.choices)
    evaluator_street = models.ForeignKey("communities.Street", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("评价街道"))
    evaluator_community = models.ForeignKey("communities.Community", null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+", verbose_name=_("评价社区"))
    evaluator_firm = models.ForeignKey("enterprises.Firm", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("评价企业"))
    evaluator_committee = models.ForeignKey("communities.OwnerCommittee", null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+", verbose_name=_("评价业委会"))
    target_kind = models.CharField(_("被评价方类型"), max_length=10, choices=UnitKind.choices)
    target_firm = models.ForeignKey("enterprises.Firm", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("被评价企业"))
    target_street = models.ForeignKey("communities.Street", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("被评价街道"))
    target_community = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("被评价社区"))
    comment = models.TextField(_("总体意见"), blank=True)
    submitted_on = models.DateField(_("填报日期"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("录入人"))
    entered_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    # A committee's paper questionnaire entered by a clerk on its behalf (代录).
    on_paper = models.BooleanField(_("代录纸质问卷"), default=False)
    paper_number = models.CharField(_("纸质问卷编号"), max_length=50, blank=True)
    paper_signed_on = models.DateField(_("纸质问卷签署日期"), null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价问卷")
        verbose_name_plural = _("评价问卷")
        ordering = ["-submitted_on", "-pk"]
        constraints = _one_per_pair() + [
            models.CheckConstraint(condition=_exactly_one(EVALUATOR_FIELDS, "evaluator_kind"),
                                   name="evaluation_response_one_evaluator"),
            models.CheckConstraint(condition=_exactly_one(TARGET_FIELDS, "target_kind"),
                                   name="evaluation_response_one_target"),
            models.CheckConstraint(
                condition=Q(evaluator_kind="committee", on_paper=True, paper_signed_on__isnull=False)
                | (~Q(evaluator_kind="committee") & Q(on_paper=False)),
                name="evaluation_committee_response_is_paper"),
        ]

    def __str__(self):
        return f"{self.evaluator} → {self.target}"

    @property
    def evaluator(self):
        return getattr(self, EVALUATOR_FIELDS[self.evaluator_kind])

    @property
    def target(self):
        return getattr(self, TARGET_FIELDS[self.target_kind])


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    score = models.PositiveSmallIntegerField(_("得分"), null=True, blank=True,
                                             validators=[MinValueValidator(1), MaxValueValidator(5)])
    yes = models.BooleanField(_("是否"), null=True, blank=True)
    comment = models.CharField(_("意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("评价答案")
        verbose_name_plural = _("评价答案")
        ordering = ["response", "question__order"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_evaluation_answer_per_question"),
            models.CheckConstraint(condition=Q(score__isnull=True, yes__isnull=False)
                                   | Q(score__gte=1, score__lte=5, yes__isnull=True),
                                   name="evaluation_answer_score_or_yes"),
        ]


class CampaignEvent(TransitionEvent):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=CampaignStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=CampaignStatus.choices)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("评价活动记录")
        verbose_name_plural = _("评价活动记录")
