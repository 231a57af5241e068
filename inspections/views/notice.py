"""The 整改通知书 of an issued order: a print page (A4) and its PDF, seen by whoever may see the order."""
from __future__ import annotations

import logging

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views import View

from ..notice import NoticePdfError, html_to_pdf, notice_for_order, render_notice_html
from .orders import order_queryset

logger = logging.getLogger(__name__)


def _order(request, pk):
    # The same scope as the order's detail page: outside it the notice is "not found".
    return get_object_or_404(order_queryset(request.user).select_related("doc_street").prefetch_related("photos"),
                             pk=pk)


class OrderNoticeView(LoginRequiredMixin, View):
    """GET /orders/<pk>/notice/: the notice laid out for printing on A4."""

    def get(self, request, pk):
        order = _order(request, pk)
        return HttpResponse(render_notice_html(notice_for_order(order), request=request, order=order))


class OrderNoticePdfView(LoginRequiredMixin, View):
    """GET /orders/<pk>/notice.pdf: the same page printed by headless Chromium (see inspections/notice.py)."""

    def get(self, request, pk):
        order = _order(request, pk)
        html = render_notice_html(notice_for_order(order, inline_photos=True), request=request, order=order,
                                  for_pdf=True)
        try:
            pdf = html_to_pdf(html)
        except NoticePdfError:
            logger.exception("notice PDF of order %s failed", order.pk)
            return HttpResponse(_("通知书 PDF 暂时无法生成，请在通知书页面按 Ctrl+P 打印。"), status=503,
                                content_type="text/plain; charset=utf-8")
        response = HttpResponse(pdf, content_type="application/pdf")
        # ASCII file name: the order's reference (the document number holds CJK and brackets).
        response["Content-Disposition"] = f'inline; filename="notice-{order.number}.pdf"'
        return response
