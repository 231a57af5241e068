"""The two clocks of a work order (sign for, answer), the return limit and the escalation steps.

Every due time comes from `workdays.selectors.deadline_after` with the amounts and units of the policy the
complaint keeps (`complaint.policy`), so a change of policy never moves a running clock. A clock is late when
`now >= due` (a limit in working days ends at 24:00 of its last day, returned as 00:00 of the next day).
"""
from __future__ import annotations

import datetime

from workdays.models import TimeUnit
from workdays.selectors import deadline_after

from ..models import Complaint, TimeLimitPolicy, Urgency

# A moment inside the last day of a limit that ends at 24:00 (the due time minus this): counting further
# working days from it counts from that last day, not from the day after it.
JUST_BEFORE = datetime.timedelta(microseconds=1)


def sign_limit(policy: TimeLimitPolicy, urgency: str) -> tuple[int, str]:
    """(amount, unit) of the sign-for limit for an urgency: 特急 and 紧急 around the clock, 一般 in working days
    (as the policy says)."""
    if urgency == Urgency.CRITICAL:
        return policy.sign_critical, policy.sign_critical_unit
    if urgency == Urgency.URGENT:
        return policy.sign_urgent, policy.sign_urgent_unit
    return policy.sign_normal, policy.sign_normal_unit


def sign_due(complaint: Complaint, assigned_at: datetime.datetime) -> datetime.datetime:
    amount, unit = sign_limit(complaint.policy, complaint.urgency)
    return deadline_after(assigned_at, amount, unit)


def answer_due(complaint: Complaint, signed_at: datetime.datetime) -> datetime.datetime:
    """The answer clock runs from the signing."""
    return deadline_after(signed_at, complaint.policy.answer, complaint.policy.answer_unit)


def later_by(due: datetime.datetime, amount: int, unit: str) -> datetime.datetime:
    """A due time moved on by `amount` `unit`s: minutes and hours are added; days are counted from the
    last day of the limit (due 24:00 Tuesday + 1 working day = 24:00 Wednesday, not Thursday)."""
    if unit in (TimeUnit.MINUTES, TimeUnit.HOURS):
        return deadline_after(due, amount, unit)
    return deadline_after(due - JUST_BEFORE, amount, unit)


def extended_due(complaint: Complaint, amount: int) -> datetime.datetime:
    """The answer due time after an approved extension of `amount` (in the policy's extension unit)."""
    return later_by(complaint.answer_due_at, amount, complaint.policy.extension_max_unit)


def return_deadline(complaint: Complaint) -> datetime.datetime | None:
    """Until when the firm may return the order: the return limit from the assignment."""
    if complaint.assigned_at is None:
        return None
    p = complaint.policy
    return deadline_after(complaint.assigned_at, p.return_within, p.return_within_unit)


# Escalation steps of a late clock, in order: who is told at which time (due, then one and two intervals on).
ESCALATION = ("firm", "street", "district")


def escalation_times(complaint: Complaint, due: datetime.datetime) -> list[datetime.datetime]:
    """When each step of ESCALATION is due: the clock's due time, then `escalate_after` and twice it later."""
    p = complaint.policy
    return [due] + [later_by(due, k * p.escalate_after, p.escalate_after_unit) for k in (1, 2)]


def running_clock(complaint: Complaint) -> tuple[str, datetime.datetime] | tuple[None, None]:
    """("sign" | "answer", due) of the clock running now, or (None, None)."""
    from ..models import Status

    if complaint.status == Status.ASSIGNED and complaint.sign_due_at:
        return "sign", complaint.sign_due_at
    if complaint.status == Status.SIGNED and complaint.answer_due_at:
        return "answer", complaint.answer_due_at
    return None, None
