"""The quarterly rating job, the period's lifecycle (announce, recompute, publish) and appeals.

Score of an estate for a quarter (DOMAIN.md §5, our documented rounding):
  inspection component = mean of the totals of the quarter's submitted (not
  superseded) inspections, rounded half-up to 0.01 (the figure shown is the
  figure used);
  score = inspection × w_i/100 + opinion × w_o/100 + satisfaction × w_s/100,
  rounded half-up to 0.01; tier = highest tier whose threshold ≤ score.

A period's life (PERIOD_TRANSITIONS; every step but the nightly recompute
writes a PeriodEvent):
  待公示 (provisional): the nightly job computes the quarter from its run day
      on, every night, until the district announces it; the district admin
      may compute by hand too.
  公示中 (announced): the district announced the results once; the appeal
      window runs to announcement day + the policy's appeal days. The job
      leaves the period alone; only the district admin's recompute with a
      reason changes the results, and it reopens the window.
  已公布 (published): after the window, with every appeal decided. Results
      never change in place again; a correction is a new version
      (services/corrections.py).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, ProtectedError, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.bulk import insert_rows
from accounts.capabilities import allows
from accounts.models import User
from accounts.money import round_half_up
from accounts.notices import Place, handoff
from accounts.scope import scope_of
from communities.models import District, Estate
from enterprises.sanctions.orders import street_run_orders_for_period
from enterprises.sanctions.selectors import sanctioned_firm_ids, stale_results
from enterprises.selectors import Span, firm_on, firms_serving, spans_by_estate
from inspections.models import Inspection
from inspections.selectors import quarter_of

from ..models import (
    Appeal,
    AppealStatus,
    Application,
    ApplicationStatus,
    ComponentKind,
    ComponentScore,
    Disqualification,
    NoTierReason,
    PeriodAction,
    PeriodEvent,
    PeriodStatus,
    RatingPeriod,
    StarRating,
)
from .policy import ensure_default_policy, policy_for, tier_for

HUNDRED = Decimal("100")
P = PeriodStatus

# action -> (statuses it starts from, status it leads to). Who may: the district's admin, always.
PERIOD_TRANSITIONS = {
    PeriodAction.COMPUTE: (frozenset({P.PROVISIONAL, P.DISCARDED}), P.PROVISIONAL),
    PeriodAction.ANNOUNCE: (frozenset({P.PROVISIONAL}), P.ANNOUNCED),
    PeriodAction.RECOMPUTE: (frozenset({P.ANNOUNCED}), P.ANNOUNCED),
    PeriodAction.PUBLISH: (frozenset({P.ANNOUNCED}), P.PUBLISHED),
    PeriodAction.DISCARD: (frozenset({P.PROVISIONAL}), P.DISCARDED),
}


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    if not 1 <= quarter <= 4:
        raise ValidationError(_("季度必须为 1–4。"))
    return quarter_of(datetime.date(year, 3 * quarter - 2, 1))


def _locked_period(district: District, year: int, quarter: int) -> tuple[RatingPeriod, bool]:
    """Get or create the period row and lock it; a concurrent creator waits, then finds it.

    Returns (period, created); `created` is True for the one caller whose insert made the row.
    """
    _start, end = quarter_bounds(year, quarter)
    policy = policy_for(district.pk, end) or ensure_default_policy(district)
    created = False
    try:
        with transaction.atomic():
            _obj, created = RatingPeriod.objects.get_or_create(district=district, year=year, quarter=quarter,
                                                               defaults={"policy": policy})
    except IntegrityError:
        pass  # another worker created it first
    period = RatingPeriod.objects.select_for_update().select_related("policy").get(
        district=district, year=year, quarter=quarter)
    return period, created


# --- the computation ---------------------------------------------------------------------------------------

# The values a result row carries, in this order (computed_at aside).
VALUE_FIELDS = ("firm_id", "inspection_count", "inspection_score", "opinion_score", "satisfaction_score", "score",
                "tier", "no_tier_reason")


def rating_firm(spans: list[Span], first: datetime.date, last: datetime.date, fallback: int | None) -> int | None:
    """The firm a quarter's rating names: the one serving on the quarter's last day, else the last one
    that served in the quarter, else `fallback` (the application's firm). The rating belongs to the
    estate; every firm that served in the quarter may appeal it (appeal_submit)."""
    relevant = [s for s in spans if s.start <= last and (s.end is None or s.end >= first)]
    if not relevant:
        return fallback
    last_served = max(min(last, s.end or last) for s in relevant)
    return firm_on(relevant, last_served)


def participating(district_id: int, year: int):
    """The accepted applications of a district's year: the estates its quarters rate (compute_values and
    the preview read the same set)."""
    return Application.objects.filter(year=year, status=ApplicationStatus.ACCEPTED,
                                      estate__community__street__district_id=district_id)


def quarter_inspection_totals(district_id: int, start: datetime.date, end: datetime.date) -> dict[int, tuple]:
    """estate_id -> (number, sum of totals) of the inspections that count for a quarter (submitted, not
    superseded), for the estates of a district that have any."""
    return {
        estate_id: (n, s)
        for estate_id, n, s in Inspection.objects.counted()
        .filter(date__range=(start, end), estate__community__street__district_id=district_id)
        .values("estate_id").annotate(n=Count("pk"), s=Sum("total")).order_by().values_list("estate_id", "n", "s")
    }


def compute_values(period: RatingPeriod) -> dict[int, tuple]:
    """estate_id -> VALUE_FIELDS for every participating estate, computed from scratch (nothing is written).

    Withdrawn disqualifications do not count. An upheld appeal's adjusted tier wins over everything
    the computation says, a disqualification included, on every recompute.
    """
    policy = period.policy
    start, end = quarter_bounds(period.year, period.quarter)
    in_district = {"estate__community__street__district_id": period.district_id}
    applications = participating(period.district_id, period.year)
    participants = dict(applications.values_list("estate_id", "firm_id"))
    spans = spans_by_estate(applications.values("estate_id"))  # a subquery, not 12,000 ids
    inspections = quarter_inspection_totals(period.district_id, start, end)
    # One row per estate with both component scores (12,000 rows, not 24,000).
    components = {
        estate_id: (opinion, satisfaction)
        for estate_id, opinion, satisfaction in ComponentScore.objects.filter(
            year=period.year, quarter=period.quarter, **in_district).order_by().values("estate_id").annotate(
                opinion=Max("score", filter=Q(kind=ComponentKind.OPINION)),
                satisfaction=Max("score", filter=Q(kind=ComponentKind.SATISFACTION)))
        .values_list("estate_id", "opinion", "satisfaction")
    }
    disqualified = set(
        Disqualification.objects.filter(year=period.year, quarter=period.quarter, withdrawn_at__isnull=True,
                                        **in_district)
        .values_list("estate_id", flat=True)
    )
    # The latest upheld appeal with an adjusted tier, per estate (later decisions win).
    adjusted = dict(
        Appeal.objects.filter(rating__period=period, status=AppealStatus.UPHELD, adjusted_tier__isnull=False)
        .order_by("decided_at", "pk").values_list("rating__estate_id", "adjusted_tier")
    )
    # Firms sanctioned for the year (enterprises/sanctions): their estates lose the tier, whatever else says.
    sanctioned = sanctioned_firm_ids(period.district_id, period.year)
    w_i, w_o, w_s = (policy.weight_inspection / HUNDRED, policy.weight_opinion / HUNDRED,
                     policy.weight_satisfaction / HUNDRED)
    no_components = (None, None)
    values = {}
    for estate_id, app_firm_id in participants.items():
        n, total = inspections.get(estate_id, (0, None))
        insp = round_half_up(total / n) if n else None
        opinion, satisfaction = components.get(estate_id, no_components)
        score, tier, reason = None, 0, ""
        if insp is not None and opinion is not None and satisfaction is not None:
            score = round_half_up(insp * w_i + opinion * w_o + satisfaction * w_s)
        if estate_id in disqualified:
            reason = NoTierReason.DISQUALIFIED
        elif n == 0:
            reason = NoTierReason.NO_INSPECTION
        elif score is None:
            reason = NoTierReason.MISSING_COMPONENT
        else:
            tier = tier_for(policy, score)
            reason = "" if tier else NoTierReason.BELOW
        if estate_id in adjusted:
            tier = adjusted[estate_id]
            reason = "" if tier else (reason or NoTierReason.BELOW)
        firm_id = rating_firm(spans.get(estate_id, []), start, end, app_firm_id)
        if firm_id in sanctioned:
            tier, reason = 0, NoTierReason.FIRM_SANCTIONED
        values[estate_id] = (firm_id, n, insp, opinion, satisfaction, score, tier, str(reason))
    return values


def _write_results(period: RatingPeriod, values: dict[int, tuple], now) -> None:
    """Make the stored rows equal `values`, writing only what differs (a rerun on unchanged data writes nothing).

    Only ever called for a period that is not published, whose rows are all current first versions
    (corrections exist only after publication): it reads and writes current rows only.
    """
    assert period.status != PeriodStatus.PUBLISHED
    existing = {
        row[0]: (row[1], row[2:])
        for row in StarRating.objects.current().filter(period=period).values_list("estate_id", "pk", *VALUE_FIELDS)
    }
    gone = [pk for estate_id, (pk, _v) in existing.items() if estate_id not in values]
    if gone:
        appealed = (StarRating.objects.filter(pk__in=gone, appeals__isnull=False)
                    .values_list("estate__name", flat=True).distinct())
        if appealed:
            raise ValidationError(_("“%(e)s”已不再参评，但其结果已有申诉记录，不能从本期结果中移除；请先核实申报。")
                                  % {"e": "、".join(appealed)})
        StarRating.objects.filter(pk__in=gone).delete()
    # Raw inserts (COPY on PostgreSQL) get no Django defaults: the first version's own columns are written.
    fields = ("period_id", "estate_id", "version", "correction_reason", "computed_at", *VALUE_FIELDS)
    new, updated = [], []
    for estate_id, v in values.items():
        if estate_id not in existing:
            new.append((period.pk, estate_id, 1, "", now, *v))
        elif existing[estate_id][1] != v:
            updated.append((period.pk, estate_id, 1, "", now, *v))
    insert_rows(StarRating, fields, new)
    insert_rows(StarRating, fields, updated, conflict=("period_id", "estate_id", "version"), update=fields[4:])


def _compute(period: RatingPeriod, now: datetime.datetime) -> None:
    """(Re)compute a locked, unpublished period with the policy in force on the quarter's last day."""
    _start, end = quarter_bounds(period.year, period.quarter)
    period.policy = policy_for(period.district_id, end) or ensure_default_policy(period.district)
    _write_results(period, compute_values(period), now)
    period.computed_at = now
    period.save(update_fields=["policy", "computed_at"])

# action -> the event of accounts.notices.HANDOFFS it is (who is told)
PERIOD_NOTICES = {PeriodAction.ANNOUNCE: "period.announced", PeriodAction.RECOMPUTE: "period.recomputed",
                  PeriodAction.PUBLISH: "period.published"}


def _period_notice(period: RatingPeriod, event_name: str, event: PeriodEvent, actor: User) -> int:
    """Tell the firms of the period's current results (accounts.notices.HANDOFFS). Announced and published:
    once per period; recomputed: once per appeal deadline (a second recompute on the same day, which
    leaves the deadline where it was, tells the firms nothing new)."""
    firms = (StarRating.objects.current().filter(period=period, firm__isnull=False)
             .values_list("firm_id", flat=True).distinct())
    title = {
        "period.announced": _("%(d)s %(p)s 星级评定结果公示，申诉截止 %(a)s"),
        "period.recomputed": _("%(d)s %(p)s 星级评定结果已重新计算，申诉截止 %(a)s"),
        "period.published": _("%(d)s %(p)s 星级评定结果已公布"),
    }[event_name] % {"d": period.district.name, "p": period.label, "a": period.appeal_deadline}
    key = f"{period.pk}:{period.appeal_deadline}" if event_name == "period.recomputed" else str(period.pk)
    return handoff(event_name, place=Place.of(firms=firms, districts=[period.district_id]), key=key,
                   title=title, body=event.comment[:500], url=reverse("ratings:period_detail", args=[period.pk]),
                   actor=actor)


def _event(period: RatingPeriod, action: str, actor: User | None, from_status: str, comment: str = "") -> PeriodEvent:
    return PeriodEvent.objects.create(period=period, action=action, actor=actor, from_status=from_status,
                                      to_status=period.status, appeal_deadline=period.appeal_deadline,
                                      comment=comment)


def _check_ended(year: int, quarter: int, today: datetime.date) -> None:
    _start, end = quarter_bounds(year, quarter)
    if end >= today:
        raise ValidationError(_("%(y)dQ%(q)d 尚未结束，不能评定。") % {"y": year, "q": quarter})


def run_period(*, district: District, year: int, quarter: int, today: datetime.date,
               now: datetime.datetime) -> RatingPeriod:
    """The job: compute a district's provisional results for a quarter, until they are announced. Idempotent.

    `today` decides whether the quarter has ended; `now` stamps the computation (computed_at).

    One transaction under a lock on the period row: a second run, or a second
    worker, waits and then recomputes the same rows; the unique constraints and
    the upsert make duplicates impossible. An announced or published period is
    returned untouched (its appeal window never moves by the job). The first
    computation is recorded on the period's timeline.
    """
    _check_ended(year, quarter, today)
    with transaction.atomic():
        period, created = _locked_period(district, year, quarter)
        if period.status != PeriodStatus.PROVISIONAL:
            return period
        _compute(period, now)
        if created:
            _event(period, PeriodAction.COMPUTE, None, "", comment=_("定时任务自动计算"))
    return period


def run_all_districts(*, year: int, quarter: int, today: datetime.date, now: datetime.datetime,
                      district_ids: list[int] | None = None) -> list[RatingPeriod]:
    districts = District.objects.all() if district_ids is None else District.objects.filter(pk__in=district_ids)
    return [run_period(district=d, year=year, quarter=quarter, today=today, now=now) for d in districts]


def previous_quarter(today: datetime.date) -> tuple[int, int]:
    q = (today.month - 1) // 3 + 1
    return (today.year, q - 1) if q > 1 else (today.year - 1, 4)


def scheduled_run(*, today: datetime.date, now: datetime.datetime) -> list[RatingPeriod]:
    """Beat task body (daily): from each district's run day after a quarter ends, compute the quarter just
    ended, every day until the district announces it (run_period then leaves it alone)."""
    year, quarter = previous_quarter(today)
    _start, end = quarter_bounds(year, quarter)
    due = []
    for district in District.objects.all():
        policy = policy_for(district.pk, end) or ensure_default_policy(district)
        if (today - end).days >= policy.run_day:
            due.append(district.pk)
    return run_all_districts(year=year, quarter=quarter, today=today, now=now, district_ids=due)


# --- the lifecycle: one question per action ----------------------------------------------------------------

ADMIN_ONLY = {
    PeriodAction.COMPUTE: gettext_lazy("只有本区管理员可以计算评定结果。"),
    PeriodAction.ANNOUNCE: gettext_lazy("只有本区管理员可以公示评定结果。"),
    PeriodAction.RECOMPUTE: gettext_lazy("只有本区管理员可以重新计算评定结果。"),
    PeriodAction.PUBLISH: gettext_lazy("只有本区管理员可以确认和公布评定结果。"),
    PeriodAction.DISCARD: gettext_lazy("只有本区管理员可以作废暂定结果。"),
}


def is_district_admin(user: User, district_id: int) -> bool:
    """May `user` compute, announce, publish, discard or correct the district's ratings and decide appeals
    (accounts/capabilities.py "ratings.decide")?"""
    return allows(user, "ratings.decide", level="district", unit_id=district_id)


def period_refusal(user: User, period: RatingPeriod, action: str, today: datetime.date, *,
                   admin: bool | None = None) -> str | None:
    """Why `user` may not take `action` on `period` today, or None when they may.

    The one answer the services enforce and the period pages read to show a
    button, or the note that says why it is not offered. `admin` may pass an
    already known answer to "is the user the district's admin" (saves a query).
    """
    if admin is None:
        admin = is_district_admin(user, period.district_id)
    if not admin:
        return str(ADMIN_ONLY[action])
    p = period.label
    sources, _target = PERIOD_TRANSITIONS[action]
    if period.status not in sources:
        if period.status == P.PUBLISHED:
            return {
                PeriodAction.PUBLISH: _("%(p)s 评定结果已公布，不能重复公布。"),
                PeriodAction.ANNOUNCE: _("%(p)s 评定结果已公布。"),
                PeriodAction.DISCARD: _("%(p)s 评定结果已公布，不能作废；如需更正，请逐个小区办理评定结果更正。"),
            }.get(action, _("%(p)s 评定结果已公布，不能重新计算；如需更正，请逐个小区办理评定结果更正。")) % {"p": p}
        if period.status == P.ANNOUNCED:
            return {
                PeriodAction.ANNOUNCE: _("%(p)s 评定结果已于 %(d)s 公示，不能重复公示。"),
                PeriodAction.COMPUTE: _("%(p)s 评定结果已于 %(d)s 公示，不能直接重新计算；"
                                        "如需重新计算，请在评定期页面填写原因。"),
                PeriodAction.DISCARD: _("%(p)s 评定结果已于 %(d)s 公示，企业已看到结果，不能作废；"
                                        "如需更改，请填写原因重新计算。"),
            }[action] % {"p": p, "d": timezone.localtime(period.announced_at).date() if period.announced_at else "—"}
        if period.status == P.DISCARDED:
            return {
                PeriodAction.ANNOUNCE: _("%(p)s 暂定结果已作废：请先重新计算，核对后再公示。"),
                PeriodAction.RECOMPUTE: _("%(p)s 暂定结果已作废：请直接计算，不需填写原因。"),
                PeriodAction.PUBLISH: _("%(p)s 暂定结果已作废：请先计算并公示，申诉期满后再公布。"),
                PeriodAction.DISCARD: _("%(p)s 暂定结果已作废。"),
            }[action] % {"p": p}
        # provisional
        return {
            PeriodAction.RECOMPUTE: _("%(p)s 尚未公示，可直接计算，不需填写原因。"),
            PeriodAction.PUBLISH: _("%(p)s 尚未公示：请先公示，申诉期满且申诉处理完毕后再公布。"),
        }[action] % {"p": p}
    if action == PeriodAction.ANNOUNCE and period.computed_at is None:
        return _("请先计算本期评定结果。")
    if action == PeriodAction.PUBLISH:
        if period.appeal_deadline and today <= period.appeal_deadline:
            return _("申诉期至 %(d)s 结束，申诉期内不能公布。") % {"d": period.appeal_deadline}
        if Appeal.objects.filter(rating__period=period, status=AppealStatus.OPEN).exists():
            return _("还有未处理的申诉，请先处理后再公布。")
        stale = stale_results(period)
        if stale:
            return _("计算后企业取消当年评比资格的情况有变（%(e)s），请先重新计算本期结果再公布。") % {
                "e": "、".join(stale[:5]) + ("等" if len(stale) > 5 else "")}
    return None


def _refuse_unless_allowed(actor: User, period: RatingPeriod, action: str, today: datetime.date) -> None:
    refusal = period_refusal(actor, period, action, today)
    if refusal:
        raise ValidationError(refusal)


# --- computing by hand: the preview, the confirmation, the run ----------------------------------------------

def most_uninspected(uninspected: int, total: int) -> bool:
    """Whether more than half of a quarter's participants have no inspection: computing it then needs the
    district admin's explicit confirmation (period_run(confirmed=True))."""
    return uninspected * 2 > total


CONFIRM_LABEL = gettext_lazy("我已知晓多数小区本季度无检查记录，仍要计算")


@dataclass
class PeriodPreview:
    """What computing a district's quarter would rate, read before it runs (nothing is written).

    `inspected` / `uninspected`: the participating estates (accepted applications of the year) with and
    without an inspection that counts in the quarter, each with `.inspection_count`; `period` the
    existing period row, if any; `refusal` why computing is refused today (None: it may run)."""

    district: District
    year: int
    quarter: int
    start: datetime.date
    end: datetime.date
    inspected: list
    uninspected: list
    period: RatingPeriod | None
    refusal: str | None

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def total(self) -> int:
        return len(self.inspected) + len(self.uninspected)

    @property
    def needs_confirmation(self) -> bool:
        return most_uninspected(len(self.uninspected), self.total)


def compute_refusal(user: User, district: District, year: int, quarter: int, today: datetime.date, *,
                    period: RatingPeriod | None = None) -> str | None:
    """Why `user` may not compute the district's quarter today, or None (the page shows it beside a
    disabled 计算 button; period_run raises the same)."""
    if not is_district_admin(user, district.pk):
        return str(ADMIN_ONLY[PeriodAction.COMPUTE])
    _start, end = quarter_bounds(year, quarter)
    if end >= today:
        return _("%(y)dQ%(q)d 尚未结束，不能评定。") % {"y": year, "q": quarter}
    if period is not None:
        return period_refusal(user, period, PeriodAction.COMPUTE, today, admin=True)
    return None


def period_preview(*, user: User, district: District, year: int, quarter: int,
                   today: datetime.date) -> PeriodPreview:
    """The preview the run page shows before 计算: who will be rated with and without inspections."""
    start, end = quarter_bounds(year, quarter)
    counts = quarter_inspection_totals(district.pk, start, end)
    estates = (Estate.objects.filter(pk__in=participating(district.pk, year).values("estate_id"))
               .select_related("community__street").order_by("community__street__name", "name", "pk"))
    inspected, uninspected = [], []
    for estate in estates:
        estate.inspection_count = counts.get(estate.pk, (0, None))[0]
        (inspected if estate.inspection_count else uninspected).append(estate)
    period = RatingPeriod.objects.filter(district=district, year=year, quarter=quarter).first()
    return PeriodPreview(district=district, year=year, quarter=quarter, start=start, end=end,
                         inspected=inspected, uninspected=uninspected, period=period,
                         refusal=compute_refusal(user, district, year, quarter, today, period=period))


def _refuse_unconfirmed(period: RatingPeriod, confirmed: bool) -> str:
    """Refuse computing a quarter where most participants have no inspection unless `confirmed`; returns
    the note the timeline keeps of a confirmed one ("" when no confirmation was needed)."""
    start, end = quarter_bounds(period.year, period.quarter)
    participants = set(participating(period.district_id, period.year).values_list("estate_id", flat=True))
    uninspected = len(participants - set(quarter_inspection_totals(period.district_id, start, end)))
    if not most_uninspected(uninspected, len(participants)):
        return ""
    names = {"p": period.label, "n": len(participants), "m": uninspected, "c": CONFIRM_LABEL}
    if not confirmed:
        raise ValidationError({"confirm": _(
            "%(p)s 的 %(n)d 个参评小区中有 %(m)d 个本季度没有检查记录，计算后将显示为“未评星”。"
            "如确需计算，请勾选“%(c)s”后再提交。") % names})
    return _("已确认：%(n)d 个参评小区中有 %(m)d 个本季度没有检查记录。") % names


def period_run(*, actor: User, district: District, year: int, quarter: int, today: datetime.date,
               now: datetime.datetime, confirmed: bool = False) -> RatingPeriod:
    """计算 by hand (the periods page): the job's computation of a quarter not yet announced, recorded.

    When more than half of the participants have no inspection in the quarter, it runs only with
    `confirmed` (the page's checkbox, CONFIRM_LABEL). A discarded period becomes provisional again."""
    if not is_district_admin(actor, district.pk):
        raise ValidationError(str(ADMIN_ONLY[PeriodAction.COMPUTE]))
    _check_ended(year, quarter, today)
    with transaction.atomic():
        period, _created = _locked_period(district, year, quarter)
        _refuse_unless_allowed(actor, period, PeriodAction.COMPUTE, today)
        note = _refuse_unconfirmed(period, confirmed)
        before = period.status
        if before != P.PROVISIONAL:
            period.status = P.PROVISIONAL
            period.save(update_fields=["status"])
        _compute(period, now)
        _event(period, PeriodAction.COMPUTE, actor, before, comment=note)
    return period


@transaction.atomic
def period_discard(*, actor: User, period: RatingPeriod, reason: str, today: datetime.date) -> RatingPeriod:
    """作废 a computation that was never announced (公示): by the district admin, with a reason.

    The results are removed (nothing refers to them: appeals need the announcement, payouts and plaques
    published results, and firms never saw them, so nobody is notified); the period stays, marked
    已作废, with the event (who, when, the reason, how many results) on its timeline. The nightly job
    leaves a discarded period alone; the district may compute it again by hand (period_run)."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写作废的原因。")})
    period = _locked(period)
    _refuse_unless_allowed(actor, period, PeriodAction.DISCARD, today)
    results = StarRating.objects.filter(period=period)
    total = results.count()
    uninspected = results.filter(inspection_count=0).count()
    try:
        results.delete()
    except ProtectedError:  # cannot happen for a never-announced period; refuse rather than half-write
        raise ValidationError(_("%(p)s 的暂定结果已被其他记录引用，不能作废。") % {"p": period.label}) from None
    before = period.status
    period.status = P.DISCARDED
    period.computed_at = None
    period.save(update_fields=["status", "computed_at"])
    PeriodEvent.objects.create(period=period, action=PeriodAction.DISCARD, actor=actor, from_status=before,
                               to_status=period.status, comment=reason.strip(), discarded_results=total,
                               discarded_uninspected=uninspected)
    return period


def _locked(period: RatingPeriod) -> RatingPeriod:
    return RatingPeriod.objects.select_for_update().select_related("policy", "district").get(pk=period.pk)


def _move(period: RatingPeriod, *, action: str, to: str, actor: User, today: datetime.date, stamp) -> RatingPeriod:
    """One status step of a period: lock it, ask period_refusal, set the status and the step's stamp fields
    (`stamp(locked period) -> {field: value}`), and write the timeline event."""
    period = _locked(period)
    _refuse_unless_allowed(actor, period, action, today)
    before = period.status
    fields = stamp(period)
    period.status = to
    for name, value in fields.items():
        setattr(period, name, value)
    period.save(update_fields=["status", *fields])
    event = _event(period, action, actor, before)
    _period_notice(period, PERIOD_NOTICES[action], event, actor)
    return period


@transaction.atomic
def period_announce(*, actor: User, period: RatingPeriod, today: datetime.date,
                    now: datetime.datetime) -> RatingPeriod:
    """公示: once, by the district admin; opens the appeal window to today + the policy's appeal days."""
    return _move(period, action=PeriodAction.ANNOUNCE, to=P.ANNOUNCED, actor=actor, today=today,
                 stamp=lambda p: {"announced_at": now, "announced_by": actor,
                                  "appeal_deadline": today + datetime.timedelta(days=p.policy.appeal_days)})


@transaction.atomic
def period_recompute(*, actor: User, period: RatingPeriod, reason: str, today: datetime.date,
                     now: datetime.datetime) -> RatingPeriod:
    """重新计算 after the announcement: by the district admin, with a reason; reopens the appeal window
    (new deadline = today + appeal days). Upheld appeals keep their adjusted tiers."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写重新计算的原因。")})
    period = _locked(period)
    _refuse_unless_allowed(actor, period, PeriodAction.RECOMPUTE, today)
    _compute(period, now)
    period.appeal_deadline = today + datetime.timedelta(days=period.policy.appeal_days)
    period.save(update_fields=["appeal_deadline"])
    event = _event(period, PeriodAction.RECOMPUTE, actor, period.status, comment=reason.strip())
    _period_notice(period, PERIOD_NOTICES[PeriodAction.RECOMPUTE], event, actor)
    return period


@transaction.atomic
def period_publish(*, actor: User, period: RatingPeriod, today: datetime.date,
                   now: datetime.datetime) -> RatingPeriod:
    """确认并公布: announced, the appeal window over (today > deadline), no open appeal."""
    period = _move(period, action=PeriodAction.PUBLISH, to=P.PUBLISHED, actor=actor, today=today,
                   stamp=lambda p: {"published_at": now, "published_by": actor})
    # Street-run firms at 1★ or below, or not taking part: one rectification order per estate (enterprises/sanctions).
    street_run_orders_for_period(period=period, actor=actor, now=now)
    return period


# --- appeals -----------------------------------------------------------------------------------------------

def appealing_firm(user: User, rating: StarRating) -> int | None:
    """The user's firm that may appeal `rating`: one that served the estate on at least one day of the
    rating's quarter (the rating belongs to the estate, DOMAIN.md §5), or None."""
    mine = scope_of(user).ids("firm", edit=True)
    if not mine:
        return None
    start, end = quarter_bounds(rating.period.year, rating.period.quarter)
    return next((f for f in firms_serving(rating.estate_id, start, end) if f in mine), None)


def appeal_refusal(user: User, rating: StarRating, today: datetime.date) -> str | None:
    """Why `user` may not appeal `rating` today, or None (the service and the page's form ask this)."""
    if appealing_firm(user, rating) is None:
        return _("只能对本企业服务过的小区的评定结果申诉。")
    if not rating.is_current:
        return _("该结果已有更正版本，不能再申诉。")
    period = rating.period
    if period.status == P.PROVISIONAL:
        return _("本期评定结果尚未公示，公示后才能申诉。")
    if period.status == P.PUBLISHED or today > period.appeal_deadline:
        return _("申诉期已过（截止 %(d)s），不能再申诉。") % {"d": period.appeal_deadline}
    return None


@transaction.atomic
def appeal_submit(*, actor: User, rating: StarRating, reason: str, today: datetime.date) -> Appeal:
    rating = StarRating.objects.select_related("period").select_for_update(of=("self",)).get(pk=rating.pk)
    refusal = appeal_refusal(actor, rating, today)
    if refusal:
        raise ValidationError(refusal)
    if not reason.strip():
        raise ValidationError({"reason": _("请填写申诉理由。")})
    if Appeal.objects.filter(rating=rating, status=AppealStatus.OPEN).exists():
        raise ValidationError(_("该结果已有待处理的申诉。"))
    appeal = Appeal.objects.create(rating=rating, firm_id=appealing_firm(actor, rating), reason=reason.strip(),
                                   submitted_by=actor)
    _appeal_notice(appeal, "appeal.filed", actor)
    return appeal


def _appeal_notice(appeal: Appeal, event_name: str, actor: User) -> int:
    """Filed: the district's admins (to decide); decided: the appealing firm (accounts.notices.HANDOFFS)."""
    rating = appeal.rating
    names = {"e": rating.estate.name, "p": rating.period.label}
    if event_name == "appeal.filed":
        title, body = _("“%(e)s”%(p)s 评定结果有新的申诉，请处理") % names, appeal.reason
    else:
        title = _("“%(e)s”%(p)s 评定结果的申诉已处理：%(s)s") % {**names, "s": appeal.get_status_display()}
        body = appeal.decision
    return handoff(event_name, place=Place.of(firms=[appeal.firm_id], districts=[rating.period.district_id]),
                   key=str(appeal.pk), title=title, body=body[:500],
                   url=reverse("ratings:rating_detail", args=[rating.pk]), actor=actor)


@transaction.atomic
def appeal_decide(*, actor: User, appeal: Appeal, upheld: bool, decision: str, now: datetime.datetime,
                  adjusted_tier: int | None = None) -> Appeal:
    """The district admin decides an appeal while the period is announced. An upheld appeal's adjusted
    tier is written to the rating now and wins on every recompute (compute_values)."""
    appeal = Appeal.objects.select_for_update(of=("self",)).select_related("rating__period").get(pk=appeal.pk)
    period = appeal.rating.period
    if not is_district_admin(actor, period.district_id):
        raise ValidationError(_("只有本区管理员可以处理申诉。"))
    if appeal.status != AppealStatus.OPEN:
        raise ValidationError(_("该申诉已处理。"))
    if period.status == P.PUBLISHED:
        raise ValidationError(_("本期结果已公布，不能再处理申诉。"))
    if not decision.strip():
        raise ValidationError({"decision": _("请填写处理意见。")})
    if upheld and adjusted_tier is not None and not 0 <= adjusted_tier <= 5:
        raise ValidationError({"adjusted_tier": _("星级必须为 0–5。")})
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED
    appeal.decision = decision.strip()
    appeal.adjusted_tier = adjusted_tier if upheld else None
    appeal.decided_by = actor
    appeal.decided_at = now
    appeal.save()
    if upheld and adjusted_tier is not None:
        rating = appeal.rating
        rating.tier = adjusted_tier
        rating.no_tier_reason = "" if adjusted_tier else (rating.no_tier_reason or NoTierReason.BELOW)
        rating.save(update_fields=["tier", "no_tier_reason"])
    _appeal_notice(appeal, "appeal.decided", actor)
    return appeal
