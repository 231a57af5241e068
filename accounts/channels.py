"""How notifications reach people: pluggable delivery channels, and the daily e-mail digest.

A notification is always a `Notification` row (the in-portal channel: the bell and the list, always on);
it is the record every other channel works from. The other channels are classes named by dotted path in
the setting NOTIFICATION_CHANNELS. `accounts.services.notify` hands each channel the rows it has just
created (`deliver(notifications)`), inside the transaction that created them, so a channel that records
its work there (an outbox row, `ops.services.outbox_enqueue`) commits or rolls back with the step that
caused it. A channel that fails is logged and skipped: the step and its in-portal notice stand.

Shipped channels:

- `InPortalChannel` ("portal"): the row itself. Always on, listed or not.
- `EmailDigestChannel` ("email_digest"): nothing at once; every morning the beat task
  `accounts.send_digests` e-mails each user who opted in (User.email_digest) their unread notices not
  e-mailed yet (`digests_send`). Leave it out of the setting and no digest is sent.
- `EmailNowChannel` ("email"): one e-mail per notice at once, to everyone told. Added when the older
  switch NOTIFY_BY_EMAIL is on, or by listing it.

A city adds SMS or 企业微信 by writing a class with `name`, `label` and `deliver` and listing it in
NOTIFICATION_CHANNELS; no workflow changes (docs/notifications.md has an example).
"""
from __future__ import annotations

import functools
import logging
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Notification, User

log = logging.getLogger(__name__)

DIGEST_SOURCE = "digest"
DIGEST_MAX_ITEMS = 50  # listed in one e-mail; the rest are counted and linked


class Channel:
    """A way of delivering notifications. Subclasses set `name` (unique, stable) and `label` (shown on the
    notification settings page) and override `deliver`.

    `deliver(notifications)` gets the Notification rows just created (saved, with `pk` and `user`), inside
    the transaction of the workflow step: do not call an outside service from here (the step may still
    roll back, and the page would wait on it). Record the work instead (an outbox task,
    `ops.services.outbox_enqueue`) and send from a Celery task, as `EmailNowChannel` does."""

    name: str = ""
    label = ""
    # True: the user cannot switch it off (shown as 始终开启).
    always_on: bool = False

    def deliver(self, notifications: list[Notification]) -> None:
        """Nothing at the moment of sending (a channel that collects later, like the digest)."""


class InPortalChannel(Channel):
    """The notification row itself: the header's bell and the notifications page."""

    name = "portal"
    label = gettext_lazy("站内通知（页面右上角的铃铛）")
    always_on = True


class EmailNowChannel(Channel):
    """One e-mail per notice, at once, recorded in the outbox and sent by the worker (ops.send_email).
    The notices it e-mailed are stamped `emailed_at` (their creation time), so the digest skips them."""

    name = "email"
    label = gettext_lazy("即时邮件")
    always_on = True

    def deliver(self, notifications: list[Notification]) -> None:
        from ops.services import email_enqueue

        groups: dict[tuple, list[Notification]] = defaultdict(list)
        for n in notifications:
            groups[(n.key, n.title, n.body)].append(n)
        mailed = []
        for (key, title, body), rows in groups.items():
            if email_enqueue(subject=title, body=body, recipients=[n.user.email for n in rows],
                             source=f"notification:{key}"):
                mailed += [n.pk for n in rows if n.user.email]
        if mailed:
            Notification.objects.filter(pk__in=mailed).update(emailed_at=F("created_at"))


class EmailDigestChannel(Channel):
    """Once a day, one e-mail per user who opted in, listing their unread notices not e-mailed yet."""

    name = "email_digest"
    label = gettext_lazy("每日邮件摘要")


def _load(path: str) -> Channel:
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"NOTIFICATION_CHANNELS: cannot import {path!r} ({exc})") from exc
    if not (isinstance(cls, type) and issubclass(cls, Channel)) or not cls.name:
        raise ImproperlyConfigured(f"NOTIFICATION_CHANNELS: {path!r} is not a Channel subclass with a name")
    return cls()


@functools.lru_cache(maxsize=8)
def _registry(paths: tuple[str, ...], email_now: bool) -> tuple[Channel, ...]:
    found: dict[str, Channel] = {"portal": InPortalChannel()}
    extra = ("accounts.channels.EmailNowChannel",) if email_now else ()
    for path in paths + extra:
        channel = _load(path)
        found.setdefault(channel.name, channel)
    return tuple(found.values())


def channels() -> tuple[Channel, ...]:
    """The channels in force: the in-portal one first, then NOTIFICATION_CHANNELS in their order (and the
    immediate e-mail when NOTIFY_BY_EMAIL is on); one per name."""
    paths = tuple(getattr(settings, "NOTIFICATION_CHANNELS", ()) or ())
    return _registry(paths, bool(getattr(settings, "NOTIFY_BY_EMAIL", False)))


def channel_named(name: str) -> Channel | None:
    return next((c for c in channels() if c.name == name), None)


def deliver(notifications: list[Notification]) -> None:
    """Hand new notifications to every channel that acts at once (called by `notify`, inside its
    transaction). A channel that raises is logged and rolled back to its savepoint; the others go on."""
    active = [c for c in channels() if type(c).deliver is not Channel.deliver]
    if not active or not notifications:
        return
    # bulk_create(ignore_conflicts=True) leaves the primary keys unset on PostgreSQL: read the rows back.
    pairs = {(n.user_id, n.key) for n in notifications}
    users = {n.user_id: n.user for n in notifications}
    rows = [n for n in Notification.objects.filter(user_id__in=users, key__in={k for _u, k in pairs})
            .order_by("pk") if (n.user_id, n.key) in pairs]
    for n in rows:
        n.user = users[n.user_id]
    for channel in active:
        try:
            with transaction.atomic():
                channel.deliver(rows)
        except Exception:
            log.exception("notification channel %r failed; the in-portal notices stand", channel.name)


# --- the daily e-mail digest ------------------------------------------------------------------------------

def email_digest_set(*, user: User, enabled: bool) -> User:
    """The user's own opt-in to the daily e-mail digest; refused without an e-mail address to send to."""
    if enabled and not (user.email or "").strip():
        raise ValidationError({"email_digest": _("您的账号没有登记电子邮箱，无法接收邮件摘要。请联系管理员登记邮箱后再开启。")})
    user.email_digest = enabled
    user._history_user = user
    user._change_reason = _("开启每日邮件摘要") if enabled else _("关闭每日邮件摘要")
    user.save(update_fields=["email_digest"])
    return user


def _pending(user_id: int, now):
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True, emailed_at__isnull=True,
                                       created_at__lte=now)


def digest_recipients(now):
    """Ids of the active users who opted in, have an address and have unread notices not yet e-mailed."""
    waiting = Notification.objects.filter(read_at__isnull=True, emailed_at__isnull=True, created_at__lte=now)
    return list(User.objects.filter(is_active=True, email_digest=True, pk__in=waiting.values("user_id"))
                .exclude(email="").order_by("pk").values_list("pk", flat=True))


def absolute(url: str) -> str:
    """A portal link as the e-mail shows it: PORTAL_BASE_URL in front of a path."""
    base = (getattr(settings, "PORTAL_BASE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") else url


def digest_text(user: User, notices: list[Notification], now) -> tuple[str, str]:
    """(subject, body) of one user's digest, in Chinese, links absolute."""
    local = timezone.localtime(now)
    subject = _("物业管理监管平台：您有 %(n)d 条未读通知（%(d)s）") % {"n": len(notices), "d": f"{local:%Y-%m-%d}"}
    lines = [_("%(name)s，您好：") % {"name": user.display_name}, "",
             _("截至 %(t)s，您在物业管理监管平台有 %(n)d 条未读通知：") % {"t": f"{local:%Y-%m-%d %H:%M}",
                                                              "n": len(notices)}, ""]
    for i, n in enumerate(notices[:DIGEST_MAX_ITEMS], start=1):
        lines.append(f"{i}. {n.title}（{timezone.localtime(n.created_at):%Y-%m-%d %H:%M}）")
        if n.body:
            lines.append("   " + " ".join(n.body.split())[:200])
        if n.url:
            lines.append("   " + absolute(n.url))
    if len(notices) > DIGEST_MAX_ITEMS:
        lines.append(_("……另有 %(n)d 条，请在平台查看。") % {"n": len(notices) - DIGEST_MAX_ITEMS})
    lines += ["", _("查看全部通知：%(u)s") % {"u": absolute(reverse("accounts:notifications"))},
              _("不再接收每日邮件摘要，请在“通知设置”中关闭：%(u)s") % {
                  "u": absolute(reverse("accounts:notification_settings"))},
              "", _("此邮件由系统自动发送，请勿回复。")]
    return subject, "\n".join(lines) + "\n"


def digest_send(*, user_id: int, now) -> bool:
    """One user's digest, exactly once: in one transaction, under a lock on the user's row, the e-mail is
    recorded in the outbox (ops.services.email_enqueue; the worker sends it, once) and the notices it lists
    are stamped `emailed_at`. A second run, or a second worker, finds nothing left to send; a crash before
    the commit leaves both undone, so the next run sends it. True when an e-mail was recorded."""
    from ops.services import email_enqueue

    with transaction.atomic():
        user = (User.objects.select_for_update().filter(pk=user_id, is_active=True, email_digest=True)
                .exclude(email="").first())
        if user is None:
            return False
        notices = list(_pending(user.pk, now).order_by("created_at", "pk"))
        if not notices:
            return False
        subject, body = digest_text(user, notices, now)
        email_enqueue(subject=subject, body=body, recipients=[user.email],
                      source=f"{DIGEST_SOURCE}:{user.pk}:{timezone.localtime(now):%Y-%m-%d}")
        Notification.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=now)
    return True


def digests_send(*, now) -> int:
    """The daily job: every opted-in user's digest, each in its own transaction. Nothing when the digest
    channel is not in NOTIFICATION_CHANNELS. A user whose digest fails is logged and left for the next run
    (nothing of theirs was marked); the others go on. A database outage is raised, for the task's retry.
    Returns how many e-mails were recorded."""
    if channel_named(EmailDigestChannel.name) is None:
        return 0
    sent = 0
    for pk in digest_recipients(now):
        try:
            sent += digest_send(user_id=pk, now=now)
        except DatabaseError:
            raise
        except Exception:
            log.exception("notification digest of user %s failed; it is sent by the next run", pk)
    return sent
