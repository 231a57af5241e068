import os

from celery import Celery
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
# All Celery settings live in config/settings.py under the CELERY_ prefix,
# including the beat schedule.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The declaration every portal job uses (`@shared_task(name=…, **IDEMPOTENT_JOB)`). It is only
# right for idempotent tasks, which all of the portal's are (a unique constraint plus a row lock,
# compare-and-set on a status or a sent_at), so a message delivered twice changes nothing:
# - acks_late + reject_on_worker_lost: the message is acknowledged after the task finished; a
#   worker killed mid-task (OOM, kill -9, power) leaves it unacknowledged and it runs again
#   (at once when only the pool child died, after the broker's visibility timeout otherwise);
# - a database that restarts or drops the connection mid-task (OperationalError, or
#   InterfaceError on a closed connection; Django's and, for raw COPY, psycopg2's) is retried with
#   backoff; the task's transaction rolled back, and the worker opens a new connection before each
#   run. Other errors are bugs or bad data: retrying would not help, they are logged and the task fails.
def _database_outage_errors() -> tuple:
    errors = [OperationalError, InterfaceError]
    try:  # fast bulk writes (accounts.bulk: COPY) use psycopg2's cursor, whose errors Django does not wrap
        import psycopg2
    except ImportError:
        pass
    else:
        errors += [psycopg2.OperationalError, psycopg2.InterfaceError]
    return tuple(errors)


IDEMPOTENT_JOB = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": _database_outage_errors(),
    "retry_backoff": 5,  # up to 5, 10, 20, 40, 80 s (random below each: jitter)
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@app.task(name="portal.ping")
def ping():
    """Health check: a worker that answers proves the broker round trip."""
    return "pong"
