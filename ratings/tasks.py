from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_JOB

from .services.periods import scheduled_run
from .services.uploads import pending_uploads_expire


@shared_task(name="ratings.run_quarterly", **IDEMPOTENT_JOB)
def run_quarterly_ratings_task():
    """Daily check: compute the quarter just ended for districts whose run day has come, until the
    district announces it (idempotent; an announced quarter is left alone)."""
    now = timezone.now()  # the one clock read: the day and the computation's stamp both come from it
    return [str(p) for p in scheduled_run(today=timezone.localdate(now), now=now)]


@shared_task(name="ratings.expire_pending_uploads", **IDEMPOTENT_JOB)
def expire_pending_uploads_task():
    """Remove files kept from refused application forms once they are older than PENDING_UPLOAD_TTL (every
    keep also removes some; this catches the rest when nobody submits)."""
    return pending_uploads_expire(now=timezone.now())
