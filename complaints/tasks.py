"""Celery tasks of the complaints app: a few lines each, the clock read here and passed down."""
from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_JOB


@shared_task(name="complaints.mark_overdue", **IDEMPOTENT_JOB)
def mark_overdue_task():
    """Hourly: mark each late clock once and send each escalation step once (idempotent)."""
    from .services import complaints_mark_overdue

    return complaints_mark_overdue(now=timezone.now())


@shared_task(name="complaints.import_run", **IDEMPOTENT_JOB)
def import_run_task(run_id: int):
    """Import one confirmed hotline file (idempotent: a run already done is left alone)."""
    from .services.imports import import_run_execute

    return import_run_execute(run_id=run_id, now=timezone.now())


@shared_task(name="complaints.import_check", **IDEMPOTENT_JOB)
def import_check_task(run_id: int):
    """Check one big uploaded hotline file (idempotent: a run no longer 检查中 is left alone)."""
    from .services.imports import import_run_check

    return import_run_check(run_id=run_id, now=timezone.now())
