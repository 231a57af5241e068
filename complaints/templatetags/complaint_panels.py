"""Complaint panels other apps' pages include.

Each panel fetches its own scoped data (`visible_to(user)`), so the including page passes only the object
and the user, as the inspection panels do:

    {% load complaint_panels %}
    {% estate_complaints_panel estate user %}   {# communities/estate_detail.html #}
    {% firm_complaints_panel firm user %}       {# enterprises/firm_detail.html #}

The complaint pages of the menu are declared with the rest of the menu in accounts/menu.py.
"""
from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from inspections.selectors import quarter_of

from .. import selectors
from ..models import Complaint
from ..views.cases_common import LIST_RELATED, mark_clocks
from ..views.cases_rates import fmt, weight_for

register = template.Library()

PANEL_ROWS = 8


def _panel(user, complaints, district_ids, **filters):
    now = timezone.now()
    today = timezone.localdate(now)
    first, last = quarter_of(today)
    rows = mark_clocks(list(complaints.cases().select_related(*LIST_RELATED).order_by("-received_at", "-pk")
                            [:PANEL_ROWS]), now)
    weight, _uniform = weight_for(district_ids, last)
    rates = selectors.rates_for(complaints.filter(received_at__date__range=(first, last)), weight)
    rates["cells"] = [(rate, fmt(rate, rates.get(rate.key))) for rate in selectors.RATES]
    query = {**filters, "received_from": first.isoformat(), "received_to": last.isoformat()}
    return {
        "visible": True, "rows": rows, "rates": rates, "quarter": (first.year, (first.month - 1) // 3 + 1),
        "list_url": f"{reverse('complaints:list')}?{urlencode(filters)}",
        "quarter_url": f"{reverse('complaints:list')}?{urlencode(query)}",
    }


@register.inclusion_tag("complaints/_panel.html")
def estate_complaints_panel(estate, user):
    complaints = Complaint.objects.visible_to(user).filter(estate=estate)
    ctx = _panel(user, complaints, [estate.community.street.district_id], estate=estate.pk)
    ctx["title_for"] = estate.name
    return ctx


@register.inclusion_tag("complaints/_panel.html")
def firm_complaints_panel(firm, user):
    complaints = Complaint.objects.visible_to(user).filter(firm=firm)
    districts = complaints.order_by().values("street__district_id")  # a subquery of the weight's one query
    ctx = _panel(user, complaints, districts, firm=firm.pk)
    ctx["title_for"] = firm.name
    return ctx
