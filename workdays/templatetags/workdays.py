import datetime

from django import template
from django.utils import timezone

from ..selectors import local_zone

register = template.Library()


@register.filter
def due(value):
    """A deadline as "2025-10-09 24:00" when it falls at midnight (the end of the previous day),
    any other moment as "YYYY-MM-DD HH:MM" in local time; a plain date as "YYYY-MM-DD"."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        local = value.astimezone(local_zone()) if timezone.is_aware(value) else value
        if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
            return f"{local.date() - datetime.timedelta(days=1):%Y-%m-%d} 24:00"
        return f"{local:%Y-%m-%d %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    return value
