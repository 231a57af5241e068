from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_JOB

from .services.periods import scheduled_run


@shared_task(name="ratings.run_quarterly", **IDEMPOTENT_JOB)
def run_quarterly_ratings_task():
    """Daily check: compute the quarter just ended for districts whose run day has come, until the
    district announces it (idempotent; an announced quarter is left alone)."""
    return [str(p) for p in scheduled_run(today=timezone.localdate())]
