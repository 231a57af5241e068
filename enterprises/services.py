"""Writes for firms and service contracts.

Each function is keyword-only, typed and runs in one transaction that
re-checks the actor's scope on locked rows. Rule violations raise
ValidationError (field -> message) so forms can show them next to the field;
the `*_rule_errors` helpers are shared with the forms, so each rule is
written once.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import scope_of
from communities.models import District, Estate, ManagementMode

from .credit.blacklist import blacklist_refusal
from .models import BOND_MAX, BOND_MIN, ContractStatus, Firm, ServiceContract
from .validators import normalize_credit_code, validate_credit_code

# --------------------------------------------------------------------------- firms

FIRM_FIELDS = ("name", "credit_code", "legal_representative", "contact_name", "contact_phone", "address",
               "registered_district", "is_filed", "filed_on", "is_street_run", "street",
               "in_public_benefit_pool")
# What a firm's own user may change in its profile.
FIRM_CONTACT_FIELDS = ("contact_name", "contact_phone", "address")


def duplicate_credit_code_message() -> str:
    return _("该统一社会信用代码已登记，请勿重复录入；如需修改企业信息，请在原企业档案中编辑。")


def duplicate_name_message() -> str:
    return _("该企业名称已登记，请勿重复录入。")


def firm_rule_errors(data: Mapping[str, Any]) -> dict[str, str]:
    """Filing and street-run rules; field -> message (empty when all hold)."""
    errors: dict[str, str] = {}
    if data.get("is_filed") and not data.get("filed_on"):
        errors["filed_on"] = _("已在区备案的企业须填写备案日期。")
    street = data.get("street")
    district = data.get("registered_district")
    if data.get("is_street_run"):
        if street is None:
            errors["street"] = _("街道物业公司须选择所属街道。")
        elif district is not None and street.district_id != district.pk:
            errors["street"] = _("所属街道须位于企业的备案区内。")
        elif district is None:
            errors["registered_district"] = _("街道物业公司须选择备案区。")
    elif street is not None:
        errors["street"] = _("仅街道物业公司可填写所属街道。")
    return errors


def firm_editable_fields(*, actor, firm: Firm) -> tuple[str, ...]:
    """Which fields `actor` may change on `firm`: all (district admin of its
    registered district, city admin), the contact fields (the firm's own user), or none."""
    scope = scope_of(actor)
    if scope.city_admin or (firm.registered_district_id is not None
                            and firm.registered_district_id in scope.ids("district", edit=True)):
        return FIRM_FIELDS
    if firm.pk in scope.ids("firm", edit=True):
        return FIRM_CONTACT_FIELDS
    return ()


def _check_district(actor, district: District | None) -> None:
    if district is None:
        if not scope_of(actor).city_admin:
            raise ValidationError({"registered_district": _("请选择备案区。")})
        return
    if not District.objects.editable_by(actor).filter(pk=district.pk).exists():
        raise PermissionDenied(_("您只能在本区登记或管理物业企业。"))


def _check_unique(firm_pk: int | None, *, name: str | None, credit_code: str | None) -> None:
    others = Firm.objects.exclude(pk=firm_pk) if firm_pk else Firm.objects.all()
    errors = {}
    if credit_code and others.filter(credit_code=credit_code).exists():
        errors["credit_code"] = duplicate_credit_code_message()
    if name and others.filter(name=name).exists():
        errors["name"] = duplicate_name_message()
    if errors:
        raise ValidationError(errors)


def _firm_integrity_error(exc: IntegrityError) -> ValidationError:
    text = str(exc).lower()
    if "credit_code" in text:
        return ValidationError({"credit_code": duplicate_credit_code_message()})
    if "name" in text:
        return ValidationError({"name": duplicate_name_message()})
    return ValidationError(_("保存失败：数据不符合约束条件，请检查后重试。"))


def _clean_firm_data(data: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "credit_code" in data:
        data["credit_code"] = normalize_credit_code(data["credit_code"])
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
    return data


def firm_create(*, actor, data: Mapping[str, Any]) -> Firm:
    """Register a firm with the actor's district (district admins; city admins anywhere)."""
    data = _clean_firm_data(data)
    try:
        validate_credit_code(data.get("credit_code") or "")
    except ValidationError as exc:
        raise ValidationError({"credit_code": exc.messages}) from exc
    errors = firm_rule_errors(data)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            _check_district(actor, data.get("registered_district"))
            _check_unique(None, name=data.get("name"), credit_code=data.get("credit_code"))
            firm = Firm(**{f: data[f] for f in FIRM_FIELDS if f in data})
            if not firm.is_filed:
                firm.filed_on = None
            firm.save()
    except IntegrityError as exc:
        raise _firm_integrity_error(exc) from exc
    return firm


def firm_update(*, actor, firm: Firm, data: Mapping[str, Any], today: datetime.date | None = None) -> Firm:
    """Change a firm's profile: a firm user only its contact fields, a district admin everything.

    A firm on the blacklist (on `today`; the pages pass the day, older callers get the local date) cannot be
    put into the public-benefit pool."""
    data = _clean_firm_data(data)
    try:
        with transaction.atomic():
            locked = Firm.objects.editable_by(actor).select_for_update().filter(pk=firm.pk).first()
            if locked is None:
                raise PermissionDenied(_("该企业不在您的管辖范围内。"))
            allowed = firm_editable_fields(actor=actor, firm=locked)
            if not allowed:
                raise PermissionDenied(_("您无权修改该企业的信息。"))
            forbidden = [f for f in data if f not in allowed and getattr(locked, f) != data[f]]
            if forbidden:
                raise PermissionDenied(_("企业用户只能修改联系人、联系电话和地址；企业名称、统一社会信用代码等备案信息由区住房保障服务中心维护。"))
            if "credit_code" in data:
                try:
                    validate_credit_code(data["credit_code"])
                except ValidationError as exc:
                    raise ValidationError({"credit_code": exc.messages}) from exc
            merged = {f: data.get(f, getattr(locked, f)) for f in FIRM_FIELDS}
            errors = firm_rule_errors(merged)
            if errors:
                raise ValidationError(errors)
            if "registered_district" in data and data["registered_district"] != locked.registered_district:
                _check_district(actor, data["registered_district"])
            if data.get("in_public_benefit_pool") and not locked.in_public_benefit_pool:
                refusal = blacklist_refusal(locked.pk, today or timezone.localdate(), _("进入公益性物业服务企业库"))
                if refusal:
                    raise ValidationError({"in_public_benefit_pool": refusal})
            _check_unique(locked.pk, name=merged["name"], credit_code=merged["credit_code"])
            for f in allowed:
                if f in data:
                    setattr(locked, f, data[f])
            if not locked.is_filed:
                locked.filed_on = None
            locked.save()
    except IntegrityError as exc:
        raise _firm_integrity_error(exc) from exc
    return locked


# ----------------------------------------------------------------------- contracts

CONTRACT_FIELDS = ("firm", "start_date", "end_date", "fee_standard", "bond")
END_FIELDS = ("ended_on", "handover_date", "handover_note", "handover_received_by")


def bond_message() -> str:
    return _("履约保证金应在 20,000 至 100,000 元/年之间。")


def second_active_contract_message(active: ServiceContract | None = None) -> str:
    if active is not None:
        return _("该小区已有履行中的物业服务合同（%(firm)s，%(start)s 起），请先办理退出交接，再签订新合同。") % {
            "firm": active.firm, "start": active.start_date.strftime("%Y-%m-%d"),
        }
    return _("该小区已有履行中的物业服务合同，请先办理退出交接，再签订新合同。")


def contract_rule_errors(*, start_date: datetime.date | None, end_date: datetime.date | None,
                         fee_standard: Decimal | None, bond: Decimal | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if start_date and end_date and end_date <= start_date:
        errors["end_date"] = _("到期日期须晚于开始日期。")
    if fee_standard is not None and fee_standard < 0:
        errors["fee_standard"] = _("收费标准不能为负数。")
    if bond is not None and not (BOND_MIN <= bond <= BOND_MAX):
        errors["bond"] = bond_message()
    return errors


def contract_end_rule_errors(*, contract: ServiceContract, data: Mapping[str, Any]) -> dict[str, str]:
    required = {
        "ended_on": _("请填写退出日期。"),
        "handover_date": _("请填写交接日期。"),
        "handover_note": _("请填写退出交接记录（移交的资料、设施设备、账目等）。"),
        "handover_received_by": _("请填写接收方（新物业企业、业委会或街道/社区）。"),
    }
    errors = {f: msg for f, msg in required.items() if not data.get(f) or (isinstance(data.get(f), str)
                                                                          and not data[f].strip())}
    ended_on, handover = data.get("ended_on"), data.get("handover_date")
    if ended_on and ended_on < contract.start_date:
        errors["ended_on"] = _("退出日期不能早于合同开始日期（%s）。") % contract.start_date.strftime("%Y-%m-%d")
    if handover and handover < contract.start_date and "handover_date" not in errors:
        errors["handover_date"] = _("交接日期不能早于合同开始日期（%s）。") % contract.start_date.strftime("%Y-%m-%d")
    return errors


def contract_firm_choices(*, actor, estate: Estate) -> QuerySet[Firm]:
    """Firms an estate may sign with: filed firms of the estate's district, or visible to the actor."""
    district_id = Estate.objects.filter(pk=estate.pk).values_list("community__street__district", flat=True).first()
    return Firm.objects.filter(is_filed=True).filter(
        Q(registered_district=district_id) | Q(pk__in=Firm.objects.visible_to(actor).values("pk"))
    )


def _contract_integrity_error(exc: IntegrityError) -> ValidationError:
    text = str(exc)
    if "one_active_contract_per_estate" in text or "UNIQUE" in text.upper():
        return ValidationError(second_active_contract_message())
    if "contract_bond_within_limits" in text:
        return ValidationError({"bond": bond_message()})
    return ValidationError(_("保存失败：数据不符合约束条件，请检查后重试。"))


def _check_no_active_contract(estate: Estate) -> None:
    active = ServiceContract.objects.filter(estate=estate, status=ContractStatus.ACTIVE).select_related("firm").first()
    if active is not None:
        raise ValidationError(second_active_contract_message(active))


def contract_create(*, actor, estate: Estate, data: Mapping[str, Any],
                    today: datetime.date | None = None) -> ServiceContract:
    """Sign a contract; the estate gets the firm, the start date and a managed mode in the same transaction.

    A firm on the blacklist on the signing day (`today`) or on the contract's start date may not sign."""
    errors = contract_rule_errors(start_date=data.get("start_date"), end_date=data.get("end_date"),
                                  fee_standard=data.get("fee_standard"), bond=data.get("bond"))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            locked = Estate.objects.editable_by(actor).select_for_update().filter(pk=estate.pk).first()
            if locked is None:
                raise PermissionDenied(_("该小区不在您的管辖范围内。"))
            firm = data.get("firm")
            if firm is None or not contract_firm_choices(actor=actor, estate=locked).filter(pk=firm.pk).exists():
                raise ValidationError({"firm": _("请选择已在区备案的物业企业。")})
            for day in sorted({d for d in (today, data["start_date"]) if d is not None}):
                refusal = blacklist_refusal(firm.pk, day, _("签订新的物业服务合同"))
                if refusal:
                    raise ValidationError({"firm": refusal})
            _check_no_active_contract(locked)
            contract = ServiceContract.objects.create(estate=locked, **{f: data[f] for f in CONTRACT_FIELDS})
            locked.firm = firm
            locked.firm_since = contract.start_date
            locked.management_mode = ManagementMode.STREET_CENTRE if firm.is_street_run else ManagementMode.MARKET
            locked._change_reason = _("签订物业服务合同")
            locked.save()
            # The rating belongs to the estate: the new firm takes over its applications (DOMAIN.md §5).
            from ratings.services.applications import applications_transfer  # ratings imports this app's models

            applications_transfer(actor=actor, estate=locked, firm=firm, since=contract.start_date)
    except IntegrityError as exc:
        raise _contract_integrity_error(exc) from exc
    return contract


def contract_end(*, actor, contract: ServiceContract, data: Mapping[str, Any]) -> ServiceContract:
    """End a contract with its handover record; the firm leaves the estate (its mode stays as it was)."""
    errors = contract_end_rule_errors(contract=contract, data=data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Estate.objects.select_for_update().filter(pk=contract.estate_id).first()
        locked = ServiceContract.objects.editable_by(actor).select_for_update().filter(pk=contract.pk).first()
        if locked is None:
            raise PermissionDenied(_("该合同不在您的管辖范围内。"))
        if locked.status != ContractStatus.ACTIVE:
            raise ValidationError(_("该合同已终止，无需重复办理退出交接。"))
        for f in END_FIELDS:
            value = data[f]
            setattr(locked, f, value.strip() if isinstance(value, str) else value)
        locked.status = ContractStatus.ENDED
        locked._change_reason = _("退出交接")
        locked.save()
        estate = Estate.objects.get(pk=locked.estate_id)
        if estate.firm_id == locked.firm_id:
            estate.firm = None
            estate.firm_since = None
            estate._change_reason = _("物业服务合同终止，企业退出")
            estate.save()
    return locked
