"""The hourly overdue job: each late clock marked once, each escalation step sent once (firm, street, district),
and the hand-off notifications declared in accounts.notices.HANDOFFS (the `complaint.*` events).

Default policy: escalate_after = 1 working day. An order assigned Friday 2025-09-26 16:00 must be signed for by
24:00 Sunday 09-28 (调休): the firm is told at 09-29 00:00, the street one working day later (24:00 Monday
09-29 = 09-30 00:00), the district two working days later (24:00 Tuesday 09-30 = 10-01 00:00).
"""
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Notification
from complaints import services as svc
from complaints.models import Action, Satisfaction, Status
from accounts.notices import HANDOFFS
from complaints.services.notices import EVENTS
from complaints.tasks import mark_overdue_task

from .conftest import at

pytestmark = pytest.mark.django_db


def run_job(moment):
    """Run the beat task as beat runs it: the clock stands at `moment`."""
    with time_machine.travel(moment, tick=False):
        return mark_overdue_task()


def keys_of(user, complaint):
    """The keys of the escalation notices of `complaint` the user holds
    (complaint.overdue.<level>:<pk>:h<handling>:<clock>:<step>)."""
    return sorted(Notification.objects.filter(user=user, key__startswith="complaint.overdue.",
                                              key__contains=f":{complaint.pk}:h")
                  .values_list("key", flat=True))


@pytest.fixture
def late_sign(world, make_complaint):
    with time_machine.travel(at(2025, 9, 26, 16, 0), tick=False):
        c = make_complaint(at=timezone.now(), step_minutes=0)
        return svc.complaint_assign(actor=world.users["street_staff"], complaint=c, now=timezone.now())


def test_sign_clock_escalates_firm_street_district_each_once(world, late_sign):
    c = late_sign
    u = world.users
    pk, h = c.pk, c.handled_by_id
    assert c.sign_due_at == at(2025, 9, 29, 0, 0)
    assert run_job(at(2025, 9, 28, 23, 59)) == 0
    assert keys_of(u["firm_user"], c) == []

    assert run_job(at(2025, 9, 29, 0, 0)) == 1
    c.refresh_from_db()
    assert (c.sign_overdue, c.sign_escalation) == (True, 1)
    assert keys_of(u["firm_user"], c) == [f"complaint.overdue.firm:{pk}:h{h}:sign:1"]
    assert keys_of(u["street_staff"], c) == []
    assert run_job(at(2025, 9, 29, 1, 0)) == 0  # the next hour: nothing new
    assert run_job(at(2025, 9, 29, 23, 0)) == 0

    run_job(at(2025, 9, 30, 0, 0))
    assert keys_of(u["street_staff"], c) == [f"complaint.overdue.street:{pk}:h{h}:sign:2"]
    assert keys_of(u["district_admin"], c) == []

    run_job(at(2025, 10, 1, 0, 0))
    run_job(at(2025, 10, 1, 0, 0))  # twice
    run_job(at(2025, 10, 1, 1, 0))
    for persona in ("district_admin", "district_staff"):
        assert keys_of(u[persona], c) == [f"complaint.overdue.district:{pk}:h{h}:sign:3"]
    # One notification per step and user; one OVERDUE event; nobody else told.
    assert keys_of(u["firm_user"], c) == [f"complaint.overdue.firm:{pk}:h{h}:sign:1"]
    assert keys_of(u["street_staff"], c) == [f"complaint.overdue.street:{pk}:h{h}:sign:2"]
    for persona in ("firm_user2", "street_staff2", "community_clerk", "district_admin_gc", "city_admin"):
        assert keys_of(u[persona], c) == []
    assert c.events.filter(action=Action.OVERDUE).count() == 1
    c.refresh_from_db()
    assert c.sign_escalation == 3


def test_a_job_that_did_not_run_for_days_sends_every_due_step_once(world, late_sign):
    c = late_sign
    assert run_job(at(2025, 10, 9, 9, 0)) == 1
    assert run_job(at(2025, 10, 9, 10, 0)) == 0
    assert len(keys_of(world.users["firm_user"], c)) == 1
    assert len(keys_of(world.users["street_staff"], c)) == 1
    assert len(keys_of(world.users["district_admin"], c)) == 1


def test_answer_clock_escalates_on_its_own_after_a_late_signing(world, late_sign):
    u = world.users
    run_job(at(2025, 9, 29, 0, 0))
    with time_machine.travel(at(2025, 9, 29, 9, 0), tick=False):
        c = svc.complaint_sign(actor=u["firm_user"], complaint=late_sign, now=timezone.now())
    # Signed late: kept. Answer: 5 working days after Monday 09-29: 09-30 1, 10-09 2, 10-10 3, 10-11 4 (调休),
    # 10-13 5 -> due 24:00 10-13; the street a working day later (24:00 10-14), the district 24:00 10-15.
    assert c.sign_overdue is True and c.answer_due_at == at(2025, 10, 14, 0, 0)
    assert run_job(at(2025, 10, 13, 23, 0)) == 0
    assert run_job(at(2025, 10, 14, 0, 0)) == 1
    run_job(at(2025, 10, 15, 0, 0))
    run_job(at(2025, 10, 16, 0, 0))
    run_job(at(2025, 10, 16, 0, 0))
    h = c.handled_by_id
    assert keys_of(u["firm_user"], c) == [f"complaint.overdue.firm:{c.pk}:h{h}:answer:1", f"complaint.overdue.firm:{c.pk}:h{h}:sign:1"]
    assert f"complaint.overdue.street:{c.pk}:h{h}:answer:2" in keys_of(u["street_staff"], c)
    assert f"complaint.overdue.district:{c.pk}:h{h}:answer:3" in keys_of(u["district_staff"], c)
    c.refresh_from_db()
    assert (c.answer_overdue, c.answer_escalation) == (True, 3)


def test_the_job_leaves_orders_that_moved_on(world, late_sign):
    with time_machine.travel(at(2025, 9, 28, 20, 0), tick=False):
        c = svc.complaint_sign(actor=world.users["firm_user"], complaint=late_sign, now=timezone.now())
    assert run_job(at(2025, 9, 29, 0, 0)) == 0
    c.refresh_from_db()
    assert c.sign_overdue is False and c.events.filter(action=Action.OVERDUE).count() == 0


def test_a_reassignment_runs_new_escalation_steps(world, late_sign):
    u = world.users
    run_job(at(2025, 9, 29, 0, 0))
    with time_machine.travel(at(2025, 9, 29, 10, 0), tick=False):
        c = svc.complaint_return(actor=u["firm_user"], complaint=late_sign, reason="非本小区", now=timezone.now())
        c = svc.complaint_assign(actor=u["street_staff"], complaint=c, now=timezone.now())
    assert c.sign_escalation == 0 and c.sign_overdue is True  # kept from the first round
    # New clock: 1 working day after Monday 09-29 -> 24:00 09-30.
    assert c.sign_due_at == at(2025, 10, 1, 0, 0)
    run_job(at(2025, 10, 1, 0, 0))
    assert len([k for k in keys_of(u["firm_user"], c) if k.endswith(":sign:1")]) == 2


# --- hand-offs ----------------------------------------------------------------------------------------------

def test_handoffs_are_declared_once_for_who_waits(world):
    assert HANDOFFS[EVENTS[Action.ASSIGN]] == ("firm",)
    assert HANDOFFS[EVENTS[Action.REOPEN]] == ("firm",)
    assert HANDOFFS[EVENTS[Action.URGE]] == ("firm",)
    assert HANDOFFS[EVENTS[Action.RETURN]] == ("street",)
    assert HANDOFFS[EVENTS[Action.ANSWER]] == ("street",)
    assert HANDOFFS[EVENTS[Action.EXTEND_REQUEST]] == ("street",)
    assert HANDOFFS[EVENTS[Action.FLAG_REPEATED]] == ("district",)
    # the escalation of a late clock, one level per step
    assert [HANDOFFS[f"complaint.overdue.{level}"] for level in ("firm", "street", "district")] == [
        ("firm",), ("street",), ("district",)]


def told(user, complaint, action):
    return Notification.objects.filter(user=user, key__startswith=f"{EVENTS[action]}:{complaint.pk}:").count()


def test_handoff_notifications_reach_the_next_in_line_and_never_the_actor(world, make_complaint):
    u = world.users
    c = make_complaint(to=Status.ASSIGNED)
    assert told(u["firm_user"], c, "assign") == 1
    assert told(u["firm_user2"], c, "assign") == 0
    assert told(u["street_staff"], c, "assign") == 0
    svc.complaint_urge(actor=u["district_admin"], complaint=c, comment="请今天内签收", now=at(2026, 12, 1, 10))
    assert told(u["firm_user"], c, "urge") == 1
    c = make_complaint(to=Status.SIGNED)
    svc.complaint_extend_request(actor=u["firm_user"], complaint=c, amount=1, reason="等配件", now=at(2026, 12, 1, 10))
    assert told(u["street_staff"], c, "extend_request") == 1
    assert told(u["firm_user"], c, "extend_request") == 0
    c = make_complaint(to=Status.ANSWERED)
    assert told(u["street_staff"], c, "answer") == 1 and told(u["street_staff2"], c, "answer") == 0
    c = make_complaint(to=Status.CALLED_BACK, satisfaction=Satisfaction.UNSATISFIED)
    svc.complaint_reopen(actor=u["street_staff"], complaint=c, reason="不满意", now=at(2026, 12, 1, 10))
    assert told(u["firm_user"], c, "reopen") == 1
    svc.complaint_supervise(actor=u["district_staff"], complaint=c, comment="区督办", now=at(2026, 12, 1, 11))
    assert told(u["street_staff"], c, "supervise") == 1 and told(u["firm_user"], c, "supervise") == 1
    assert told(u["district_staff"], c, "supervise") == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_workers_at_once_mark_once_and_send_each_step_once(world, late_sign):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(svc.complaints_mark_overdue(now=at(2025, 10, 1, 0, 0)))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and sorted(results) == [0, 1]
    c = late_sign
    assert c.events.filter(action=Action.OVERDUE).count() == 1
    for persona, level, step in (("firm_user", "firm", 1), ("street_staff", "street", 2),
                                 ("district_admin", "district", 3)):
        assert keys_of(world.users[persona], c) == [f"complaint.overdue.{level}:{c.pk}:h{c.handled_by_id}:sign:{step}"]
