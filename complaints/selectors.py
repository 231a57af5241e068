"""Reads of the complaints app that are more than one filter."""
from __future__ import annotations

import datetime

from .models import TimeLimitPolicy


def policy_for(district_id: int, day: datetime.date) -> TimeLimitPolicy | None:
    """The district's time-limit policy in force on `day` (the latest effective on or before it), or None."""
    return (TimeLimitPolicy.objects.filter(district_id=district_id, effective_from__lte=day)
            .order_by("-effective_from").first())
