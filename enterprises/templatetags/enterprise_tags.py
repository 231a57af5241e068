"""Display helpers for the firm and contract pages."""
from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(value):
    """Money with thousands separators, as clerks write it: 85,000.00 (zh-hans formats don't group)."""
    if value in (None, ""):
        return "—"
    return f"{Decimal(value):,.2f}"
