"""Forms of the sanction pages. They only parse input: the services check every rule again."""
from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import BootstrapFormMixin, DateInput
from communities.models import Estate

from .models import EventKind, SanctionPolicy
from .services import POLICY_FIELDS


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


class SanctionPolicyForm(BootstrapFormMixin, forms.Form):
    """A new version of a district's sanction policy, prefilled from the version in force. Ranges and choices
    are the service's (sanction_policy_create): its messages are shown on the fields."""

    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput(),
                                     error_messages={"required": _("请填写生效日期。")},
                                     help_text=_("此日期及以后发生的事件按新版本认定；此前发生的事件仍按当时有效的版本。"))
    enabled = forms.BooleanField(label=_("启用企业重大负面事件惩戒"), required=False,
                                 help_text=_("不启用的，街道和区不能记录重大负面事件。"))
    sanctioning_kinds = forms.MultipleChoiceField(
        label=_("立即取消当年评比资格的事件类型"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(k, label) for k, label in EventKind.choices if k != EventKind.MEDIA],
        help_text=_("新闻媒体曝光按年度累计次数计算，见下一项。"))
    media_threshold = forms.IntegerField(label=_("年度媒体曝光次数上限"),
                                         help_text=_("同一企业同一自然年度内第 N 次被新闻媒体曝光即取消当年评比资格（1–20）。"))
    street_run_orders = forms.BooleanField(label=_("街道物业公司一星级及以下责令限期整改"), required=False)
    street_run_max_tier = forms.IntegerField(
        label=_("责令整改的最高星级"),
        help_text=_("季度结果公布时，街道物业公司管理的小区星级在此及以下（含未评星、未参评）的，自动下发整改通知（0–5）。"))
    street_run_deadline_days = forms.IntegerField(label=_("整改期限（工作日）"), help_text=_("1–120 个工作日。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sanctioning_kinds"].widget.attrs["class"] = "form-check-input"

    @staticmethod
    def initial_from(policy, effective_from: datetime.date) -> dict:
        """The version in force (or the model's defaults: 管城回族区 附件2 六(二)) with a new effective date."""
        policy = policy or SanctionPolicy()
        initial = {name: getattr(policy, name) for name in POLICY_FIELDS}
        initial["sanctioning_kinds"] = [k for k in (policy.sanctioning_kinds or []) if k != EventKind.MEDIA]
        initial["effective_from"] = effective_from
        return initial

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}
