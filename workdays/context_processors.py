"""The city administrators' warning that a year's holiday schedule has not been entered."""
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from accounts.scope import scope_of

from .selectors import missing_calendar_years


def calendar_warning(request):
    """`calendar_missing_years` for base.html's banner: city administrators only, read lazily (the
    query runs only when a page renders the banner) and at most once per request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not scope_of(user).city_admin:
        return {}

    def missing():
        cached = getattr(request, "_calendar_missing_years", None)
        if cached is None:
            cached = missing_calendar_years(today=timezone.localdate())
            request._calendar_missing_years = cached
        return cached

    return {"calendar_missing_years": SimpleLazyObject(missing)}
