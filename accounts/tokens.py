"""API tokens for machine clients: the key format, the DRF authentication class and the per-token throttle.

A client sends `Authorization: Token <prefix>.<secret>`. The prefix (public, unique) finds the row; the
secret is compared by its SHA-256 with the stored hash (a random 256-bit secret needs no slow hash: there is
nothing to guess). Issuing and revoking are services (accounts.services.api_token_issue / _revoke).
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

KEYWORD = "Token"
# last_used_at is written at most once per this interval per token, not on every request.
LAST_USED_EVERY = datetime.timedelta(minutes=1)
# The longest validity a token may be issued with (a longer-lived integration gets a new token).
API_TOKEN_MAX_DAYS = 730


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """(prefix, secret): the prefix is stored, the secret only as its hash."""
    return secrets.token_hex(6), secrets.token_urlsafe(32)


def split_key(key: str) -> tuple[str, str] | None:
    prefix, dot, secret = key.partition(".")
    if not dot or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, secret


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <prefix>.<secret>`. No header: not this class's business (session auth follows).
    A header with a wrong, revoked or expired token, or one of a deactivated account: 401 in Chinese."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确，应为 “Authorization: Token <令牌>”。"))
        try:
            key = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确。")) from None
        return self.authenticate_key(key, now=timezone.now())

    def authenticate_key(self, key: str, *, now):
        from .models import ApiToken

        parts = split_key(key)
        token = None
        if parts:
            token = ApiToken.objects.select_related("user").filter(prefix=parts[0]).first()
        if token is None or not hmac.compare_digest(token.key_hash, secret_hash(parts[1])):
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("令牌已被吊销，请联系管理员重新签发。"))
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("令牌已过期，请联系管理员重新签发。"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌所代表的账号已停用。"))
        if token.last_used_at is None or token.last_used_at <= now - LAST_USED_EVERY:
            # Compare-and-set: of concurrent requests in the same minute only one writes.
            ApiToken.objects.filter(pk=token.pk, last_used_at=token.last_used_at).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        """A 401 names the scheme only when the client tried a token: a browser request without credentials
        keeps answering 403 as before (DRF asks the first class; this one is first)."""
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == KEYWORD.lower().encode():
            return KEYWORD
        return None


class ApiTokenRateThrottle(SimpleRateThrottle):
    """At most DEFAULT_THROTTLE_RATES["api_token"] requests per token; browser sessions are not counted."""

    scope = "api_token"

    def get_rate(self):
        # Read on every request (not once at import) so a changed setting applies, as in the tests.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        from .models import ApiToken

        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token scheme in the OpenAPI schema (and the Authorize dialog of Swagger UI)."""

    target_class = "accounts.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": str(_("“Token <前缀>.<密钥>”：由市级或区级管理员在“API 令牌”页面签发，只显示一次。"))}
