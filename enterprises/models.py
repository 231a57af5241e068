from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.scope import ScopedQuerySet

from .validators import validate_credit_code

BOND_MIN = Decimal("20000.00")
BOND_MAX = Decimal("100000.00")


class FirmQuerySet(ScopedQuerySet):
    # A district sees the firms filed with it and those serving its estates;
    # a street or community sees the firms serving its estates; a firm sees itself.
    scope_paths = {
        "district": "estates__community__street__district",
        "street": "estates__community__street",
        "community": "estates__community",
        "firm": "pk",
    }
    scope_edit_levels = ("district", "firm")
    scope_multi_valued = True

    def _scope_q(self, scope, *, edit, levels=None):
        q = super()._scope_q(scope, edit=edit, levels=levels)
        districts = scope.ids("district", edit=edit)
        if districts and (not edit or "district" in (levels or self.scope_edit_levels)):
            q |= Q(registered_district__in=districts)
        return q


class Firm(models.Model):
    """物业服务企业."""

    name = models.CharField(_("企业名称"), max_length=100, unique=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True,
                                   validators=[validate_credit_code])
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    registered_district = models.ForeignKey(
        "communities.District", null=True, blank=True, on_delete=models.PROTECT, related_name="firms",
        verbose_name=_("备案区"),
    )
    is_filed = models.BooleanField(_("已在区备案"), default=False)
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    is_street_run = models.BooleanField(_("街道物业公司"), default=False)
    street = models.ForeignKey(
        "communities.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="street_firms",
        verbose_name=_("所属街道"), help_text=_("仅街道物业公司填写。"),
    )
    in_public_benefit_pool = models.BooleanField(_("公益性物业服务企业库"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = FirmQuerySet.as_manager()

    class Meta:
        verbose_name = _("物业企业")
        verbose_name_plural = _("物业企业")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(is_filed=False) | Q(filed_on__isnull=False),
                                   name="firm_filed_has_date"),
            models.CheckConstraint(condition=Q(is_street_run=True) | Q(street__isnull=True),
                                   name="firm_street_only_if_street_run"),
        ]

    def __str__(self):
        return self.name


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("履行中")
    ENDED = "ended", _("已终止")


class ServiceContractQuerySet(ScopedQuerySet):
    scope_paths = {
        "district": "estate__community__street__district",
        "street": "estate__community__street",
        "community": "estate__community",
        "firm": "firm",
    }

    def active(self):
        return self.filter(status=ContractStatus.ACTIVE)


class ServiceContract(models.Model):
    """物业服务合同. At most one active contract per estate (database constraint)."""

    estate = models.ForeignKey("communities.Estate", on_delete=models.PROTECT, related_name="contracts",
                               verbose_name=_("小区"))
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("物业企业"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("到期日期"))
    fee_standard = models.DecimalField(_("收费标准（元/㎡/月）"), max_digits=6, decimal_places=2)
    bond = models.DecimalField(
        _("履约保证金（元/年）"), max_digits=14, decimal_places=2,
        help_text=_("每个小区每年 20,000 至 100,000 元。"),
    )
    status = models.CharField(_("状态"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    ended_on = models.DateField(_("退出日期"), null=True, blank=True)
    handover_date = models.DateField(_("交接日期"), null=True, blank=True)
    handover_note = models.TextField(_("退出交接记录"), blank=True)
    handover_received_by = models.CharField(_("接收方"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ServiceContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("物业服务合同")
        verbose_name_plural = _("物业服务合同")
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["estate"], condition=Q(status="active"),
                                    name="one_active_contract_per_estate"),
            models.CheckConstraint(condition=Q(bond__gte=BOND_MIN, bond__lte=BOND_MAX),
                                   name="contract_bond_within_limits"),
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")),
                                   name="contract_ends_after_start"),
            models.CheckConstraint(condition=Q(fee_standard__gte=0), name="contract_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(status="active", ended_on__isnull=True)
                | Q(status="ended", ended_on__isnull=False, handover_date__isnull=False),
                name="contract_ended_has_handover",
            ),
        ]

    def __str__(self):
        return f"{self.estate} · {self.firm}"


class BlacklistEntryQuerySet(ScopedQuerySet):
    # The blacklist is public (DOMAIN.md §1); inside the portal each user sees the entries
    # of firms they can see, and city/district keepers see all of theirs.
    scope_paths = {"firm": "firm"}
    scope_edit_levels = ()

    def in_force(self, on):
        return self.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))


class BlacklistEntry(models.Model):
    """失信黑名单: a firm is on it while an entry is in force (DOMAIN.md §3)."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="blacklist_entries",
                             verbose_name=_("物业企业"))
    district = models.ForeignKey("communities.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("列入区"))
    reason = models.CharField(_("列入原因"), max_length=300)
    starts_on = models.DateField(_("列入日期"))
    ends_on = models.DateField(_("移出日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = BlacklistEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("失信黑名单")
        verbose_name_plural = _("失信黑名单")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                                   name="blacklist_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.firm} · {self.starts_on}"


def firm_is_blacklisted(firm_id: int, on) -> bool:
    return BlacklistEntry.objects.in_force(on).filter(firm_id=firm_id).exists()
