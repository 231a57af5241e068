"""Rectification orders: the transition table, scope, and the overdue job."""
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import Notification
from enterprises.models import CreditRecord
from inspections.models import OrderEvent, OrderStatus, RectificationOrder
from inspections.services import orders as svc

pytestmark = pytest.mark.django_db
S = OrderStatus


def png(name="p.png", size=(20, 20)):
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def order(world):
    return svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="楼道堆放杂物",
                           deadline=timezone.localdate() + datetime.timedelta(days=3), now=timezone.now())


def test_issue_goes_to_the_serving_firm_with_an_event_and_a_notification(world, order):
    assert order.firm == world.firm1 and order.status == S.ISSUED
    assert order.number.startswith("ZG")
    assert list(order.events.values_list("from_status", "to_status")) == [("", "issued")]
    assert Notification.objects.filter(user=world.users["firm_user"], url__endswith=f"/orders/{order.pk}/").count() == 1
    assert not Notification.objects.filter(user=world.users["firm_user2"]).exists()


def test_default_deadline_is_seven_days(world):
    o = svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="绿化缺损", now=timezone.now())
    assert o.deadline == timezone.localdate() + datetime.timedelta(days=7)


def test_deadline_in_the_past_is_refused(world):
    with pytest.raises(ValidationError, match="不能早于今天"):
        svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="x",
                        deadline=timezone.localdate() - datetime.timedelta(days=1), now=timezone.now())
    assert not RectificationOrder.objects.exists()


def test_estate_without_firm_cannot_get_an_order(world):
    with pytest.raises(ValidationError, match="没有服务企业"):
        svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a2, problem="x", now=timezone.now())


def test_other_street_cannot_issue(world):
    with pytest.raises(ValidationError, match="管辖范围"):
        svc.order_issue(actor=world.users["street_staff2"], estate=world.estate_a1, problem="x", now=timezone.now())


def test_full_cycle_answer_reject_answer_accept(world, order):
    firm, clerk = world.users["firm_user"], world.users["street_staff"]
    svc.order_answer(actor=firm, order=order, answer="已清理", photos=[png()], now=timezone.now())
    svc.order_reject(actor=clerk, order=order, reason="仍有杂物")
    svc.order_answer(actor=firm, order=order, answer="已全部清理", now=timezone.now())
    svc.order_accept(actor=clerk, order=order, comment="合格", now=timezone.now())
    order.refresh_from_db()
    assert order.status == S.CLOSED and order.closed_at
    assert list(order.events.values_list("from_status", "to_status")) == [
        ("", "issued"), ("issued", "answered"), ("answered", "returned"), ("returned", "answered"),
        ("answered", "closed")]
    assert order.photos.filter(side="answer").count() == 1


# Every (status, action) pair that the table does not allow is refused.
FORBIDDEN = [(status, action) for status in S.values for action in svc.TRANSITIONS
             if status not in svc.TRANSITIONS[action][0]]


@pytest.mark.parametrize("status, action", FORBIDDEN)
def test_every_forbidden_transition_is_refused(world, order, status, action):
    RectificationOrder.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    events_before = OrderEvent.objects.count()
    with pytest.raises(ValidationError, match="不能执行此操作"):
        if action == "mark_overdue":
            svc._transition(order=order, action=action, actor=None)
        elif action == "answer":
            svc.order_answer(actor=world.users["firm_user"], order=order, answer="x", now=timezone.now())
        elif action == "accept":
            svc.order_accept(actor=world.users["street_staff"], order=order, now=timezone.now())
        elif action == "reject":
            svc.order_reject(actor=world.users["street_staff"], order=order, reason="x")
        elif action == "cancel":
            svc.order_cancel(actor=world.users["street_staff"], order=order, reason="x", now=timezone.now())
    order.refresh_from_db()
    assert order.status == status and OrderEvent.objects.count() == events_before


def test_answering_a_closed_order_is_refused(world, order):
    svc.order_answer(actor=world.users["firm_user"], order=order, answer="已清理", now=timezone.now())
    svc.order_accept(actor=world.users["street_staff"], order=order, now=timezone.now())
    with pytest.raises(ValidationError, match="已验收关闭"):
        svc.order_answer(actor=world.users["firm_user"], order=order, answer="再次回复", now=timezone.now())


@pytest.mark.parametrize("persona", ["firm_user2", "street_staff", "community_clerk"])
def test_only_the_orders_firm_may_answer(world, order, persona):
    with pytest.raises(ValidationError, match="无权"):
        svc.order_answer(actor=world.users[persona], order=order, answer="x", now=timezone.now())


@pytest.mark.parametrize("persona", ["street_staff2", "firm_user", "district_staff"])
def test_only_the_street_may_accept(world, order, persona):
    svc.order_answer(actor=world.users["firm_user"], order=order, answer="已清理", now=timezone.now())
    with pytest.raises(ValidationError, match="无权"):
        svc.order_accept(actor=world.users[persona], order=order, now=timezone.now())


def test_reject_needs_a_reason(world, order):
    svc.order_answer(actor=world.users["firm_user"], order=order, answer="已清理", now=timezone.now())
    with pytest.raises(ValidationError, match="原因"):
        svc.order_reject(actor=world.users["street_staff"], order=order, reason="")


def test_answer_with_a_non_image_is_refused_and_nothing_changes(world, order):
    fake = SimpleUploadedFile("report.png", b"%PDF-1.4 not an image", content_type="image/png")
    with pytest.raises(ValidationError, match="不是图片"):
        svc.order_answer(actor=world.users["firm_user"], order=order, answer="已清理", photos=[fake], now=timezone.now())
    order.refresh_from_db()
    assert order.status == S.ISSUED and not order.photos.exists()


def test_oversized_photo_is_refused(world, order, settings):
    settings.PHOTO_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="超过"):
        svc.order_answer(actor=world.users["firm_user"], order=order, answer="已清理", photos=[png(size=(200, 200))],
                         now=timezone.now())


def test_overdue_job_marks_once_and_notifies_once(world):
    clerk = world.users["street_staff"]
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0), tick=False):
        late = svc.order_issue(actor=clerk, estate=world.estate_a1, problem="垃圾未清",
                               deadline=datetime.date(2026, 3, 9), now=timezone.now())
        on_time = svc.order_issue(actor=clerk, estate=world.estate_a1, problem="路灯损坏",
                                  deadline=datetime.date(2026, 3, 10), now=timezone.now())
        answered = svc.order_issue(actor=clerk, estate=world.estate_a1, problem="绿化",
                                   deadline=datetime.date(2026, 3, 5), now=timezone.now())
        svc.order_answer(actor=world.users["firm_user"], order=answered, answer="已补种", now=timezone.now())
    Notification.objects.all().delete()

    with time_machine.travel(datetime.datetime(2026, 3, 10, 1, 10), tick=False):
        assert svc.mark_overdue_orders(now=timezone.now()) == 1  # deadline 03-09 passed; 03-10 is today: not yet
        assert svc.mark_overdue_orders(now=timezone.now()) == 0  # second run: nothing more
    late.refresh_from_db(); on_time.refresh_from_db(); answered.refresh_from_db()  # noqa: E702
    assert (late.status, on_time.status, answered.status) == (S.OVERDUE, S.ISSUED, S.ANSWERED)
    assert late.events.filter(to_status=S.OVERDUE, actor__isnull=True).count() == 1
    assert Notification.objects.filter(user=world.users["firm_user"], key__startswith="order.overdue:").count() == 1
    # … and of the bad credit record the overdue order writes (enterprises/credit), once too.
    assert Notification.objects.filter(user=world.users["firm_user"], key__startswith="credit.record_notified:").count() == 1
    assert Notification.objects.filter(user=world.users["street_staff"]).count() == 1
    assert not Notification.objects.filter(user=world.users["street_staff2"]).exists()
    # The firm may still answer an overdue order.
    svc.order_answer(actor=world.users["firm_user"], order=late, answer="已清理", now=timezone.now())
    late.refresh_from_db()
    assert late.status == S.ANSWERED


def test_overdue_task_runs_the_service(world, settings):
    from inspections.tasks import mark_overdue_orders_task

    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0), tick=False):
        svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="x",
                        deadline=datetime.date(2026, 3, 3), now=timezone.now())
    with time_machine.travel(datetime.datetime(2026, 3, 5, 1, 10), tick=False):
        assert mark_overdue_orders_task.apply().get() == 1
        assert mark_overdue_orders_task.apply().get() == 0


# --- time is an input: the services use the `now` they are given, never the clock ---------------------------
# FAR is years away from the real clock and time is NOT frozen in these tests, so a service that read the
# clock itself would stamp (or judge by) today instead and fail them.
FAR = datetime.datetime(2031, 6, 2, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_issue_stamps_dates_and_counts_from_the_given_now(world):
    assert timezone.localdate() < FAR.date()
    order = svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="楼道堆放杂物",
                            now=FAR)
    order.refresh_from_db()
    assert order.issued_at == FAR
    assert order.number.startswith("ZG20310602-")
    assert order.deadline == datetime.date(2031, 6, 9)  # the policy's 7 days, counted from FAR's day


def test_issue_judges_the_deadline_against_the_given_now(world):
    # A deadline after the real today but before FAR's day is "earlier than today" for an order issued at FAR.
    with pytest.raises(ValidationError, match="不能早于今天"):
        svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="x",
                        deadline=datetime.date(2031, 6, 1), now=FAR)
    assert not RectificationOrder.objects.exists()


def test_answer_accept_and_cancel_stamp_the_given_now(world):
    firm, clerk = world.users["firm_user"], world.users["street_staff"]
    closed = svc.order_issue(actor=clerk, estate=world.estate_a1, problem="楼道杂物", now=FAR)
    svc.order_answer(actor=firm, order=closed, answer="已清理", now=FAR + datetime.timedelta(days=1))
    svc.order_accept(actor=clerk, order=closed, comment="合格", now=FAR + datetime.timedelta(days=2))
    cancelled = svc.order_issue(actor=clerk, estate=world.estate_a1, problem="路灯损坏", now=FAR)
    svc.order_cancel(actor=clerk, order=cancelled, reason="重复下发", now=FAR + datetime.timedelta(days=3))
    closed.refresh_from_db(); cancelled.refresh_from_db()  # noqa: E702
    assert closed.answered_at == datetime.datetime(2031, 6, 3, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert closed.closed_at == datetime.datetime(2031, 6, 4, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert cancelled.closed_at == datetime.datetime(2031, 6, 5, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_overdue_job_judges_by_the_given_now_and_stamps_the_credit_record_with_it(world):
    real_today = timezone.localdate()
    order = svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="垃圾未清",
                            deadline=real_today + datetime.timedelta(days=1), now=timezone.now())
    assert svc.mark_overdue_orders(now=timezone.now()) == 0  # by the real clock the deadline is still ahead
    order.refresh_from_db()
    assert order.status == S.ISSUED

    assert svc.mark_overdue_orders(now=FAR) == 1  # deadline after the real today, before FAR's day
    order.refresh_from_db()
    assert order.status == S.OVERDUE
    record = CreditRecord.objects.get(rule_code="order_overdue", source_id=order.pk)
    assert (record.occurred_on, record.recorded_at) == (datetime.date(2031, 6, 2), FAR)
