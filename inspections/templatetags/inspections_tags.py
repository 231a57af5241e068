"""Panels other apps' pages include: an estate's inspections, a firm's rectification orders.

Each tag fetches its own scoped data (`visible_to(user)`), so the including page
only passes the object and the user:

    {% load inspections_tags %}
    {% estate_inspection_panel estate user %}   {# communities/estate_detail.html #}
    {% firm_orders_panel firm user %}           {# enterprises/firm_detail.html #}
"""
from django import template
from django.db.models import Count
from django.utils import timezone

from communities.models import Estate
from enterprises.models import Firm

from ..models import Inspection, OrderStatus, RectificationOrder
from ..selectors import score_trend
from ..services.inspections import inspectable_estates

register = template.Library()

PANEL_ROWS = 10
OPEN_STATUSES = {OrderStatus.ISSUED, OrderStatus.RETURNED, OrderStatus.OVERDUE}


@register.inclusion_tag("inspections/_estate_panel.html")
def estate_inspection_panel(estate, user):
    if not Estate.objects.visible_to(user).filter(pk=estate.pk).exists():
        return {"visible": False}
    inspections = Inspection.objects.visible_to(user).filter(estate=estate)
    can_inspect = inspectable_estates(user).filter(pk=estate.pk).exists()
    open_orders = RectificationOrder.objects.visible_to(user).filter(estate=estate).open().count()
    return {
        "visible": True,
        "estate": estate,
        "inspections": list(inspections.order_by("-date", "-pk")[:PANEL_ROWS]),
        "inspection_count": inspections.count(),
        "trend": [{"date": d, "total": t} for d, t in score_trend(estate)],
        "trend_id": f"trend-data-{estate.pk}",
        "can_inspect": can_inspect,
        "can_order": can_inspect and estate.firm_id is not None,
        "open_orders": open_orders,
    }


@register.inclusion_tag("inspections/_firm_orders.html")
def firm_orders_panel(firm, user):
    if not Firm.objects.visible_to(user).filter(pk=firm.pk).exists():
        return {"visible": False}
    orders = RectificationOrder.objects.visible_to(user).filter(firm=firm)
    counts = dict(orders.values_list("status").annotate(n=Count("pk")).order_by())
    today = timezone.localdate()
    rows = list(orders.select_related("estate").order_by("-issued_at", "-pk")[:PANEL_ROWS])
    for o in rows:
        o.is_overdue = o.status == OrderStatus.OVERDUE or (o.status in OPEN_STATUSES and o.deadline < today)
    return {
        "visible": True,
        "firm": firm,
        "orders": rows,
        "counts": [(label, counts.get(value, 0), value) for value, label in OrderStatus.choices],
        "total": sum(counts.values()),
    }
