"""The street's stations (两站一中心): a list for everyone acting in the streets, create and edit for the
street's staff (their own street) and the district's administrators (their streets'); anything else is a 404.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.history import history_rows
from communities.forms.stations import StationForm
from communities.models import Street, StreetStation
from communities.services.stations import STATION_FIELDS, station_create, station_streets, station_update


class StationListView(LoginRequiredMixin, View):
    template_name = "communities/station_list.html"

    def get(self, request):
        user = request.user
        stations = (StreetStation.objects.visible_to(user).select_related("street__district")
                    .order_by("street__district__name", "street__name", "kind", "-is_active", "name"))
        keeps = set(station_streets(user).values_list("pk", flat=True))
        return render(request, self.template_name, {
            "stations": stations, "keeps": keeps,
            "streets": Street.objects.filter(pk__in=keeps).select_related("district"),
        })


class _StationFormView(LoginRequiredMixin, View):
    template_name = "communities/station_form.html"

    def render_form(self, request, form, street, station=None):
        return render(request, self.template_name, {
            "form": form, "street": street, "station": station,
            "history": history_rows(station) if station else []})

    def save(self, request, form, street, station=None):
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in STATION_FIELDS}
            try:
                if station is None:
                    station_create(actor=request.user, street=street, data=data)
                    messages.success(request, _("站点已添加。"))
                else:
                    station_update(actor=request.user, station=station, data=data)
                    messages.success(request, _("站点信息已保存。"))
            except ValidationError as exc:
                form.add_error(None, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("communities:station_list")
        return self.render_form(request, form, street, station)


class StationCreateView(_StationFormView):
    def get_street(self, request, street_pk):
        return get_object_or_404(station_streets(request.user), pk=street_pk)

    def get(self, request, street_pk):
        return self.render_form(request, StationForm(), self.get_street(request, street_pk))

    def post(self, request, street_pk):
        return self.save(request, StationForm(request.POST), self.get_street(request, street_pk))


class StationUpdateView(_StationFormView):
    def get_station(self, request, pk):
        return get_object_or_404(StreetStation.objects.select_related("street")
                                 .filter(street__in=station_streets(request.user)), pk=pk)

    def get(self, request, pk):
        station = self.get_station(request, pk)
        return self.render_form(request, StationForm(instance=station), station.street, station)

    def post(self, request, pk):
        station = self.get_station(request, pk)
        return self.save(request, StationForm(request.POST, instance=station), station.street, station)
