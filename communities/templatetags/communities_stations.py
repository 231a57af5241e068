"""{% street_stations street %}: the street's mediation and repair stations (address, phone, hours) for the
public pages of an estate (the 我要投诉 form behind the plaque's QR code)."""
from django import template

from communities.models import StationKind, StreetStation

register = template.Library()

PUBLIC_KINDS = (StationKind.MEDIATION, StationKind.REPAIR)


@register.inclusion_tag("communities/street_stations_public.html")
def street_stations(street):
    stations = (StreetStation.objects.filter(street=street, is_active=True, kind__in=PUBLIC_KINDS)
                .order_by("kind", "name")) if street is not None else []
    return {"stations": list(stations), "street": street}
