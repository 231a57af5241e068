"""The indicator tiles, for pages of other apps: a template loads this library, so no other app's Python
imports reports (the home page, templates/home.html, is accounts.views.HomeView's)."""
from django import template

from ..selectors import home_tiles

register = template.Library()


@register.inclusion_tag("reports/home_tiles.html", takes_context=True)
def indicator_tiles(context):
    """The home page's tiles for the logged-in user; the view puts the day (`today`) in the context."""
    return {"tiles": home_tiles(user=context["user"], today=context["today"])}


@register.filter
def share(measure, count) -> str:
    """A part's share of the measure's denominator in % (the width of its segment of a bar), as "53.7"."""
    return str(measure.share(count))
