"""Display helpers of the credit pages."""
from django import template

from enterprises.credit.permissions import deadline_text

register = template.Library()


@register.filter
def window_end(deadline) -> str:
    """The last day of an objection window that ends at 00:00 (24:00 of the day before): 2025-03-18."""
    return deadline_text(deadline)
