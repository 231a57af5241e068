"""Reads of firm sanctions: what the ratings app asks, and the status on the firm's page."""
from __future__ import annotations

from django.utils.translation import gettext as _

from .models import FirmSanction, StreetRunOrder


def sanctioned_firm_ids(district_id: int, year: int) -> set[int]:
    """The firms that lost eligibility for the district's ratings of `year` (active sanctions)."""
    return set(FirmSanction.objects.active().filter(district_id=district_id, year=year)
               .values_list("firm_id", flat=True))


def application_refusal(firm_id: int, district_id: int, year: int) -> str | None:
    """Why the firm may not apply for a star rating of `year` in the district (管城 附件2 六(二)3), or None."""
    sanction = FirmSanction.objects.active().filter(firm_id=firm_id, district_id=district_id, year=year).first()
    if sanction is None:
        return None
    return _("贵企业%(r)s，不得申报 %(y)d 年度星级评定。") % {"r": sanction.reason.replace("企业", "", 1), "y": year}


def stale_results(period) -> list[str]:
    """Estates of a period whose current results disagree with the sanctions in force now (a sanction
    recorded or lifted after the last computation): the period must be recomputed before publication."""
    from ratings.models import NoTierReason, StarRating  # ratings sits above this app: read lazily

    sanctioned = sanctioned_firm_ids(period.district_id, period.year)
    stale = []
    for name, firm_id, reason in (StarRating.objects.current().filter(period=period)
                                  .values_list("estate__name", "firm_id", "no_tier_reason").order_by("estate__name")):
        if (firm_id in sanctioned) != (reason == NoTierReason.FIRM_SANCTIONED):
            stale.append(name)
    return stale


def open_street_run_orders(firm_id: int):
    """The firm's automatic street-run orders whose rectification order is still open."""
    from inspections.models import RectificationOrder  # inspections sits above this app: read lazily

    rows = list(StreetRunOrder.objects.filter(firm_id=firm_id).select_related("estate"))
    open_ids = set(RectificationOrder.objects.open().filter(pk__in=[r.order_id for r in rows])
                   .values_list("pk", flat=True))
    return [r for r in rows if r.order_id in open_ids]


def demonstration_status(firm) -> list[dict]:
    """Why the firm may not apply for demonstration projects now: active sanctions (per year) and open
    street-run rectification orders. Empty: nothing stops it."""
    lines = []
    for s in FirmSanction.objects.active().filter(firm=firm).select_related("district", "trigger").order_by("-year"):
        lines.append({"text": _("不得申报示范项目（%(y)d 年度）") % {"y": s.year}, "reason": s.reason,
                      "district": s.district.name, "event": s.trigger})
    for r in open_street_run_orders(firm.pk):
        lines.append({"text": _("不得申报示范项目（整改期间）"), "order_id": r.order_id,
                      "reason": _("“%(e)s”%(y)dQ%(q)d 星级评定一星级（含）以下或未参评，责令限期整改") % {
                          "e": r.estate.name, "y": r.year, "q": r.quarter}})
    return lines
