"""Who is told of which workflow step: declared once (HANDOFFS), sent by one small helper (`handoff`).

Why here and not in each app's `services/notices.py`: the ratings and subsidies steps hand work between
the same four levels of people (a firm's users, a street's staff, a district's administrators or staff,
the city administrators), and resolving a level to users is a question about roles and their targets,
which is this app's business. One table for both workflows is what the tests parametrise over
(tests/accounts/test_workflow_notices.py) and what a reader checks to answer "who hears of this?". The
table names events by plain strings, so this module imports nothing from the apps that send them; each
service says only which event happened, where (the firms, streets and districts of the object), with
which title and link. Complaints keep their own table (complaints/services/notices.py, same idea).

Every notice goes through `accounts.services.notify` with a key unique to the event, so a step run twice
(a job's second run, a double submit) tells nobody twice; the person who acted is never told of their own
action.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from django.db.models import Q

from .models import Role, User
from .services import notify

# level -> (roles, the kind of target the role names; None for the whole city)
LEVELS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "firm": ((Role.FIRM_USER,), "firm"),
    "street": ((Role.STREET_STAFF,), "street"),
    "district_admin": ((Role.DISTRICT_ADMIN,), "district"),
    "district_staff": ((Role.DISTRICT_STAFF,), "district"),
    "district": ((Role.DISTRICT_ADMIN, Role.DISTRICT_STAFF), "district"),
    "city": ((Role.CITY_ADMIN,), None),
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
    "period.announced": ("firm",),                 # 公示: the appeal window opens
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
}


@dataclass(frozen=True)
class Place:
    """Where an object sits: the ids its levels resolve against."""

    firms: frozenset = frozenset()
    streets: frozenset = frozenset()
    districts: frozenset = frozenset()

    @classmethod
    def of(cls, *, firms: Iterable = (), streets: Iterable = (), districts: Iterable = ()) -> "Place":
        clean = lambda ids: frozenset(i for i in ids if i is not None)  # noqa: E731
        return cls(firms=clean(firms), streets=clean(streets), districts=clean(districts))


def recipients(level: str, place: Place):
    """The active users of one level at `place` (none when the place names no target of that kind)."""
    roles, target = LEVELS[level]
    q = Q(roles__role__in=roles)
    if target is not None:
        ids = {"firm": place.firms, "street": place.streets, "district": place.districts}[target]
        if not ids:
            return User.objects.none()
        q &= Q(**{f"roles__{target}_id__in": ids})
    return User.objects.filter(q, is_active=True).distinct().order_by("pk")


def handoff(event: str, *, place: Place, key: str, title: str, body: str = "", url: str = "",
            actor: User | None = None) -> int:
    """Tell the levels HANDOFFS declares for `event`, once per `key` and user, never `actor`.

    `key` names the occurrence (e.g. the event row's id), so a second run of the same step sends nothing.
    Returns how many notifications were new."""
    users: dict[int, User] = {}
    for level in HANDOFFS[event]:
        for user in recipients(level, place):
            if actor is None or user.pk != actor.pk:
                users.setdefault(user.pk, user)
    if not users:
        return 0
    return notify(users=list(users.values()), key=f"{event}:{key}"[:120], title=title[:200], body=body,
                  url=url)
