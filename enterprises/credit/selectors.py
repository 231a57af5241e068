"""Reads of the credit pages: a firm's file, the queues, the years, and the public pages."""
from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from accounts.models import User
from accounts.scope import scope_of

from ..models import (
    BlacklistEntry,
    CreditKind,
    CreditObjection,
    CreditRecord,
    CreditScore,
    CreditStatus,
    CreditYear,
    CreditYearStatus,
    Firm,
    ObjectionStatus,
)
from .permissions import CITY, KEEPER_ROLES, Unit, decides_serious, units_of

RECORD_RELATED = ("firm", "rule", "recording_district", "recording_street", "estate")


def sees_unpublished_scores(user: User) -> bool:
    """City administrators review the computed scores before they are published; everyone else sees
    published scores only."""
    return scope_of(user).city_admin


def firm_scores(user: User, firm: Firm):
    qs = CreditScore.objects.filter(firm=firm).select_related("credit_year").order_by("-credit_year__year")
    return qs if sees_unpublished_scores(user) else qs.filter(credit_year__status=CreditYearStatus.PUBLISHED)


def latest_published_score(firm_id: int) -> CreditScore | None:
    return (CreditScore.objects.published().filter(firm_id=firm_id).select_related("credit_year")
            .order_by("-credit_year__year").first())


def _unit_q(units: list[Unit], *, above: bool) -> Q:
    """Records whose recording unit (or, with above=True, the unit deciding its objections) is in `units`."""
    q = Q(pk__in=[])
    for unit in units:
        if above:
            if unit.kind == "city":
                q |= Q(recording_street__isnull=True)  # district and city units are decided by the city
            elif unit.kind == "district":
                q |= Q(recording_district_id=unit.district_id, recording_street__isnull=False)
        elif unit.kind == "city":
            q |= Q(recording_district__isnull=True)
        elif unit.kind == "district":
            q |= Q(recording_district_id=unit.district_id, recording_street__isnull=True)
        else:
            q |= Q(recording_street_id=unit.street_id)
    return q


def _not_theirs_serious(user: User, units: list[Unit], *, above: bool) -> Q:
    """Serious records of the units where `user` keeps the file but may not confirm, repair or unlist
    (district staff: accounts/capabilities.py "credit.serious"): they wait on someone else."""
    others = [u for u in units if not decides_serious(user, u)]
    return Q(kind=CreditKind.SERIOUS) & _unit_q(others, above=above)


def records_to_confirm(user: User):
    """Notified records of the units the user keeps (serious ones only for those who may list), no objection
    open, oldest first."""
    units = units_of(user)
    open_objection = CreditObjection.objects.filter(record=OuterRef("pk"), status=ObjectionStatus.OPEN)
    return (CreditRecord.objects.filter(status=CreditStatus.NOTIFIED).filter(_unit_q(units, above=False))
            .exclude(_not_theirs_serious(user, units, above=False))
            .exclude(Exists(open_objection)).select_related(*RECORD_RELATED).order_by("notified_at", "pk"))


def objections_to_decide(user: User):
    units = units_of(user)
    records = (CreditRecord.objects.filter(_unit_q(units, above=True))
               .exclude(_not_theirs_serious(user, units, above=True)))
    return (CreditObjection.objects.filter(status=ObjectionStatus.OPEN, record__in=records)
            .select_related("record__firm", "record__rule", "record__recording_district",
                            "record__recording_street", "submitted_by").order_by("submitted_at", "pk"))


def records_in_window(user: User, now: datetime.datetime):
    """For firm users: their records still open to objection."""
    firms = scope_of(user).ids("firm", edit=True)
    return (CreditRecord.objects.filter(firm_id__in=firms, status__in=[CreditStatus.NOTIFIED, CreditStatus.CONFIRMED],
                                        objection_deadline__gt=now, objections__isnull=True)
            .select_related(*RECORD_RELATED).order_by("objection_deadline", "pk"))


def published_years(n: int | None = None) -> list[int]:
    years = list(CreditYear.objects.filter(status=CreditYearStatus.PUBLISHED).order_by("-year")
                 .values_list("year", flat=True))
    return years[:n] if n else years


def scores_by_firm(firm_ids, years: list[int]) -> dict[tuple[int, int], CreditScore]:
    """(firm id, year) -> published score, one query."""
    return {(s.firm_id, s.credit_year.year): s for s in CreditScore.objects.published().filter(
        firm_id__in=list(firm_ids), credit_year__year__in=years).select_related("credit_year")}


def listed_firm_ids(firm_ids, on: datetime.date) -> set[int]:
    return set(BlacklistEntry.objects.in_force(on).filter(firm_id__in=list(firm_ids)).values_list("firm_id", flat=True))


def with_credit_columns(firms, on: datetime.date):
    """Firms annotated with their latest published score and level, and whether they are listed on `on`."""
    latest = (CreditScore.objects.published().filter(firm_id=OuterRef("pk")).order_by("-credit_year__year"))
    return firms.annotate(
        credit_score=Subquery(latest.values("score")[:1]), credit_level=Subquery(latest.values("level")[:1]),
        credit_year=Subquery(latest.values("credit_year__year")[:1]),
        listed=Exists(BlacklistEntry.objects.in_force(on).filter(firm_id=OuterRef("pk"))),
        open_records=Count("credit_records", filter=Q(credit_records__status=CreditStatus.NOTIFIED), distinct=True),
    )


# --- public (no login) ------------------------------------------------------------------------------------

def public_records(on: datetime.date):
    """Confirmed records inside their publication period: nothing proposed, notified, withdrawn, repaired or
    expired."""
    return CreditRecord.objects.public(on).select_related("firm", "rule", "recording_district", "recording_street")


def public_blacklist(on: datetime.date):
    return (BlacklistEntry.objects.in_force(on).select_related("firm", "district")
            .order_by("-starts_on", "firm__name", "pk"))


# --- what waits on a user (the menu's 待办, accounts/menu.py) ----------------------------------------------

def queue_rows(user: User) -> tuple:
    """(records to confirm, objections to decide): the two lists of the 信用待办 page for keepers, built
    for counting on every page without the street query `units_of` makes for the units' names (a street
    unit needs only its street id here: `_unit_q` reads nothing else of it, and street units decide no
    objections)."""
    scope = scope_of(user)
    units = [CITY] if scope.city_admin else []
    districts = set().union(*(scope.by_role.get(role, ()) for role in KEEPER_ROLES["district"]))
    units += [Unit(d) for d in sorted(districts)]
    units += [Unit(None, s) for s in sorted(set().union(*(scope.by_role.get(role, ())
                                                         for role in KEEPER_ROLES["street"])))]
    if not units:
        return CreditRecord.objects.none(), CreditObjection.objects.none()
    open_objection = CreditObjection.objects.filter(record=OuterRef("pk"), status=ObjectionStatus.OPEN)
    to_confirm = (CreditRecord.objects.filter(status=CreditStatus.NOTIFIED).filter(_unit_q(units, above=False))
                  .exclude(_not_theirs_serious(user, units, above=False)).exclude(Exists(open_objection)))
    to_decide = CreditObjection.objects.filter(status=ObjectionStatus.OPEN, record__in=CreditRecord.objects.filter(
        _unit_q(units, above=True)).exclude(_not_theirs_serious(user, units, above=True)))
    return to_confirm, to_decide


def years_to_review(user: User):
    """Credit years the city's administrators have still to review (已计算待审核) or publish (已审核待公布)."""
    if not sees_unpublished_scores(user):
        return CreditYear.objects.none()
    return CreditYear.objects.filter(status__in=[CreditYearStatus.COMPUTED, CreditYearStatus.REVIEWED])
