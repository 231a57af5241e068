"""Rubric (versioned), inspections with item scores and photos, rectification orders."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.scope import DistrictRecordQuerySet, ScopedQuerySet, Served

ESTATE_PATHS = {
    "district": "estate__community__street__district",
    "street": "estate__community__street",
    "community": "estate__community",
    "firm": "estate__firm",
}


# --- Rubric -------------------------------------------------------------------------------------

class RubricStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("启用中")
    RETIRED = "retired", _("已停用")


class RubricQuerySet(DistrictRecordQuerySet):
    """Everyone in a district reads its rubric (firms too: they are scored on it)."""


class Rubric(models.Model):
    """评分细则: one version of a district's rubric for a year.

    Only drafts are edited. Editing an active or used version makes a new
    draft (services.rubric_new_draft), so scored inspections keep their meaning.
    """

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="rubrics",
                                 verbose_name=_("区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveSmallIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=10, choices=RubricStatus.choices, default=RubricStatus.DRAFT)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="derived", verbose_name=_("源自版本"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    objects = RubricQuerySet.as_manager()

    class Meta:
        verbose_name = _("评分细则")
        verbose_name_plural = _("评分细则")
        ordering = ["district", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "version"], name="unique_rubric_version"),
            models.UniqueConstraint(fields=["district", "year"], condition=Q(status="active"),
                                    name="one_active_rubric_per_district_year"),
        ]

    def __str__(self):
        return f"{self.district} {self.year} 年评分细则 v{self.version}"


class RubricCategory(models.Model):
    """One of the nine categories (DOMAIN.md §4)."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("类别"), max_length=50)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评分类别")
        verbose_name_plural = _("评分类别")
        ordering = ["rubric", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["rubric", "name"], name="unique_category_in_rubric")]

    def __str__(self):
        return self.name


class RubricItem(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="items")
    category = models.ForeignKey(RubricCategory, on_delete=models.CASCADE, related_name="items",
                                 verbose_name=_("类别"))
    code = models.CharField(_("编号"), max_length=10)
    title = models.CharField(_("检查项目"), max_length=200)
    max_points = models.DecimalField(_("分值"), max_digits=4, decimal_places=1)
    deduction_rule = models.TextField(_("扣分标准"), blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评分项目")
        verbose_name_plural = _("评分项目")
        ordering = ["rubric", "category__order", "order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(max_points__gt=0), name="rubric_item_max_positive"),
            models.UniqueConstraint(fields=["rubric", "code"], name="unique_item_code_in_rubric"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


# --- Inspection plan ----------------------------------------------------------------------------

class InspectionFrequency(models.Model):
    """How many inspections per quarter an estate needs.

    The most specific row wins: street + category, street, category, district.
    The district row (no street, no category) is the default (1 if absent).
    """

    district = models.ForeignKey("communities.District", on_delete=models.CASCADE,
                                 related_name="inspection_frequencies", verbose_name=_("区"))
    street = models.ForeignKey("communities.Street", null=True, blank=True, on_delete=models.CASCADE,
                               verbose_name=_("街道"))
    category = models.PositiveSmallIntegerField(_("小区类别"), null=True, blank=True,
                                                choices=[(1, "一类"), (2, "二类"), (3, "三类")])
    per_quarter = models.PositiveSmallIntegerField(_("每季度检查次数"), default=1)

    class Meta:
        verbose_name = _("检查频次")
        verbose_name_plural = _("检查频次")
        constraints = [
            # One rule per (district, street?, category?); NULLs are spelled out
            # because SQLite lacks NULLS NOT DISTINCT.
            models.UniqueConstraint(fields=["district"], condition=Q(street__isnull=True, category__isnull=True),
                                    name="unique_frequency_district"),
            models.UniqueConstraint(fields=["district", "street"],
                                    condition=Q(street__isnull=False, category__isnull=True),
                                    name="unique_frequency_street"),
            models.UniqueConstraint(fields=["district", "category"],
                                    condition=Q(street__isnull=True, category__isnull=False),
                                    name="unique_frequency_category"),
            models.UniqueConstraint(fields=["district", "street", "category"],
                                    condition=Q(street__isnull=False, category__isnull=False),
                                    name="unique_frequency_street_category"),
            models.CheckConstraint(condition=Q(per_quarter__gte=1, per_quarter__lte=31),
                                   name="frequency_per_quarter_range"),
        ]


# --- Inspections --------------------------------------------------------------------------------

class InspectionKind(models.TextChoices):
    REGULAR = "regular", _("日常检查")
    RANDOM = "random", _("随机抽查")
    SPECIAL = "special", _("专项检查")


class InspectionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    SUPERSEDED = "superseded", _("已被更正")


SERVED_ON_DATE = Served(estate="estate_id", date="date")


class InspectionQuerySet(ScopedQuerySet):
    # Firms see the inspections of the estates they serve once submitted; a clerk's
    # draft is not theirs to read.
    scope_paths = {k: v for k, v in ESTATE_PATHS.items() if k != "firm"}
    scope_edit_levels = ("street", "community")

    def _scope_q(self, scope, *, edit, levels=None):
        q = super()._scope_q(scope, edit=edit, levels=levels)
        if scope.ids("firm") and not edit:  # the days the firm served the estate (accounts.scope.Served)
            q |= SERVED_ON_DATE.q(scope.served) & ~Q(status=InspectionStatus.DRAFT)
        return q

    def counted(self):
        """Inspections whose score counts: submitted, not superseded."""
        return self.filter(status=InspectionStatus.SUBMITTED)


class Inspection(models.Model):
    # No index of its own: the (estate, date) index serves every lookup by estate.
    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="inspections",
                               verbose_name=_("小区"), db_index=False)
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="inspections",
                               verbose_name=_("评分细则"))
    kind = models.CharField(_("检查类型"), max_length=10, choices=InspectionKind.choices,
                            default=InspectionKind.REGULAR)
    date = models.DateField(_("检查日期"))
    inspectors = models.CharField(_("检查人员"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=InspectionStatus.choices,
                              default=InspectionStatus.DRAFT)
    total = models.DecimalField(_("总分"), max_digits=5, decimal_places=1, null=True, blank=True,
                                help_text=_("由各项得分自动合计。"))
    overall_comment = models.TextField(_("总体评价"), blank=True)
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by", verbose_name=_("更正的检查"))
    correction_reason = models.CharField(_("更正原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", total__isnull=True, submitted_at__isnull=True)
                | (~Q(status="draft") & Q(total__isnull=False, total__gte=0, total__lte=100,
                                         submitted_at__isnull=False)),
                name="inspection_total_only_when_submitted",
            ),
            models.CheckConstraint(condition=Q(supersedes__isnull=True) | ~Q(correction_reason=""),
                                   name="inspection_correction_has_reason"),
        ]
        indexes = [
            models.Index(fields=["estate", "date"]), models.Index(fields=["status", "date"]),
            # The list's default order (-date, -pk), read backwards: a page is a short index scan.
            models.Index(fields=["date", "id"], name="inspection_list_order"),
        ]

    def __str__(self):
        return f"{self.estate} · {self.date:%Y-%m-%d} · {self.get_kind_display()}"

    @property
    def is_locked(self) -> bool:
        return self.status != InspectionStatus.DRAFT


class ItemScore(models.Model):
    # No index of its own: one_score_per_item (inspection, item) serves every lookup by inspection.
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="scores", db_index=False)
    item = models.ForeignKey(RubricItem, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=4, decimal_places=1, null=True, blank=True)
    note = models.CharField(_("扣分说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("单项得分")
        verbose_name_plural = _("单项得分")
        ordering = ["item__category__order", "item__order", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="one_score_per_item"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0), name="score_not_negative"),
        ]


def photo_upload_to(instance, filename):
    import uuid

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"photos/{instance._meta.model_name}/{uuid.uuid4().hex}.{ext}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    item = models.ForeignKey(RubricItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("检查项目"))
    image = models.ImageField(_("照片"), upload_to=photo_upload_to)
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("检查照片")
        verbose_name_plural = _("检查照片")
        ordering = ["pk"]

    def get_absolute_url(self):
        return reverse("inspections:inspection_photo", args=[self.pk])


# --- Rectification orders -----------------------------------------------------------------------

class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("待整改")
    ANSWERED = "answered", _("已回复待验收")
    RETURNED = "returned", _("退回重改")
    OVERDUE = "overdue", _("已逾期")
    CLOSED = "closed", _("已验收关闭")
    CANCELLED = "cancelled", _("已撤销")


class RectificationOrderQuerySet(ScopedQuerySet):
    scope_paths = {**ESTATE_PATHS, "firm": "firm"}
    scope_edit_levels = ("street", "community")

    def open(self):
        return self.exclude(status__in=[OrderStatus.CLOSED, OrderStatus.CANCELLED])


class RectificationOrder(models.Model):
    """整改通知 to the estate's serving firm. Status moves only through services.transitions."""

    number = models.CharField(_("编号"), max_length=30, unique=True)
    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="rectification_orders",
                               verbose_name=_("小区"))
    firm = models.ForeignKey("enterprises.Firm", on_delete=models.PROTECT, related_name="rectification_orders",
                             verbose_name=_("物业企业"))
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="orders", verbose_name=_("来源检查"))
    item = models.ForeignKey(RubricItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("检查项目"))
    problem = models.TextField(_("存在问题"))
    requirement = models.TextField(_("整改要求"), blank=True)
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.ISSUED)
    answer = models.TextField(_("整改情况"), blank=True)
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    followup_inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="followup_for", verbose_name=_("复查检查"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("下发人"))
    issued_at = models.DateTimeField(_("下发时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # The document number of the printed 整改通知书, "山城整改〔2026〕第 007 号": the issuing street office,
    # the year of issue and a sequence per street and year, given by services.orders.order_issue under a
    # lock on the street and guarded by the constraint below. Empty only for rows made outside order_issue.
    doc_street = models.ForeignKey("communities.Street", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("发文街道"))
    doc_year = models.PositiveSmallIntegerField(_("发文年度"), null=True, blank=True)
    doc_seq = models.PositiveIntegerField(_("发文序号"), null=True, blank=True)

    objects = RectificationOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改通知")
        verbose_name_plural = _("整改通知")
        ordering = ["-issued_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            # The list's default order (-issued_at, -pk), read backwards.
            models.Index(fields=["issued_at", "id"], name="order_list_order"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["doc_street", "doc_year", "doc_seq"], name="unique_order_doc_number"),
            models.CheckConstraint(
                condition=(Q(doc_street__isnull=True, doc_year__isnull=True, doc_seq__isnull=True)
                           | Q(doc_street__isnull=False, doc_year__isnull=False, doc_seq__isnull=False)),
                name="order_doc_number_complete"),
        ]

    def __str__(self):
        return self.number

    @property
    def document_number(self) -> str:
        """"山城整改〔2026〕第 007 号"; "" when the order has no document number."""
        if self.doc_seq is None:
            return ""
        return document_number(self.doc_street, self.doc_year, self.doc_seq)


def street_short_name(street) -> str:
    """The street's name without its kind (山城街道 -> 山城, 柳林镇 -> 柳林), as a document number's prefix."""
    for suffix in ("街道办事处", "人民政府", "街道", "镇", "乡"):
        if street.name.endswith(suffix) and len(street.name) > len(suffix):
            return street.name[: -len(suffix)]
    return street.name


def document_number(street, year: int, seq: int) -> str:
    return _("%(street)s整改〔%(year)s〕第 %(seq)s 号") % {
        "street": street_short_name(street), "year": year, "seq": f"{seq:03d}"}


def issuing_unit(street) -> str:
    """The office that issues the notice: 山城街道 -> 山城街道办事处, 柳林镇 -> 柳林镇人民政府."""
    from communities.models import StreetKind

    if street.kind == StreetKind.TOWN:
        return street.name if street.name.endswith("人民政府") else _("%(name)s人民政府") % {"name": street.name}
    if street.name.endswith("办事处"):
        return street.name
    if street.name.endswith("街道"):
        return _("%(name)s办事处") % {"name": street.name}
    return _("%(name)s街道办事处") % {"name": street.name}


class OrderEvent(models.Model):
    order = models.ForeignKey(RectificationOrder, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"), help_text=_("空表示系统任务。"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    from_status = models.CharField(_("原状态"), max_length=10, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10, choices=OrderStatus.choices)
    comment = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("整改流转记录")
        verbose_name_plural = _("整改流转记录")
        ordering = ["at", "pk"]


class OrderPhoto(models.Model):
    """Photos of the problem (side=problem) or of the firm's fix (side=answer)."""

    order = models.ForeignKey(RectificationOrder, on_delete=models.CASCADE, related_name="photos")
    side = models.CharField(max_length=10, choices=[("problem", _("问题照片")), ("answer", _("整改照片"))])
    image = models.ImageField(_("照片"), upload_to=photo_upload_to)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def get_absolute_url(self):
        return reverse("inspections:order_photo", args=[self.pk])

