"""The payout approval slip (拨付审批单) of a batch: an A4 print page with the amounts by street, the approval
trail and the signature lines.

Same scope as the batch detail page (404 outside it); a street, community or firm user sees the sums of the
lines they may see, as on the detail page.
"""
from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from ..models import BatchStatus
from ..selectors import batch_sign_offs, sees_whole_batch, street_rows
from ._common import visible_batch

B = BatchStatus

# What each step of the trail did, by (from, to) as the approval service writes them.
STEP = {
    (B.GENERATED, B.CHECKED): _("审核通过"),
    (B.CHECKED, B.APPROVED): _("批准"),
    (B.APPROVED, B.DISBURSED): _("拨付到街道"),
    (B.DISBURSED, B.COMPLETED): _("各街道拨付至企业完毕"),
    (B.CHECKED, B.GENERATED): _("退回重新核算"),
    (B.APPROVED, B.CHECKED): _("撤回批准"),
}


class BatchSlipView(LoginRequiredMixin, View):
    template_name = "subsidies/slip.html"

    def get(self, request, pk):
        batch = visible_batch(request, pk)
        rows = street_rows(request.user, batch)
        events = list(batch.events.select_related("actor").order_by("at", "pk"))
        for event in events:
            event.step = STEP.get((event.from_status, event.to_status), event.get_to_status_display())
        signed = batch_sign_offs(batch, events)
        return render(request, self.template_name, {
            "batch": batch,
            "whole": sees_whole_batch(request.user, batch),
            "rows": rows,
            "sum": {
                "estates": sum(r["estates"] for r in rows),
                "lines": sum(r["lines"] for r in rows),
                "total": sum((r["total"] for r in rows), Decimal("0.00")),
            },
            "settled_months": [m.month for m in batch.months.filter(settled=True).order_by("month")],
            "events": events,
            "checked": signed.checked,
            "approved": signed.approved,
            "printed_on": timezone.localdate(),
        })
