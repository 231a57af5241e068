"""Both clocks, the return limit and extensions, with frozen time around 国庆 2025.

The 2025 calendar (State Council): 2025-10-01 … 10-08 off (国庆节、中秋节); Sunday 2025-09-28 and Saturday
2025-10-11 are working days (调休). Default policy: 特急 sign within 15 minutes, 紧急 within 30 minutes,
一般 within 1 working day; answer within 5 working days of signing; extensions up to 10 working days;
return within 2 working days of the assignment. A limit of N working days ends at 24:00 of the Nth working
day after the day it starts (that day never counts), written below as 00:00 of the next day.

Every expected due time is counted by hand in the comment beside it.
"""
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints import services as svc
from complaints.models import Action, Status, Urgency
from workdays.selectors import is_working_day

from .conftest import at

pytestmark = pytest.mark.django_db


def now():
    return timezone.now()


@pytest.fixture
def assigned(world, make_complaint):
    """assigned(moment, urgency) -> an order received and sent to firm 甲 at `moment` (the clock frozen there)."""

    def _assigned(moment, urgency=Urgency.NORMAL):
        with time_machine.travel(moment, tick=False):
            c = make_complaint(at=now(), urgency=urgency, step_minutes=0)
            return svc.complaint_assign(actor=world.users["street_staff"], complaint=c, now=now())

    return _assigned


def test_the_calendar_holds_guoqing_2025():
    import datetime

    assert is_working_day(datetime.date(2025, 9, 28))  # Sunday, 调休
    assert is_working_day(datetime.date(2025, 10, 11))  # Saturday, 调休
    assert not any(is_working_day(datetime.date(2025, 10, d)) for d in range(1, 9))
    assert not is_working_day(datetime.date(2025, 10, 12))  # an ordinary Sunday


def test_sign_for_a_normal_order_counts_the_make_up_sunday(world, assigned):
    # Assigned Friday 09-26 16:00. Next working day: Sunday 09-28 (调休) -> due 24:00 09-28.
    c = assigned(at(2025, 9, 26, 16, 0))
    assert c.sign_due_at == at(2025, 9, 29, 0, 0)
    with time_machine.travel(at(2025, 9, 28, 23, 59), tick=False):
        c = svc.complaint_sign(actor=world.users["firm_user"], complaint=c, now=now())
    assert c.sign_overdue is False
    # Answer: 5 working days after Sunday 09-28: 09-29 (1), 09-30 (2), [10-01…10-08 off], 10-09 (3), 10-10 (4),
    # Saturday 10-11 (5, 调休) -> due 24:00 10-11.
    assert c.answer_due_at == at(2025, 10, 12, 0, 0)


def test_sign_for_across_the_holiday_and_late_by_a_minute(world, assigned):
    # Assigned Tuesday 09-30 09:00: the next working day is Thursday 10-09 -> due 24:00 10-09.
    on_time = assigned(at(2025, 9, 30, 9, 0))
    late = assigned(at(2025, 9, 30, 9, 0))
    assert on_time.sign_due_at == late.sign_due_at == at(2025, 10, 10, 0, 0)
    with time_machine.travel(at(2025, 10, 9, 23, 59, 59), tick=False):
        on_time = svc.complaint_sign(actor=world.users["firm_user"], complaint=on_time, now=now())
    with time_machine.travel(at(2025, 10, 10, 0, 0), tick=False):
        late = svc.complaint_sign(actor=world.users["firm_user"], complaint=late, now=now())
    assert (on_time.sign_overdue, late.sign_overdue) == (False, True)
    # The late one's answer clock: 5 working days after Friday 10-10: 10-11 (Sat 调休) 1, 10-13 2, 10-14 3,
    # 10-15 4, 10-16 5 -> due 24:00 10-16.
    assert late.answer_due_at == at(2025, 10, 17, 0, 0)
    assert late.events.get(action=Action.SIGN).data["late"] is True


@pytest.mark.parametrize(("urgency", "assigned_at", "due"), [
    # Minutes run around the clock, holidays and midnight included.
    (Urgency.CRITICAL, (2025, 10, 1, 23, 50), (2025, 10, 2, 0, 5)),   # 23:50 + 15 min
    (Urgency.URGENT, (2025, 10, 1, 23, 45), (2025, 10, 2, 0, 15)),    # 23:45 + 30 min
    (Urgency.CRITICAL, (2025, 12, 31, 23, 55), (2026, 1, 1, 0, 10)),  # across the year
])
def test_minute_clocks_across_midnight(world, assigned, urgency, assigned_at, due):
    c = assigned(at(*assigned_at), urgency)
    assert c.sign_due_at == at(*due)


def test_a_critical_order_signed_at_the_due_minute_is_late(world, assigned):
    a = assigned(at(2025, 10, 1, 23, 50), Urgency.CRITICAL)
    b = assigned(at(2025, 10, 1, 23, 50), Urgency.CRITICAL)
    with time_machine.travel(at(2025, 10, 2, 0, 4, 59), tick=False):
        a = svc.complaint_sign(actor=world.users["firm_user"], complaint=a, now=now())
    with time_machine.travel(at(2025, 10, 2, 0, 5), tick=False):
        b = svc.complaint_sign(actor=world.users["firm_user"], complaint=b, now=now())
    assert (a.sign_overdue, b.sign_overdue) == (False, True)
    # The answer clock of 特急 is the policy's answer limit in working days: after Thursday 10-02 (holiday):
    # 10-09 1, 10-10 2, 10-11 3, 10-13 4, 10-14 5 -> due 24:00 10-14.
    assert a.answer_due_at == at(2025, 10, 15, 0, 0)


def test_answer_late_is_kept_even_when_the_job_never_ran(world, assigned):
    c = assigned(at(2025, 9, 26, 16, 0))
    with time_machine.travel(at(2025, 9, 28, 10, 0), tick=False):
        c = svc.complaint_sign(actor=world.users["firm_user"], complaint=c, now=now())
    assert c.answer_due_at == at(2025, 10, 12, 0, 0)
    with time_machine.travel(at(2025, 10, 12, 8, 0), tick=False):  # Sunday morning after the due time
        c = svc.complaint_answer(actor=world.users["firm_user"], complaint=c, answer="已修复", now=now())
    assert c.answer_overdue is True and c.sign_overdue is False
    # Closing later changes nothing of it.
    with time_machine.travel(at(2025, 10, 13, 9, 0), tick=False):
        c = svc.complaint_callback(actor=world.users["street_staff"], complaint=c, contacted=True, solved=True,
                                   satisfaction="satisfied", comment="", now=now())
        c = svc.complaint_close(actor=world.users["street_staff"], complaint=c, now=now())
    c.refresh_from_db()
    assert (c.status, c.sign_overdue, c.answer_overdue) == (Status.CLOSED, False, True)


def test_an_approved_extension_moves_the_answer_due_by_working_days(world, assigned):
    c = assigned(at(2025, 9, 26, 16, 0))
    with time_machine.travel(at(2025, 9, 28, 10, 0), tick=False):
        c = svc.complaint_sign(actor=world.users["firm_user"], complaint=c, now=now())
    with time_machine.travel(at(2025, 10, 10, 15, 0), tick=False):
        c = svc.complaint_extend_request(actor=world.users["firm_user"], complaint=c, amount=2,
                                         reason="需等待配件到货", now=now())
        assert c.extension_requested == 2
        assert c.answer_due_at == at(2025, 10, 12, 0, 0)  # unchanged until approved
        c = svc.complaint_extend_decide(actor=world.users["street_staff"], complaint=c, approve=True, comment="同意",
                                        now=now())
    # Due 24:00 Saturday 10-11 (调休) + 2 working days: 10-13 (Mon) 1, 10-14 (Tue) 2 -> 24:00 10-14.
    assert c.answer_due_at == at(2025, 10, 15, 0, 0)
    assert (c.extended_total, c.extension_requested) == (2, None)
    with time_machine.travel(at(2025, 10, 14, 23, 59), tick=False):
        c = svc.complaint_answer(actor=world.users["firm_user"], complaint=c, answer="配件已更换", now=now())
    assert c.answer_overdue is False


def test_an_extension_from_a_weekday_due_counts_from_that_day(world, assigned):
    # Assigned Monday 2025-10-13 10:00, signed at once: answer due 5 working days after 10-13: 10-14 … 10-20
    # (10-14 1, 10-15 2, 10-16 3, 10-17 4, 10-20 5) -> 24:00 Monday 10-20. Plus 1 working day: Tuesday 10-21.
    c = assigned(at(2025, 10, 13, 10, 0))
    with time_machine.travel(at(2025, 10, 13, 10, 5), tick=False):
        c = svc.complaint_sign(actor=world.users["firm_user"], complaint=c, now=now())
        assert c.answer_due_at == at(2025, 10, 21, 0, 0)
        c = svc.complaint_extend_request(actor=world.users["firm_user"], complaint=c, amount=1, reason="等业主",
                                         now=now())
        c = svc.complaint_extend_decide(actor=world.users["street_staff"], complaint=c, approve=True, comment="",
                                        now=now())
    assert c.answer_due_at == at(2025, 10, 22, 0, 0)


def test_extensions_are_bounded_by_the_policy_maximum(world, assigned):
    c = assigned(at(2025, 10, 13, 10, 0))
    with time_machine.travel(at(2025, 10, 13, 10, 5), tick=False):
        c = svc.complaint_sign(actor=world.users["firm_user"], complaint=c, now=now())
        with pytest.raises(ValidationError, match="1 到 10 工作日"):
            svc.complaint_extend_request(actor=world.users["firm_user"], complaint=c, amount=11, reason="工程量大",
                                         now=now())
        c = svc.complaint_extend_request(actor=world.users["firm_user"], complaint=c, amount=7, reason="工程量大",
                                         now=now())
        assert svc.action_refusal(world.users["firm_user"], c, Action.EXTEND_REQUEST, now()) == \
            "已有一项延期申请待街道审批。"
        c = svc.complaint_extend_decide(actor=world.users["street_staff"], complaint=c, approve=True, comment="",
                                        now=now())
        with pytest.raises(ValidationError, match="1 到 3 工作日"):
            svc.complaint_extend_request(actor=world.users["firm_user"], complaint=c, amount=4, reason="仍需时间",
                                         now=now())
        c = svc.complaint_extend_request(actor=world.users["firm_user"], complaint=c, amount=3, reason="仍需时间",
                                         now=now())
        c = svc.complaint_extend_decide(actor=world.users["street_staff"], complaint=c, approve=True, comment="",
                                        now=now())
        assert c.extended_total == 10
        assert svc.action_refusal(world.users["firm_user"], c, Action.EXTEND_REQUEST, now()) == \
            "累计延期已达上限 10 工作日，不能再申请延期。"


def test_a_rejected_extension_leaves_the_due_time(world, assigned):
    c = assigned(at(2025, 10, 13, 10, 0))
    with time_machine.travel(at(2025, 10, 13, 10, 5), tick=False):
        c = svc.complaint_sign(actor=world.users["firm_user"], complaint=c, now=now())
        due = c.answer_due_at
        c = svc.complaint_extend_request(actor=world.users["firm_user"], complaint=c, amount=2, reason="等业主",
                                         now=now())
        with pytest.raises(ValidationError, match="说明理由"):
            svc.complaint_extend_decide(actor=world.users["street_staff"], complaint=c, approve=False, comment="",
                                        now=now())
        c = svc.complaint_extend_decide(actor=world.users["street_staff"], complaint=c, approve=False,
                                        comment="可先行处理", now=now())
    assert (c.answer_due_at, c.extended_total, c.extension_requested) == (due, 0, None)


def test_no_extension_request_after_the_answer_due_time(world, assigned):
    c = assigned(at(2025, 10, 13, 10, 0))
    with time_machine.travel(at(2025, 10, 13, 10, 5), tick=False):
        c = svc.complaint_sign(actor=world.users["firm_user"], complaint=c, now=now())
    with time_machine.travel(at(2025, 10, 21, 0, 0), tick=False):
        assert svc.action_refusal(world.users["firm_user"], c, Action.EXTEND_REQUEST, now()) == \
            "答复期限（2025-10-21 00:00）已过，不能再申请延期。"


def test_return_only_within_two_working_days_of_the_assignment(world, assigned):
    # Assigned Friday 09-26 16:00: 2 working days: Sunday 09-28 (1), Monday 09-29 (2) -> until 24:00 09-29.
    a = assigned(at(2025, 9, 26, 16, 0))
    b = assigned(at(2025, 9, 26, 16, 0))
    with time_machine.travel(at(2025, 9, 29, 23, 59), tick=False):
        a = svc.complaint_return(actor=world.users["firm_user"], complaint=a, reason="非本小区", now=now())
    assert a.status == Status.RETURNED
    # Returned after its sign-for clock ran out (24:00 09-28): the sign clock stays late.
    assert a.sign_overdue is True
    with time_machine.travel(at(2025, 9, 30, 0, 0), tick=False):
        msg = svc.action_refusal(world.users["firm_user"], b, Action.RETURN, now())
        assert msg == "退单须在派单后 2 工作日内（2025-09-30 00:00 前）提出，现已超过退单时限。"
        with pytest.raises(ValidationError, match="超过退单时限"):
            svc.complaint_return(actor=world.users["firm_user"], complaint=b, reason="非本小区", now=now())
        assert Action.RETURN not in svc.allowed_actions(world.users["firm_user"], b, now())


def test_the_policy_kept_on_the_order_times_it_to_the_end(world, assigned):
    from complaints.models import TimeLimitPolicy

    c = assigned(at(2025, 10, 13, 10, 0))
    # A stricter policy from 10-14 does not move the running clock of an order received before it.
    TimeLimitPolicy.objects.create(district=world.shanting, effective_from=at(2025, 10, 14, 0, 0).date(),
                                   answer=2)
    with time_machine.travel(at(2025, 10, 14, 9, 0), tick=False):
        c = svc.complaint_sign(actor=world.users["firm_user"], complaint=c, now=now())
    # 5 working days after Tuesday 10-14: 10-15 … 10-21 -> 24:00 10-21.
    assert c.answer_due_at == at(2025, 10, 22, 0, 0)
