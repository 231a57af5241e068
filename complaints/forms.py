"""Forms of the complaint pages. They parse input and say what is wrong in Chinese; the services hold the
rules (scope, status, time limits) and check them again inside their transactions."""
from __future__ import annotations

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
# add_service_errors is imported by the views from here; it lives in accounts.forms.
from accounts.forms import BootstrapFormMixin, DateInput, add_service_errors  # noqa: F401
from communities.models import Estate, Street

from .models import Category, Exclusion, MatterType, Satisfaction, Source, Urgency

MAX_ANSWER_PHOTOS = 3
MAX_INTAKE_FILES = 5
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,19}$")
REGISTER_SOURCES = (Source.WALK_IN, Source.PHONE, Source.MEDIATION, Source.COMMUNITY, Source.SUPERVISION,
                    Source.HOTLINE)
YES_NO_CHOICES = [("", _("请选择")), ("true", _("是")), ("false", _("否"))]


def form_messages(form: forms.Form) -> list[str]:
    return [str(m) for errors in form.errors.values() for m in errors]


# --- files ------------------------------------------------------------------------------------------

class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to `max_files` files in one input; each checked by the service's attachment_check (type by
    content, size) so the message is the same as the service would give."""

    def __init__(self, *args, max_files: int, accept: str = "image/*,application/pdf", **kwargs):
        self.max_files = max_files
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept, "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = [single(d, initial) for d in data if d] if isinstance(data, (list, tuple)) else (
            [single(data, initial)] if data else [])
        if len(files) > self.max_files:
            raise ValidationError(_("最多上传 %(n)d 个文件，您选择了 %(m)d 个。") % {"n": self.max_files, "m": len(files)})
        from .services import attachment_check

        errors = []
        for upload in files:
            try:
                attachment_check(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)  # each message names its file
            finally:
                upload.seek(0)
        if errors:
            raise ValidationError(errors)
        return files


def yes_no_field(label, required=True):
    return forms.TypedChoiceField(label=label, choices=YES_NO_CHOICES, coerce=lambda v: v == "true",
                                  empty_value=None, required=required,
                                  error_messages={"required": format_lazy(_("请选择“{}”。"), label)})


def reason_field(label=_("理由"), required=True, help_text=""):
    return forms.CharField(label=label, required=required, max_length=2000, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": format_lazy(_("请填写{}。"), label)})


def comment_field(label=_("说明")):
    return forms.CharField(label=label, required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


# --- the actions on one complaint (one form each; the detail page shows those allowed now) -----------

class ActionForm(BootstrapFormMixin, forms.Form):
    """Each action form is built with the complaint (some offer choices from it) and a prefix of its action,
    so several forms on one page never share a field id."""

    def __init__(self, *args, complaint, **kwargs):
        self.complaint = complaint
        super().__init__(*args, **kwargs)


class CommentForm(ActionForm):
    comment = comment_field()


class AssignForm(CommentForm):
    pass


class SignForm(ActionForm):
    pass


class CloseForm(CommentForm):
    comment = comment_field(_("办结说明"))


class DispatchForm(ActionForm):
    street = forms.ModelChoiceField(label=_("承办街道"), queryset=Street.objects.none(), empty_label=_("请选择"),
                                    error_messages={"required": _("请选择承办街道。"),
                                                    "invalid_choice": _("所选街道不在本区。")})
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = Street.objects.filter(
            district_id=self.complaint.street.district_id).order_by("name")


def match_estate_choices(complaint):
    """The estates triage may place an order on: every estate of the order's district (the order then moves
    to the estate's street), not only those of the clerk's own street. The type-ahead (accounts.choices,
    purpose "match") offers exactly these."""
    return (Estate.objects.filter(community__street__district_id=complaint.street.district_id)
            .select_related("community__street"))


class MatchForm(ActionForm):
    estate = forms.ModelChoiceField(
        label=_("小区"), queryset=Estate.objects.none(), empty_label=_("请选择"),
        widget=RemoteSelect("estates", purpose="match"),
        help_text=_("只能选择本区的小区；工单随小区转到其所在街道。"),
        error_messages={"required": _("请选择工单所涉小区。"),
                        "invalid_choice": _("所选小区不在本区，不能分拣到该小区。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = match_estate_choices(self.complaint)
        self.fields["estate"].widget.params = {"complaint": self.complaint.pk}


class ReasonForm(ActionForm):
    reason = reason_field()


class ReturnForm(ActionForm):
    reason = reason_field(_("退单理由"), help_text=_("如：不属于本企业服务范围、诉求与物业服务无关。"))


class ReopenForm(ActionForm):
    reason = reason_field(_("重办理由"))


class MajorForm(ActionForm):
    reason = reason_field(_("认定理由"), help_text=_("认定后该小区取消本季度星级评定参评资格。"))


class UnmajorForm(ActionForm):
    reason = reason_field(_("撤销理由"))


class UrgeForm(ActionForm):
    comment = reason_field(_("催办意见"))


class SuperviseForm(ActionForm):
    comment = reason_field(_("督办意见"))


class ExtendRequestForm(ActionForm):
    amount = forms.IntegerField(label=_("延期时长"), min_value=1, max_value=10000,
                                error_messages={"required": _("请填写延期时长。"),
                                                "min_value": _("延期时长至少为 1。"),
                                                "invalid": _("延期时长须为整数。")})
    reason = reason_field(_("延期理由"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        policy = self.complaint.policy
        if policy is not None:
            left = max(policy.extension_max - self.complaint.extended_total, 0)
            unit = policy.get_extension_max_unit_display()
            self.fields["amount"].label = _("延期时长（%(u)s）") % {"u": unit}
            self.fields["amount"].widget.attrs["max"] = str(left)
            self.remaining = left
            self.unit = unit
        else:
            self.remaining, self.unit = None, ""

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if self.remaining is not None and amount > self.remaining:
            raise ValidationError(_("延期累计不能超过 %(max)d %(u)s，本工单还可延期 %(left)d %(u)s。") % {
                "max": self.complaint.policy.extension_max, "u": self.unit, "left": self.remaining})
        return amount


class ExtendDecideForm(ActionForm):
    comment = comment_field(_("审批意见"))


class AnswerForm(ActionForm):
    answer = forms.CharField(label=_("答复内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("写明处理经过和结果，投诉人回访时将以此为准。"),
                             error_messages={"required": _("请填写答复内容。")})
    photos = AttachmentsField(label=_("现场照片"), max_files=MAX_ANSWER_PHOTOS, accept="image/*",
                              help_text=_("最多 3 张，jpg/png/webp，每张不超过 10 MB。"))


class CallbackForm(ActionForm):
    contacted = yes_no_field(_("联系上投诉人"))
    solved = yes_no_field(_("问题已解决"), required=False)
    satisfaction = forms.ChoiceField(label=_("满意度"), required=False,
                                     choices=[("", _("未评价"))] + list(Satisfaction.choices),
                                     help_text=_("未联系上投诉人时可不填。"))
    comment = comment_field(_("回访记录"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("solved", "satisfaction"):  # static/js/complaints.js: only after a contact
            self.fields[name].widget.attrs["data-show-if"] = f"{self.add_prefix('contacted')}=true"

    def clean(self):
        data = super().clean()
        if data.get("contacted"):
            if data.get("solved") is None:
                self.add_error("solved", _("已联系上投诉人，请选择问题是否已解决。"))
            if not data.get("satisfaction"):
                self.add_error("satisfaction", _("已联系上投诉人，请选择满意度。"))
        return data


class ExcludeForm(ActionForm):
    kind = forms.ChoiceField(label=_("不计入考核的原因"), choices=[("", _("请选择"))] + list(Exclusion.choices),
                             error_messages={"required": _("请选择不计入考核的原因。")})
    reason = reason_field(_("审核意见"))


class MergeForm(ActionForm):
    """Merge repeated reports into this case: the suggested duplicates are offered as checkboxes."""

    reports = forms.TypedMultipleChoiceField(
        label=_("并入本案的重复投诉"), coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少勾选一件要并入的工单。"),
                        "invalid_choice": _("所选工单不能并入本案（可能已办结或已并入其他案件）。")})
    comment = comment_field()

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self.fields["reports"].choices = [(c.pk, f"{c.number} · {c.title}") for c in self.candidates]
        self.fields["reports"].widget.attrs["class"] = "form-check-input"

    def chosen(self):
        wanted = set(self.cleaned_data["reports"])
        return [c for c in self.candidates if c.pk in wanted]


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "match": MatchForm,
    "dispatch": DispatchForm,
    "assign": AssignForm,
    "sign": SignForm,
    "return": ReturnForm,
    "extend_request": ExtendRequestForm,
    "extend_approve": ExtendDecideForm,
    "extend_reject": ExtendDecideForm,
    "answer": AnswerForm,
    "callback": CallbackForm,
    "close": CloseForm,
    "reopen": ReopenForm,
    "urge": UrgeForm,
    "supervise": SuperviseForm,
    "merge": MergeForm,
    "mark_major": MajorForm,
    "unmark_major": UnmajorForm,
    "exclude": ExcludeForm,
}


# --- registering a complaint (walk-in, phone, mediation station, community, supervision) ------------

class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


class ComplaintRegisterForm(BootstrapFormMixin, forms.Form):
    source = forms.ChoiceField(label=_("来源"), choices=[(s.value, s.label) for s in REGISTER_SOURCES],
                               error_messages={"required": _("请选择来源。")})
    external_no = forms.CharField(label=_("工单编号"), max_length=50, required=False,
                                  help_text=_("来源系统的编号（如 12345 工单编号），没有可不填。"))
    received_at = forms.DateTimeField(label=_("受理时间"), widget=DateTimeLocalInput(),
                                      input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
                                      error_messages={"required": _("请填写受理时间。"),
                                                      "invalid": _("受理时间格式不正确，例如 2026-12-01 09:30。")})
    matter_type = forms.ChoiceField(label=_("诉求类型"), choices=MatterType.choices, initial=MatterType.COMPLAINT)
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.filter(active=True),
                                      empty_label=_("请选择"),
                                      error_messages={"required": _("请选择投诉类别。"),
                                                      "invalid_choice": _("所选类别不存在或已停用。")})
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    title = forms.CharField(label=_("标题"), max_length=200, error_messages={"required": _("请填写标题。")})
    content = forms.CharField(label=_("诉求内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
                              error_messages={"required": _("请填写诉求内容。")})
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    estate = forms.ModelChoiceField(
        label=_("小区"), queryset=Estate.objects.none(), required=False, empty_label=_("未确定（进入待分拣）"),
        widget=RemoteSelect("estates"),
        help_text=_("输入小区名称搜索；不确定时留空，工单进入所选街道的待分拣队列。"),
        error_messages={"invalid_choice": _("所选小区不在您的管辖范围内。")})
    street = forms.ModelChoiceField(label=_("承办街道"), queryset=Street.objects.none(), required=False,
                                    empty_label=_("按小区确定"),
                                    help_text=_("选择了小区时按小区所在街道确定。"),
                                    error_messages={"invalid_choice": _("所选街道不在您的管辖范围内。")})
    complainant_name = forms.CharField(label=_("投诉人"), max_length=50, required=False)
    complainant_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    confidential = forms.BooleanField(label=_("为投诉人保密（物业企业看不到姓名和电话）"), required=False)
    files = AttachmentsField(label=_("附件"), max_files=MAX_INTAKE_FILES,
                             help_text=_("最多 5 个，jpg/png/webp/pdf，每个不超过 10 MB。"))

    def __init__(self, *args, user, now: datetime.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        streets = Street.objects.editable_by(user, levels=("district", "street")).select_related("district")
        self.fields["street"].queryset = streets.order_by("district__name", "name")
        self.fields["estate"].queryset = (Estate.objects.visible_to(user)
                                          .filter(community__street__in=streets)
                                          .select_related("community__street"))
        if streets.count() == 1:
            self.fields["street"].initial = streets.first().pk
        self.fields["received_at"].initial = timezone.localtime(now).strftime("%Y-%m-%dT%H:%M")

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value > self.now + datetime.timedelta(minutes=5):
            raise ValidationError(_("受理时间不能晚于现在。"))
        return value

    def clean_complainant_phone(self):
        phone = self.cleaned_data["complainant_phone"].strip()
        if phone and not PHONE_RE.match(phone):
            raise ValidationError(_("联系电话格式不正确，请填写手机号或座机号（只含数字和“-”）。"))
        return phone

    def clean(self):
        data = super().clean()
        estate, street = data.get("estate"), data.get("street")
        if estate is not None:
            if street is not None and estate.community.street_id != street.pk:
                self.add_error("street", _("所选小区不在该街道，请改选街道或留空。"))
            else:
                data["street"] = estate.community.street
        elif street is None and "street" not in self.errors:
            self.add_error("street", _("未选择小区时，请选择承办街道。"))
        return data


# --- the rates page's period --------------------------------------------------------------------------

PERIOD_KINDS = [("quarter", _("按季度")), ("month", _("按月")), ("range", _("自定义"))]


class RatesPeriodForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("统计方式"), choices=PERIOD_KINDS, required=False)
    month = forms.CharField(label=_("月份"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
    quarter = forms.CharField(label=_("季度"), required=False,
                              widget=forms.TextInput(attrs={"placeholder": "2026Q4", "size": 7}))
    date_from = forms.DateField(label=_("从"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("至"), required=False, widget=DateInput())

    MAX_DAYS = 366 * 3

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        # static/js/complaints.js shows the fields of the chosen kind (quarter when none is chosen)
        shown = {"month": "kind=month", "quarter": "kind=quarter|", "date_from": "kind=range", "date_to": "kind=range"}
        for name, rule in shown.items():
            self.fields[name].widget.attrs["data-show-if"] = rule
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = f"{css} {'form-select-sm' if 'form-select' in css else 'form-control-sm'}"

    def clean(self):
        from inspections.selectors import parse_quarter, quarter_of

        data = super().clean()
        kind = data.get("kind") or "quarter"
        data["kind"] = kind
        if kind == "month":
            text = (data.get("month") or f"{self.today:%Y-%m}").strip()
            try:
                first = datetime.datetime.strptime(text, "%Y-%m").date()
            except ValueError:
                self.add_error("month", _("月份格式应为“2026-12”。"))
                return data
            following = (first + datetime.timedelta(days=32)).replace(day=1)
            data["bounds"] = (first, following - datetime.timedelta(days=1))
            data["label"] = _("%(y)d 年 %(m)d 月") % {"y": first.year, "m": first.month}
        elif kind == "quarter":
            text = (data.get("quarter") or "").strip()
            if text:
                try:
                    data["bounds"] = parse_quarter(text)
                except ValueError as exc:
                    self.add_error("quarter", str(exc))
                    return data
            else:
                data["bounds"] = quarter_of(self.today)
            first = data["bounds"][0]
            data["label"] = _("%(y)d 年第 %(q)d 季度") % {"y": first.year, "q": (first.month - 1) // 3 + 1}
        else:
            start, end = data.get("date_from"), data.get("date_to")
            if start is None or end is None:
                self.add_error("date_from", _("自定义时段请填写起止日期。"))
                return data
            if start > end:
                self.add_error("date_to", _("结束日期不能早于开始日期。"))
                return data
            if (end - start).days > self.MAX_DAYS:
                self.add_error("date_to", _("统计时段最长三年。"))
                return data
            data["bounds"] = (start, end)
            data["label"] = f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
        return data
