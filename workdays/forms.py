from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import BootstrapFormMixin, DateInput

from .models import FIRST_YEAR, LAST_YEAR, DayKind
from .services import BULK_MAX_LINES


class YearOpenForm(BootstrapFormMixin, forms.Form):
    """Go to a year's page to enter it (the list page)."""

    year = forms.IntegerField(label=_("年度"), min_value=FIRST_YEAR, max_value=LAST_YEAR)


class YearEnterForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("备注"), max_length=200, required=False,
                           help_text=_("如：依据国务院办公厅关于 2027 年部分节假日安排的通知"))


class DayAddForm(BootstrapFormMixin, forms.Form):
    date = forms.DateField(label=_("日期"), widget=DateInput())
    kind = forms.ChoiceField(label=_("类型"), choices=DayKind.choices)
    name = forms.CharField(label=_("名称"), max_length=40, required=False, help_text=_("如：国庆节、春节调休"))


class BulkForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(
        label=_("每行一天：日期 类型 名称"), max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace",
                                     "placeholder": "2027-01-01 放假 元旦\n2027-02-07 上班 春节调休"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = _("类型写“放假”或“上班”；空行和以 # 开头的行不计。所有行先逐行检查，"
                                          "有一行不对则一行也不录入；最多 %(n)d 行。") % {"n": BULK_MAX_LINES}
