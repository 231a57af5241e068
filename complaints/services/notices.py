"""A work order's notifications: which event of accounts.notices.HANDOFFS a step is, and where the order sits.

Who is told is declared there (the `complaint.*` events), with every other workflow's. Here only: each
action's event name (EVENTS; an action without one tells nobody), the order's place (the street it is in,
that street's district, the firm handling it now) and its link. The person who acted is never told.
"""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts import notices as declared

from ..models import Action, Complaint

# action -> the event of accounts.notices.HANDOFFS it is (who is told)
EVENTS: dict[str, str] = {
    Action.RECEIVE: "complaint.received",
    Action.MATCH: "complaint.matched",
    Action.DISPATCH: "complaint.dispatched",
    Action.ASSIGN: "complaint.assigned",
    Action.RETURN: "complaint.returned",
    Action.EXTEND_REQUEST: "complaint.extension_requested",
    Action.EXTEND_APPROVE: "complaint.extension_approved",
    Action.EXTEND_REJECT: "complaint.extension_rejected",
    Action.ANSWER: "complaint.answered",
    Action.REOPEN: "complaint.reopened",
    Action.URGE: "complaint.urged",
    Action.SUPERVISE: "complaint.supervised",
    Action.FLAG_REPEATED: "complaint.flagged",
}

# escalation level of a late clock (clocks.ESCALATION) -> its event
OVERDUE_EVENTS: dict[str, str] = {
    "firm": "complaint.overdue.firm",
    "street": "complaint.overdue.street",
    "district": "complaint.overdue.district",
}


def place_of(complaint: Complaint) -> declared.Place:
    """The order's street, that street's district and the firm handling it now (none before assignment)."""
    firm_id = complaint.handled_by.firm_id if complaint.handled_by_id else None
    return declared.Place.of(firms=[firm_id], streets=[complaint.street_id],
                             districts=[complaint.street.district_id])


def complaint_url(complaint: Complaint) -> str:
    try:
        return reverse("complaints:detail", args=[complaint.pk])
    except NoReverseMatch:  # the pages are not mounted (yet)
        return ""


def send(complaint: Complaint, event: str, *, key: str, title: str, body: str = "", actor=None) -> int:
    """Tell the people HANDOFFS declares for `event` about this order, once per key, never the actor."""
    return declared.handoff(event, place=place_of(complaint), key=key, title=title, body=body[:500],
                   url=complaint_url(complaint), actor=actor)


def handoff(complaint: Complaint, event, actor=None) -> int:
    """The notification of a transition (one key per event row), if its action names an event."""
    name = EVENTS.get(event.action)
    if name is None:
        return 0
    title = _("投诉工单 %(n)s：%(a)s") % {"n": complaint.number, "a": Action(event.action).label}
    body = complaint.title
    if event.comment:
        body = f"{body}\n{event.comment}"
    return send(complaint, name, key=f"{complaint.pk}:{event.pk}", title=title, body=body, actor=actor)
