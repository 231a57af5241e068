from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_JOB

from .services import RELAY_TASK, SEND_EMAIL_TASK, email_send, outbox_purge, outbox_relay


# ignore_result: nobody reads these results, and beat sending the relay while Redis is down must not
# first wait on the Redis result backend (which retries for 20 s and then needs a restart).
@shared_task(name=RELAY_TASK, ignore_result=True, **IDEMPOTENT_JOB)
def relay_outbox_task():
    """Every minute (beat): publish the outbox messages the after-commit attempt could not send."""
    now = timezone.now()
    result = outbox_relay(now=now)
    outbox_purge(now=now)
    return {"sent": result.sent, "pending": result.failed}


# The mail server being down (OSError covers smtplib's errors and refused connections) is retried too.
SEND_EMAIL = IDEMPOTENT_JOB | {"autoretry_for": IDEMPOTENT_JOB["autoretry_for"] + (OSError,),
                               "retry_backoff": 60, "retry_backoff_max": 3600, "max_retries": 8,
                               "retry_jitter": False,  # 1, 2, 4 … 32, 60, 60 minutes: about three hours
                               "ignore_result": True}


@shared_task(name=SEND_EMAIL_TASK, **SEND_EMAIL)
def send_email_task(email_id: int):
    """Send one recorded e-mail (idempotent: a sent e-mail is not sent again). Retried for about three
    hours; after that it stays unsent, with its error, in the admin (运行保障 › 通知邮件, 重新发送)."""
    return email_send(email_id=email_id, now=timezone.now())
