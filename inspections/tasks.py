from celery import shared_task

from config.celery import IDEMPOTENT_JOB

from .services.orders import mark_overdue_orders


@shared_task(name="inspections.mark_overdue_orders", **IDEMPOTENT_JOB)
def mark_overdue_orders_task():
    """Daily: flag rectification orders past their deadline (idempotent)."""
    return mark_overdue_orders()
