"""Complaints (投诉): work orders with an append-only event log, time-limit policy, categories, the 12345 import.

A `Complaint` is one work order (one 工单编号 of one source). Repeated reports of
the same matter are merged explicitly into one case: the merged orders point at
the case (`merged_into`), keep their own number and complainant, and are closed
with it; the case alone is handled, timed and counted in the rates.

Status moves only through `complaints.services` (a declared transition table,
one `ComplaintEvent` per transition). Both clocks (sign for, answer) keep their
due time and whether they ran late, so statistics never change after closing.
"""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.scope import DistrictRecordQuerySet, ScopedQuerySet
from workdays.models import TimeUnit


class Source(models.TextChoices):
    HOTLINE = "hotline", _("12345热线")
    MEDIATION = "mediation", _("街道物业管理矛盾投诉调解站")
    PHONE = "phone", _("来电")
    WALK_IN = "walk_in", _("来访")
    COMMUNITY = "community", _("社区转办")
    ONLINE = "online", _("网上投诉")
    SUPERVISION = "supervision", _("上级督办")


class MatterType(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    HELP = "help", _("求助")
    CONSULT = "consult", _("咨询")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    CRITICAL = "critical", _("特急")


class Status(models.TextChoices):
    RECEIVED = "received", _("待派单")            # in the street's queue (or triage when no estate matched)
    DISPATCHED = "dispatched", _("已派至街道")    # handed by the district or an intake point to the street
    ASSIGNED = "assigned", _("待企业签收")        # sent to the firm; the sign-for clock runs
    SIGNED = "signed", _("办理中")                # the firm signed for it; the answer clock runs
    ANSWERED = "answered", _("待回访")            # the firm answered
    CALLED_BACK = "called_back", _("已回访")      # the street called the complainant back
    CLOSED = "closed", _("已办结")
    RETURNED = "returned", _("已退单")            # the firm returned it to the dispatcher, with a reason
    MERGED = "merged", _("已并案")                # a repeated report merged into another case

    @classmethod
    def open_values(cls):
        return [s for s in cls.values if s not in (cls.CLOSED, cls.MERGED)]


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Exclusion(models.TextChoices):
    UNREASONABLE = "unreasonable", _("不合理诉求")
    APPEAL_UPHELD = "appeal_upheld", _("考核申诉成立")


class Category(models.Model):
    """A complaint category (DOMAIN §7), kept as data. `code` is stable; hotline codes map onto it per mapping."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("投诉类别")
        verbose_name_plural = _("投诉类别")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name


class TimeLimitPolicyQuerySet(DistrictRecordQuerySet):
    pass


def _limit(label, amount, unit, help_text=""):
    """An (amount, unit) pair of fields for one time limit."""
    return (
        models.PositiveIntegerField(label, default=amount, validators=[MinValueValidator(1),
                                                                        MaxValueValidator(10000)],
                                    help_text=help_text),
        models.CharField(_("单位"), max_length=20, choices=TimeUnit.choices, default=unit),
    )


class TimeLimitPolicy(models.Model):
    """A district's complaint time limits and rate settings, versioned by effective date.

    The version in force when a complaint is received times it to the end (the complaint keeps `policy`).
    """

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT,
                                 related_name="complaint_policies", verbose_name=_("区"))
    effective_from = models.DateField(_("生效日期"))
    sign_critical, sign_critical_unit = _limit(_("特急签收时限"), 15, TimeUnit.MINUTES)
    sign_urgent, sign_urgent_unit = _limit(_("紧急签收时限"), 30, TimeUnit.MINUTES)
    sign_normal, sign_normal_unit = _limit(_("一般签收时限"), 1, TimeUnit.WORKING_DAYS)
    answer, answer_unit = _limit(_("答复时限"), 5, TimeUnit.WORKING_DAYS, _("自签收起计算。"))
    extension_max, extension_max_unit = _limit(_("延期上限"), 10, TimeUnit.WORKING_DAYS,
                                               _("一件工单累计可延长的最长时限。"))
    return_within, return_within_unit = _limit(_("退单时限"), 2, TimeUnit.WORKING_DAYS,
                                               _("企业须在派单后此时限内退单。"))
    escalate_after, escalate_after_unit = _limit(_("逐级督办间隔"), 1, TimeUnit.WORKING_DAYS,
                                                 _("超时后依次提醒企业、街道、区，每级间隔此时限。"))
    basic_satisfied_weight = models.DecimalField(
        _("基本满意计入满意率的权重"), max_digits=3, decimal_places=2, default=Decimal("1.00"),
        validators=[MinValueValidator(0), MaxValueValidator(1)])
    duplicate_window_days = models.PositiveSmallIntegerField(
        _("重复投诉识别天数"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)])
    supervision_reports = models.PositiveSmallIntegerField(
        _("提请督办的投诉次数"), default=3, validators=[MinValueValidator(2), MaxValueValidator(50)])
    supervision_days = models.PositiveSmallIntegerField(
        _("提请督办的天数范围"), default=3, validators=[MinValueValidator(1), MaxValueValidator(90)])
    match_threshold = models.PositiveSmallIntegerField(
        _("地址模糊匹配阈值"), default=85, validators=[MinValueValidator(50), MaxValueValidator(100)],
        help_text=_("0–100，越高越严格；低于阈值的工单进入待分拣队列。"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = TimeLimitPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("投诉处理时限")
        verbose_name_plural = _("投诉处理时限")
        ordering = ["district", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["district", "effective_from"],
                                               name="one_complaint_policy_per_district_and_date")]

    def __str__(self):
        return f"{self.district} · {self.effective_from:%Y-%m-%d}"


class EstateAlias(models.Model):
    """Another name an estate is known by (梅花园小区, 梅花园二期), used to match imported addresses."""

    estate = models.ForeignKey("communities.Estate", on_delete=models.CASCADE, related_name="aliases",
                               verbose_name=_("小区"))
    name = models.CharField(_("别名"), max_length=100)

    class Meta:
        verbose_name = _("小区别名")
        verbose_name_plural = _("小区别名")
        ordering = ["estate", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="one_alias_per_estate_and_name")]

    def __str__(self):
        return self.name


class ComplaintQuerySet(ScopedQuerySet):
    """The district and the street own the order; the community sees its estates'; a firm sees what was
    assigned to it (from the first assignment on, also after a return or a reassignment away)."""

    scope_paths = {"district": "street__district", "street": "street", "community": "estate__community",
                   "firm": "handlings__firm"}
    scope_edit_levels = ("district", "street")
    scope_multi_valued = True

    def cases(self):
        """Orders that are handled and counted (not merged into another case)."""
        return self.filter(merged_into__isnull=True)

    def open(self):
        return self.filter(status__in=Status.open_values())


class Complaint(models.Model):
    # --- intake
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    external_no = models.CharField(_("工单编号"), max_length=50, blank=True,
                                   help_text=_("来源系统的编号；同一来源内唯一。"))
    number = models.CharField(_("受理编号"), max_length=30, unique=True)
    tracking_code = models.CharField(_("查询码"), max_length=16, unique=True)
    received_at = models.DateTimeField(_("受理时间"))
    matter_type = models.CharField(_("诉求类型"), max_length=20, choices=MatterType.choices,
                                   default=MatterType.COMPLAINT)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="complaints",
                                 verbose_name=_("类别"))
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    title = models.CharField(_("标题"), max_length=200)
    content = models.TextField(_("诉求内容"), max_length=5000)
    address = models.CharField(_("地址（原文）"), max_length=300, blank=True)
    # --- where it lands
    street = models.ForeignKey("communities.Street", on_delete=models.PROTECT, related_name="complaints",
                               verbose_name=_("承办街道"))
    estate = models.ForeignKey("communities.Estate", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="complaints", verbose_name=_("小区"),
                               help_text=_("地址未匹配到小区时为空，工单进入待分拣队列。"))
    firm = models.ForeignKey("enterprises.Firm", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="complaints", verbose_name=_("物业企业"),
                             help_text=_("受理时该小区在服务的企业。"))
    match_score = models.PositiveSmallIntegerField(_("匹配度"), null=True, blank=True)
    # --- the complainant (masked outside the handling chain; confidential hides it from the firm too)
    complainant_name = models.CharField(_("投诉人"), max_length=50, blank=True)
    complainant_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    confidential = models.BooleanField(_("为投诉人保密"), default=False,
                                       help_text=_("勾选后物业企业也看不到投诉人姓名和电话。"))
    raw = models.JSONField(_("导入原始数据"), null=True, blank=True)
    import_run = models.ForeignKey("ImportRun", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="complaints", verbose_name=_("导入批次"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("登记人"), help_text=_("空表示网上投诉。"))
    # --- handling
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    policy = models.ForeignKey(TimeLimitPolicy, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("适用时限"))
    handled_by = models.ForeignKey("FirmHandling", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("当前承办"))
    assigned_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    sign_due_at = models.DateTimeField(_("签收期限"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    sign_overdue = models.BooleanField(_("签收超时"), default=False)
    sign_escalation = models.PositiveSmallIntegerField(_("签收督办级别"), default=0)
    answer_due_at = models.DateTimeField(_("答复期限"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answer_overdue = models.BooleanField(_("答复超时"), default=False)
    answer_escalation = models.PositiveSmallIntegerField(_("答复督办级别"), default=0)
    extended_total = models.PositiveIntegerField(_("已延期（时限单位）"), default=0)
    extension_requested = models.PositiveIntegerField(
        _("待审批的延期（时限单位）"), null=True, blank=True,
        help_text=_("企业已申请、街道尚未审批的延期；理由见工单记录。"))
    answer = models.TextField(_("答复内容"), blank=True)
    callback_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    callback_contacted = models.BooleanField(_("联系上投诉人"), null=True, blank=True)
    callback_solved = models.BooleanField(_("问题已解决"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=20, choices=Satisfaction.choices, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged_reports", verbose_name=_("并入案件"))
    # --- marks
    supervised = models.BooleanField(_("督办件"), default=False)
    supervision_flagged = models.BooleanField(_("提请区督办"), default=False,
                                              help_text=_("同一小区短期内多次投诉。"))
    major = models.BooleanField(_("重大投诉"), default=False)
    major_reason = models.TextField(_("认定重大投诉的理由"), blank=True, max_length=2000)
    disqualification = models.OneToOneField("ratings.Disqualification", null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="complaint",
                                            verbose_name=_("取消参评记录"))
    excluded = models.CharField(_("不计入考核"), max_length=20, choices=Exclusion.choices, blank=True)
    exclusion_reason = models.TextField(_("不计入考核的理由"), blank=True, max_length=2000)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("投诉工单")
        verbose_name_plural = _("投诉工单")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_no"], condition=~Q(external_no=""),
                                    name="one_complaint_per_source_number"),
            models.CheckConstraint(condition=~Q(status="merged") | Q(merged_into__isnull=False),
                                   name="merged_complaint_names_its_case"),
        ]
        indexes = [
            models.Index(fields=["received_at", "id"], name="complaint_list_order"),
            models.Index(fields=["street", "status"], name="complaint_street_status"),
            models.Index(fields=["status", "sign_due_at"], name="complaint_sign_clock"),
            models.Index(fields=["status", "answer_due_at"], name="complaint_answer_clock"),
            models.Index(fields=["estate", "received_at"], name="complaint_estate_received"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("complaints:detail", args=[self.pk])


class FirmHandling(models.Model):
    """One assignment of a complaint to a firm (a reassignment after a return is a new row): what the firm
    may see. `Complaint.handled_by` points at the current one; a firm keeps seeing what it once handled."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="handlings")
    firm = models.ForeignKey("enterprises.Firm", on_delete=models.PROTECT, related_name="complaint_handlings",
                             verbose_name=_("物业企业"))
    assigned_at = models.DateTimeField(_("派单时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("企业承办记录")
        verbose_name_plural = _("企业承办记录")
        ordering = ["assigned_at", "pk"]


class Action(models.TextChoices):
    RECEIVE = "receive", _("受理")
    MATCH = "match", _("确定小区")
    DISPATCH = "dispatch", _("派至街道")
    ASSIGN = "assign", _("派单至企业")
    SIGN = "sign", _("签收")
    RETURN = "return", _("退单")
    EXTEND_REQUEST = "extend_request", _("申请延期")
    EXTEND_APPROVE = "extend_approve", _("批准延期")
    EXTEND_REJECT = "extend_reject", _("驳回延期")
    ANSWER = "answer", _("答复")
    CALLBACK = "callback", _("回访")
    CLOSE = "close", _("办结")
    REOPEN = "reopen", _("重办")
    URGE = "urge", _("催办")
    SUPERVISE = "supervise", _("督办")
    MERGE = "merge", _("并案")
    MARK_MAJOR = "mark_major", _("认定重大投诉")
    UNMARK_MAJOR = "unmark_major", _("撤销重大投诉")
    EXCLUDE = "exclude", _("不计入考核")
    OVERDUE = "overdue", _("超时")
    FLAG_REPEATED = "flag_repeated", _("提请区督办")


class ComplaintEvent(models.Model):
    """Append-only log: one row per transition or mark (who, when, from, to, reason, details)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"), help_text=_("空表示系统或投诉人。"))
    at = models.DateTimeField(_("时间"))  # set by the service from its `now=`, never auto_now
    from_status = models.CharField(_("原状态"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Status.choices, blank=True)
    comment = models.TextField(_("说明"), blank=True, max_length=2000)
    data = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["at", "pk"]


class AttachmentKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉材料")
    ANSWER = "answer", _("答复照片")


class Attachment(models.Model):
    """A file kept through the storage API and served only through the scope-checked view."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(ComplaintEvent, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="attachments")
    kind = models.CharField(_("类型"), max_length=20, choices=AttachmentKind.choices,
                            default=AttachmentKind.COMPLAINT)
    file = models.FileField(_("文件"), upload_to="complaints/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "pk"]


class ImportMappingQuerySet(DistrictRecordQuerySet):
    pass


class ImportMapping(models.Model):
    """A named column mapping for one hotline export format.

    `columns`: field name -> source column header (e.g. {"external_no": "工单编号", ...});
    `date_formats`: strptime formats tried in order; `category_codes`: hotline category code (or code
    prefix, longest prefix wins) -> Category.code; `urgency_values` / `matter_values`: source text -> value.
    """

    district = models.ForeignKey("communities.District", on_delete=models.PROTECT,
                                 related_name="complaint_mappings", verbose_name=_("区"))
    name = models.CharField(_("名称"), max_length=60)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.HOTLINE)
    columns = models.JSONField(_("列对应"), default=dict)
    date_formats = models.JSONField(_("日期格式"), default=list)
    category_codes = models.JSONField(_("类别代码对应"), default=dict, blank=True)
    urgency_values = models.JSONField(_("紧急程度对应"), default=dict, blank=True)
    matter_values = models.JSONField(_("诉求类型对应"), default=dict, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    objects = ImportMappingQuerySet.as_manager()

    class Meta:
        verbose_name = _("导入列映射")
        verbose_name_plural = _("导入列映射")
        ordering = ["district", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="one_mapping_name_per_district")]

    def __str__(self):
        return self.name


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("检查中")  # a big file, checked by the task complaints.import_check
    UPLOADED = "uploaded", _("待确认")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    REFUSED = "refused", _("未导入（文件有误）")
    FAILED = "failed", _("失败")


class ImportRunQuerySet(ScopedQuerySet):
    scope_paths = {"district": "street__district", "street": "street"}
    scope_edit_levels = ("district", "street")


class ImportRun(models.Model):
    """One uploaded hotline file: previewed, confirmed, then imported all-or-nothing (a task for big files)."""

    street = models.ForeignKey("communities.Street", on_delete=models.PROTECT, related_name="complaint_imports",
                               verbose_name=_("街道"), help_text=_("未匹配到小区的工单进入该街道的待分拣队列。"))
    mapping = models.ForeignKey(ImportMapping, on_delete=models.PROTECT, related_name="runs",
                                verbose_name=_("列映射"))
    file = models.FileField(_("文件"), upload_to="complaint-imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"))
    status = models.CharField(_("状态"), max_length=20, choices=ImportStatus.choices,
                              default=ImportStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理"), default=0)
    created_count = models.PositiveIntegerField(_("新建工单"), default=0)
    duplicate_count = models.PositiveIntegerField(_("重复跳过"), default=0)
    triage_count = models.PositiveIntegerField(_("待分拣"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("工单导入")
        verbose_name_plural = _("工单导入")
        ordering = ["-uploaded_at", "-pk"]
