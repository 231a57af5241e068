"""Celery beat through the outbox (settings: CELERY_BEAT_SCHEDULER = "ops.beat:OutboxScheduler").

Plain beat publishes a due job straight to the broker; if Redis is down at that
moment the job is gone (beat logs the error and waits for the next due time:
for the monthly payouts, a month). Here a due job is written to the outbox
table first and published by the relay when the broker is back. Only the
relay's own minute entry goes straight to the broker: losing one of those is
harmless, the next minute sends another.

If the database is down when a job is due, beat falls back to publishing
directly, so the job is lost only when the database and the broker are both down.
"""
import logging
import types

from celery.beat import PersistentScheduler
from django.db import DatabaseError, close_old_connections, connection

from .services import RELAY_TASK, outbox_enqueue

log = logging.getLogger(__name__)


class OutboxScheduler(PersistentScheduler):
    direct_tasks = frozenset({RELAY_TASK})

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        if entry.task in self.direct_tasks:
            return super().apply_async(entry, producer=producer, advance=advance, **kwargs)
        entry = self.reserve(entry) if advance else entry
        for attempt in (1, 2):  # a second try on a fresh connection (the database restarted since)
            try:
                if not connection.in_atomic_block:
                    close_old_connections()  # beat is long-lived: drop a connection the server closed
                message = outbox_enqueue(task=entry.task, args=list(entry.args or ()),
                                         kwargs=dict(entry.kwargs or {}), queue=entry.options.get("queue", ""))
                return types.SimpleNamespace(id=str(message.task_id))
            except DatabaseError:
                connection.close()
                if attempt == 2:
                    log.exception("beat: the database is down; sending %s straight to the broker", entry.name)
        return super().apply_async(entry, producer=producer, advance=False, **kwargs)
