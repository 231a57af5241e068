"""The blacklist by rule (章贡区: 「存在严重失信行为和连续两年信用记分为70分及以下的企业，列入失信黑名单」,
「黑名单限期与失信记录存续期一致」) and its consequences.

- A confirmed serious record lists its firm the day it is confirmed, until the record's publication ends
  (`list_for_record`, one entry per record).
- A published yearly score at or below the policy's line, following a published one at or below it the
  year before, lists the firm the day the second is published (`list_for_year`, one entry per second
  score; 70 itself counts). The entry rests on the bad and serious records counted in the two years and
  still published; it lasts until the latest of their publication ends.
- An entry ends early when no record behind it is still published: repaired (信用修复) or withdrawn
  (objection upheld), each decided with a reason (`after_record_ended`). A listing resting on several
  records ends early only when the last of them is repaired or withdrawn.

While listed a firm may not apply for a star rating (ratings.services.applications), sign a new service
contract (enterprises.services.contract_create) or be in the public-benefit pool (taken out when listed;
enterprises.services.firm_update refuses to put it back); its estates' street offices are warned.
"""
from __future__ import annotations

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notices import Place, handoff
from communities.models import Estate

from ..models import (
    BlacklistBasis,
    BlacklistEntry,
    CreditKind,
    CreditRecord,
    CreditScore,
    CreditStatus,
    CreditYear,
    CreditYearStatus,
    Firm,
)
from .permissions import Unit, unit_place


def entry_in_force(firm_id: int, on: datetime.date) -> BlacklistEntry | None:
    return BlacklistEntry.objects.in_force(on).filter(firm_id=firm_id).order_by("starts_on", "pk").first()


def blacklist_refusal(firm_id: int, on: datetime.date, doing: str) -> str | None:
    """The message a service gives when a listed firm would do `doing` on `on` (None: not listed)."""
    entry = entry_in_force(firm_id, on)
    if entry is None:
        return None
    until = entry.ends_on.strftime("%Y-%m-%d") if entry.ends_on else _("未定")
    return _("%(f)s 已于 %(s)s 列入失信黑名单（%(r)s，列入期限至 %(u)s），列入期间不能%(d)s。") % {
        "f": entry.firm.name, "s": entry.starts_on.strftime("%Y-%m-%d"), "r": entry.reason, "u": until, "d": doing}


def _district_of(firm: Firm, preferred: int | None) -> int | None:
    """The district that lists: the recording district, else the firm's own, else that of an estate it serves."""
    if preferred:
        return preferred
    if firm.registered_district_id:
        return firm.registered_district_id
    return (Estate.objects.filter(firm=firm).order_by("pk")
            .values_list("community__street__district_id", flat=True).first())


def list_for_record(*, record: CreditRecord, today: datetime.date) -> BlacklistEntry:
    """A confirmed serious record lists its firm today, until the record's publication ends. Idempotent."""
    existing = BlacklistEntry.objects.filter(trigger_record=record).first()
    if existing is not None:
        return existing
    firm = Firm.objects.select_for_update().get(pk=record.firm_id)
    entry = BlacklistEntry.objects.create(
        firm=firm, district_id=_district_of(firm, record.recording_district_id),
        reason=(_("严重失信行为：%(t)s") % {"t": record.title})[:300],
        basis=BlacklistBasis.SERIOUS_RECORD, starts_on=today, ends_on=max(record.published_until, today),
        trigger_record=record)
    entry.records.add(record)
    _consequences(entry, firm)
    return entry


def _behind(firm_id: int, years: list[int], today: datetime.date):
    """Bad and serious records counted in `years` and still published today."""
    return CreditRecord.objects.filter(
        firm_id=firm_id, status=CreditStatus.CONFIRMED, confirmed_on__year__in=years,
        kind__in=[CreditKind.BAD, CreditKind.SERIOUS], published_until__gte=today)


def list_for_year(*, credit_year: CreditYear, today: datetime.date) -> list[BlacklistEntry]:
    """After `credit_year` is published: list every firm whose published score is at or below its year's
    line in two consecutive published years that include this one. Idempotent (one entry per pair)."""
    years = {cy.year: cy for cy in CreditYear.objects.filter(
        year__in=[credit_year.year - 1, credit_year.year, credit_year.year + 1],
        status=CreditYearStatus.PUBLISHED).select_related("policy")}
    entries = []
    for first_year in (credit_year.year - 1, credit_year.year):
        first, second = years.get(first_year), years.get(first_year + 1)
        if first is None or second is None:
            continue
        low_first = {s.firm_id: s for s in CreditScore.objects.filter(
            credit_year=first, score__lte=first.policy.blacklist_score)}
        for score in (CreditScore.objects.filter(credit_year=second, score__lte=second.policy.blacklist_score,
                                                 firm_id__in=list(low_first))
                      .select_related("firm").order_by("firm_id")):
            if BlacklistEntry.objects.filter(second_score=score).exists():
                continue
            firm = Firm.objects.select_for_update().get(pk=score.firm_id)
            behind = list(_behind(firm.pk, [first.year, second.year], today))
            ends = max([r.published_until for r in behind], default=today)
            entry = BlacklistEntry.objects.create(
                firm=firm, district_id=_district_of(firm, None), basis=BlacklistBasis.TWO_LOW_YEARS,
                reason=(_("连续两年信用记分为%(line)d分及以下（%(y1)d 年 %(s1)d 分，%(y2)d 年 %(s2)d 分）") % {
                    "line": second.policy.blacklist_score, "y1": first.year, "s1": low_first[firm.pk].score,
                    "y2": second.year, "s2": score.score})[:300],
                starts_on=today, ends_on=max(ends, today), first_score=low_first[firm.pk], second_score=score)
            entry.records.add(*behind)
            _consequences(entry, firm)
            entries.append(entry)
    return entries


def after_record_ended(*, record: CreditRecord, today: datetime.date, actor: User | None, reason: str) -> list[BlacklistEntry]:
    """A record behind listings was repaired or withdrawn: every listing with no other record still
    published ends today (removed_on = today, with the reason and who decided)."""
    ended = []
    for entry in (BlacklistEntry.objects.select_for_update(of=("self",))
                  .filter(records=record, removed_on__isnull=True)
                  .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))):
        still = entry.records.filter(status=CreditStatus.CONFIRMED, published_until__gte=today).exclude(pk=record.pk)
        if still.exists():
            continue
        entry.removed_on = max(today, entry.starts_on)
        entry.removal_reason = reason[:2000]
        entry.removed_by = actor
        entry._change_reason = _("提前移出失信黑名单")
        entry.save(update_fields=["removed_on", "removal_reason", "removed_by"])
        handoff("blacklist.removed", place=_listing_place(entry, firms=[entry.firm_id]), key=str(entry.pk),
                title=_("%(f)s 已移出失信黑名单") % {"f": entry.firm.name}, body=reason[:200],
                url=reverse("enterprises:credit_file", args=[entry.firm_id]), actor=actor)
        ended.append(entry)
    return ended


def _listing_place(entry: BlacklistEntry, **more) -> Place:
    """The listing district's keepers, or the city's administrators when no district listed the firm."""
    unit = unit_place(Unit(entry.district_id) if entry.district_id else Unit())
    return Place.of(districts=unit.districts, city=unit.city, **more)


def _consequences(entry: BlacklistEntry, firm: Firm) -> None:
    """Out of the public-benefit pool; the firm, the listing district and its estates' streets are told."""
    if firm.in_public_benefit_pool:
        firm.in_public_benefit_pool = False
        firm._change_reason = _("列入失信黑名单，移出公益性物业服务企业库")
        firm.save(update_fields=["in_public_benefit_pool"])
    url = reverse("enterprises:credit_file", args=[firm.pk])
    until = entry.ends_on.strftime("%Y-%m-%d") if entry.ends_on else _("未定")
    body = _("%(r)s。列入日期 %(s)s，列入期限至 %(u)s。列入期间不得申报星级评定、签订新的物业服务合同，"
             "不得进入公益性物业服务企业库。") % {"r": entry.reason, "s": entry.starts_on, "u": until}
    handoff("blacklist.listed", place=Place.of(firms=[firm.pk]), key=str(entry.pk),
            title=_("本企业已列入失信黑名单"), body=body, url=url)
    handoff("blacklist.letters_due", place=_listing_place(entry), key=str(entry.pk),
            title=_("%(f)s 已列入失信黑名单，请打印抄告函和建议函") % {"f": firm.name}, body=body,
            url=url)  # the credit file lists the entry with both letters to print
    streets = set(Estate.objects.filter(firm=firm).values_list("community__street_id", flat=True))
    handoff("blacklist.street_warned", place=Place.of(streets=streets), key=str(entry.pk),
            title=_("警示：%(f)s 已列入失信黑名单") % {"f": firm.name},
            body=_("本街道有该企业服务的小区。%(b)s") % {"b": body}, url=url)
