"""Writes of the accounts app: notifications."""
from __future__ import annotations

from typing import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ops.services import email_enqueue

from .models import Notification, User


def notify(*, users: Iterable[User], key: str, title: str, body: str = "", url: str = "") -> int:
    """Send an in-app notification once per (user, key); returns how many were new.

    Idempotent: the unique (user, key) constraint makes a second call a no-op,
    so a job that runs twice never notifies twice. With NOTIFY_BY_EMAIL, the
    e-mail for the new notifications is recorded in the same transaction and
    sent by a worker through the outbox (ops): the page never waits on the
    mail server or the broker, and an outage of either loses nothing.
    """
    users = [u for u in users if u.is_active]
    existing = set(
        Notification.objects.filter(user__in=users, key=key).values_list("user_id", flat=True)
    )
    fresh = [Notification(user=u, key=key, title=title, body=body, url=url) for u in users if u.pk not in existing]
    with transaction.atomic():
        Notification.objects.bulk_create(fresh, ignore_conflicts=True)
        if fresh and getattr(settings, "NOTIFY_BY_EMAIL", False):
            email_enqueue(subject=title, body=body, recipients=[n.user.email for n in fresh],
                          source=f"notification:{key}")
    return len(fresh)


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def user_set_password(*, user: User, password: str, must_change: bool) -> User:
    """Set a user's password. `must_change`: someone else chose it (an admin creating the account or
    resetting it), so the user is sent to the change page until they choose their own
    (accounts.middleware.ForcePasswordChangeMiddleware); a password the user chose clears the flag."""
    user.set_password(password)
    user.must_change_password = must_change
    user.save(update_fields=["password", "must_change_password"])
    return user


def user_require_password_change(*, user: User) -> User:
    """Someone else set this user's password (e.g. through the Django admin): they must choose their own."""
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    return user
