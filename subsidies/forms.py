"""Forms of the subsidies pages. They only parse input: every rule is checked again by the service."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelectMultiple
from accounts.forms import BootstrapFormMixin, DateInput
from accounts.forms import add_service_errors as form_errors  # the views import it from here
from communities.models import District, Estate

from .models import SubsidyPolicy
from .services.generation import parse_month
from .services.policy import RATE_FIELDS

RATE_FIELD = {"max_digits": 4, "decimal_places": 2, "min_value": Decimal("0")}
MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


def pilot_estate_choices(district: District):
    """The estates a district's subsidy policy may name as pilots (the form's choices and
    /choices/estates/?purpose=pilot)."""
    return Estate.objects.filter(community__street__district=district)


class MonthInput(forms.DateInput):
    """<input type="month">: the browser sends "2025-03"."""

    input_type = "month"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m")
        super().__init__(**kwargs)


class MonthField(forms.DateField):
    """A month, stored as its 1st day ("2025-03" -> 2025-03-01)."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d"]
    default_error_messages = {"invalid": _("请按“2025-03”的格式填写月份。")}

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


# --- policy -----------------------------------------------------------------------------------------------

class PolicyForm(BootstrapFormMixin, forms.Form):
    """新版本 of a district's subsidy policy; the service checks the cap and the window again."""

    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput(),
                                     help_text=_("每月的补贴按该月 1 日有效的政策版本计算。"))
    rate_5 = forms.DecimalField(label=_("五星级（元/㎡/月）"), **RATE_FIELD)
    rate_4 = forms.DecimalField(label=_("四星级（元/㎡/月）"), **RATE_FIELD)
    rate_3 = forms.DecimalField(label=_("三星级（元/㎡/月）"), **RATE_FIELD)
    rate_2 = forms.DecimalField(label=_("二星级（元/㎡/月）"), **RATE_FIELD)
    rate_1 = forms.DecimalField(label=_("一星级（元/㎡/月）"), **RATE_FIELD)
    cap = forms.DecimalField(label=_("补贴上限（元/㎡/月）"), **RATE_FIELD,
                             help_text=_("任何星级的标准都不得超过上限。"))
    programme_start = MonthField(label=_("补贴起始月"))
    programme_months = forms.IntegerField(label=_("补贴期（月）"), min_value=1, max_value=240)
    pilot_start = MonthField(label=_("试点小区起始月"), required=False,
                             help_text=_("试点小区可早于其他小区开始，与其他小区同时结束。"))
    # Only the chosen estates are rendered; the browser searches /choices/estates/?purpose=pilot&district=….
    pilot_estates = forms.ModelMultipleChoiceField(label=_("试点小区"), queryset=Estate.objects.none(),
                                                   required=False, widget=RemoteSelectMultiple("estates", "pilot"),
                                                   error_messages={"invalid_choice": _("试点小区须是本区的小区。")})
    yearly_budget = forms.DecimalField(label=_("年度预算（元）"), min_value=Decimal("0"), **MONEY_FIELD,
                                       help_text=_("填 0 表示不设预算；超出预算的批次会被标出，须写明理由才能批准。"))

    def __init__(self, *args, district: District, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pilot_estates"].queryset = (
            pilot_estate_choices(district).select_related("community__street")
            .order_by("community__street__name", "community__name", "name"))
        self.fields["pilot_estates"].widget.params = {"district": district.pk}
        self.fields["pilot_estates"].label_from_instance = (
            lambda e: f"{e.community.street.name} · {e.community.name} · {e.name}")

    @staticmethod
    def initial_from(policy: SubsidyPolicy | None, effective_from: datetime.date) -> dict:
        """The current version's values (or the model's defaults) for the new version's form."""
        policy = policy or SubsidyPolicy(programme_start=effective_from.replace(day=1))
        initial = {name: getattr(policy, name) for name in
                   RATE_FIELDS + ["cap", "programme_start", "programme_months", "pilot_start", "yearly_budget"]}
        initial["effective_from"] = effective_from
        initial["pilot_estates"] = list(policy.pilot_estates.values_list("pk", flat=True)) if policy.pk else []
        return initial

    def service_data(self) -> dict:
        keys = RATE_FIELDS + ["cap", "programme_start", "programme_months", "pilot_start", "yearly_budget"]
        return {k: self.cleaned_data[k] for k in keys}


# --- batches ------------------------------------------------------------------------------------------------

class GenerateForm(BootstrapFormMixin, forms.Form):
    district = forms.ModelChoiceField(label=_("区"), queryset=District.objects.none(), empty_label=None)
    # A text field (the browser's month picker sends "2025-03"): parse_month gives the clerk's message.
    month = forms.CharField(label=_("月份"), max_length=20,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": "2025-03"}))
    recompute = forms.BooleanField(label=_("重新生成（仅限尚未审核的批次）"), required=False)

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts

    def clean_month(self):
        return parse_month(self.cleaned_data["month"])


class TransitionForm(BootstrapFormMixin, forms.Form):
    """One action of the approval chain. Fields are optional here: the service says what is missing."""

    ACTION_FIELDS = {
        "check": ["comment"],
        "approve": ["comment"],
        "disburse": ["disbursed_on", "voucher"],
        "reject_check": ["comment"],
        "reject_approval": ["comment"],
    }
    action = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("意见"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(label=_("超预算批准理由"), required=False, max_length=1000,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    disbursed_on = forms.DateField(label=_("拨付日期"), required=False, widget=DateInput())
    voucher = forms.CharField(label=_("拨付凭证号"), required=False, max_length=50)

    def __init__(self, *args, action: str, over_budget: bool = False, **kwargs):
        kwargs.setdefault("auto_id", f"id_{action}_%s")  # several on one page: unique ids, plain names
        kwargs.setdefault("initial", {})["action"] = action
        super().__init__(*args, **kwargs)
        keep = set(self.ACTION_FIELDS.get(action, [])) | {"action"}
        if action == "approve" and over_budget:
            keep.add("override_reason")
        if action.startswith("reject"):
            self.fields["comment"].label = _("退回原因")
        if action == "disburse":
            self.fields["disbursed_on"].initial = timezone.localdate()
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.action = action


class PassOnForm(BootstrapFormMixin, forms.Form):
    street_id = forms.IntegerField(widget=forms.HiddenInput)
    firm_id = forms.IntegerField(widget=forms.HiddenInput)
    paid_on = forms.DateField(label=_("拨付日期"), widget=DateInput(attrs={"class": "form-control-sm"}))
    voucher = forms.CharField(label=_("凭证号"), max_length=50,
                              widget=forms.TextInput(attrs={"class": "form-control-sm", "placeholder": _("凭证号")}))


class AdjustmentForm(BootstrapFormMixin, forms.Form):
    delta = forms.DecimalField(label=_("调整金额（元）"), max_digits=14, decimal_places=2,
                               help_text=_("多付填负数（如 -150.00），少付填正数；调整计入下一批次。"))
    reason = forms.CharField(label=_("调整原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class PayoutEditForm(BootstrapFormMixin, forms.Form):
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=14, decimal_places=2)
