from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_JOB

from .channels import digests_send


@shared_task(name="accounts.send_digests", **IDEMPOTENT_JOB)
def send_digests_task():
    """Daily (beat, 07:30): the e-mail digest of unread notifications for the users who opted in. Each
    user's digest is sent once however often the task runs (accounts.channels.digest_send). The clock is
    read here, once."""
    return {"sent": digests_send(now=timezone.now())}
