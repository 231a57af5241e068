"""The header's figures for base.html: the bell's unread count and the role's menu with its 待办 counts.

Both are lazy and share one query per request (accounts/menu.py `header_counts`): a response that renders
neither (an htmx fragment, a JSON error page) reads nothing.

Opening a page marks read the user's unread notifications whose link is that page (`_mark_opened_read`):
a notification is about an object, and the person has now seen the object, whatever route brought them
there (the bell, a list, a bookmark). It costs one UPDATE, and only on a GET of a user whom the bell's count
(already loaded) shows to have unread notifications; the bell then shows the count without them. The home
page is no object: everyone lands there after logging in, so a notice linking to it stays unread until
opened from the bell.
"""
import dataclasses

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .menu import HeaderCounts, header_counts, menu_for
from .models import Notification


def _mark_opened_read(request, counts: HeaderCounts, now) -> HeaderCounts:
    """Mark read the unread notifications linking to the page being shown; the counts without them."""
    if not counts.unread or request.method != "GET" or request.path == reverse("home"):
        return counts
    opened = Notification.objects.filter(user=request.user, read_at__isnull=True,
                                         url=request.path).update(read_at=now)
    return dataclasses.replace(counts, unread=max(counts.unread - opened, 0)) if opened else counts


def request_header_counts(request) -> HeaderCounts:
    """The header's counts of this request, read once (the menu, the bell and the home page's 待办 card)."""
    cached = getattr(request, "_portal_header_counts", None)
    if cached is None:
        now = timezone.now()
        cached = _mark_opened_read(request, header_counts(request.user, now), now)
        request._portal_header_counts = cached
    return cached


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def notifications(request):
    """`unread_notifications`: the header bell's count."""
    if not _signed_in(request):
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: request_header_counts(request).unread)}


def menu(request):
    """`portal_menu`: the user's menu (accounts/menu.py), built once per request."""
    if not _signed_in(request):
        return {}

    def build():
        cached = getattr(request, "_portal_menu", None)
        if cached is None:
            cached = menu_for(request.user, request_header_counts(request), request.path)
            request._portal_menu = cached
        return cached

    return {"portal_menu": SimpleLazyObject(build)}


def portal_footer(request):
    """`portal_authority`, `portal_authority_contact`, `portal_icp`: the footer's lines (settings PORTAL_*).

    Stripped, so a value of blanks counts as unset and the footer shows no empty line for it.
    """
    return {
        "portal_authority": (settings.PORTAL_AUTHORITY or "").strip(),
        "portal_authority_contact": (settings.PORTAL_AUTHORITY_CONTACT or "").strip(),
        "portal_icp": (settings.PORTAL_ICP or "").strip(),
    }
