"""The home page's 待办 card and a firm's own cards, for templates/home.html (accounts.views.HomeView's
page): loaded as a template tag library, so no other app's Python imports reports."""
from django import template
from django.utils import timezone

from ..firm_home import firm_home
from ..work_list import work_list as work_list_blocks

register = template.Library()


def _now(context):
    # The page's moment for the queues, read here as the menu's context processor reads it for the counts
    # (the view puts only the day, `today`, in the context).
    return context.get("now") or timezone.now()


@register.inclusion_tag("reports/work_list.html", takes_context=True)
def work_list(context):
    """Each of the user's 待办 queues with its count and oldest rows; for city administrators also the
    calendar years still to enter (the banner's lazy, per-request value from workdays' context processor)."""
    request = context["request"]
    missing = context.get("calendar_missing_years") or []
    return {"blocks": work_list_blocks(request, _now(context)), "calendar_missing_years": list(missing)}


@register.inclusion_tag("reports/firm_home.html", takes_context=True)
def firm_cards(context):
    """The firm's estates, open orders and complaints, this year's subsidy and its application windows."""
    return {"home": firm_home(user=context["user"], now=_now(context), today=context["today"]),
            "today": context["today"]}
