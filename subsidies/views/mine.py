"""我的补贴: a firm's own lines across months (a street's, a community's), with totals per month and estate.

Every figure is the sum of the lines the viewer may see, and each batch's state is the viewer's: a firm
sees 已拨付企业 once its street has passed its money on, whatever other streets still owe."""
from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import ListView

from accounts.scope import scope_of

from ..selectors import my_batches, my_lines, my_totals_by_estate
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
        # Each batch's state and pass-ons as this viewer sees them (selectors.my_batches); every total here is
        # the sum of the lines the viewer may see.
        months = my_batches(user)
        ctx["by_month"] = months
        ctx["by_estate"] = my_totals_by_estate(user)
        ctx["grand_total"] = sum((m["total"] for m in months), Decimal("0.00"))
        return ctx
