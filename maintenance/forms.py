"""Forms of the maintenance-fund pages. They only parse input: every rule is checked again by the service."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import BootstrapFormMixin, DateInput
from accounts.forms import add_service_errors as form_errors  # noqa: F401  (the views import it from here)

from .models import Collector, MaintenancePolicy
from .selectors import Eligibility
from .services.policy import POLICY_FIELDS

PER_SQM_FIELD = {"max_digits": 8, "decimal_places": 2}


class ApplicationForm(BootstrapFormMixin, forms.Form):
    """A new application, or a returned one corrected. The numbers are checked by the service (`quote`)."""

    collector = forms.ChoiceField(label=_("归集单位"), choices=[("", "---------")] + Collector.choices,
                                  help_text=_("向业主收取维修资金的单位。"))
    repair_items = forms.CharField(label=_("维修项目"), widget=forms.Textarea(attrs={"rows": 4}),
                                   help_text=_("共用设施设备的维修、更新和改造项目，每行一项。"))
    area = forms.DecimalField(label=_("申请面积（㎡）"), max_digits=12, decimal_places=2,
                              help_text=_("本次涉及楼栋的建筑面积，不超过小区总建筑面积。"))
    has_lift = forms.BooleanField(label=_("电梯房"), required=False)
    per_sqm = forms.DecimalField(label=_("交存标准（元/㎡）"), **PER_SQM_FIELD)

    def __init__(self, *args, elig: Eligibility, **kwargs):
        super().__init__(*args, **kwargs)
        policy = elig.policy
        if policy is not None:
            if elig.estate.has_lift:
                self.fields["per_sqm"].help_text = _(
                    "电梯房不高于 %(l)s 元/㎡，非电梯房不高于 %(n)s 元/㎡。") % {"l": policy.lift_cap,
                                                                       "n": policy.no_lift_cap}
            else:
                self.fields["per_sqm"].help_text = _("本小区无电梯：不高于 %(n)s 元/㎡。") % {"n": policy.no_lift_cap}
        if not elig.estate.has_lift:
            self.fields["has_lift"].disabled = True
            self.fields["has_lift"].help_text = _("小区登记为无电梯。")

    @staticmethod
    def initial_for(elig: Eligibility) -> dict:
        estate = elig.estate
        return {"has_lift": estate.has_lift, "area": elig.area_left if elig.area_left > 0 else None,
                "collector": Collector.FIRM if estate.firm_id else ""}

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {"area": data["area"], "has_lift": bool(data.get("has_lift")), "per_sqm": data["per_sqm"],
                "repair_items": data["repair_items"], "collector": data["collector"]}


class TransitionForm(BootstrapFormMixin, forms.Form):
    """One step of the chain. Fields are optional here: the service says what is missing."""

    ACTION_FIELDS = {
        "review": ["comment"],
        "approve": ["comment"],
        "disburse": ["disbursed_on", "voucher", "comment"],
        "return": ["comment"],
        "withdraw": ["comment"],
    }

    action = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("意见"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(label=_("超预算批准理由"), required=False, max_length=500,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    disbursed_on = forms.DateField(label=_("拨付日期"), required=False, widget=DateInput())
    voucher = forms.CharField(label=_("拨付凭证号"), required=False, max_length=50)

    def __init__(self, *args, action: str, over_budget: bool = False, **kwargs):
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.fields["action"].initial = action
        keep = set(self.ACTION_FIELDS.get(action, [])) | {"action"}
        if action == "approve" and over_budget:
            keep.add("override_reason")
        if action in ("return", "withdraw"):
            self.fields["comment"].label = _("退回原因") if action == "return" else _("撤回说明")
        if action == "disburse":
            self.fields["disbursed_on"].initial = timezone.localdate()
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.action = action


class PolicyForm(BootstrapFormMixin, forms.Form):
    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput(),
                                     help_text=_("此后提交的申请按新版本计算；已提交的申请不受影响。"))
    lift_cap = forms.DecimalField(label=_("电梯房交存上限（元/㎡）"), min_value=Decimal("0.01"), **PER_SQM_FIELD)
    no_lift_cap = forms.DecimalField(label=_("非电梯房交存上限（元/㎡）"), min_value=Decimal("0.01"), **PER_SQM_FIELD)
    match_ratio = forms.DecimalField(label=_("区财政配套比例"), min_value=Decimal("0"), max_digits=4, decimal_places=2,
                                     help_text=_("小区每交存 1 元，区财政配套的金额；1.00 即 1:1 等额配套。"))
    yearly_budget = forms.DecimalField(label=_("年度配套预算（元）"), min_value=Decimal("0"), max_digits=14,
                                       decimal_places=2,
                                       help_text=_("填 0 表示不设预算；超出预算的申请批准时须写明理由。"))
    note = forms.CharField(label=_("备注"), required=False, max_length=200)

    @staticmethod
    def initial_from(policy: MaintenancePolicy | None, effective_from: datetime.date) -> dict:
        policy = policy or MaintenancePolicy()
        initial = {name: getattr(policy, name) for name in POLICY_FIELDS}
        initial["note"] = ""
        initial["effective_from"] = effective_from
        return initial

    def service_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in POLICY_FIELDS}
