"""Writes of the accounts app: notifications."""
from __future__ import annotations

import logging
from typing import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification, User

log = logging.getLogger(__name__)


def notify(*, users: Iterable[User], key: str, title: str, body: str = "", url: str = "") -> int:
    """Send an in-app notification once per (user, key); returns how many were new.

    Idempotent: the unique (user, key) constraint makes a second call a no-op,
    so a job that runs twice never notifies twice. E-mail goes out only for
    new notifications, after commit, and only when NOTIFY_BY_EMAIL is set.
    """
    users = [u for u in users if u.is_active]
    existing = set(
        Notification.objects.filter(user__in=users, key=key).values_list("user_id", flat=True)
    )
    fresh = [Notification(user=u, key=key, title=title, body=body, url=url) for u in users if u.pk not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    if fresh and getattr(settings, "NOTIFY_BY_EMAIL", False):
        recipients = [n.user.email for n in fresh if n.user.email]
        if recipients:
            transaction.on_commit(lambda: _send_mail(title, body, recipients))
    return len(fresh)


def _send_mail(title, body, recipients):
    try:
        send_mail(title, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # mail is a courtesy; the in-app notification is the record
        log.exception("notification e-mail failed")


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
