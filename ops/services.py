"""Writes of the ops app: record work in the outbox, relay it to the broker, send e-mails.

How a page gets work done later without calling the broker:

1. `outbox_enqueue(task=…, args=…)` inside the page's transaction writes an
   `OutboxMessage`; it commits or rolls back with the change that caused it.
2. Right after commit, one attempt publishes it (`transaction.on_commit`). The
   attempt has short timeouts and swallows every broker error: with Redis
   down the page answers as usual and the row stays pending. After a failure
   this process skips such attempts for `OUTBOX_BACKOFF_SECONDS`, so a broker
   that hangs (rather than refusing) costs one page about a second, not every
   page.
3. Every minute beat sends `ops.relay_outbox`, which publishes what is still
   pending (`python manage.py relay_outbox` does the same by hand).

A message is marked sent only after the broker accepted it, inside the
transaction that locked it (`SELECT … FOR UPDATE SKIP LOCKED`, so two relays
never publish the same row at once). If the process dies between the broker's
"accepted" and the commit, the message is published again later with the same
task id: the tasks are idempotent, so the work is done once.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
import time
from typing import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, transaction
from django.db.models import F

from .models import OutboxMessage, OutgoingEmail

log = logging.getLogger(__name__)

SEND_EMAIL_TASK = "ops.send_email"
RELAY_TASK = "ops.relay_outbox"

# Publishing from a page or the relay: fail fast instead of waiting on a broker that is down.
# Connection refused costs ~0.2 s; a broker that accepts connections but never answers costs
# PUBLISH_TIMEOUT seconds once, then OUTBOX_BACKOFF_SECONDS of skipped after-commit attempts.
PUBLISH_TIMEOUT = 1.0
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
OUTBOX_BACKOFF_SECONDS = 30
RELAY_BATCH = 500

_broker_down_until = 0.0  # time.monotonic() before which after-commit attempts are skipped


@dataclasses.dataclass
class RelayResult:
    sent: int = 0
    failed: int = 0
    error: str = ""


def _registered(task: str) -> bool:
    from config.celery import app

    if task not in app.tasks:
        # Outside a worker nothing has imported the apps' tasks modules yet (Celery discovers them
        # lazily, when a worker starts): import them now, once.
        app.autodiscover_tasks(force=True)
    return task in app.tasks


def outbox_enqueue(*, task: str, args: Iterable = (), kwargs: dict | None = None, queue: str = "") -> OutboxMessage:
    """Record `task(*args, **kwargs)` to be sent to the broker once the current transaction commits.

    Arguments must be plain JSON (ids, ISO dates as strings). Call it inside the
    transaction of the change that causes the work: if that rolls back, so does
    the message.
    """
    if not _registered(task):
        raise ValueError(f"unknown Celery task {task!r}")
    message = OutboxMessage.objects.create(task=task, args=list(args), kwargs=dict(kwargs or {}), queue=queue)
    transaction.on_commit(functools.partial(_relay_after_commit, message.pk), robust=True)
    return message


def _relay_after_commit(pk: int) -> None:
    """The after-commit attempt (the edge that reads the clock): never raises, never waits long."""
    from django.utils import timezone

    if time.monotonic() < _broker_down_until:
        return  # the broker failed a moment ago; the minute relay will send it
    try:
        outbox_relay(now=timezone.now(), ids=[pk])
    except Exception:  # the page's work is committed; the row stays pending for the relay
        log.warning("outbox: relaying message %s after commit failed; it stays pending", pk, exc_info=True)


def outbox_relay(*, now: datetime.datetime, ids: list[int] | None = None, limit: int = RELAY_BATCH) -> RelayResult:
    """Publish pending outbox messages (those in `ids`, or the oldest `limit`), oldest first.

    Stops at the first broker error: the rest would fail the same way and stay pending.
    """
    global _broker_down_until
    result = RelayResult()
    with transaction.atomic():
        pending = OutboxMessage.objects.select_for_update(skip_locked=True).filter(sent_at__isnull=True)
        if ids is not None:
            pending = pending.filter(pk__in=ids)
        rows = list(pending.order_by("pk")[:limit])
        if not rows:
            return result
        with _publisher() as publish:
            for row in rows:
                try:
                    publish(row)
                except Exception as exc:  # kombu OperationalError, redis ConnectionError/TimeoutError, OSError…
                    _broker_down_until = time.monotonic() + OUTBOX_BACKOFF_SECONDS
                    result.failed = len(rows) - result.sent
                    result.error = f"{type(exc).__name__}: {exc}"[:2000]
                    OutboxMessage.objects.filter(pk=row.pk).update(
                        attempts=F("attempts") + 1, last_attempt_at=now, last_error=result.error)
                    log.warning("outbox: the broker did not take %s (%d message(s) stay pending): %s",
                                row, result.failed, result.error)
                    break
                row.sent_at = now
                row.save(update_fields=["sent_at"])
                result.sent += 1
            else:
                _broker_down_until = 0.0
    return result


class _publisher:
    """Context manager giving publish(row): one broker connection with short timeouts, or eager runs."""

    def __enter__(self):
        from config.celery import app

        self.app = app
        self.conn = None
        if app.conf.task_always_eager:
            return self._run_eagerly
        options = {"max_retries": 0, "connect_retries_timeout": PUBLISH_TIMEOUT}
        if str(app.conf.broker_url).startswith(("redis://", "rediss://")):
            options |= {"socket_connect_timeout": PUBLISH_TIMEOUT, "socket_timeout": PUBLISH_TIMEOUT}
        self.conn = app.connection_for_write(connect_timeout=PUBLISH_TIMEOUT, transport_options=options)
        return self._publish

    def _publish(self, row: OutboxMessage) -> None:
        # ignore_result: nobody waits for an outbox task's result, and without it Celery would first
        # subscribe to the result backend (Redis too), which retries for 20 s when Redis is down.
        self.app.send_task(row.task, args=row.args, kwargs=row.kwargs, task_id=str(row.task_id),
                           queue=row.queue or None, connection=self.conn, retry=True,
                           retry_policy=PUBLISH_RETRY_POLICY, ignore_result=True)

    def _run_eagerly(self, row: OutboxMessage) -> None:
        # CELERY_TASK_ALWAYS_EAGER: run in this process, as .delay() would.
        self.app.tasks[row.task].apply(args=row.args, kwargs=row.kwargs, task_id=str(row.task_id), throw=True)

    def __exit__(self, *exc):
        if self.conn is not None:
            self.conn.release()
        return False


def outbox_purge(*, now: datetime.datetime, keep_days: int = 30) -> int:
    """Delete messages sent more than `keep_days` ago (pending ones are never deleted)."""
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=now - datetime.timedelta(days=keep_days)).delete()
    return deleted


def email_enqueue(*, subject: str, body: str, recipients: list[str], source: str = "") -> OutgoingEmail | None:
    """Record an e-mail and the task that sends it, in the current transaction (a page never waits on SMTP)."""
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return None
    email = OutgoingEmail.objects.create(subject=subject[:200], body=body, recipients=recipients, source=source[:200])
    outbox_enqueue(task=SEND_EMAIL_TASK, args=[email.pk])
    return email


def email_send(*, email_id: int, now: datetime.datetime) -> bool:
    """Send one recorded e-mail unless it was sent already; True when it was sent now.

    The row is locked while the mail server answers, so two deliveries of the task
    send it once. A failure is recorded on the row and re-raised for the task's retries.
    """
    try:
        with transaction.atomic():
            email = OutgoingEmail.objects.select_for_update().filter(pk=email_id, sent_at__isnull=True).first()
            if email is None:
                return False
            send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, email.recipients, fail_silently=False)
            email.sent_at = now
            email.save(update_fields=["sent_at"])
    except Exception as exc:
        try:
            OutgoingEmail.objects.filter(pk=email_id).update(attempts=F("attempts") + 1,
                                                            last_error=f"{type(exc).__name__}: {exc}"[:2000])
        except DatabaseError:
            pass  # the database itself is what failed; the task's retry will try again
        raise
    return True
