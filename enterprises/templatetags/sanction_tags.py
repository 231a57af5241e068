"""The firm page's sanction panel (enterprises/sanctions): demonstration-project status, recent events, the
link to record one. A tag, so the firm page's view stays as it is."""
from django import template

from ..models import NegativeEvent
from ..sanctions.selectors import demonstration_status
from ..sanctions.services import record_refusal, recording_units

register = template.Library()


@register.inclusion_tag("enterprises/_sanction_panel.html", takes_context=True)
def sanction_panel(context, firm):
    user = context["request"].user
    return {
        "firm": firm,
        "status": demonstration_status(firm),
        "events": NegativeEvent.objects.visible_to(user).filter(firm=firm).select_related("district", "street")[:5],
        "can_record": any(record_refusal(user, firm, u) is None for u in recording_units(user)),
    }
