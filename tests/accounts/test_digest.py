"""The daily e-mail digest (accounts.send_digests, accounts/channels.py): one e-mail per user who opted in,
listing their unread notices not e-mailed yet, exactly once however often the task runs, and nothing for
the others.

The task records each e-mail in the outbox; `deliver_recorded_emails` then does what the worker does with
the recorded e-mails (ops.send_email), so django.core.mail.outbox holds what was really sent.
"""
import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.channels import digests_send
from accounts.models import Notification
from accounts.services import notify
from accounts.tasks import send_digests_task
from ops.models import OutboxMessage, OutgoingEmail
from ops.tasks import send_email_task

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2026, 3, 2, 7, 30, tzinfo=TZ)
TUESDAY = MONDAY + datetime.timedelta(days=1)


@pytest.fixture
def people(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_BASE_URL = "https://wuye.example.gov.cn"
    for name in ("firm_user", "firm_user2", "street_staff", "street_staff2", "district_admin"):
        user = world.users[name]
        user.email = f"{name}@example.gov.cn"
        user.email_digest = name in ("firm_user", "street_staff", "street_staff2", "district_admin")
        user.save(update_fields=["email", "email_digest"])
    world.users["street_staff2"].is_active = False  # opted in, then the account was closed
    world.users["street_staff2"].save(update_fields=["is_active"])
    world.users["district_admin"].email = ""  # opted in, then the address was removed
    world.users["district_admin"].save(update_fields=["email"])
    return world


def tell(world, at, key, title, personas, url="/inspections/orders/1/", body=""):
    with time_machine.travel(at - datetime.timedelta(hours=12), tick=False):
        notify(users=[world.users[p] for p in personas], key=key, title=title, body=body, url=url)


def run_task(at):
    """The beat task, as beat runs it: the clock stands at `at`."""
    with time_machine.travel(at, tick=False):
        return send_digests_task.apply().get()


def deliver_recorded_emails():
    """What the worker does with the outbox's recorded e-mails (each delivered, and one of them twice)."""
    for message in OutboxMessage.objects.filter(task="ops.send_email").order_by("pk"):
        send_email_task.apply(args=message.args)
        send_email_task.apply(args=message.args)


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_the_task_run_twice_mails_each_opted_in_user_once_with_their_unread_notices(people):
    w = people
    tell(w, MONDAY, "order.issued:1", "新的整改通知 ZG20260301-000001", ["firm_user", "firm_user2"],
         body="梅花园：楼道堆放杂物，整改期限 2026-03-09。")
    tell(w, MONDAY, "order.issued:2", "新的整改通知 ZG20260301-000002", ["firm_user"], url="/inspections/orders/2/")
    tell(w, MONDAY, "order.answered:3:9", "整改通知 ZG20260301-000003 已回复，待验收", ["street_staff", "street_staff2",
                                                                                 "district_admin"])
    Notification.objects.filter(key="order.issued:2").update(read_at=MONDAY - datetime.timedelta(hours=1))

    assert run_task(MONDAY) == {"sent": 2}
    assert run_task(MONDAY) == {"sent": 0}  # a second delivery of the task, or a second worker
    assert OutgoingEmail.objects.count() == 2
    deliver_recorded_emails()

    [firm] = sent_to("firm_user@example.gov.cn")
    assert firm.subject == "物业管理监管平台：您有 1 条未读通知（2026-03-02）"
    assert "新的整改通知 ZG20260301-000001" in firm.body and "梅花园：楼道堆放杂物" in firm.body
    assert "https://wuye.example.gov.cn/inspections/orders/1/" in firm.body
    assert "ZG20260301-000002" not in firm.body  # read already
    assert "https://wuye.example.gov.cn" + reverse("accounts:notification_settings") in firm.body
    [street] = sent_to("street_staff@example.gov.cn")
    assert "已回复，待验收" in street.body
    # Opted out, inactive, or without an address: nothing.
    assert sent_to("firm_user2@example.gov.cn") == [] and sent_to("street_staff2@example.gov.cn") == []
    assert len(mail.outbox) == 2
    # The notices listed are stamped; the others are not.
    assert set(Notification.objects.filter(emailed_at=MONDAY).values_list("user__username", flat=True)) == {
        "firm_user", "street_staff"}
    assert Notification.objects.get(user=w.users["firm_user2"]).emailed_at is None


def test_the_next_day_lists_only_what_came_since(people):
    w = people
    tell(w, MONDAY, "a:1", "第一条通知", ["firm_user"])
    run_task(MONDAY)
    tell(w, TUESDAY, "a:2", "第二条通知", ["firm_user"])
    run_task(TUESDAY)
    deliver_recorded_emails()
    monday, tuesday = sent_to("firm_user@example.gov.cn")
    assert "第一条通知" in monday.body and "第二条通知" not in monday.body
    assert "第二条通知" in tuesday.body and "第一条通知" not in tuesday.body
    assert run_task(TUESDAY + datetime.timedelta(days=1)) == {"sent": 0}  # nothing new: no empty e-mail


def test_a_crash_mid_run_loses_no_digest_and_doubles_none(people, monkeypatch):
    """The mail recording fails for one user (the process dies there): the users done before keep their
    recorded e-mail, that user's notices stay unmarked, and the next run sends exactly theirs."""
    w = people
    tell(w, MONDAY, "b:1", "给企业的通知", ["firm_user"])
    tell(w, MONDAY, "b:2", "给街道的通知", ["street_staff"])
    import ops.services

    real = ops.services.email_enqueue

    def dies_for_the_street(**kwargs):
        if kwargs["recipients"] == ["street_staff@example.gov.cn"]:
            raise ConnectionError("killed")
        return real(**kwargs)

    monkeypatch.setattr(ops.services, "email_enqueue", dies_for_the_street)
    assert digests_send(now=MONDAY) == 1
    assert Notification.objects.get(key="b:2").emailed_at is None
    monkeypatch.setattr(ops.services, "email_enqueue", real)
    assert digests_send(now=MONDAY + datetime.timedelta(hours=1)) == 1
    deliver_recorded_emails()
    assert len(sent_to("firm_user@example.gov.cn")) == 1 and len(sent_to("street_staff@example.gov.cn")) == 1


def test_without_the_digest_channel_nothing_is_sent(people, settings):
    settings.NOTIFICATION_CHANNELS = ["accounts.channels.InPortalChannel"]
    tell(people, MONDAY, "c:1", "一条通知", ["firm_user"])
    assert run_task(MONDAY) == {"sent": 0}
    assert not OutgoingEmail.objects.exists()


def test_a_long_backlog_lists_fifty_and_counts_the_rest(people):
    w = people
    for i in range(53):
        tell(w, MONDAY, f"d:{i}", f"通知{i:02d}", ["firm_user"])
    run_task(MONDAY)
    deliver_recorded_emails()
    [message] = sent_to("firm_user@example.gov.cn")
    assert message.subject.startswith("物业管理监管平台：您有 53 条未读通知")
    assert "……另有 3 条，请在平台查看。" in message.body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0  # all 53 were in this digest


def test_beat_sends_the_digest_every_morning(settings):
    from celery.schedules import crontab

    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "accounts.send_digests"]
    assert entry["schedule"] == crontab(hour=7, minute=30)
