"""Two small middlewares that keep page views cheap: gzip for text, and an idle timeout that does not write
the session row on every request."""
from __future__ import annotations

import time

from django.conf import settings
from django.middleware.gzip import GZipMiddleware

# Content types worth compressing; images, Excel files (already zip) and PDFs are left alone.
COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml", "image/svg+xml")


class TextGZipMiddleware(GZipMiddleware):
    """GZipMiddleware for text responses only (HTML, JSON, CSV, …).

    BREACH: compressing a response that reflects attacker-chosen text next to a secret can leak the
    secret through the compressed length. The only secret our pages carry in their bodies is the CSRF
    token, which Django masks with a fresh random value on every response, so its bytes never repeat
    across requests; the session cookie travels in headers, which are not compressed. Django's
    GZipMiddleware also pads each response with random bytes ("Heal The Breach"). A page that one day
    shows a real secret in its body (a password reset link, an API key) must be excluded here or use
    `django.views.decorators.gzip` rules of its own.
    """

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)


TOUCH_KEY = "_touched"


class IdleTimeoutMiddleware:
    """Log out after SESSION_COOKIE_AGE seconds (30 minutes) without a request, writing the session at
    most once a minute.

    The session row's expiry is moved forward only when it is saved. Instead of saving it on every
    request (SESSION_SAVE_EVERY_REQUEST, one UPDATE per page view), this middleware marks the session
    modified when more than SESSION_TOUCH_SECONDS have passed since the last save; SessionMiddleware
    then saves it with a new expiry. A user is logged out between SESSION_COOKIE_AGE − SESSION_TOUCH_SECONDS
    and SESSION_COOKIE_AGE seconds after their last request. Sessions that hold nothing (anonymous
    visitors) are never created by it. Place it right after SessionMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.interval = getattr(settings, "SESSION_TOUCH_SECONDS", 60)

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key is not None:
            touched = session.get(TOUCH_KEY)  # loads the session; an unknown or expired key is dropped
            now = int(time.time())
            if session.session_key is not None and (not isinstance(touched, int) or now - touched >= self.interval):
                session[TOUCH_KEY] = now
        return self.get_response(request)


class ForcePasswordChangeMiddleware:
    """Send a user whose password someone else chose (User.must_change_password: an admin created the
    account or reset its password) to the password change page, from every page but that one, logout and
    static files, until they choose their own. API calls get a 403 in JSON instead of a redirect.
    Place it after AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            from django.http import JsonResponse
            from django.shortcuts import redirect
            from django.urls import reverse
            from django.utils.translation import gettext as _

            change = reverse("accounts:password_change")
            allowed = (change, reverse("accounts:logout"))
            static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"
            if request.path not in allowed and not request.path.startswith(static):
                if request.path.startswith(("/api/", "/choices/")):
                    return JsonResponse({"error": _("请先修改密码。")}, status=403)
                return redirect(change)
        return self.get_response(request)
