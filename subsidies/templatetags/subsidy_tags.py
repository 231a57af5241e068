"""Template helpers of the subsidies pages: money, stars, status badges, the link to a rating."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from accounts.money import round_half_up

register = template.Library()

STATUS_CSS = {
    "generated": "secondary",
    "checked": "info",
    "approved": "primary",
    "disbursed": "warning",
    "completed": "success",
}


@register.filter
def money(value):
    """Decimal('37037.03') -> '37,037.03' (thousands separators, two decimals, never a float)."""
    if value is None or value == "":
        return "—"
    try:
        value = round_half_up(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return value
    return f"{value:,.2f}"


@register.filter
def tier_stars(tier):
    """3 -> ★★★ with a label for screen readers; 0 -> 无星."""
    if not tier:
        return format_html('<span class="text-muted">{}</span>', _("无星"))
    label = _("%(n)d 星") % {"n": tier}
    return format_html('<span class="text-warning text-nowrap" title="{}" aria-label="{}">{}</span>',
                       label, label, "★" * int(tier))


@register.filter
def status_css(status):
    return STATUS_CSS.get(str(status), "secondary")


def _try_reverse(name, pk):
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


@register.simple_tag
def rating_url(rating):
    """The ratings page of the rating a line used, if the ratings pages exist; else None."""
    if rating is None:
        return None
    return _try_reverse("ratings:rating_detail", rating.pk) or _try_reverse("ratings:period_detail",
                                                                            rating.period_id)


@register.simple_tag(takes_context=True)
def query_with(context, *pairs):
    """The current query string with keys set: {% query_with "firms" 2 "street" "" %} (an empty value drops
    the key). Unlike url_replace, the parameter names may be variables (one pager serving several tables)."""
    query = context["request"].GET.copy()
    for key, value in zip(pairs[::2], pairs[1::2]):
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()
