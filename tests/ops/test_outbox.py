"""The transactional outbox: a page records its work with its change, the relay sends it when the broker is up.

The broker is faked here (tests/ops/conftest.py `broker`: accepts, or refuses like Redis that is down),
except in the tests of the real publisher's time limits; tests/ops/test_outage.py stops the real Redis.
"""
import datetime
import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.services import notify
from inspections.models import RectificationOrder
from ops import services
from ops.models import OutboxMessage, OutgoingEmail
from ops.services import outbox_enqueue, outbox_relay

NOW = datetime.datetime(2026, 10, 9, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def emails_on(settings, world):
    settings.NOTIFY_BY_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for name, user in world.users.items():
        user.email = f"{name}@example.gov.cn"
        user.save(update_fields=["email"])
    return world


def issue_order_on_the_page(client, world):
    deadline = timezone.localdate() + datetime.timedelta(days=7)
    return client.post(reverse("inspections:order_create") + f"?estate={world.estate_a1.pk}",
                       {"estate": world.estate_a1.pk, "problem": "垃圾清运不及时", "requirement": "三日内清理",
                        "deadline": deadline.isoformat()})


def test_a_rolled_back_change_leaves_no_message(db, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(IntegrityError), transaction.atomic():
            outbox_enqueue(task="subsidies.generate_monthly", args=["2026-10-01"])
            raise IntegrityError("the change that caused the work failed")
    assert not OutboxMessage.objects.exists()
    assert broker.accepted == []


def test_unknown_task_names_are_refused(db):
    with pytest.raises(ValueError, match="unknown Celery task"):
        outbox_enqueue(task="subsidies.no_such_task")


def test_with_the_broker_down_the_page_answers_and_the_email_waits_in_the_outbox(
        emails_on, login, broker, django_capture_on_commit_callbacks):
    w = emails_on
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = issue_order_on_the_page(login("street_staff"), w)
    assert response.status_code == 302, response.content.decode()[:500]
    order = RectificationOrder.objects.get()
    assert response.url == reverse("inspections:order_detail", args=[order.pk])
    assert len(callbacks) == 1  # the one after-commit attempt, which failed quietly
    assert Notification.objects.filter(user=w.users["firm_user"], url__endswith=f"/orders/{order.pk}/").exists()
    email = OutgoingEmail.objects.get()
    assert email.recipients == ["firm_user@example.gov.cn"] and email.sent_at is None
    assert email.source == f"notification:order.issued:{order.pk}"
    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.sent_at, message.attempts) == ("ops.send_email", [email.pk], None, 1)
    assert "Connection refused" in message.last_error
    assert mail.outbox == []  # nothing was sent from the page

    # The broker is back: the minute relay publishes it, once.
    broker.down = False
    result = outbox_relay(now=NOW)
    assert (result.sent, result.failed) == (1, 0)
    assert broker.accepted == [("ops.send_email", [email.pk], str(message.task_id))]
    message.refresh_from_db()
    assert message.sent_at == NOW
    assert outbox_relay(now=NOW).sent == 0
    assert len(broker.accepted) == 1

    # The worker's task sends the e-mail once, however often it is delivered.
    from ops.tasks import send_email_task

    assert send_email_task.apply(args=[email.pk]).get() is True
    assert send_email_task.apply(args=[email.pk]).get() is False
    assert [(m.subject, m.to) for m in mail.outbox] == [(email.subject, ["firm_user@example.gov.cn"])]
    email.refresh_from_db()
    assert email.sent_at is not None


def test_with_the_broker_up_the_message_is_sent_right_after_commit(
        emails_on, login, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert issue_order_on_the_page(login("street_staff"), emails_on).status_code == 302
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None and message.attempts == 0
    assert [a[0] for a in broker.accepted] == ["ops.send_email"]


def test_after_a_refusal_pages_skip_the_broker_for_a_while_and_the_relay_does_not(
        db, broker, django_capture_on_commit_callbacks):
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox_enqueue(task="ops.relay_outbox")
    with django_capture_on_commit_callbacks(execute=True):
        second = outbox_enqueue(task="ops.relay_outbox")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 0)  # the second page did not wait on the broker
    broker.down = False
    assert outbox_relay(now=NOW).sent == 2
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_the_relay_stops_at_the_first_refusal_and_keeps_the_order(db, broker):
    ids = [outbox_enqueue(task="ops.send_email", args=[n]).pk for n in range(3)]
    broker.down = True
    result = outbox_relay(now=NOW)
    assert (result.sent, result.failed) == (0, 3)
    assert list(OutboxMessage.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 0, 0]
    broker.down = False
    assert outbox_relay(now=NOW).sent == 3
    assert [a[1] for a in broker.accepted] == [[0], [1], [2]]
    assert ids == sorted(ids)


def test_sent_messages_are_purged_after_thirty_days_pending_ones_never(db, broker):
    sent = outbox_enqueue(task="ops.relay_outbox")
    outbox_relay(now=NOW - datetime.timedelta(days=31))
    broker.down = True
    pending = outbox_enqueue(task="ops.relay_outbox")
    outbox_relay(now=NOW - datetime.timedelta(days=40))
    assert services.outbox_purge(now=NOW) == 1
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [pending.pk]
    assert not OutboxMessage.objects.filter(pk=sent.pk).exists()


def test_relay_outbox_command_sends_everything_pending(db, broker, capsys):
    for n in range(3):
        outbox_enqueue(task="ops.send_email", args=[n])
    call_command("relay_outbox")
    assert "sent 3; none pending" in capsys.readouterr().out
    broker.down = True
    outbox_enqueue(task="ops.send_email", args=[9])
    with pytest.raises(SystemExit):
        call_command("relay_outbox")


def test_a_mail_server_that_is_down_is_recorded_and_the_task_retries_it(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens
    email = services.email_enqueue(subject="整改通知", body="…", recipients=["a@example.gov.cn"])
    with pytest.raises(OSError):
        services.email_send(email_id=email.pk, now=NOW)
    email.refresh_from_db()
    assert email.sent_at is None and email.attempts == 1 and email.last_error
    from ops.tasks import send_email_task

    assert OSError in send_email_task.autoretry_for


def test_notify_without_email_setting_records_no_email(world, settings):
    settings.NOTIFY_BY_EMAIL = False
    assert notify(users=[world.users["firm_user"]], key="k", title="t") == 1
    assert not OutgoingEmail.objects.exists() and not OutboxMessage.objects.exists()


def test_a_notification_sent_twice_records_one_email(emails_on):
    users = [emails_on.users["firm_user"], emails_on.users["firm_user2"]]
    notify(users=users, key="k", title="整改通知逾期")
    notify(users=users, key="k", title="整改通知逾期")
    assert OutgoingEmail.objects.get().recipients == ["firm_user2@example.gov.cn", "firm_user@example.gov.cn"]
    assert OutboxMessage.objects.count() == 1


# --- beat ---------------------------------------------------------------------------------------------------


def test_beat_writes_due_jobs_to_the_outbox_and_sends_the_relay_directly(db, tmp_path, monkeypatch, broker,
                                                                         django_capture_on_commit_callbacks):
    from celery.beat import PersistentScheduler, ScheduleEntry

    from config.celery import app
    from ops.beat import OutboxScheduler

    direct = []
    monkeypatch.setattr(PersistentScheduler, "apply_async",
                        lambda self, entry, producer=None, advance=True, **kw: direct.append(entry.task))
    scheduler = OutboxScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=True)
    broker.down = True  # Redis is down at 03:00 on the 3rd
    monthly = ScheduleEntry(name="generate-monthly-payouts", task="subsidies.generate_monthly", schedule=60,
                            app=app)
    with django_capture_on_commit_callbacks(execute=True):  # beat runs in autocommit: at once
        scheduler.apply_entry(monthly)
    relay = ScheduleEntry(name="relay-outbox", task="ops.relay_outbox", schedule=60, app=app)
    scheduler.apply_entry(relay)
    assert direct == ["ops.relay_outbox"]
    message = OutboxMessage.objects.get()
    assert (message.task, message.sent_at, message.attempts) == ("subsidies.generate_monthly", None, 1)
    broker.down = False
    assert outbox_relay(now=NOW).sent == 1  # …and the month's job goes out when the broker is back


def test_beat_falls_back_to_the_broker_when_the_database_is_down(db, tmp_path, monkeypatch):
    from celery.beat import PersistentScheduler, ScheduleEntry

    from config.celery import app
    from ops import beat

    direct = []
    monkeypatch.setattr(PersistentScheduler, "apply_async",
                        lambda self, entry, producer=None, advance=True, **kw: direct.append(entry.task))

    def db_down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(beat, "outbox_enqueue", db_down)
    monkeypatch.setattr(beat.connection, "close", lambda: None)  # keep the test's own connection
    scheduler = beat.OutboxScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=True)
    scheduler.apply_entry(ScheduleEntry(name="m", task="subsidies.generate_monthly", schedule=60, app=app))
    assert direct == ["subsidies.generate_monthly"]


def test_beat_uses_the_outbox_scheduler_and_relays_every_minute(settings):
    assert settings.CELERY_BEAT_SCHEDULER == "ops.beat:OutboxScheduler"
    assert settings.CELERY_BEAT_SCHEDULE["relay-outbox"] == {"task": "ops.relay_outbox", "schedule": 60.0}


# --- every task's declaration -----------------------------------------------------------------------------


def portal_tasks():
    from config.celery import app

    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery.") and name != "portal.ping")


@pytest.mark.parametrize("name", portal_tasks())
def test_every_portal_job_is_acked_late_and_retries_database_outages(name):
    from config.celery import app

    import psycopg2

    task = app.tasks[name]
    assert task.acks_late and task.reject_on_worker_lost
    # Django's errors, and psycopg2's own for the raw COPY of accounts.bulk (which Django does not wrap)
    assert {OperationalError, InterfaceError, psycopg2.OperationalError, psycopg2.InterfaceError} <= set(
        task.autoretry_for)
    assert task.max_retries >= 5 and task.retry_backoff


def test_the_jobs_are_the_ones_declared_in_the_beat_schedule_and_the_outbox(settings):
    scheduled = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    # Three jobs are enqueued by a page rather than by beat: an e-mail, the check of a big 12345 file and
    # one confirmed 12345 import.
    assert scheduled | {"ops.send_email", "complaints.import_run", "complaints.import_check"} == set(portal_tasks())


# --- the real publisher's time limits (no fake broker) -------------------------------------------------------


@pytest.fixture
def real_redis_url(monkeypatch):
    from config.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}

    def use(url):
        monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery reads the environment variable first
        app.conf.update(broker_url=url, task_always_eager=False)

    yield use
    app.conf.update(saved)


def test_a_refused_connection_leaves_the_message_pending_within_a_second(db, real_redis_url):
    real_redis_url("redis://127.0.0.1:1/4")  # nothing listens on port 1
    outbox_enqueue(task="ops.relay_outbox")
    started = time.monotonic()
    result = outbox_relay(now=NOW)
    assert time.monotonic() - started < 1.5
    assert (result.sent, result.failed) == (0, 1) and "OperationalError" in result.error


def test_a_broker_that_never_answers_costs_a_page_a_few_seconds_at_most(db, real_redis_url):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)  # the kernel accepts connections; nobody ever answers
    try:
        real_redis_url(f"redis://127.0.0.1:{server.getsockname()[1]}/4")
        outbox_enqueue(task="ops.relay_outbox")
        started = time.monotonic()
        result = outbox_relay(now=NOW)
        took = time.monotonic() - started
        assert result.failed == 1 and took < 5, took
    finally:
        server.close()


def test_the_publisher_never_waits_on_the_result_backend(db, monkeypatch):
    """With a Redis result backend, a task sent without ignore_result first subscribes to its result in
    Redis, which retries for 20 s when Redis is down; the outbox never reads results."""
    from config.celery import app

    calls = []
    monkeypatch.setattr(app, "send_task", lambda name, **kw: calls.append((name, kw)))
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    outbox_enqueue(task="ops.send_email", args=[1])
    assert outbox_relay(now=NOW).sent == 1
    [(name, kw)] = calls
    assert name == "ops.send_email" and kw["ignore_result"] is True and kw["args"] == [1]
    assert app.tasks["ops.relay_outbox"].ignore_result and app.tasks["ops.send_email"].ignore_result


def test_a_fresh_process_knows_the_tasks_before_any_worker_imported_them():
    """Celery discovers tasks modules lazily (when a worker starts); a web process must still accept them."""
    code = ("import django; django.setup(); from config.celery import app; "
            "assert 'ops.send_email' not in app.tasks; "
            "from ops.services import _registered; "
            "assert _registered('ops.send_email') and _registered('subsidies.generate_monthly'); "
            "assert not _registered('ops.nothing'); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=django_settings.BASE_DIR, capture_output=True, text=True,
                         env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}, timeout=60)
    assert out.stdout.strip().endswith("ok"), out.stderr[-2000:]
