"""Who is told of what: declared once (HANDOFFS), sent through `accounts.services.notify` with a unique key.

Recipients by level: the firm's users (the current handling firm), the street's staff (the order's street),
the district's administrators and staff (the order's district). The person who acted is never told of
their own action.
"""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.services import notify

from ..models import Action, Complaint

# action -> the levels told of it (a hand-off: the order now waits on them, or concerns them).
HANDOFFS: dict[str, tuple[str, ...]] = {
    Action.RECEIVE: ("street",),            # a new order in the street's queue (the public form, a colleague)
    Action.MATCH: ("street",),              # triage placed it on an estate (maybe of another street)
    Action.DISPATCH: ("street",),           # the district handed it to a street
    Action.ASSIGN: ("firm",),               # to sign for
    Action.REOPEN: ("firm",),               # to handle again
    Action.URGE: ("firm",),                 # 催办
    Action.EXTEND_APPROVE: ("firm",),
    Action.EXTEND_REJECT: ("firm",),
    Action.RETURN: ("street",),             # back to the dispatcher
    Action.ANSWER: ("street",),             # to call back
    Action.EXTEND_REQUEST: ("street",),     # to decide
    Action.SUPERVISE: ("street", "firm"),   # 督办 by the district
    Action.FLAG_REPEATED: ("district",),    # repeated reports: for district supervision
}

LEVEL_ROLES = {
    "firm": (Role.FIRM_USER,),
    "street": (Role.STREET_STAFF,),
    "district": (Role.DISTRICT_ADMIN, Role.DISTRICT_STAFF),
}


def recipients(complaint: Complaint, level: str):
    """The active users of one level of the order's handling chain."""
    roles = LEVEL_ROLES[level]
    if level == "firm":
        firm_id = complaint.handled_by.firm_id if complaint.handled_by_id else None
        if firm_id is None:
            return User.objects.none()
        target = {"roles__firm_id": firm_id}
    elif level == "street":
        target = {"roles__street_id": complaint.street_id}
    else:
        target = {"roles__district_id": complaint.street.district_id}
    return User.objects.filter(is_active=True, roles__role__in=roles, **target).distinct()


def complaint_url(complaint: Complaint) -> str:
    try:
        return reverse("complaints:detail", args=[complaint.pk])
    except NoReverseMatch:  # the pages are not mounted (yet)
        return ""


def send(complaint: Complaint, *, levels, key: str, title: str, body: str = "", actor=None) -> int:
    """Tell the users of `levels` once per key (idempotent), never the actor."""
    sent = 0
    for level in levels:
        users = [u for u in recipients(complaint, level) if actor is None or u.pk != actor.pk]
        sent += notify(users=users, key=f"{key}:{level}"[:120], title=title, body=body,
                       url=complaint_url(complaint))
    return sent


def handoff(complaint: Complaint, event, actor=None) -> int:
    """The notification of a transition, to the levels HANDOFFS names for its action (one key per event)."""
    levels = HANDOFFS.get(event.action)
    if not levels:
        return 0
    title = _("投诉工单 %(n)s：%(a)s") % {"n": complaint.number, "a": Action(event.action).label}
    body = complaint.title
    if event.comment:
        body = f"{body}\n{event.comment}"
    return send(complaint, levels=levels, key=f"complaint:{complaint.pk}:{event.action}:{event.pk}",
                title=title, body=body[:500], actor=actor)
