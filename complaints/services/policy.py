"""The district's time-limit policy (versioned by effective date; the complaint keeps the version it got)."""
from __future__ import annotations

import datetime

from django.db import transaction

from communities.models import District

from ..models import TimeLimitPolicy
from ..selectors import policy_for

DEFAULT_EFFECTIVE_FROM = datetime.date(2000, 1, 1)


def ensure_default_policy(district: District) -> TimeLimitPolicy:
    """The district's earliest policy, creating one with the defaults (DOMAIN §7) when it has none."""
    policy = TimeLimitPolicy.objects.filter(district=district).order_by("effective_from").first()
    if policy is not None:
        return policy
    with transaction.atomic():
        policy, _created = TimeLimitPolicy.objects.get_or_create(
            district=district, effective_from=DEFAULT_EFFECTIVE_FROM)
    return policy


def policy_on(district: District, day: datetime.date) -> TimeLimitPolicy:
    """The policy in force on `day`; before the first version, the first version (created if none)."""
    return policy_for(district.pk, day) or ensure_default_policy(district)
