"""Writes of firm sanctions: record and withdraw a negative event (each re-evaluates the firm's year in the
district), the district's policy versions. Keyword-only, one transaction each; the clock comes in as `now`.

The rule (管城回族区 附件2 六(二)3), as the district's SanctionPolicy in force on the event's day says:
an active event of a kind the policy lists sanctions the firm for the event's calendar year at once; media
exposures are counted per firm, district and calendar year and the N-th (policy.media_threshold) sanctions
by itself. A sanctioning event writes one bad credit record through the credit service (its catalogue rule:
safety_accident for an accident, firm_disqualified for the others, media_exposure_third for the N-th
exposure), once per event. Withdrawing an event (the district, with a reason) lifts the sanction when no
other active event keeps it, and withdraws the credit records not yet confirmed.
"""
from __future__ import annotations

import datetime
import os

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import allows
from accounts.models import User
from accounts.notices import Place, handoff
from accounts.versions import version_in_force
from communities.models import District, Estate

from ..credit.permissions import Unit, keeps, units_of
from ..credit.policy import MEDIA_EXPOSURE_THIRD
from ..credit.records import DOCUMENT_EXTENSIONS, DOCUMENT_MAX_BYTES, credit_record_auto, credit_records_source_withdrawn
from ..models import CreditRecord, CreditStatus, Firm
from .models import EventKind, FirmSanction, NegativeEvent, NegativeEventFile, SanctionPolicy

# The credit catalogue's rule for each kind that sanctions at once (enterprises.credit.policy.DEFAULT_RULES).
CREDIT_RULES = {EventKind.SAFETY_ACCIDENT: "safety_accident", EventKind.PETITION: "firm_disqualified",
                EventKind.CRIME: "firm_disqualified", EventKind.OTHER: "firm_disqualified"}
MAX_FILES = 10


def policy_in_force(district_id: int, on: datetime.date) -> SanctionPolicy | None:
    return version_in_force(SanctionPolicy, district_id, on)


def event_url(event: NegativeEvent) -> str:
    return reverse("enterprises:sanction_event", args=[event.pk])


def media_count(firm_id: int, district_id: int, year: int) -> int:
    """Active media exposures of the firm recorded in the district for the calendar year."""
    return NegativeEvent.objects.active().filter(firm_id=firm_id, district_id=district_id, kind=EventKind.MEDIA,
                                                 occurred_on__year=year).count()


def sanction_reason(event: NegativeEvent, media_n: int | None = None) -> str:
    what = (_("%(y)d 年度第 %(n)d 次新闻媒体曝光") % {"y": event.occurred_on.year, "n": media_n}
            if event.kind == EventKind.MEDIA else event.get_kind_display())
    return _("企业发生重大负面事件（%(w)s）取消当年评比资格") % {"w": what}


def evaluate(firm_id: int, district_id: int, year: int) -> tuple[NegativeEvent, str] | None:
    """The first active event of the year that sanctions the firm under the policy in force on its day, with
    the reason; None when none does. Media exposures count in date order; the N-th one triggers."""
    media = 0
    for event in (NegativeEvent.objects.active().filter(firm_id=firm_id, district_id=district_id,
                                                        occurred_on__year=year).order_by("occurred_on", "pk")):
        policy = policy_in_force(district_id, event.occurred_on)
        if event.kind == EventKind.MEDIA:
            media += 1
            if policy is not None and policy.enabled and media >= policy.media_threshold:
                return event, sanction_reason(event, media)
        elif policy is not None and policy.sanctions(event.kind):
            return event, sanction_reason(event)
    return None


def _notice(sanction: FirmSanction, name: str, event: NegativeEvent, actor: User | None) -> int:
    title = {
        "sanction.imposed": _("%(f)s 被取消 %(y)d 年度评比资格"),
        "sanction.lifted": _("%(f)s %(y)d 年度评比资格已恢复"),
    }[name] % {"f": sanction.firm.name, "y": sanction.year}
    body = sanction.reason if name == "sanction.imposed" else sanction.lift_reason
    return handoff(name, place=Place.of(firms=[sanction.firm_id], districts=[sanction.district_id]),
                   key=f"{sanction.pk}:{event.pk}", title=title, body=body[:500], url=event_url(event), actor=actor)


def _apply(*, firm: Firm, district_id: int, year: int, now: datetime.datetime, actor: User | None,
           cause: NegativeEvent) -> FirmSanction | None:
    """Make the firm's sanction for the year what its active events say (the caller holds the firm's lock)."""
    result = evaluate(firm.pk, district_id, year)
    sanction = FirmSanction.objects.select_for_update().filter(firm=firm, district_id=district_id, year=year).first()
    if result is not None:
        trigger, reason = result
        if sanction is None:
            sanction = FirmSanction.objects.create(firm=firm, district_id=district_id, year=year, trigger=trigger,
                                                   reason=reason, imposed_at=now)
            imposed = True
        else:
            imposed = sanction.lifted_at is not None
            sanction.trigger, sanction.reason, sanction.lifted_at, sanction.lift_reason = trigger, reason, None, ""
            if imposed:
                sanction.imposed_at = now
            sanction.save()
        if trigger.kind == EventKind.MEDIA:
            _credit(trigger, MEDIA_EXPOSURE_THIRD, now, key=f"firm:{firm.pk}:{year}", title=reason)
        if imposed:
            _notice(sanction, "sanction.imposed", trigger, actor)
    elif sanction is not None and sanction.lifted_at is None:
        sanction.lifted_at = now
        sanction.lift_reason = _("事件“%(e)s”已撤销，%(y)d 年度不再有取消评比资格的事件：%(r)s") % {
            "e": cause.get_kind_display(), "y": year, "r": cause.withdrawal_reason}
        sanction.save(update_fields=["lifted_at", "lift_reason"])
        # The N-th exposure's credit record, not yet confirmed, goes with the sanction.
        for record in CreditRecord.objects.filter(rule_code=MEDIA_EXPOSURE_THIRD, source_key=f"firm:{firm.pk}:{year}",
                                                  status__in=[CreditStatus.PROPOSED, CreditStatus.NOTIFIED],
                                                  source_type__model="negativeevent"):
            credit_records_source_withdrawn(source=NegativeEvent(pk=record.source_id), now=now, actor=actor,
                                            reason=sanction.lift_reason)
        _notice(sanction, "sanction.lifted", cause, actor)
    return sanction


def _credit(event: NegativeEvent, rule_code: str, now: datetime.datetime, *, key: str | None = None,
            title: str = ""):
    """One bad credit record for the event (or, for the N-th exposure, the firm's year): the credit service."""
    return credit_record_auto(
        rule_code=rule_code, firm=event.firm_id, source=event, key=key, now=now, estate=event.estate,
        unit=Unit(event.district_id, event.street_id), occurred_on=event.occurred_on,
        recorded_by=event.recorded_by, manual_rule=True,
        title=title or _("%(k)s（%(d)s）") % {"k": event.get_kind_display(), "d": event.occurred_on},
        detail=event.description)


# --- who may ----------------------------------------------------------------------------------------------

def recording_units(user: User) -> list[Unit]:
    """The districts and streets `user` records events for (the credit keepers: credit.keep)."""
    return [u for u in units_of(user) if u.kind != "city"]


def record_refusal(user: User, firm: Firm, unit: Unit | None) -> str | None:
    if unit is None or unit.kind == "city" or not keeps(user, unit):
        return _("只有区住房保障服务中心或街道的工作人员可以记录重大负面事件。")
    if not Firm.objects.visible_to(user).filter(pk=firm.pk).exists():
        return _("该企业不在您的管辖范围内。")
    return None


def withdraw_refusal(user: User, event: NegativeEvent) -> str | None:
    if event.withdrawn_at is not None:
        return _("该事件已于 %(d)s 撤销。") % {"d": timezone.localtime(event.withdrawn_at).date()}
    if not keeps(user, Unit(event.district_id)):
        return _("只有%(d)s住房保障服务中心可以撤销重大负面事件。") % {"d": event.district.name}
    return None


# --- writes -----------------------------------------------------------------------------------------------

def _check_files(files: list) -> None:
    if not files:
        raise ValidationError({"files": _("请上传证明材料（事故认定书、媒体报道、信访记录等）。")})
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("证明材料最多 %(n)d 个文件。") % {"n": MAX_FILES}})
    for f in files:
        ext = f.name.rsplit(".", 1)[-1].lower() if "." in f.name else ""
        if ext not in DOCUMENT_EXTENSIONS:
            raise ValidationError({"files": _("“%(n)s”：证明材料须为 PDF、OFD、图片、Word 或 Excel 文件。") % {"n": f.name}})
        if f.size > DOCUMENT_MAX_BYTES:
            raise ValidationError({"files": _("“%(n)s”超过 10 MB。") % {"n": f.name}})


@transaction.atomic
def event_record(*, actor: User, firm: Firm, unit: Unit | None, kind: str, occurred_on: datetime.date | None,
                 description: str, files: list, now: datetime.datetime, estate: Estate | None = None) -> NegativeEvent:
    """记录 an event against the firm for a district or street; sanctions, credit and notices follow."""
    refusal = record_refusal(actor, firm, unit)
    if refusal:
        raise ValidationError(refusal)
    today = timezone.localdate(now)
    errors = {}
    if kind not in EventKind.values:
        errors["kind"] = _("请选择事件类型。")
    if occurred_on is None:
        errors["occurred_on"] = _("请填写发生日期。")
    elif occurred_on > today:
        errors["occurred_on"] = _("发生日期不能晚于今天。")
    if not (description or "").strip():
        errors["description"] = _("请填写事件经过。")
    if estate is not None:
        estates = Estate.objects.visible_to(actor).filter(community__street__district_id=unit.district_id)
        if unit.street_id:
            estates = estates.filter(community__street_id=unit.street_id)
        if not estates.filter(pk=estate.pk).exists():
            errors["estate"] = _("小区须在记录单位的辖区内。")
    if errors:
        raise ValidationError(errors)
    policy = policy_in_force(unit.district_id, occurred_on)
    if policy is None or not policy.enabled:
        district = District.objects.get(pk=unit.district_id)
        raise ValidationError(_("%(d)s在 %(o)s 未启用企业重大负面事件惩戒，不能记录。请区管理员先设置惩戒政策。") % {
            "d": district.name, "o": occurred_on})
    _check_files(files)
    firm = Firm.objects.select_for_update().get(pk=firm.pk)
    event = NegativeEvent.objects.create(firm=firm, district_id=unit.district_id, street_id=unit.street_id, kind=kind,
                                         occurred_on=occurred_on, estate=estate, description=description.strip(),
                                         recorded_by=actor, recorded_at=now)
    for f in files:
        NegativeEventFile.objects.create(event=event, file=f, name=os.path.basename(f.name)[:200])
    if policy.sanctions(kind):
        _credit(event, CREDIT_RULES[kind], now)
    _apply(firm=firm, district_id=event.district_id, year=occurred_on.year, now=now, actor=actor, cause=event)
    return event


@transaction.atomic
def event_withdraw(*, actor: User, event: NegativeEvent, reason: str, now: datetime.datetime) -> NegativeEvent:
    """撤销 a wrongly recorded event (the district, with a reason): it no longer counts; the sanction lifts when
    no other active event keeps it; its credit record, unless already confirmed, is withdrawn."""
    firm = Firm.objects.select_for_update().get(pk=event.firm_id)
    event = NegativeEvent.objects.select_for_update(of=("self",)).select_related("district").get(pk=event.pk)
    refusal = withdraw_refusal(actor, event)
    if refusal:
        raise ValidationError(refusal)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写撤销原因。")})
    event.withdrawn_at, event.withdrawn_by, event.withdrawal_reason = now, actor, reason.strip()
    event.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    credit_records_source_withdrawn(source=event, now=now, actor=actor,
                                    reason=_("重大负面事件已撤销：%(r)s") % {"r": reason.strip()})
    _apply(firm=firm, district_id=event.district_id, year=event.occurred_on.year, now=now, actor=actor, cause=event)
    return event


POLICY_FIELDS = ("enabled", "sanctioning_kinds", "media_threshold", "street_run_orders", "street_run_max_tier",
                 "street_run_deadline_days")


@transaction.atomic
def sanction_policy_create(*, actor: User, district: District, effective_from: datetime.date | None,
                           data: dict) -> SanctionPolicy:
    """A new version of the district's sanction policy (its administrator); a version is never edited."""
    if not allows(actor, "records.edit", level="district", unit_id=district.pk):
        raise ValidationError(_("只有本区管理员可以设置企业惩戒政策。"))
    errors = {}
    if effective_from is None:
        errors["effective_from"] = _("请填写生效日期。")
    elif SanctionPolicy.objects.filter(district=district, effective_from=effective_from).exists():
        errors["effective_from"] = _("该日期已有一个政策版本，请选择其他生效日期。")
    kinds = list(data.get("sanctioning_kinds") or [])
    if any(k not in EventKind.values or k == EventKind.MEDIA for k in kinds):
        errors["sanctioning_kinds"] = _("请从事件类型中选择（新闻媒体曝光按次数计算）。")
    checks = (("media_threshold", 1, 20, _("媒体曝光次数应为 1–20。")),
              ("street_run_max_tier", 0, 5, _("星级应为 0–5。")),
              ("street_run_deadline_days", 1, 120, _("整改期限应为 1–120 个工作日。")))
    for field, lo, hi, message in checks:
        value = data.get(field)
        if value is None or not lo <= int(value) <= hi:
            errors[field] = message
    if errors:
        raise ValidationError(errors)
    return SanctionPolicy.objects.create(
        district=district, effective_from=effective_from, created_by=actor, sanctioning_kinds=kinds,
        **{f: data[f] for f in POLICY_FIELDS if f != "sanctioning_kinds"})
