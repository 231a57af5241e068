"""Owner committee form and its inline member formset."""
from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import BootstrapFormMixin, DateInput
from communities.models import CommitteeMember, OwnerCommittee
from communities.services.committees import committee_rule_errors

PHONE_RE = re.compile(r"^[0-9+\-\s]{7,20}$")


class CommitteeForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = OwnerCommittee
        fields = ["kind", "elected_on", "term_end", "filing_status", "filed_on", "is_active", "notes"]
        widgets = {
            "elected_on": DateInput(),
            "term_end": DateInput(),
            "filed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "kind": _("无法组建业主委员会的小区，由街道牵头成立物业管理委员会代行职责。"),
            "is_active": _("每个小区同一时间只能有一个在任的委员会。"),
        }

    def _post_clean(self):
        # The model's check constraints (term, filing date, one active per
        # estate) are checked by clean() and the service with clearer
        # messages; Django's generic "constraint violated" text would repeat them.
        instance = self.instance
        full_clean = instance.full_clean
        instance.full_clean = lambda *a, **kw: full_clean(*a, **{**kw, "validate_constraints": False})
        try:
            super()._post_clean()
        finally:
            del instance.full_clean

    def clean(self):
        cleaned = super().clean()
        for field, message in committee_rule_errors(
            elected_on=cleaned.get("elected_on"), term_end=cleaned.get("term_end"),
            filing_status=cleaned.get("filing_status"), filed_on=cleaned.get("filed_on"),
            today=timezone.localdate(),
        ).items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned


class MemberForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = CommitteeMember
        fields = ["name", "position", "phone"]

    def clean_phone(self):
        phone = (self.cleaned_data.get("phone") or "").strip()
        if phone and not PHONE_RE.match(phone):
            raise ValidationError(_("请输入有效的联系电话（7 至 20 位数字）。"))
        return phone


class BaseMemberFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs.update({"class": "form-check-input", "aria-label": _("删除该成员")})
        for name in ("name", "position", "phone"):
            form.fields[name].widget.attrs.setdefault("aria-label", form.fields[name].label)

    def clean(self):
        super().clean()
        chairs = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            if form.cleaned_data.get("position") == "chair":
                chairs += 1
        if chairs > 1:
            raise ValidationError(_("一个委员会只能有一名主任。"))

    def member_rows(self) -> list[dict]:
        """The formset's rows as plain dicts for the service (unchanged blank rows skipped)."""
        rows = []
        for form in self.forms:
            cd = getattr(form, "cleaned_data", None) or {}
            instance = cd.get("id")
            if not cd or (instance is None and (cd.get("DELETE") or not form.has_changed())):
                continue
            rows.append({
                "id": instance.pk if instance is not None else None,
                "name": cd.get("name", ""),
                "position": cd.get("position", "member"),
                "phone": cd.get("phone", ""),
                "delete": bool(cd.get("DELETE")),
            })
        return rows


MemberFormSet = inlineformset_factory(
    OwnerCommittee, CommitteeMember, form=MemberForm, formset=BaseMemberFormSet,
    fields=["name", "position", "phone"], extra=3, can_delete=True,
)
