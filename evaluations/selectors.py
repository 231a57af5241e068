"""Reads of the two-way evaluation: the window, who evaluates whom, what is still to fill, the results and
who may see them.

Who evaluates whom (one definition, used by the pages, the service and the 待办 count):
- a street, and a community, evaluate every firm that served one of its estates in the campaign's year up to
  the day (a service contract covering a day of the year no later than today);
- a firm evaluates the street and community offices of the estates it served so (in the campaign's district);
- an owners' committee (业主委员会, active, on an estate of the district) evaluates the street and community of
  its estate; its paper questionnaire is entered by a clerk of that street or community. A 物业管理委员会
  does not evaluate: it is led by the street it would be evaluating.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.money import round_half_up
from accounts.scope import scope_of
from communities.models import CommitteeKind, Community, OwnerCommittee, Street
from enterprises.models import Firm, ServiceContract

from .models import (
    EVALUATOR_FIELDS,
    PAIRS,
    TARGET_FIELDS,
    Answer,
    Campaign,
    CampaignStatus,
    Question,
    QuestionKind,
    Response,
    UnitKind,
)

K = UnitKind
LIVE = (CampaignStatus.PUBLISHED, CampaignStatus.CONFIRMED)
MODELS = {K.FIRM: Firm, K.STREET: Street, K.COMMUNITY: Community, K.COMMITTEE: OwnerCommittee}
# From a target row to its district (a firm has none: the evaluator's district is the campaign's).
TARGET_DISTRICT = {K.STREET: "district", K.COMMUNITY: "street__district"}
FILLER_ROLES = {K.STREET: Role.STREET_STAFF, K.COMMUNITY: Role.COMMUNITY_CLERK, K.FIRM: Role.FIRM_USER}


# --- the window ------------------------------------------------------------------------------------------------

def fill_refusal(campaign: Campaign, today: datetime.date) -> str | None:
    """Why nothing may be filled in `campaign` on `today`, with the window's dates; None inside the window."""
    dates = {"o": campaign.opens_on.strftime("%Y-%m-%d"), "c": campaign.closes_on.strftime("%Y-%m-%d"),
             "y": campaign.year}
    if campaign.status == CampaignStatus.DRAFT:
        return _("%(y)d 年度评价尚未发布。") % dates
    if today < campaign.opens_on:
        return _("%(y)d 年度评价填报时间为 %(o)s 至 %(c)s，尚未开始。") % dates
    if today > campaign.closes_on:
        return _("%(y)d 年度评价填报时间为 %(o)s 至 %(c)s，已经截止。") % dates
    return None


# --- who evaluates whom ----------------------------------------------------------------------------------------

def _served(year, today: datetime.date) -> Q:
    """Contracts covering a day of `year` (an int, or OuterRef to the campaign's year) no later than `today`."""
    return (Q(start_date__lte=today, start_date__year__lte=year)
            & (Q(ended_on__isnull=True) | Q(ended_on__year__gte=year)))


def _contract_link(evaluator_kind: str, evaluator_id: int, target_kind: str) -> dict:
    """The contract lookups tying the evaluator to a target row (OuterRef("pk"))."""
    if target_kind == K.FIRM:
        place = "estate__community__street" if evaluator_kind == K.STREET else "estate__community"
        return {"firm": OuterRef("pk"), place: evaluator_id}
    place = "estate__community__street" if target_kind == K.STREET else "estate__community"
    return {"firm": evaluator_id, place: OuterRef("pk")}


def open_campaigns(today: datetime.date):
    return Campaign.objects.filter(status__in=LIVE, opens_on__lte=today, closes_on__gte=today)


def targets(evaluator_kind: str, evaluator_id: int, target_kind: str, today: datetime.date, *,
            campaign: Campaign | None = None, pending: bool = False):
    """The target rows the evaluator evaluates in `campaign` (or, without one, in the campaign open today in
    the target's district: the 待办 count, built without running a query). `pending`: those not yet done."""
    qs = MODELS[target_kind].objects.all()
    if campaign is None:
        opened = open_campaigns(today)
        if target_kind == K.FIRM:
            opened = opened.filter(**{"district__streets" if evaluator_kind == K.STREET
                                      else "district__streets__communities": evaluator_id})
        else:
            opened = opened.filter(district=OuterRef(TARGET_DISTRICT[target_kind]))
        qs = qs.annotate(cid=Subquery(opened.values("pk")[:1]), cyear=Subquery(opened.values("year")[:1])
                         ).filter(cid__isnull=False)
        cid, year = OuterRef("cid"), OuterRef("cyear")
    else:
        cid, year = campaign.pk, campaign.year
        if target_kind != K.FIRM:
            qs = qs.filter(**{TARGET_DISTRICT[target_kind]: campaign.district_id})
    if evaluator_kind == K.COMMITTEE:
        committee = OwnerCommittee.objects.select_related("estate__community").get(pk=evaluator_id)
        qs = qs.filter(pk=committee.estate.community.street_id if target_kind == K.STREET
                       else committee.estate.community_id)
    else:
        qs = qs.filter(Exists(ServiceContract.objects.filter(
            _served(year, today), **_contract_link(evaluator_kind, evaluator_id, target_kind))))
    if pending:
        qs = qs.exclude(Exists(Response.objects.filter(
            campaign=cid, **{EVALUATOR_FIELDS[evaluator_kind]: evaluator_id,
                             TARGET_FIELDS[target_kind]: OuterRef("pk")})))
    return qs


def target_kinds(evaluator_kind: str) -> list[str]:
    return [tg for (ev, tg) in PAIRS if ev == evaluator_kind]


def filler_units(user, campaign: Campaign) -> list[tuple[str, object]]:
    """The units the user fills questionnaires for in `campaign`: (kind, row)."""
    scope = scope_of(user)
    out = []
    streets = Street.objects.filter(district=campaign.district_id,
                                    pk__in=scope.by_role.get(Role.STREET_STAFF, ())).order_by("name")
    communities = Community.objects.filter(street__district=campaign.district_id,
                                           pk__in=scope.by_role.get(Role.COMMUNITY_CLERK, ())).order_by("name")
    firms = Firm.objects.filter(pk__in=scope.by_role.get(Role.FIRM_USER, ())).order_by("name")
    out += [(K.STREET, s) for s in streets] + [(K.COMMUNITY, c) for c in communities]
    out += [(K.FIRM, f) for f in firms]
    return out


def committees_entered_by(user, campaign: Campaign):
    """The owners' committees whose paper questionnaires the user enters: active 业主委员会 on estates of the
    user's streets (street staff) or communities (community clerks) in the campaign's district."""
    scope = scope_of(user)
    streets = scope.by_role.get(Role.STREET_STAFF, ())
    communities = scope.by_role.get(Role.COMMUNITY_CLERK, ())
    if not streets and not communities:
        return OwnerCommittee.objects.none()
    return (OwnerCommittee.objects.filter(is_active=True, kind=CommitteeKind.OWNERS,
                                          estate__community__street__district=campaign.district_id)
            .filter(Q(estate__community__street__in=streets) | Q(estate__community__in=communities))
            .select_related("estate__community__street").order_by("estate__community__name", "estate__name"))


def may_fill_for(user, campaign: Campaign, evaluator_kind: str, evaluator_id: int) -> bool:
    if evaluator_kind == K.COMMITTEE:
        return committees_entered_by(user, campaign).filter(pk=evaluator_id).exists()
    return any(kind == evaluator_kind and row.pk == evaluator_id for kind, row in filler_units(user, campaign))


@dataclass
class Pair:
    evaluator_kind: str
    evaluator: object
    target_kind: str
    target: object
    response: Response | None = None


def pairs_for(user, campaign: Campaign, today: datetime.date) -> list[Pair]:
    """Every questionnaire the user fills (or enters) in `campaign`, done or not, evaluators in order."""
    done = {}
    units = filler_units(user, campaign) + [(K.COMMITTEE, c) for c in committees_entered_by(user, campaign)]
    for r in Response.objects.filter(campaign=campaign):
        done[(r.evaluator_kind, getattr(r, f"{EVALUATOR_FIELDS[r.evaluator_kind]}_id"), r.target_kind,
              getattr(r, f"{TARGET_FIELDS[r.target_kind]}_id"))] = r
    out = []
    for kind, unit in units:
        for tk in target_kinds(kind):
            for target in targets(kind, unit.pk, tk, today, campaign=campaign).order_by("name" if tk != K.COMMITTEE
                                                                                        else "pk"):
                out.append(Pair(kind, unit, tk, target, done.get((kind, unit.pk, tk, target.pk))))
    return out


def to_fill(user, now: datetime.datetime):
    """The 待办 queue (accounts/menu.py): the questionnaires the user's units still owe in the campaigns open
    today. One queryset per unit and target kind, none of them run here (the menu counts them in its one
    query). Committees' paper questionnaires are not counted: they wait on the paper, not on the clerk."""
    from django.utils import timezone

    today = timezone.localdate(now)
    scope = scope_of(user)
    out = []
    for kind, role in FILLER_ROLES.items():
        for unit_id in sorted(scope.by_role.get(role, ())):
            for tk in target_kinds(kind):
                out.append(targets(kind, unit_id, tk, today, pending=True))
    return tuple(out) or (Response.objects.none(),)


# --- results ---------------------------------------------------------------------------------------------------

TWO = Decimal("0.01")


@dataclass
class Result:
    target_kind: str
    target: object
    responses: int = 0
    # question id -> the average score (1–5 questions) or the share answering yes in % (yes/no questions)
    per_question: dict = field(default_factory=dict)
    overall: Decimal | None = None  # the mean of every 1–5 answer about the target

    def cells(self, questions) -> list:
        return [self.per_question.get(q.pk) for q in questions]


def _avg(total: int, count: int) -> Decimal | None:
    return round_half_up(Decimal(total) / Decimal(count)) if count else None


def results(campaign: Campaign, target_kind: str, ids=None) -> list[Result]:
    """Each target's results in `campaign`: responses, the average per question (yes/no: % yes) and the
    overall average of all its 1–5 answers, each rounded half-up to 0.01. `ids`: only these targets."""
    field_id = f"{TARGET_FIELDS[target_kind]}_id"
    responses = Response.objects.filter(campaign=campaign, target_kind=target_kind)
    if ids is not None:
        responses = responses.filter(**{f"{field_id}__in": ids})
    counts: dict[int, int] = {}
    for target_id in responses.values_list(field_id, flat=True):
        counts[target_id] = counts.get(target_id, 0) + 1
    sums: dict = {}
    for target_id, qid, kind, score, yes in (
            Answer.objects.filter(response__in=responses)
            .values_list(f"response__{field_id}", "question_id", "question__kind", "score", "yes")):
        cell = sums.setdefault(target_id, {}).setdefault(qid, [0, 0])
        cell[0] += (score if kind == QuestionKind.SCALE else (100 if yes else 0))
        cell[1] += 1
    rows = {t.pk: t for t in MODELS[target_kind].objects.filter(pk__in=counts)}
    scale_ids = set(Question.objects.filter(campaign=campaign, kind=QuestionKind.SCALE).values_list("pk", flat=True))
    out = []
    for target_id, n in counts.items():
        cells = sums.get(target_id, {})
        total = sum(c[0] for q, c in cells.items() if q in scale_ids)
        count = sum(c[1] for q, c in cells.items() if q in scale_ids)
        out.append(Result(target_kind, rows[target_id], n, {q: _avg(*c) for q, c in cells.items()},
                          _avg(total, count)))
    return sorted(out, key=lambda r: r.target.name)


def sees_all_results(user, campaign: Campaign) -> bool:
    """The district (administrators and staff) and the city see every result, at any time."""
    scope = scope_of(user)
    return scope.city or scope.holds(Role.DISTRICT_ADMIN, campaign.district_id) or scope.holds(
        Role.DISTRICT_STAFF, campaign.district_id)


def visible_results(user, campaign: Campaign, today: datetime.date) -> dict:
    """target kind -> the ids whose results the user sees (None: all). A firm sees its own results, a street
    or community the results about itself, only once the window has closed."""
    if sees_all_results(user, campaign):
        return {K.FIRM: None, K.STREET: None, K.COMMUNITY: None}
    if not campaign.is_closed(today):
        return {}
    scope = scope_of(user)
    own = {K.FIRM: scope.by_role.get(Role.FIRM_USER, frozenset()),
           K.STREET: scope.by_role.get(Role.STREET_STAFF, frozenset()),
           K.COMMUNITY: scope.by_role.get(Role.COMMUNITY_CLERK, frozenset())}
    return {kind: ids for kind, ids in own.items() if ids}
