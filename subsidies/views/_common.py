"""Small helpers shared by the subsidies pages."""
from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import scope_of
from communities.models import District

from ..models import BatchStatus, PayoutBatch
from ..services.generation import GENERATE_ROLES

PAID_STATUSES = (BatchStatus.APPROVED, BatchStatus.DISBURSED, BatchStatus.COMPLETED)


def not_found():
    return Http404(_("页面不存在"))


def visible_batch(request, pk: int) -> PayoutBatch:
    """The batch, if the user may see it; else 404."""
    return get_object_or_404(PayoutBatch.objects.visible_to(request.user).select_related("district", "policy"),
                             pk=pk)


def generate_districts(user):
    """Districts whose batches the user may generate (district admins and staff; city admins: all)."""
    scope = scope_of(user)
    if scope.city_admin:
        return District.objects.order_by("name")
    ids = set().union(*(scope.by_role.get(r, frozenset()) for r in GENERATE_ROLES))
    return District.objects.filter(pk__in=ids).order_by("name")


def is_district_admin(user, district_id: int) -> bool:
    scope = scope_of(user)
    return scope.city_admin or scope.holds(Role.DISTRICT_ADMIN, district_id)


def can_adjust(user, batch: PayoutBatch) -> bool:
    """District admins register adjustments of lines of approved (or later) batches."""
    return batch.status in PAID_STATUSES and is_district_admin(user, batch.district_id)


def has_own_lines_role(user) -> bool:
    """Firm, street and community users: the people "我的补贴" is for."""
    scope = scope_of(user)
    return bool(scope.ids("firm") or scope.ids("street") or scope.ids("community"))
