"""Who is told of which workflow step: declared once (HANDOFFS), sent by one small helper (`handoff`).

Every workflow that hands work to someone else, or decides something of theirs, names its step here:
ratings (applications, announcement, publication, appeals), subsidies (the payout batch's steps, the
pass-on), inspections (the rectification order), complaints (hand-offs, the overdue escalation, repeated
reports, the 12345 import) and the firms' credit file (records, objections, repair, the yearly score, the
blacklist). `docs/notifications.md` lists the same table for readers; the tests parametrise over it
(tests/accounts/test_workflow_notices.py).

Why here and not in each app: the steps hand work between the same few levels of people (a firm's users, a
street's staff, a district's administrators or staff, the city administrators) and resolving a level to
users is a question about roles and their targets, which is this app's business. The table names events
by plain strings, so this module imports nothing from the apps that send them; each service says only
which event happened, where (a `Place`: the firms, streets and districts of the object, or the city, or
the people it names), with which title and link.

Every notice goes through `accounts.services.notify` with the key `<event>:<key>`, unique per user, so a
step run twice (a job's second run, a double submit) tells nobody twice; the person who acted is never
told of their own action. `notify` also hands the new notices to the delivery channels
(accounts/channels.py: the in-portal list, the daily e-mail digest, a city's own SMS or 企业微信).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from django.db.models import Q

from .models import Role, User
from .services import notify

# level -> (roles, the Place field the role's target must be in). Two levels are not roles on a target:
# "city" is the city administrators (and superusers, who count as such everywhere), told only of an object
# the city keeps (Place.city); "uploader" is the people the Place names itself (who started a job).
LEVELS: dict[str, tuple[tuple[str, ...], str]] = {
    "firm": ((Role.FIRM_USER,), "firms"),
    "street": ((Role.STREET_STAFF,), "streets"),
    "district_admin": ((Role.DISTRICT_ADMIN,), "districts"),
    "district_staff": ((Role.DISTRICT_STAFF,), "districts"),
    "district": ((Role.DISTRICT_ADMIN, Role.DISTRICT_STAFF), "districts"),
    "city": ((Role.CITY_ADMIN,), "city"),
    "uploader": ((), "users"),
}

# event -> the levels told of it: the step hands the object to them, or decides something of theirs.
HANDOFFS: dict[str, tuple[str, ...]] = {
    # ratings: the star-rating application (申报) firm -> street -> district -> firm
    "application.submitted": ("street",),           # to review and report
    "application.reported": ("district_admin",),    # to accept or reject
    "application.accepted": ("firm",),
    "application.returned": ("firm",),              # to correct and apply again
    "application.rejected": ("firm",),
    # ratings: the quarterly results and appeals
    "period.announced": ("firm",),                  # 公示: the appeal window opens
    "period.recomputed": ("firm",),                 # results changed, the window reopens
    "period.published": ("firm",),
    "appeal.filed": ("district_admin",),            # to decide
    "appeal.decided": ("firm",),
    # subsidies: the payout batch generated -> checked -> approved -> disbursed -> passed on
    "batch.generated": ("district_staff",),         # to check
    "batch.checked": ("district_admin",),           # to approve
    "batch.check_returned": ("district_staff",),    # 退回: to check again
    "batch.approval_returned": ("district_admin",),  # 退回: to approve again
    "batch.approved": ("street",),                  # money is coming: to prepare the pass-on
    "batch.disbursed": ("street",),                 # to pass on to the firms
    "batch.passed_on": ("firm",),
    # inspections: the rectification order (整改通知) street -> firm -> street
    "order.issued": ("firm",),                      # to rectify and answer by the deadline
    "order.answered": ("street",),                  # to check and accept or return
    "order.accepted": ("firm",),                    # closed
    "order.returned": ("firm",),                    # 退回重改: to rectify again
    "order.overdue": ("firm", "street"),            # the nightly job: past the deadline unanswered
    "order.cancelled": ("firm",),                   # 撤销: no more work on it
    # complaints (投诉工单): the order's hand-offs between the street, the handling firm and the district
    "complaint.received": ("street",),              # a new order in the street's queue
    "complaint.matched": ("street",),               # triage placed it on an estate (maybe of another street)
    "complaint.dispatched": ("street",),            # the district handed it to a street
    "complaint.assigned": ("firm",),                # to sign for
    "complaint.returned": ("street",),              # 退单: back to the dispatcher
    "complaint.extension_requested": ("street",),   # to decide
    "complaint.extension_approved": ("firm",),
    "complaint.extension_rejected": ("firm",),
    "complaint.answered": ("street",),              # to call back
    "complaint.reopened": ("firm",),                # 重办: to handle again
    "complaint.urged": ("firm",),                   # 催办
    "complaint.supervised": ("street", "firm"),     # 督办 by the district
    # complaints: the hourly job's escalation of a late clock, one level per step (clocks.ESCALATION)
    "complaint.overdue.firm": ("firm",),            # step 1, at the due time
    "complaint.overdue.street": ("street",),        # step 2
    "complaint.overdue.district": ("district",),    # step 3
    # complaints: repeated reports from one estate, for district supervision (one case, or a summary)
    "complaint.flagged": ("district",),
    "complaint.flagged_many": ("district",),
    # complaints: the 12345 import, a job the uploader started and may have left the page of
    "complaint_import.checked": ("uploader",),      # to confirm the import, or fix the file
    "complaint_import.done": ("uploader",),
    # credit (信用档案): a record's life, decided by its recording unit or the level above
    "credit.record_notified": ("firm",),            # proposed: the objection window opens
    "credit.objection_filed": ("district", "city"),  # to decide: the level above the recording unit
    "credit.objection_decided": ("firm",),
    "credit.record_repaired": ("firm",),            # 信用修复
    "credit.score_published": ("firm",),            # the yearly score
    # credit: the blacklist (失信黑名单)
    "blacklist.listed": ("firm",),
    "blacklist.letters_due": ("district", "city"),  # the listing unit: print the 抄告函 and 建议函
    "blacklist.street_warned": ("street",),         # the streets of the estates the firm serves
    "blacklist.removed": ("firm", "district", "city"),
    # maintenance fund (老旧小区维修资金): the application street -> district staff -> district admin -> disbursed
    "maintenance.submitted": ("district_staff",),   # to review (also a corrected, resubmitted one)
    "maintenance.reviewed": ("district_admin",),    # to approve
    "maintenance.returned": ("street",),            # 退回: to correct and resubmit, or withdraw
    "maintenance.approved": ("street", "district_staff"),  # the street hears of it; the district staff disburse
    "maintenance.disbursed": ("street",),
    "maintenance.withdrawn": ("district_staff",),   # no more review needed
    # owner-committee yearly assessment (业委会年度考核): the street submits -> the district admin confirms
    "committee_assessment.submitted": ("district_admin",),  # to confirm or return (also a corrected one)
    "committee_assessment.returned": ("street",),           # 退回: to correct
    "committee_assessment.confirmed": ("street",),          # the result counts (and the allowance with it)
    # firm sanctions (重大负面事件, enterprises/sanctions): the firm loses or regains the year's eligibility
    "sanction.imposed": ("firm", "district"),       # 取消当年评比资格: the firm, and the district that rates it
    "sanction.lifted": ("firm", "district"),        # the event behind it withdrawn, nothing else keeps it
    # two-way evaluation (履约双向评价): the district publishes the year's campaign; the streets, the firms
    # serving its estates and the communities' clerks (named by the campaign: LEVELS has no community level)
    # are told the window in which to fill in their questionnaires
    "evaluation.opened": ("street", "firm", "uploader"),
}


@dataclass(frozen=True)
class Place:
    """Where an object sits: the ids its levels resolve against.

    `city`: the city keeps the object (a credit record of 市住房管理中心), so the "city" level applies.
    `users`: people the object names itself (the uploader of an import run), for the "uploader" level."""

    firms: frozenset = frozenset()
    streets: frozenset = frozenset()
    districts: frozenset = frozenset()
    city: bool = False
    users: frozenset = frozenset()

    @classmethod
    def of(cls, *, firms: Iterable = (), streets: Iterable = (), districts: Iterable = (), city: bool = False,
           users: Iterable = ()) -> "Place":
        clean = lambda ids: frozenset(i for i in ids if i is not None)  # noqa: E731
        return cls(firms=clean(firms), streets=clean(streets), districts=clean(districts), city=bool(city),
                   users=clean(users))


def recipients(level: str, place: Place):
    """The active users of one level at `place` (none when the place names no target of that kind)."""
    roles, target = LEVELS[level]
    active = User.objects.filter(is_active=True)
    if target == "users":
        return active.filter(pk__in=place.users).order_by("pk") if place.users else User.objects.none()
    if target == "city":
        if not place.city:
            return User.objects.none()
        return active.filter(Q(roles__role__in=roles) | Q(is_superuser=True)).distinct().order_by("pk")
    ids = getattr(place, target)
    if not ids:
        return User.objects.none()
    field = {"firms": "firm", "streets": "street", "districts": "district"}[target]
    return active.filter(roles__role__in=roles, **{f"roles__{field}_id__in": ids}).distinct().order_by("pk")


def told(event: str, place: Place, actor: User | None = None) -> list[User]:
    """The users HANDOFFS declares for `event` at `place`, each once, never `actor`."""
    users: dict[int, User] = {}
    for level in HANDOFFS[event]:
        for user in recipients(level, place):
            if actor is None or user.pk != actor.pk:
                users.setdefault(user.pk, user)
    return list(users.values())


def handoff(event: str, *, place: Place, key: str, title: str, body: str = "", url: str = "",
            actor: User | None = None) -> int:
    """Tell the levels HANDOFFS declares for `event`, once per `key` and user, never `actor`.

    `key` names the occurrence (e.g. the event row's id), so a second run of the same step sends nothing.
    Returns how many notifications were new."""
    users = told(event, place, actor)
    if not users:
        return 0
    return notify(users=users, key=f"{event}:{key}"[:120], title=title[:200], body=body, url=url)
