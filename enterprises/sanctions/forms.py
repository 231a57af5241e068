"""Forms of the sanction pages. They only parse input: the services check every rule again."""
from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import BootstrapFormMixin, DateInput
from communities.models import Estate

from .models import EventKind


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


class EventForm(BootstrapFormMixin, forms.Form):
    unit = forms.ChoiceField(label=_("记录单位"))
    kind = forms.ChoiceField(label=_("事件类型"), choices=[("", "——"), *EventKind.choices])
    occurred_on = forms.DateField(label=_("发生日期"), widget=DateInput())
    estate = forms.ModelChoiceField(label=_("小区（可不填）"), queryset=Estate.objects.none(), required=False)
    description = forms.CharField(label=_("事件经过"), widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(label=_("证明材料"), required=False,
                              help_text=_("事故认定书、媒体报道、信访记录等；PDF、OFD、图片、Word 或 Excel，每个不超过 10 MB。"))

    def __init__(self, *args, user, units, firm, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.key, u.name()) for u in units]
        self.fields["estate"].queryset = (Estate.objects.visible_to(user).filter(firm=firm)
                                          .select_related("community__street").order_by("name"))
        if not self.is_bound:
            self.initial.setdefault("occurred_on", timezone.localdate())


class WithdrawForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("撤销原因"), widget=forms.Textarea(attrs={"rows": 3}))
