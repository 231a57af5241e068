"""The yearly credit score and its life: computed (by the January job or `manage.py run_credit_year`),
reviewed, then published by the city (YEAR_TRANSITIONS; one CreditYearEvent per step, like a rating
period's, ratings/services/periods.py).

score = base + min(good points, cap) − bad points, kept within 0–100, from the records confirmed in that
calendar year (withdrawn ones never count; a record repaired later still counts in its year); level by the
policy's thresholds (AAA ≥ 85, AA ≥ 80, A ≥ 70, B ≥ 60, C below by default). The policy is the version in
force on the year's last day. Serious records count with their (negative) points.

Scored firms: those active in the year: filed with a district by its end, or serving an estate under a
contract on at least one of its days, or with a record confirmed in it.

The job computes a year once it is over and recomputes it on every run while it is only computed; a
reviewed or published year is left alone (the city sends a reviewed year back with a reason to recompute
it). Published scores never change; publishing lists the firms at or below the line two years running.
"""
from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.notices import Place, handoff

from ..models import (
    CreditPolicy,
    CreditRecord,
    CreditScore,
    CreditYear,
    CreditYearAction,
    CreditYearEvent,
    CreditYearStatus,
    Firm,
)
from . import blacklist
from .permissions import is_city_admin
from .policy import policy_for

Y = CreditYearStatus
YA = CreditYearAction
# action -> (statuses it starts from, status it leads to). Who may: city administrators (and the job, COMPUTE).
YEAR_TRANSITIONS = {
    YA.COMPUTE: (frozenset({Y.COMPUTED}), Y.COMPUTED),
    YA.RECOMPUTE: (frozenset({Y.REVIEWED}), Y.COMPUTED),
    YA.REVIEW: (frozenset({Y.COMPUTED}), Y.REVIEWED),
    YA.PUBLISH: (frozenset({Y.REVIEWED}), Y.PUBLISHED),
}
CITY_ONLY = gettext_lazy("只有市级管理员可以计算、审核和公布年度信用记分。")


def score_of(policy: CreditPolicy, good: int, bad: int) -> tuple[int, str]:
    """(score, level) from a year's good and bad points (bad as a positive number)."""
    score = max(0, min(100, policy.base_score + min(good, policy.good_cap) - bad))
    return score, policy.level_for(score)


def scored_firms(year: int):
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return Firm.objects.filter(
        Q(is_filed=True, filed_on__lte=last)
        | Q(pk__in=Firm.objects.filter(contracts__start_date__lte=last).filter(
            Q(contracts__ended_on__isnull=True) | Q(contracts__ended_on__gte=first)).values("pk"))
        | Q(pk__in=CreditRecord.objects.counted().filter(confirmed_on__year=year).values("firm_id")))


def compute_values(year: int, policy: CreditPolicy) -> dict[int, tuple[int, int, int, int, str]]:
    """firm id -> (good, bad, records, score, level) for every scored firm (two queries)."""
    sums = {
        row["firm_id"]: row for row in CreditRecord.objects.counted().filter(confirmed_on__year=year)
        .values("firm_id").order_by()
        .annotate(good=Coalesce(Sum("points", filter=Q(points__gt=0)), Value(0)),
                  bad=Coalesce(Sum("points", filter=Q(points__lt=0)), Value(0)), n=Count("pk"))
    }
    out = {}
    for firm_id in scored_firms(year).values_list("pk", flat=True):
        row = sums.get(firm_id, {"good": 0, "bad": 0, "n": 0})
        good, bad = row["good"], -row["bad"]
        out[firm_id] = (good, bad, row["n"], *score_of(policy, good, bad))
    return out


def _check_over(year: int, today: datetime.date) -> None:
    if year >= today.year:
        raise ValidationError(_("%(y)d 年尚未结束，不能计算年度信用记分。") % {"y": year})
    if year < 2000:
        raise ValidationError(_("年度无效。"))


def _locked_year(year: int) -> tuple[CreditYear, bool]:
    policy = policy_for(datetime.date(year, 12, 31))
    created = False
    try:
        with transaction.atomic():
            _obj, created = CreditYear.objects.get_or_create(year=year, defaults={"policy": policy})
    except IntegrityError:
        pass  # a concurrent run created it
    return CreditYear.objects.select_for_update().select_related("policy").get(year=year), created


def _compute(cy: CreditYear, now: datetime.datetime) -> None:
    """Make the year's stored scores equal the computation (writes only what differs)."""
    assert cy.status == Y.COMPUTED
    cy.policy = policy_for(datetime.date(cy.year, 12, 31))
    values = compute_values(cy.year, cy.policy)
    existing = {s.firm_id: s for s in CreditScore.objects.filter(credit_year=cy)}
    CreditScore.objects.filter(credit_year=cy).exclude(firm_id__in=list(values)).delete()
    fields = ("good_points", "bad_points", "record_count", "score", "level")
    new, changed = [], []
    for firm_id, v in values.items():
        row = existing.get(firm_id)
        if row is None:
            new.append(CreditScore(credit_year=cy, firm_id=firm_id, **dict(zip(fields, v))))
        elif tuple(getattr(row, f) for f in fields) != v:
            for f, value in zip(fields, v):
                setattr(row, f, value)
            changed.append(row)
    CreditScore.objects.bulk_create(new)
    CreditScore.objects.bulk_update(changed, fields)
    cy.computed_at = now
    cy.save(update_fields=["policy", "computed_at"])


def _event(cy: CreditYear, action: str, actor: User | None, before: str, now: datetime.datetime,
           comment: str = "") -> None:
    event = CreditYearEvent.objects.create(credit_year=cy, action=action, actor=actor, from_status=before,
                                           to_status=cy.status, comment=comment)
    CreditYearEvent.objects.filter(pk=event.pk).update(at=now)  # `at` is auto_now_add on the shared base


def credit_year_run(*, year: int, today: datetime.date, now: datetime.datetime,
                    actor: User | None = None) -> CreditYear:
    """The job (and `run_credit_year`, and 计算 on the page with `actor`): compute a finished year, or
    recompute it while it is only computed. A reviewed or published year is returned untouched. One
    transaction under a lock on the year's row: a second run, or a second worker, waits and then finds the
    same scores."""
    _check_over(year, today)
    if actor is not None and not is_city_admin(actor):
        raise ValidationError(str(CITY_ONLY))
    with transaction.atomic():
        cy, created = _locked_year(year)
        if cy.status != Y.COMPUTED:
            if actor is not None:
                raise ValidationError(credit_year_refusal(actor, cy, YA.COMPUTE, today))
            return cy
        _compute(cy, now)
        if created or actor is not None:
            _event(cy, YA.COMPUTE, actor, Y.COMPUTED if not created else "", now,
                   comment="" if actor is not None else _("定时任务自动计算"))
    return cy


def credit_year_scheduled(*, today: datetime.date, now: datetime.datetime) -> CreditYear | None:
    """Beat task body (January): compute the year just ended (idempotent, never touches a reviewed year)."""
    if today.month != 1:
        return None
    return credit_year_run(year=today.year - 1, today=today, now=now)


def credit_year_refusal(user: User, cy: CreditYear, action: str, today: datetime.date) -> str | None:
    """Why `user` may not take `action` on the year now, or None (the services and the page ask this)."""
    if not is_city_admin(user):
        return str(CITY_ONLY)
    sources, _target = YEAR_TRANSITIONS[action]
    if cy.status in sources:
        return None
    y = cy.year
    if cy.status == Y.PUBLISHED:
        return _("%(y)d 年度信用记分已公布，不能再计算、审核或公布。") % {"y": y}
    if cy.status == Y.REVIEWED:
        return {YA.COMPUTE: _("%(y)d 年度信用记分已审核，如需重新计算，请先填写原因退回。"),
                YA.REVIEW: _("%(y)d 年度信用记分已审核，不能重复审核。")}[action] % {"y": y}
    return {YA.RECOMPUTE: _("%(y)d 年度信用记分尚未审核，可直接重新计算。"),
            YA.PUBLISH: _("%(y)d 年度信用记分尚未审核，请先审核再公布。")}[action] % {"y": y}


def _move(cy: CreditYear, *, action: str, actor: User, today: datetime.date, now: datetime.datetime, stamp,
          comment: str = "") -> CreditYear:
    """One status step of a year: lock it, ask credit_year_refusal, set the status and the step's stamp
    fields, write the timeline event."""
    cy = CreditYear.objects.select_for_update().select_related("policy").get(pk=cy.pk)
    refusal = credit_year_refusal(actor, cy, action, today)
    if refusal:
        raise ValidationError(refusal)
    before = cy.status
    fields = stamp(cy)
    cy.status = YEAR_TRANSITIONS[action][1]
    for name, value in fields.items():
        setattr(cy, name, value)
    cy.save(update_fields=["status", *fields])
    _event(cy, action, actor, before, now, comment)
    return cy


@transaction.atomic
def credit_year_review(*, actor: User, credit_year: CreditYear, today: datetime.date,
                       now: datetime.datetime) -> CreditYear:
    """审核: the city has checked the computed scores."""
    return _move(credit_year, action=YA.REVIEW, actor=actor, today=today, now=now,
                 stamp=lambda cy: {"reviewed_at": now, "reviewed_by": actor})


@transaction.atomic
def credit_year_recompute(*, actor: User, credit_year: CreditYear, reason: str, today: datetime.date,
                          now: datetime.datetime) -> CreditYear:
    """退回重新计算 a reviewed year (e.g. an objection upheld after the year's end), with a reason."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写退回重新计算的原因。")})
    cy = _move(credit_year, action=YA.RECOMPUTE, actor=actor, today=today, now=now,
               stamp=lambda cy: {"reviewed_at": None, "reviewed_by": None}, comment=reason.strip())
    _compute(cy, now)
    return cy


@transaction.atomic
def credit_year_publish(*, actor: User, credit_year: CreditYear, today: datetime.date,
                        now: datetime.datetime) -> CreditYear:
    """公布: the scores are fixed from now on; firms at or below the line two years running are listed."""
    cy = _move(credit_year, action=YA.PUBLISH, actor=actor, today=today, now=now,
               stamp=lambda cy: {"published_at": now, "published_on": today, "published_by": actor})
    blacklist.list_for_year(credit_year=cy, today=today)
    for score in CreditScore.objects.filter(credit_year=cy).select_related("firm"):
        handoff("credit.score_published", place=Place.of(firms=[score.firm_id]), key=f"{cy.year}:{score.firm_id}",
                title=_("%(y)d 年度信用记分已公布：%(s)d 分（%(l)s 级）") % {
                    "y": cy.year, "s": score.score, "l": score.level},
                url=reverse("enterprises:credit_file", args=[score.firm_id]), actor=actor)
    return cy
