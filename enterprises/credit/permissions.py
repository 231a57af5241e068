"""Who keeps a credit record and who decides about it: one question per action, asked by the services and
by the pages (to show a button or say why there is none).

A record belongs to a recording unit: the city (市住房管理中心), a district (区住房保障服务中心) or a street
office. The portal's own records belong to the district of the estate where the fact happened. Its
keepers confirm and repair it (city administrators; a district's administrators and staff; a street's
staff). Objections are decided one level above (street -> its district, district -> city, city -> city),
never by the person who objected, recorded or confirmed the record.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import allows, roles_at
from accounts.models import Role, User
from accounts.notices import Place
from accounts.scope import scope_of
from communities.models import District, Street

from ..models import CreditKind, CreditObjection, CreditRecord, CreditStatus, Firm, ObjectionStatus

# Who keeps a unit's records, and who may also confirm or repair its serious ones (which list a firm on the
# blacklist or take it off): accounts/capabilities.py "credit.keep" and "credit.serious".
KEEPER_ROLES = {"district": roles_at("credit.keep", "district"), "street": roles_at("credit.keep", "street")}


@dataclass(frozen=True)
class Unit:
    """A recording or deciding unit: the city (both None), a district, or a street (with its district)."""

    district_id: int | None = None
    street_id: int | None = None

    @property
    def kind(self) -> str:
        return "street" if self.street_id else "district" if self.district_id else "city"

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.street_id or self.district_id or 0}"

    def name(self) -> str:
        if self.street_id:
            return Street.objects.get(pk=self.street_id).name
        if self.district_id:
            return _("%(d)s住房保障服务中心") % {"d": District.objects.get(pk=self.district_id).name}
        return _("市住房管理中心")

    def above(self) -> "Unit":
        return Unit(self.district_id) if self.street_id else CITY


CITY = Unit()


def unit_of(record: CreditRecord) -> Unit:
    return Unit(record.recording_district_id, record.recording_street_id)


def is_city_admin(user: User) -> bool:
    return scope_of(user).city_admin


def keeps(user: User, unit: Unit) -> bool:
    """Does `user` act for `unit`?"""
    scope = scope_of(user)
    if unit.kind == "city":
        return scope.city_admin
    if unit.kind == "district":
        return any(scope.holds(role, unit.district_id) for role in KEEPER_ROLES["district"])
    return any(scope.holds(role, unit.street_id) for role in KEEPER_ROLES["street"])


def units_of(user: User) -> list[Unit]:
    """The units `user` acts for, city first."""
    scope = scope_of(user)
    units = [CITY] if scope.city_admin else []
    districts = set()
    for role in KEEPER_ROLES["district"]:
        districts |= set(scope.by_role.get(role, ()))
    units += [Unit(d) for d in sorted(districts)]
    streets = scope.by_role.get(Role.STREET_STAFF, ())
    if streets:
        units += [Unit(district_id, street_id) for street_id, district_id in
                  Street.objects.filter(pk__in=streets).order_by("pk").values_list("pk", "district_id")]
    return units


def unit_choices(user: User) -> list[tuple[str, str]]:
    return [(u.key, u.name()) for u in units_of(user)]


def unit_from_key(user: User, key: str) -> Unit | None:
    return next((u for u in units_of(user) if u.key == key), None)


def decides_serious(user: User, unit: Unit) -> bool:
    """May `user` confirm or repair a serious record of `unit`, or uphold an objection to one it decides?"""
    if unit.kind == "city":
        return scope_of(user).city_admin
    if unit.kind == "district":
        return allows(user, "credit.serious", level="district", unit_id=unit.district_id)
    return allows(user, "credit.serious", level="street", unit_id=unit.street_id)


def _serious_refusal(user: User, record: CreditRecord, unit: Unit, doing: str) -> str | None:
    if record.kind == CreditKind.SERIOUS and not decides_serious(user, unit):
        return _("严重失信记录%(doing)s，须由%(u)s的管理员办理。") % {"doing": doing, "u": unit.name()}
    return None


def is_firm_user_of(user: User, firm_id: int) -> bool:
    return firm_id in scope_of(user).ids("firm", edit=True)


# --- one refusal question per action ---------------------------------------------------------------------

def create_refusal(user: User, firm: Firm, unit: Unit | None) -> str | None:
    """Why `user` may not record a fact about `firm` for `unit`, or None."""
    if unit is None or not keeps(user, unit):
        return _("只有市住房管理中心、区住房保障服务中心或街道的工作人员可以录入信用记录。")
    if not Firm.objects.visible_to(user).filter(pk=firm.pk).exists():
        return _("该企业不在您的管辖范围内。")
    return None


def confirm_refusal(user: User, record: CreditRecord) -> str | None:
    if not keeps(user, unit_of(record)):
        return _("只有记录单位（%(u)s）可以确认该记录。") % {"u": record.recording_unit_name}
    serious = _serious_refusal(user, record, unit_of(record), _("确认后企业即列入失信黑名单"))
    if serious:
        return serious
    if record.status != CreditStatus.NOTIFIED:
        return _("该记录当前状态为“%(s)s”，不能确认。") % {"s": record.get_status_display()}
    if record.objections.filter(status=ObjectionStatus.OPEN).exists():
        return _("企业已对该记录提出异议，须待上级单位处理异议后再确认。")
    return None


def object_refusal(user: User, record: CreditRecord, now: datetime.datetime) -> str | None:
    if not is_firm_user_of(user, record.firm_id):
        return _("只有被记录的企业可以提出异议。")
    if record.status not in (CreditStatus.NOTIFIED, CreditStatus.CONFIRMED):
        return _("该记录当前状态为“%(s)s”，不能提出异议。") % {"s": record.get_status_display()}
    if record.objections.exists():
        return _("已对该记录提出过异议，不能重复提出。")
    if record.objection_deadline is None or now >= record.objection_deadline:
        return _("异议期已于 %(d)s 届满，不能再提出异议。") % {"d": _deadline_text(record.objection_deadline)}
    return None


def repair_refusal(user: User, record: CreditRecord) -> str | None:
    if not keeps(user, unit_of(record)):
        return _("只有记录单位（%(u)s）可以决定信用修复。") % {"u": record.recording_unit_name}
    serious = _serious_refusal(user, record, unit_of(record), _("修复后企业即移出失信黑名单"))
    if serious:
        return serious
    if record.status != CreditStatus.CONFIRMED:
        return _("只有已确认的记录可以信用修复；该记录当前状态为“%(s)s”。") % {"s": record.get_status_display()}
    return None


def decide_refusal(user: User, objection: CreditObjection) -> str | None:
    record = objection.record
    if objection.status != ObjectionStatus.OPEN:
        return _("该异议已处理。")
    if user.pk == objection.submitted_by_id or is_firm_user_of(user, record.firm_id):
        return _("不能处理本人或本企业提出的异议。")
    if user.pk in (record.recorded_by_id, record.confirmed_by_id):
        return _("记录人或确认人不能处理针对该记录的异议，请由上级单位处理。")
    deciding = unit_of(record).above()
    if not keeps(user, deciding):
        return _("异议由记录单位的上级单位（%(u)s）处理。") % {"u": deciding.name()}
    return _serious_refusal(user, record, deciding, _("的异议一经采纳，企业即移出失信黑名单"))


def _deadline_text(deadline: datetime.datetime | None) -> str:
    """The last day of a window ending at 00:00 (24:00 of the day before), as the clerk writes it."""
    if deadline is None:
        return "—"
    return (timezone.localtime(deadline) - datetime.timedelta(microseconds=1)).strftime("%Y-%m-%d")


def deadline_text(deadline: datetime.datetime | None) -> str:
    return _deadline_text(deadline)


def unit_place(unit: Unit) -> Place:
    """A unit as a place of accounts.notices, whose levels say who is told: the city (its administrators),
    a district (its administrators and staff, the keepers) or a street (with its district)."""
    if unit.kind == "city":
        return Place.of(city=True)
    if unit.kind == "street":
        return Place.of(streets=[unit.street_id], districts=[unit.district_id])
    return Place.of(districts=[unit.district_id])


def may_print_letters(user: User, entry) -> bool:
    """The listing district's keepers (or the city) print a listing's letters (抄告函, 建议函)."""
    return is_city_admin(user) or (entry.district_id is not None and keeps(user, Unit(entry.district_id)))
