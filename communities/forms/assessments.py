"""Forms of the owner-committee yearly assessment: the assessment (one field per criterion of the district's
policy, the year's roster as a formset), the district's decision, and a new policy version with its criteria."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from accounts.forms import BootstrapFormMixin, DateInput
from accounts.forms import add_service_errors as form_errors  # noqa: F401  (the views import it from here)
from communities.models import ALLOWANCE_CAP, CriterionKind

POSITION_CHOICES = [("chair", _("主任")), ("vice", _("副主任")), ("member", _("委员"))]
MONTHS = [(m, _("%(m)d 月") % {"m": m}) for m in range(1, 13)]
PASS_CHOICES = [("", "—"), ("1", _("合格")), ("0", _("不合格"))]


class AssessmentForm(BootstrapFormMixin, forms.Form):
    """One points or pass/fail field and a remark per criterion, then the overall comment."""

    comment = forms.CharField(label=_("考核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, policy, **kwargs):
        self.policy = policy
        self.criteria = list(policy.criteria.all())
        super().__init__(*args, **kwargs)
        for c in self.criteria:
            if c.kind == CriterionKind.POINTS:
                self.fields[f"c{c.pk}_points"] = forms.DecimalField(
                    label=c.title, required=False, min_value=0, max_value=c.max_points, decimal_places=2,
                    help_text=_("满分 %(m)s 分") % {"m": c.max_points})
            else:
                self.fields[f"c{c.pk}_passed"] = forms.ChoiceField(label=c.title, required=False,
                                                                   choices=PASS_CHOICES)
            self.fields[f"c{c.pk}_remark"] = forms.CharField(label=_("说明"), required=False, max_length=200)
            for name in (f"c{c.pk}_points", f"c{c.pk}_passed", f"c{c.pk}_remark"):
                if name in self.fields:
                    self.fields[name].widget.attrs["class"] = (
                        ("form-select" if name.endswith("_passed") else "form-control") + " form-control-sm")
        # The comment last: move it after the criteria.
        self.fields["comment"] = self.fields.pop("comment")

    @staticmethod
    def initial_from(assessment) -> dict:
        initial = {"comment": assessment.comment}
        for s in assessment.scores.all():
            initial[f"c{s.criterion_id}_points"] = s.points
            initial[f"c{s.criterion_id}_passed"] = "" if s.passed is None else ("1" if s.passed else "0")
            initial[f"c{s.criterion_id}_remark"] = s.remark
        return initial

    def rows(self):
        """(criterion, points or passed field, remark field) for the template."""
        return [(c, self[f"c{c.pk}_points"] if c.kind == CriterionKind.POINTS else self[f"c{c.pk}_passed"],
                 self[f"c{c.pk}_remark"]) for c in self.criteria]

    def scores(self) -> dict:
        cd = self.cleaned_data
        out = {}
        for c in self.criteria:
            if c.kind == CriterionKind.POINTS:
                entry = {"points": cd.get(f"c{c.pk}_points")}
            else:
                value = cd.get(f"c{c.pk}_passed")
                entry = {"passed": {"1": True, "0": False}.get(value)}
            entry["remark"] = cd.get(f"c{c.pk}_remark", "")
            out[c.pk] = entry
        return out


class RosterForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    position = forms.ChoiceField(label=_("职务"), choices=POSITION_CHOICES, initial="member")
    from_month = forms.TypedChoiceField(label=_("起始月份"), choices=MONTHS, coerce=int, initial=1)
    to_month = forms.TypedChoiceField(label=_("截止月份"), choices=MONTHS, coerce=int, initial=12)


RosterFormSet = forms.formset_factory(RosterForm, extra=2, can_delete=True)


def roster_rows(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms
            if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
            and (f.cleaned_data.get("name") or "").strip()]


class DecisionForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PolicyForm(BootstrapFormMixin, forms.Form):
    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    pass_mark = forms.DecimalField(label=_("合格分数线"), min_value=0, decimal_places=2, max_digits=6)
    # No max_value here: the service refuses an amount above the cap with the policy's own words.
    allowance_per_member = forms.DecimalField(
        label=_("每人每月补贴（元）"), min_value=0, decimal_places=2, max_digits=8,
        help_text=_("不高于每人每月 %(c)s 元（章贡区实施意见 四(一)）；从小区物业服务费或公共收益中列支。") % {
            "c": f"{ALLOWANCE_CAP:.0f}"})
    note = forms.CharField(label=_("备注"), required=False, max_length=200)


class CriterionForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("考核项目"), max_length=100, required=False)
    description = forms.CharField(label=_("考核内容"), required=False, max_length=500)
    kind = forms.ChoiceField(label=_("类型"), choices=CriterionKind.choices, initial=CriterionKind.POINTS)
    max_points = forms.DecimalField(label=_("满分"), required=False, min_value=0, decimal_places=2, max_digits=6,
                                    validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))])


CriterionFormSet = forms.formset_factory(CriterionForm, extra=2, can_delete=True)


def criterion_rows(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms
            if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
            and (f.cleaned_data.get("title") or "").strip()]
