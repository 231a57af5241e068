"""Forms of the credit pages. They only parse input: every rule is checked again by the services."""
from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import BootstrapFormMixin, DateInput

from ..models import CreditKind, CreditPolicy
from .permissions import unit_choices
from .policy import BUILTIN_KINDS


class CreditRecordForm(BootstrapFormMixin, forms.Form):
    """A recording unit's own record: the rules not written by the portal (service: credit_record_create)."""

    unit = forms.ChoiceField(label=_("记录单位"))
    rule_code = forms.ChoiceField(label=_("信用规则"))
    points = forms.IntegerField(label=_("分值"), min_value=-100, max_value=100,
                                help_text=_("须在所选规则的分值上下限之内。"))
    occurred_on = forms.DateField(label=_("发生日期"), widget=DateInput())
    title = forms.CharField(label=_("简要事实（将公示）"), max_length=300,
                            help_text=_("将在信息公开页面公示，请勿填写个人姓名、电话等个人信息。"))
    detail = forms.CharField(label=_("事实与依据"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("仅平台内可见。"))
    document = forms.FileField(label=_("证明文件"), help_text=_("PDF、OFD、图片、Word 或 Excel，不超过 10 MB。"))

    def __init__(self, *args, user, policy: CreditPolicy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(user)
        rules = [r for r in policy.rules.all() if not r.automatic]
        self.rules = {r.code: r for r in rules}
        self.fields["rule_code"].choices = [("", "——")] + [
            (r.code, _("%(n)s（%(k)s，%(lo)+d 至 %(hi)+d 分）") % {
                "n": r.name, "k": r.get_kind_display(), "lo": r.points_min, "hi": r.points_max} if r.points_min != r.points_max
             else _("%(n)s（%(k)s，%(p)+d 分）") % {"n": r.name, "k": r.get_kind_display(), "p": r.points})
            for r in rules]
        if not self.is_bound:
            self.initial.setdefault("occurred_on", timezone.localdate())


class ReasonForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(BootstrapFormMixin, forms.Form):
    decision = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(choices=[("upheld", _("异议成立")), ("dismissed", _("异议不成立"))],
                                widget=forms.HiddenInput)


class YearRunForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)


POLICY_FIELDS_FORM = ("effective_from", "base_score", "good_cap", "level_aaa", "level_aa", "level_a", "level_b",
                      "blacklist_score", "objection_days", "inspection_line", "note")


class CreditPolicyForm(BootstrapFormMixin, forms.ModelForm):
    """A new version's figures (its rules are the formset below)."""

    class Meta:
        model = CreditPolicy
        fields = POLICY_FIELDS_FORM
        widgets = {"effective_from": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def validate_unique(self):
        pass  # the service says so, with its own message


class CreditRuleForm(BootstrapFormMixin, forms.Form):
    code = forms.SlugField(label=_("代码"), max_length=40)
    name = forms.CharField(label=_("规则名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类别"), choices=CreditKind.choices)
    points = forms.IntegerField(label=_("分值"), min_value=-100, max_value=100)
    points_min = forms.IntegerField(label=_("下限"), min_value=-100, max_value=100)
    points_max = forms.IntegerField(label=_("上限"), min_value=-100, max_value=100)
    publish_months = forms.IntegerField(label=_("公示期（月）"), min_value=1, max_value=120)
    evidence = forms.CharField(label=_("证据要求"), max_length=200)
    automatic = forms.BooleanField(label=_("平台自动记录"), required=False)

    @property
    def builtin(self) -> bool:
        return (self.initial.get("code") or self.data.get(self.add_prefix("code")) or "") in BUILTIN_KINDS


class BaseRuleFormSet(forms.BaseFormSet):
    def rules(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


CreditRuleFormSet = forms.formset_factory(CreditRuleForm, formset=BaseRuleFormSet, extra=2, can_delete=True)
