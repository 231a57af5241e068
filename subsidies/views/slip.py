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

from ..models import BatchStatus, PayoutBatch
from ..selectors import sees_whole_batch, street_rows
from ._common import visible_batch

B = BatchStatus
# Statuses at or past each step: the step's signature is shown only while the batch has not been sent back.
PAST_CHECK = (B.CHECKED, B.APPROVED, B.DISBURSED, B.COMPLETED)
PAST_APPROVAL = (B.APPROVED, B.DISBURSED, B.COMPLETED)

# What each step of the trail did, by (from, to) as the approval service writes them.
STEP = {
    (B.GENERATED, B.CHECKED): _("审核通过"),
    (B.CHECKED, B.APPROVED): _("批准"),
    (B.APPROVED, B.DISBURSED): _("拨付到街道"),
    (B.DISBURSED, B.COMPLETED): _("各街道拨付至企业完毕"),
    (B.CHECKED, B.GENERATED): _("退回重新核算"),
    (B.APPROVED, B.CHECKED): _("撤回批准"),
}


def last_event(events, *, to_status, from_status=None):
    """The latest event reaching `to_status` (from `from_status` if given), or None."""
    found = None
    for event in events:
        if event.to_status == to_status and (from_status is None or event.from_status == from_status):
            found = event
    return found


class BatchSlipView(LoginRequiredMixin, View):
    template_name = "subsidies/slip.html"

    def get(self, request, pk):
        batch = visible_batch(request, pk)
        rows = street_rows(request.user, batch)
        events = list(batch.events.select_related("actor").order_by("at", "pk"))
        for event in events:
            event.step = STEP.get((event.from_status, event.to_status), event.get_to_status_display())
        checked = last_event(events, to_status=B.CHECKED, from_status=B.GENERATED)
        approved = last_event(events, to_status=B.APPROVED)
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
            "checked": checked if batch.status in PAST_CHECK else None,
            "approved": approved if batch.status in PAST_APPROVAL else None,
            "printed_on": timezone.localdate(),
        })
