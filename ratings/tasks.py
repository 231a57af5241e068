from celery import shared_task

from .services.periods import scheduled_run


@shared_task(name="ratings.run_quarterly", autoretry_for=(Exception,), retry_backoff=300, max_retries=3)
def run_quarterly_ratings_task():
    """Daily check: rate the quarter just ended for districts whose run day has come (idempotent)."""
    return [str(p) for p in scheduled_run()]
