"""登记投诉: street staff and the district register a complaint received in person, by phone, at the mediation
station, from a community or from above (督办). The service numbers it, times it and files the attachments."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from .. import services
from ..forms import ComplaintRegisterForm, add_service_errors
from .cases_menu import require_page


class ComplaintCreateView(LoginRequiredMixin, View):
    template_name = "complaints/new.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require_page(request, "complaints:new")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = ComplaintRegisterForm(user=request.user, now=timezone.now())
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        now = timezone.now()
        form = ComplaintRegisterForm(request.POST, request.FILES, user=request.user, now=now)
        if form.is_valid():
            d = form.cleaned_data
            try:
                complaint = services.complaint_receive(
                    actor=request.user, street=d["street"], source=d["source"], received_at=d["received_at"],
                    category=d["category"], title=d["title"], content=d["content"], now=now,
                    matter_type=d["matter_type"], urgency=d["urgency"], external_no=d["external_no"].strip(),
                    address=d["address"], estate=d["estate"], complainant_name=d["complainant_name"].strip(),
                    complainant_phone=d["complainant_phone"], confidential=d["confidential"], files=d["files"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("您无权登记该街道的投诉。"))
            else:
                if complaint.estate_id:
                    messages.success(request, _("已登记投诉 %(n)s。") % {"n": complaint.number})
                else:
                    messages.success(request, _("已登记投诉 %(n)s，未确定小区，已进入待分拣队列。") % {
                        "n": complaint.number})
                return redirect("complaints:detail", pk=complaint.pk)
        return render(request, self.template_name, {"form": form})
