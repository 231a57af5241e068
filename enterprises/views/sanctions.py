"""Firm sanction pages: record an event on a firm (the rule shown before the form is filled), the list of
events and sanctions with filters, an event with its evidence and the district's withdrawal. Everything is
looked up inside the user's scope (404 outside it)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.views import ScopedListView
from communities.models import District

from ..models import EventKind, Firm, FirmSanction, NegativeEvent, NegativeEventFile
from ..sanctions.forms import EventForm, WithdrawForm
from ..sanctions.services import (
    event_record,
    event_withdraw,
    media_count,
    policy_in_force,
    record_refusal,
    recording_units,
    withdraw_refusal,
)
from .firms import _form_errors


class SanctionListView(ScopedListView):
    """重大负面事件 and the sanctions they led to, in the user's scope, filtered by firm, kind, year, status."""

    model = NegativeEvent
    template_name = "enterprises/sanction_list.html"
    select_related = ("firm", "district", "street", "estate")
    default_sort = ("-occurred_on", "-pk")

    def get_queryset(self):
        qs = super().get_queryset()
        g = self.request.GET
        if g.get("firm", "").isdigit():
            qs = qs.filter(firm_id=int(g["firm"]))
        if g.get("kind") in EventKind.values:
            qs = qs.filter(kind=g["kind"])
        if g.get("year", "").isdigit():
            qs = qs.filter(occurred_on__year=int(g["year"]))
        if g.get("status") == "active":
            qs = qs.filter(withdrawn_at__isnull=True)
        elif g.get("status") == "withdrawn":
            qs = qs.filter(withdrawn_at__isnull=False)
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, g = self.request.user, self.request.GET
        sanctions = FirmSanction.objects.visible_to(user).select_related("firm", "district", "trigger")
        if g.get("firm", "").isdigit():
            sanctions = sanctions.filter(firm_id=int(g["firm"]))
        if g.get("year", "").isdigit():
            sanctions = sanctions.filter(year=int(g["year"]))
        ctx.update(sanctions=sanctions.order_by("-year", "firm__name"), kinds=EventKind.choices,
                   firms=Firm.objects.visible_to(user).order_by("name"), f=g)
        return ctx


def _firm_for_recording(request, pk) -> tuple[Firm, list]:
    firm = get_object_or_404(Firm.objects.visible_to(request.user), pk=pk)
    units = [u for u in recording_units(request.user) if record_refusal(request.user, firm, u) is None]
    if not units:
        raise Http404(_("页面不存在"))
    return firm, units


class EventCreateView(LoginRequiredMixin, View):
    """记录重大负面事件 on the firm's page: the district's rule and the year's media count shown first."""

    template_name = "enterprises/sanction_form.html"

    def get(self, request, pk):
        firm, units = _firm_for_recording(request, pk)
        return self.render(request, firm, units, EventForm(user=request.user, units=units, firm=firm))

    def post(self, request, pk):
        firm, units = _firm_for_recording(request, pk)
        form = EventForm(request.POST, request.FILES, user=request.user, units=units, firm=firm)
        if form.is_valid():
            d = form.cleaned_data
            unit = next((u for u in units if u.key == d["unit"]), None)
            try:
                event = event_record(actor=request.user, firm=firm, unit=unit, kind=d["kind"],
                                     occurred_on=d["occurred_on"], estate=d["estate"], description=d["description"],
                                     files=d["files"], now=timezone.now())
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("重大负面事件已记录。"))
                return redirect("enterprises:sanction_event", pk=event.pk)
        return self.render(request, firm, units, form)

    def render(self, request, firm, units, form):
        today = timezone.localdate()
        rules = []
        for district_id in dict.fromkeys(u.district_id for u in units):
            policy = policy_in_force(district_id, today)
            rules.append({"district_id": district_id,
                          "policy": policy, "kinds": [EventKind(k).label for k in (policy.sanctioning_kinds or [])
                                                      if k in EventKind.values and k != EventKind.MEDIA]
                          if policy else [],
                          "media": media_count(firm.pk, district_id, today.year), "year": today.year,
                          "sanction": FirmSanction.objects.active().filter(firm=firm, district_id=district_id,
                                                                          year=today.year).first()})
        names = dict(District.objects.filter(pk__in=[r["district_id"] for r in rules]).values_list("pk", "name"))
        for r in rules:
            r["district"] = names.get(r["district_id"])
        return render(request, self.template_name, {"form": form, "firm": firm, "rules": rules})


class EventDetailView(LoginRequiredMixin, View):
    template_name = "enterprises/sanction_event.html"

    def get_event(self, request, pk):
        return get_object_or_404(NegativeEvent.objects.visible_to(request.user)
                                 .select_related("firm", "district", "street", "estate", "recorded_by"), pk=pk)

    def get(self, request, pk, form=None):
        event = self.get_event(request, pk)
        sanction = FirmSanction.objects.filter(firm=event.firm, district=event.district,
                                               year=event.occurred_on.year).first()
        return render(request, self.template_name, {
            "event": event, "sanction": sanction, "files": event.files.all(),
            "withdraw_refusal": withdraw_refusal(request.user, event), "form": form or WithdrawForm()})

    def post(self, request, pk):
        event = self.get_event(request, pk)
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                event_withdraw(actor=request.user, event=event, reason=form.cleaned_data["reason"], now=timezone.now())
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("事件已撤销。"))
                return redirect("enterprises:sanction_event", pk=event.pk)
        return self.get(request, pk, form=form)


class EventFileView(LoginRequiredMixin, View):
    def get(self, request, pk):
        f = get_object_or_404(NegativeEventFile.objects.filter(
            event__in=NegativeEvent.objects.visible_to(request.user)), pk=pk)
        return FileResponse(f.file.open("rb"), as_attachment=True, filename=f.name)
