"""Forms of the ratings pages. They only parse input: every rule is checked again by the service."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
from accounts.forms import BootstrapFormMixin, DateInput
from communities.models import District, Estate

from .models import DEFAULT_DISQUALIFYING_REASONS, RatingPolicy
from .services.periods import CONFIRM_LABEL
from .services.scores import SCORE_LEVELS

PCT_FIELD = {"max_digits": 5, "decimal_places": 2, "min_value": Decimal("0"), "max_value": Decimal("100")}
QUARTERS = [(1, _("第一季度")), (2, _("第二季度")), (3, _("第三季度")), (4, _("第四季度"))]
TIER_CHOICES = [(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★"), (0, _("未评星"))]


def year_choices(back: int = 3, ahead: int = 1) -> list[tuple[int, str]]:
    this = timezone.localdate().year
    return [(y, _("%(y)d 年") % {"y": y}) for y in range(this + ahead, this - back - 1, -1)]


def year_field(**kwargs):
    return forms.TypedChoiceField(label=_("年度"), coerce=int, choices=year_choices, **kwargs)


def quarter_field(**kwargs):
    return forms.TypedChoiceField(label=_("季度"), coerce=int, choices=QUARTERS, **kwargs)


# --- policy -----------------------------------------------------------------------------------------------

class PolicyForm(BootstrapFormMixin, forms.Form):
    """A new version of a district's rating policy (the service checks weights and thresholds)."""

    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput(),
                                     help_text=_("每个评定季度按季度末当天有效的政策版本计算。"))
    weight_inspection = forms.DecimalField(label=_("日常检查权重（%）"), **PCT_FIELD)
    weight_opinion = forms.DecimalField(label=_("业主及业委会意见权重（%）"), **PCT_FIELD)
    weight_satisfaction = forms.DecimalField(label=_("第三方满意度权重（%）"), **PCT_FIELD)
    threshold_5 = forms.DecimalField(label=_("五星级最低分"), **PCT_FIELD)
    threshold_4 = forms.DecimalField(label=_("四星级最低分"), **PCT_FIELD)
    threshold_3 = forms.DecimalField(label=_("三星级最低分"), **PCT_FIELD)
    threshold_2 = forms.DecimalField(label=_("二星级最低分"), **PCT_FIELD)
    threshold_1 = forms.DecimalField(label=_("一星级最低分"), **PCT_FIELD)
    application_start = forms.CharField(label=_("申报开始（月-日）"), max_length=5,
                                        widget=forms.TextInput(attrs={"placeholder": "01-01"}))
    application_end = forms.CharField(label=_("申报截止（月-日）"), max_length=5,
                                      widget=forms.TextInput(attrs={"placeholder": "03-31"}))
    appeal_days = forms.IntegerField(label=_("申诉期（天）"), min_value=1, max_value=60)
    run_day = forms.IntegerField(label=_("季度结束后第几日自动评定"), min_value=1, max_value=28)
    disqualifying_reasons = forms.CharField(
        label=_("取消参评情形"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一条。"))

    @classmethod
    def initial_from(cls, policy: RatingPolicy | None, effective_from: datetime.date) -> dict:
        policy = policy or RatingPolicy(disqualifying_reasons=list(DEFAULT_DISQUALIFYING_REASONS))
        initial = {name: getattr(policy, name) for name in cls.base_fields
                   if name not in ("effective_from", "disqualifying_reasons")}
        initial["effective_from"] = effective_from
        initial["disqualifying_reasons"] = "\n".join(policy.disqualifying_reasons or [])
        return initial

    def clean_disqualifying_reasons(self):
        lines = [line.strip() for line in self.cleaned_data["disqualifying_reasons"].splitlines()]
        reasons = list(dict.fromkeys(line for line in lines if line))
        too_long = [r for r in reasons if len(r) > 100]
        if too_long:
            raise forms.ValidationError(_("每条情形不超过 100 字：%(r)s") % {"r": too_long[0][:20] + "…"})
        return reasons


# --- applications -------------------------------------------------------------------------------------------

class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ApplicationForm(BootstrapFormMixin, forms.Form):
    firm = forms.ModelChoiceField(label=_("申报企业"), queryset=None, empty_label=None, error_messages={
        "invalid_choice": _("申报企业无效：只能以您所在的企业申报，请刷新页面后重新填写。"),
        "required": _("请选择申报企业。")})
    year = year_field(initial=lambda: timezone.localdate().year)
    estates = forms.ModelMultipleChoiceField(
        label=_("申报小区"), queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一个小区。")})
    statement = forms.CharField(label=_("申报说明"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(label=_("证明材料"), required=False,
                              help_text=_("可多选；PDF、图片、Word、Excel，每个不超过 10 MB。"))

    def __init__(self, *args, firms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices(back=1, ahead=1)
        self.fields["firm"].queryset = firms
        self.fields["estates"].queryset = (Estate.objects.filter(firm__in=firms)
                                           .select_related("community__street").order_by("community__street__name",
                                                                                         "community__name", "name"))
        self.fields["estates"].widget.attrs["class"] = "form-check-input"
        self.fields["estates"].label_from_instance = (
            lambda e: f"{e.name}（{e.community.street.name} · {e.community.name}）")
        if firms.count() == 1:
            self.fields["firm"].initial = firms.first()
            self.fields["firm"].widget = forms.HiddenInput()


class TransitionForm(BootstrapFormMixin, forms.Form):
    action = forms.CharField(widget=forms.HiddenInput())
    comment = forms.CharField(label=_("意见 / 原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("退回或不予受理时必须填写原因。"))


# --- scores and disqualifications ---------------------------------------------------------------------------

class QuarterForm(BootstrapFormMixin, forms.Form):
    """The (year, quarter) a score page is about."""

    year = year_field()
    quarter = quarter_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-select-sm"


class ComponentImportForm(BootstrapFormMixin, forms.Form):
    year = year_field()
    quarter = quarter_field()
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


def disqualification_estates(user):
    """Estates the user may disqualify (the form's choices and /choices/estates/?purpose=score)."""
    return Estate.objects.editable_by(user, levels=SCORE_LEVELS)


class DisqualificationForm(BootstrapFormMixin, forms.Form):
    estate = forms.ModelChoiceField(label=_("小区"), queryset=None, widget=RemoteSelect("estates", "score"),
                                    error_messages={"invalid_choice": _("该小区不在您的管辖范围内。")})
    year = year_field()
    quarter = quarter_field()
    reason = forms.ChoiceField(label=_("取消参评情形"))
    occurred_on = forms.DateField(label=_("发生日期"), widget=DateInput())
    evidence = forms.CharField(label=_("事实与证据"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, user, reasons: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = (disqualification_estates(user)
                                          .select_related("community__street")
                                          .order_by("community__street__name", "community__name", "name"))
        self.fields["estate"].label_from_instance = lambda e: f"{e.community.street.name} · {e.name}"
        self.fields["reason"].choices = [("", "---------")] + [(r, r) for r in reasons]


# --- periods and appeals ------------------------------------------------------------------------------------

class PeriodChoiceForm(BootstrapFormMixin, forms.Form):
    """The district and quarter to preview before computing (a GET form: nothing is written)."""

    district = forms.ModelChoiceField(label=_("区"), queryset=None, empty_label=None)
    year = year_field()
    quarter = quarter_field()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.editable_by(user).order_by("name")


class RunPeriodForm(PeriodChoiceForm):
    """计算: the previewed district and quarter, and the confirmation period_run asks for when most
    participants have no inspection in the quarter (the service checks it again)."""

    confirm = forms.BooleanField(label=CONFIRM_LABEL, required=False)


class DiscardForm(BootstrapFormMixin, forms.Form):
    """作废 a never-announced computation: the reason is required (it goes on the period's timeline)."""

    reason = forms.CharField(label=_("作废原因"), widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写作废的原因。")},
                             help_text=_("作废后本期暂定结果全部删除，定时任务不再自动计算本期；需要时可重新计算。"))


class AppealForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("申诉理由"), widget=forms.Textarea(attrs={"rows": 3}))


class AppealDecideForm(BootstrapFormMixin, forms.Form):
    upheld = forms.TypedChoiceField(label=_("处理结果"), coerce=lambda v: v == "1",
                                    choices=[("0", _("申诉驳回")), ("1", _("申诉成立"))], widget=forms.RadioSelect)
    decision = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 2}))
    adjusted_tier = forms.TypedChoiceField(label=_("调整后星级"), required=False, coerce=int, empty_value=None,
                                           choices=[("", _("不调整"))] + TIER_CHOICES,
                                           help_text=_("仅在申诉成立时生效。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["upheld"].widget.attrs["class"] = "form-check-input"


class RecomputeForm(BootstrapFormMixin, forms.Form):
    """重新计算 after the announcement: the reason is required (it goes on the period's timeline)."""

    reason = forms.CharField(label=_("重新计算原因"), widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写重新计算的原因。")},
                             help_text=_("重新计算后申诉期重新开始。"))


class RatingCorrectForm(BootstrapFormMixin, forms.Form):
    """更正 a published result: the new tier and the reason (a new version; the old one stays)."""

    tier = forms.TypedChoiceField(label=_("更正后星级"), coerce=int, choices=TIER_CHOICES)
    reason = forms.CharField(label=_("更正原因"), widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写更正原因。")})


class WithdrawForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("撤销原因"), widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写撤销原因。")})


class RecheckConfirmForm(BootstrapFormMixin, forms.Form):
    """确认复查 of one estate's year (the estate is checked against the user's scope by the view)."""

    estate = forms.IntegerField(widget=forms.HiddenInput())
    year = forms.IntegerField(widget=forms.HiddenInput(), min_value=2000, max_value=2100)
    note = forms.CharField(label=_("复查说明"), required=False, widget=forms.Textarea(attrs={"rows": 1}))
