"""The header's figures for base.html: the bell's unread count and the role's menu with its 待办 counts.

Both are lazy and share one query per request (accounts/menu.py `header_counts`): a response that renders
neither (an htmx fragment, a JSON error page) reads nothing.
"""
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .menu import HeaderCounts, header_counts, menu_for


def _counts(request) -> HeaderCounts:
    cached = getattr(request, "_portal_header_counts", None)
    if cached is None:
        cached = header_counts(request.user, timezone.now())
        request._portal_header_counts = cached
    return cached


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def notifications(request):
    """`unread_notifications`: the header bell's count."""
    if not _signed_in(request):
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: _counts(request).unread)}


def menu(request):
    """`portal_menu`: the user's menu (accounts/menu.py), built once per request."""
    if not _signed_in(request):
        return {}

    def build():
        cached = getattr(request, "_portal_menu", None)
        if cached is None:
            cached = menu_for(request.user, _counts(request), request.path)
            request._portal_menu = cached
        return cached

    return {"portal_menu": SimpleLazyObject(build)}
