"""Forms for firms and service contracts.

The rules live in enterprises/services.py (`*_rule_errors`); the forms call
them in clean() so the clerk sees each message beside its field, and the
service checks them again inside its transaction.
"""
from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
from accounts.forms import BootstrapFormMixin, DateInput
from communities.models import District, Street

from .models import Firm, ServiceContract
from .services import (
    contract_end_rule_errors,
    contract_firm_choices,
    contract_rule_errors,
    duplicate_credit_code_message,
    duplicate_name_message,
    firm_rule_errors,
)
from .validators import normalize_credit_code


class _NoModelConstraintsMixin:
    """Skip Django's generic "constraint violated" check in the form: clean()
    already states each rule in words a clerk understands."""

    def _post_clean(self):
        instance = self.instance
        full_clean = instance.full_clean
        instance.full_clean = lambda *a, **kw: full_clean(*a, **{**kw, "validate_constraints": False})
        try:
            super()._post_clean()
        finally:
            del instance.full_clean

    def _add_rule_errors(self, errors):
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field if field in self.fields else None, message)


class FirmForm(_NoModelConstraintsMixin, BootstrapFormMixin, forms.ModelForm):
    """The whole profile, for the district housing center."""

    class Meta:
        model = Firm
        fields = ["name", "credit_code", "legal_representative", "contact_name", "contact_phone", "address",
                  "registered_district", "is_filed", "filed_on", "is_street_run", "street",
                  "in_public_benefit_pool"]
        widgets = {"filed_on": DateInput()}
        error_messages = {
            "credit_code": {"unique": lazy(duplicate_credit_code_message, str)()},
            "name": {"unique": lazy(duplicate_name_message, str)()},
        }
        help_texts = {"credit_code": _("18 位，最后一位为校验位（GB 32100-2015）。")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        districts = District.objects.editable_by(user)
        self.fields["registered_district"].queryset = districts
        self.fields["registered_district"].required = True
        self.fields["registered_district"].empty_label = None if districts.count() == 1 else "---------"
        self.fields["street"].queryset = Street.objects.filter(district__in=districts).select_related("district")
        self.fields["credit_code"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_credit_code(self):
        return normalize_credit_code(self.cleaned_data.get("credit_code", ""))

    def clean(self):
        cleaned = super().clean()
        self._add_rule_errors(firm_rule_errors(cleaned))
        return cleaned


class FirmContactForm(_NoModelConstraintsMixin, BootstrapFormMixin, forms.ModelForm):
    """What a firm's own user may change: its contact details."""

    class Meta:
        model = Firm
        fields = ["contact_name", "contact_phone", "address"]


class ContractForm(_NoModelConstraintsMixin, BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ServiceContract
        fields = ["firm", "start_date", "end_date", "fee_standard", "bond"]
        # The firm is searched as the user types (/choices/firms/?purpose=contract&estate=…, the same
        # contract_firm_choices); only the chosen firm is rendered.
        widgets = {"start_date": DateInput(), "end_date": DateInput(), "firm": RemoteSelect("firms", "contract")}
        help_texts = {
            "firm": _("可选本区已备案的物业服务企业。"),
            "bond": _("每个小区每年 20,000 至 100,000 元。"),
        }
        error_messages = {"firm": {"required": _("请选择物业企业。"),
                                   "invalid_choice": _("请从列表中选择本区已备案的物业企业。")}}

    def __init__(self, *args, user, estate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["firm"].queryset = contract_firm_choices(actor=user, estate=estate)
        self.fields["firm"].widget.params = {"estate": estate.pk}
        self.fields["fee_standard"].widget.attrs.update({"step": "0.01", "min": "0"})
        self.fields["bond"].widget.attrs.update({"step": "0.01"})

    def clean(self):
        cleaned = super().clean()
        self._add_rule_errors(contract_rule_errors(
            start_date=cleaned.get("start_date"), end_date=cleaned.get("end_date"),
            fee_standard=cleaned.get("fee_standard"), bond=cleaned.get("bond"),
        ))
        return cleaned


class ContractEndForm(_NoModelConstraintsMixin, BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ServiceContract
        fields = ["ended_on", "handover_date", "handover_received_by", "handover_note"]
        widgets = {"ended_on": DateInput(), "handover_date": DateInput(),
                   "handover_note": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "handover_note": _("移交的资料、共用设施设备、物业服务用房、预收费用及账目等。"),
            "handover_received_by": _("新物业企业、业主委员会或街道/社区。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = True

    def clean(self):
        cleaned = super().clean()
        self._add_rule_errors(contract_end_rule_errors(contract=self.instance, data=cleaned))
        return cleaned
