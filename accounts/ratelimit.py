"""What the portal's rate limits key on (django-ratelimit key functions), shared by every limited page."""
from django.conf import settings


def client_ip(group, request) -> str:
    """The client's address: REMOTE_ADDR, or behind the reverse proxy the last X-Forwarded-For entry (the
    one the proxy appended; earlier ones are whatever the client sent)."""
    if settings.RATELIMIT_CLIENT_IP_FROM_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(request, group: str, rate: str, key, *, increment: bool = True) -> bool:
    """Count this request in `group` (when `increment`) and say whether it is over `rate`."""
    from django_ratelimit.core import get_usage

    usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    if usage is None:  # RATELIMIT_ENABLE = False
        return False
    if increment:
        return usage["should_limit"]
    return usage["count"] >= usage["limit"]
