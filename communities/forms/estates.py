"""Estate create/edit form and the import upload form.

The business rules live in communities.services.estates.validate_estate_data;
the form runs them so the errors appear on the right fields, and the service
runs them again inside its transaction.
"""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect, edit_communities
from accounts.forms import BootstrapFormMixin
from communities.models import MIN_COMPLETION_YEAR, Estate
from communities.services.estates import EDITABLE_FIELDS, validate_estate_data


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.street.name} · {obj.name}"


class EstateForm(BootstrapFormMixin, forms.ModelForm):
    """Every field a street office keeps; the serving firm is kept by the contracts."""

    class Meta:
        model = Estate
        fields = EDITABLE_FIELDS
        field_classes = {"community": CommunityChoiceField}
        widgets = {
            # Only the chosen community is rendered; the browser searches /choices/communities/?purpose=edit.
            "community": RemoteSelect("communities", purpose="edit"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "completion_year": forms.NumberInput(attrs={"min": MIN_COMPLETION_YEAR}),
            "total_area": forms.NumberInput(attrs={"min": "0.01", "step": "0.01"}),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }
        error_messages = {
            "name": {"required": _("请填写小区名称")},
            "community": {"required": _("请选择社区"),
                          "invalid_choice": _("该社区不在您的管辖范围内")},
            "completion_year": {"required": _("请填写建成年份"), "invalid": _("建成年份必须是整数")},
            "total_area": {"required": _("请填写总建筑面积"), "invalid": _("总建筑面积必须是数字")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = (
            edit_communities(user).select_related("street").order_by("street__name", "name")
        )
        self.fields["community"].empty_label = _("请选择社区")
        if self.instance.pk:
            # The area is the subsidy base: a change says from when it holds (communities.models.EstateArea).
            fields = dict(self.fields)
            effective = forms.DateField(
                label=_("面积生效日期"), required=False, initial=timezone.localdate().replace(day=1),
                widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
                help_text=_("修改总建筑面积时必填；补贴按各服务月份 1 日有效的面积计算，已发放的月份不变。"),
                error_messages={"invalid": _("请填写有效日期，如 2025-07-01")})
            self.fields = {}
            for name, field in fields.items():
                self.fields[name] = field
                if name == "total_area":
                    self.fields["area_effective_from"] = effective

    def clean(self):
        cleaned = super().clean()
        try:
            validate_estate_data(cleaned, estate=self.instance if self.instance.pk else None)
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


class EstateImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Excel 文件"),
        help_text=_("请使用导入模板（.xlsx）填写；任何一行有错误时整个文件都不会导入。"),
        widget=forms.ClearableFileInput(attrs={
            "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
        error_messages={"required": _("请选择要导入的文件"), "empty": _("上传的文件是空的")},
    )
