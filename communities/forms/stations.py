from django import forms

from communities.models import StreetStation
from communities.services.stations import STATION_FIELDS


class StationForm(forms.ModelForm):
    class Meta:
        model = StreetStation
        fields = STATION_FIELDS
        widgets = {f: forms.TextInput(attrs={"class": "form-control"})
                   for f in ("name", "address", "phone", "opening_hours")}
        widgets["kind"] = forms.Select(attrs={"class": "form-select"})
        widgets["is_active"] = forms.CheckboxInput(attrs={"class": "form-check-input"})

    def _post_clean(self):
        # The service validates and saves (it checks the one-station-per-kind rule on the locked street).
        pass
