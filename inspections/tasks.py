from celery import shared_task

from .services.orders import mark_overdue_orders


@shared_task(name="inspections.mark_overdue_orders", autoretry_for=(Exception,), retry_backoff=60,
             max_retries=3)
def mark_overdue_orders_task():
    """Daily: flag rectification orders past their deadline (idempotent)."""
    return mark_overdue_orders()
