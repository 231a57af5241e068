"""Forms of the evaluation pages. They only parse input: every rule is checked again by the service."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import BootstrapFormMixin, DateInput
from accounts.forms import add_service_errors as form_errors  # noqa: F401  (the views import it from here)

from .models import Direction, QuestionKind, UnitKind


class CampaignForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("开始日期"), widget=DateInput())
    closes_on = forms.DateField(label=_("截止日期"), widget=DateInput(), help_text=_("当天仍可填报。"))
    feeds_credit = forms.BooleanField(
        label=_("评价结果计入企业信用"), required=False,
        help_text=_("默认不计入。勾选后，确认结果时综合平均分低于分数线的企业按信用规则 evaluation_poor"
                    "（履约双向评价结果较差）记不良信息；市级信用规则目录中没有该规则时不记录。"))
    poor_line = forms.DecimalField(label=_("较差分数线"), min_value=Decimal("1"), max_value=Decimal("5"),
                                   max_digits=3, decimal_places=2, initial=Decimal("3.00"))
    note = forms.CharField(label=_("说明"), required=False, max_length=200)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["year"]


class QuestionForm(BootstrapFormMixin, forms.Form):
    direction = forms.ChoiceField(label=_("问卷"), choices=Direction.choices)
    text = forms.CharField(label=_("题目"), max_length=200)
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)


SCALE_CHOICES = [(str(i), str(i)) for i in range(5, 0, -1)]
YESNO_CHOICES = [("yes", _("是")), ("no", _("否"))]


class ResponseForm(BootstrapFormMixin, forms.Form):
    """One field per question (q<id>) and its optional comment (q<id>_comment); the paper fields for a
    committee's questionnaire."""

    comment = forms.CharField(label=_("总体意见（选填）"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, questions, paper: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            choices = SCALE_CHOICES if q.kind == QuestionKind.SCALE else YESNO_CHOICES
            self.fields[f"q{q.pk}"] = forms.ChoiceField(label=f"{q.order}. {q.text}", choices=choices,
                                                        widget=forms.RadioSelect, required=False)
            self.fields[f"q{q.pk}_comment"] = forms.CharField(label=_("意见（选填）"), required=False, max_length=500)
        if paper:
            self.fields["paper_number"] = forms.CharField(label=_("纸质问卷编号"), max_length=50, required=False)
            self.fields["paper_signed_on"] = forms.DateField(label=_("业主委员会签署日期"), required=False,
                                                             widget=DateInput())
        for q in questions:
            self.fields[f"q{q.pk}"].widget.attrs["class"] = "form-check-input"

    def rows(self):
        return [(q, self[f"q{q.pk}"], self[f"q{q.pk}_comment"]) for q in self.questions]

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {
            "answers": {q.pk: {"value": d.get(f"q{q.pk}") or "", "comment": d.get(f"q{q.pk}_comment") or ""}
                        for q in self.questions},
            "comment": d.get("comment") or "",
            "paper_number": d.get("paper_number") or "",
            "paper_signed_on": d.get("paper_signed_on"),
        }


def unit_key(kind: str, pk: int) -> str:
    return f"{kind}-{pk}"


def parse_unit(key: str) -> tuple[str, int] | None:
    kind, _sep, pk = key.partition("-")
    if kind not in UnitKind.values or not pk.isdigit():
        return None
    return kind, int(pk)
