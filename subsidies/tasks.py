from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_JOB

from .services.generation import generate_all, previous_month


@shared_task(name="subsidies.generate_monthly", **IDEMPOTENT_JOB)
def generate_monthly_payouts_task(month: str | None = None):
    """Early each month: the previous month's batches (idempotent: a second run adds nothing)."""
    import datetime

    target = datetime.date.fromisoformat(month) if month else previous_month(timezone.localdate())
    return [str(b) for b in generate_all(month=target)]
