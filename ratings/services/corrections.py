"""After publication: a corrected result is a new version (评定结果更正), and the yearly re-check
(年度复查) is confirmed by the district, which may revoke plaques. Nothing published is edited in place."""
from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from communities.models import Estate
from enterprises.credit.writers import credit_for_recheck

from ..models import NoTierReason, PeriodStatus, RecheckDecision, StarRating
from ..selectors import held_rating, yearly_rating
from .periods import is_district_admin


def correction_refusal(user: User, rating: StarRating) -> str | None:
    """Why `user` may not correct `rating`, or None (the service and the page's form ask this)."""
    if not is_district_admin(user, rating.period.district_id):
        return _("只有本区管理员可以更正评定结果。")
    if rating.period.status != PeriodStatus.PUBLISHED:
        return _("评定结果公布后才能更正；公布前请通过申诉处理或重新计算调整。")
    if not rating.is_current:
        return _("该结果已有更正版本（第 %(v)d 版之后），请在最新版本上更正。") % {"v": rating.version}
    return None


COPIED_FIELDS = ("period_id", "estate_id", "firm_id", "inspection_count", "inspection_score", "opinion_score",
                 "satisfaction_score", "score", "computed_at")


@transaction.atomic
def rating_correct(*, actor: User, rating: StarRating, tier: int, reason: str,
                   now: datetime.datetime) -> StarRating:
    """A published rating corrected by the district admin, with a reason: a new version of the estate's
    result with the same components and score and the new tier; the old version stays (superseded)."""
    old = (StarRating.objects.select_for_update(of=("self",)).select_related("period")
           .get(pk=rating.pk))
    refusal = correction_refusal(actor, old)
    if refusal:
        raise ValidationError(refusal)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写更正原因。")})
    try:
        tier = int(tier)
    except (TypeError, ValueError):
        raise ValidationError({"tier": _("星级必须为 0–5。")})
    if not 0 <= tier <= 5:
        raise ValidationError({"tier": _("星级必须为 0–5。")})
    if tier == old.tier:
        raise ValidationError({"tier": _("更正后的星级与现有星级相同，无需更正。")})
    if tier:
        no_tier_reason = ""
    else:  # keep the computation's reason when it had one; otherwise say the correction took the star
        no_tier_reason = old.no_tier_reason if old.tier == 0 and old.no_tier_reason else NoTierReason.CORRECTED
    # The old row stops being current first (the unique constraint allows one current row), then the
    # new version is written and the old one points to it.
    old.superseded_at = now
    old.save(update_fields=["superseded_at"])
    new = StarRating.objects.create(
        **{f: getattr(old, f) for f in COPIED_FIELDS},
        tier=tier, no_tier_reason=no_tier_reason, version=old.version + 1,
        correction_reason=reason.strip(), corrected_by=actor, corrected_at=now,
    )
    old.superseded_by = new
    old.save(update_fields=["superseded_by"])
    return new


def rating_versions(rating: StarRating):
    """Every version of the rating's (period, estate) result, oldest first (the history panel)."""
    return (StarRating.objects.filter(period_id=rating.period_id, estate_id=rating.estate_id)
            .select_related("corrected_by").order_by("version"))


@transaction.atomic
def recheck_confirm(*, actor: User, estate: Estate, year: int, note: str = "",
                    now: datetime.datetime) -> RecheckDecision:
    """确认复查: the district admin records the estate's yearly re-check: the mean of the year's published
    quarters, the tier it earns (tier_after) against the tier its latest published quarter shows
    (tier_before). A decision that lowers the tier revokes that year's plaques above tier_after."""
    estate = Estate.objects.select_related("community__street__district").get(pk=estate.pk)
    district = estate.community.street.district
    if not is_district_admin(actor, district.pk):
        raise ValidationError(_("只有本区管理员可以确认年度复查。"))
    done = RecheckDecision.objects.filter(estate=estate, year=year).first()
    if done:
        raise ValidationError(_("“%(e)s”%(y)d 年度复查已于 %(d)s 确认，不能重复确认。") % {
            "e": estate.name, "y": year, "d": timezone.localtime(done.decided_at).date()})
    mean, tier_after = yearly_rating(estate, year)
    held = held_rating(estate.pk, year)
    if mean is None or held is None:
        raise ValidationError(_("“%(e)s”%(y)d 年度没有已公布的季度综合得分，不能复查。") % {
            "e": estate.name, "y": year})
    try:
        with transaction.atomic():
            decision = RecheckDecision.objects.create(estate=estate, year=year, mean_score=mean,
                                                      tier_before=held.tier, tier_after=tier_after,
                                                      decided_by=actor, decided_at=now, note=(note or "").strip())
    except IntegrityError:
        raise ValidationError(_("“%(e)s”%(y)d 年度复查已确认，不能重复确认。") % {"e": estate.name, "y": year})
    # The estate's yearly result at 3★ or more: a good record for the firm its plaque names (idempotent).
    credit_for_recheck(decision=decision, firm_id=held.firm_id, now=now)
    return decision
