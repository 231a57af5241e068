"""我的补贴: a firm's own lines across months (a street's, a community's), with totals per month and estate."""
from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import ListView

from accounts.scope import scope_of

from ..models import BatchStatus
from ..selectors import my_lines, my_pass_ons, my_totals_by_estate, my_totals_by_month
from ._common import has_own_lines_role, not_found


class MyPayoutsView(LoginRequiredMixin, ListView):
    template_name = "subsidies/mine.html"
    paginate_by = 50
    context_object_name = "lines"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_own_lines_role(request.user):
            raise not_found()  # district and city users work from the batch pages
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return my_lines(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        scope = scope_of(user)
        ctx["scope"] = scope
        ctx["is_firm"] = bool(scope.ids("firm"))
        months = my_totals_by_month(user)
        pass_ons = my_pass_ons(user)
        for m in months:
            m["pass_ons"] = pass_ons.get(m["batch_id"], [])
            m["status_label"] = BatchStatus(m["batch__status"]).label
        ctx["by_month"] = months
        ctx["by_estate"] = my_totals_by_estate(user)
        ctx["grand_total"] = sum((m["total"] for m in months), Decimal("0.00"))
        return ctx
