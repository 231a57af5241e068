from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_JOB

from .services.orders import mark_overdue_orders


@shared_task(name="inspections.mark_overdue_orders", **IDEMPOTENT_JOB)
def mark_overdue_orders_task():
    """Daily: flag rectification orders past their deadline (idempotent). The clock is read here, once."""
    return mark_overdue_orders(now=timezone.now())
