"""Writes for the street's stations (两站一中心: 矛盾投诉调解站, 应急维修服务站, 物业服务中心).

A street's staff keep their own street's stations, a district's administrators their streets' (and city
administrators every one): the street must be one the actor may keep stations for, checked again inside the
transaction on the locked street row. One station of each kind is in use per street at a time.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.scope import scope_of
from communities.models import Street, StreetStation

STATION_FIELDS = ("kind", "name", "address", "phone", "opening_hours", "is_active")


def station_streets(user):
    """The streets whose stations `user` may keep (street staff: their own; district admin: their streets')."""
    scope = scope_of(user)
    if scope.city_admin:
        return Street.objects.all()
    return Street.objects.filter(pk__in=scope.ids("street", edit=True)) | Street.objects.filter(
        district_id__in=scope.ids("district", edit=True))


def _conflict_message(street: Street, kind: str) -> str:
    label = dict(StreetStation._meta.get_field("kind").choices)[kind]
    return _("%(street)s已有在用的%(kind)s，请先将其设为“停用”。") % {"street": street.name, "kind": label}


def _check(street: Street, data: Mapping[str, Any], exclude_pk=None):
    if data.get("is_active", True) and StreetStation.objects.filter(
            street=street, kind=data["kind"], is_active=True).exclude(pk=exclude_pk).exists():
        raise ValidationError({"kind": _conflict_message(street, data["kind"])})


def _lock_street(actor, street_pk: int) -> Street:
    street = station_streets(actor).select_for_update().filter(pk=street_pk).first()
    if street is None:
        raise PermissionDenied(_("该街道不在您的管辖范围内。"))
    return street


@transaction.atomic
def station_create(*, actor, street: Street, data: Mapping[str, Any]) -> StreetStation:
    street = _lock_street(actor, street.pk)
    _check(street, data)
    station = StreetStation(street=street, **{f: data[f] for f in STATION_FIELDS if f in data})
    station.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            station.save()
    except IntegrityError:
        raise ValidationError({"kind": _conflict_message(street, data["kind"])}) from None
    return station


@transaction.atomic
def station_update(*, actor, station: StreetStation, data: Mapping[str, Any]) -> StreetStation:
    street = _lock_street(actor, station.street_id)
    station = StreetStation.objects.select_for_update().get(pk=station.pk)
    _check(street, data, exclude_pk=station.pk)
    for f in STATION_FIELDS:
        if f in data:
            setattr(station, f, data[f])
    station.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            station.save()
    except IntegrityError:
        raise ValidationError({"kind": _conflict_message(street, data["kind"])}) from None
    return station
