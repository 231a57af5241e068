from celery import shared_task
from django.utils import timezone

from .services.periods import scheduled_run


@shared_task(name="ratings.run_quarterly", autoretry_for=(Exception,), retry_backoff=300, max_retries=3)
def run_quarterly_ratings_task():
    """Daily check: compute the quarter just ended for districts whose run day has come, until the
    district announces it (idempotent; an announced quarter is left alone)."""
    return [str(p) for p in scheduled_run(today=timezone.localdate())]
