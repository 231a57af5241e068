"""Small helpers shared by the ratings pages."""
from __future__ import annotations

from django.db.models import F
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.views import ScopedListView
from accounts.forms import add_service_errors as form_errors  # the views import it from here


def not_found():
    return Http404(_("页面不存在"))


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


class NullsLastListView(ScopedListView):
    """A scoped list whose sortable columns may be empty (no score): empty cells sort last both ways."""

    def get_queryset(self):
        qs = super().get_queryset()
        sort = self.request.GET.get("sort", "")
        key = sort.lstrip("-")
        if key in self.sort_fields:
            expr = F(self.sort_fields[key])
            qs = qs.order_by(expr.desc(nulls_last=True) if sort.startswith("-") else expr.asc(nulls_last=True),
                             "pk")
        return qs
