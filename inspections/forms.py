"""Forms of the inspection pages. They parse input; the services hold the rules and check them again."""
from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
# add_service_errors is imported by the views from here; it lives in accounts.forms.
from accounts.forms import BootstrapFormMixin, DateInput, add_service_errors  # noqa: F401
from communities.models import Category, District, Street

from .models import Inspection, InspectionKind
from .services.plan import MAX_PER_QUARTER, MIN_PER_QUARTER
from .services.rubrics import ItemData


# --- shared ---------------------------------------------------------------------------------------

class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input; the services decode and check each one (validate_image)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def today() -> datetime.date:
    return timezone.localdate()


# --- rubric ---------------------------------------------------------------------------------------

class RubricCreateForm(BootstrapFormMixin, forms.Form):
    district = forms.ModelChoiceField(label=_("区"), queryset=District.objects.none(), empty_label=None)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("名称"), max_length=100, required=False,
                           help_text=_("留空则为“某某年度物业服务评分细则”。"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.editable_by(user).order_by("name")
        self.fields["year"].initial = today().year


class RubricImportForm(RubricCreateForm):
    file = forms.FileField(label=_("Excel 文件"),
                           help_text=_("第一行表头：类别、检查项目、分值、扣分标准；可先导出现有版本作为模板。"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("请上传 .xlsx 格式的 Excel 文件。"))
        return upload


ROW_FIELDS = ("category", "title", "max_points", "deduction_rule")


def parse_item_rows(data) -> tuple[list[dict], list[ItemData], list[str]]:
    """The editable rubric table (parallel lists per column) -> (rows to redisplay, items, errors).

    Blank rows are dropped; the row numbers in the errors are those of the remaining rows,
    the same numbering the service's own messages (第 n 项) use.
    """
    columns = {name: data.getlist(name) for name in ROW_FIELDS}
    length = max((len(v) for v in columns.values()), default=0)
    rows, items, errors = [], [], []
    for i in range(length):
        row = {name: (columns[name][i] if i < len(columns[name]) else "").strip() for name in ROW_FIELDS}
        if not any(row.values()):
            continue
        rows.append(row)
        n = len(rows)
        points = None
        try:
            points = Decimal(row["max_points"])
            if not points.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(_g("第 %(n)d 项：分值“%(v)s”不是数字。") % {"n": n, "v": row["max_points"]})
        items.append(ItemData(row["category"], row["title"], points, row["deduction_rule"]))
    return rows, items, errors


# --- inspections ----------------------------------------------------------------------------------

class InspectionStartForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("检查类型"), choices=InspectionKind.choices)
    date = forms.DateField(label=_("检查日期"), widget=DateInput())
    inspectors = forms.CharField(label=_("检查人员"), max_length=200,
                                 help_text=_("多人用顿号分隔，如：张三、李四"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = today()
        self.fields["date"].widget.attrs["max"] = today().isoformat()


class InspectionHeaderForm(BootstrapFormMixin, forms.Form):
    """The header of the scoring form; the item scores are read by scores_from_post."""

    kind = forms.ChoiceField(label=_("检查类型"), choices=InspectionKind.choices)
    date = forms.DateField(label=_("检查日期"), widget=DateInput())
    inspectors = forms.CharField(label=_("检查人员"), max_length=200)
    overall_comment = forms.CharField(label=_("总体评价"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))

    @classmethod
    def for_inspection(cls, inspection: Inspection, data=None):
        initial = {"kind": inspection.kind, "date": inspection.date, "inspectors": inspection.inspectors,
                   "overall_comment": inspection.overall_comment}
        return cls(data, initial=initial) if data is not None else cls(initial=initial)


def scores_from_post(data, item_ids) -> dict[int, tuple[str, str]]:
    """{item_id: (raw score, note)} for the items present in the POST (score_<id>, note_<id>)."""
    out = {}
    for item_id in item_ids:
        skey, nkey = f"score_{item_id}", f"note_{item_id}"
        if skey in data or nkey in data:
            out[item_id] = (data.get(skey, ""), data.get(nkey, ""))
    return out


class CorrectForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("更正原因"), max_length=200)


class NewInspectionForm(forms.Form):
    """"新建检查" on the inspection list: pick one of the estates the user may inspect (searched as the user
    types, /choices/estates/?purpose=inspect); the start page checks the scope again."""

    new_for = forms.ModelChoiceField(label=_("选择要检查的小区"), queryset=None, empty_label=_("选择小区…"),
                                     widget=RemoteSelect("estates", purpose="inspect",
                                                         attrs={"class": "form-select form-select-sm"}))

    def __init__(self, *args, estates, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["new_for"].queryset = estates


# --- orders ---------------------------------------------------------------------------------------

class EstateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.community.name} · {obj.name}"


class OrderCreateForm(BootstrapFormMixin, forms.Form):
    # Renders only the chosen estate; the browser searches /choices/estates/?purpose=issue (issuable_estates).
    estate = EstateChoiceField(label=_("小区"), queryset=None, empty_label=_("请选择小区"),
                               widget=RemoteSelect("estates", purpose="issue"),
                               error_messages={"invalid_choice": _("该小区不在您的管辖范围内，或没有服务企业。")})
    problem = forms.CharField(label=_("存在问题"), widget=forms.Textarea(attrs={"rows": 3}))
    requirement = forms.CharField(label=_("整改要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label=_("整改期限"), widget=DateInput())
    photos = MultipleImageField(label=_("问题照片"))

    def __init__(self, *args, estates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates
        self.fields["deadline"].widget.attrs["min"] = today().isoformat()
        self.fields["photos"].widget.attrs["capture"] = "environment"


class AnswerForm(BootstrapFormMixin, forms.Form):
    answer = forms.CharField(label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleImageField(label=_("整改照片"))


class AcceptForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(label=_("验收意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    followup_inspection = forms.ModelChoiceField(label=_("复查检查（可选）"), queryset=Inspection.objects.none(),
                                                 required=False, empty_label=_("无"))

    def __init__(self, *args, followups=None, **kwargs):
        super().__init__(*args, **kwargs)
        if followups is not None:
            self.fields["followup_inspection"].queryset = followups
        self.fields["followup_inspection"].label_from_instance = (
            lambda i: f"{i.date:%Y-%m-%d} {i.get_kind_display()} {i.total} 分")


class ReasonForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}))


# --- plan -----------------------------------------------------------------------------------------

class FrequencyForm(BootstrapFormMixin, forms.Form):
    district = forms.ModelChoiceField(label=_("区"), queryset=District.objects.none(), empty_label=None)
    street = forms.ModelChoiceField(label=_("街道"), queryset=Street.objects.none(), required=False,
                                    empty_label=_("全区（不限街道）"))
    category = forms.TypedChoiceField(label=_("小区类别"), required=False, coerce=int, empty_value=None,
                                      choices=[("", _("全部类别"))] + list(Category.choices))
    # The range is the service's rule (and its message); the widget only helps the browser.
    per_quarter = forms.CharField(label=_("每季度检查次数"), widget=forms.NumberInput(
        attrs={"min": MIN_PER_QUARTER, "max": MAX_PER_QUARTER, "step": 1, "inputmode": "numeric"}))

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        self.fields["street"].queryset = (Street.objects.filter(district__in=districts)
                                          .select_related("district").order_by("district__name", "name"))
        self.fields["street"].label_from_instance = lambda s: f"{s.district.name} · {s.name}"
