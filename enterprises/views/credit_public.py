"""Pages without login (信息公开, 章贡区: the blacklist is made public; owners' committees look up a firm's
filing and credit before choosing it): the firms with their credit code, filing and last two published
scores; a firm's confirmed records still in their publication period with the deciding unit, basis and
end date; one such record; the blacklist in force with its dates.

Nothing proposed, notified, withdrawn, repaired or expired is shown, and no person: no recorder, no
contact, no legal representative, no phone; a record's public text is its rule and its short fact.
Anything else is a 404.
"""
from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import ListView, TemplateView

from enterprises.models import Firm

from ..credit.selectors import listed_firm_ids, public_blacklist, public_records, published_years, scores_by_firm


class PublicCreditFirmListView(ListView):
    template_name = "enterprises/public_credit_firms.html"
    paginate_by = 30

    def get_queryset(self):
        qs = Firm.objects.select_related("registered_district").order_by("name", "pk")
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(credit_code__iexact=q.upper()))
        return qs.only("pk", "name", "credit_code", "is_filed", "filed_on", "registered_district__name")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        years = sorted(published_years(2))
        firms = ctx["object_list"]
        ids = [f.pk for f in firms]
        scores = scores_by_firm(ids, years)
        listed = listed_firm_ids(ids, today)
        ctx["rows"] = [{"firm": f, "scores": [scores.get((f.pk, y)) for y in years], "listed": f.pk in listed}
                       for f in firms]
        ctx.update({"years": years, "public_tab": "credit", "q": self.request.GET.get("q", "")})
        return ctx


class PublicCreditFirmView(TemplateView):
    template_name = "enterprises/public_credit_firm.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        firm = get_object_or_404(Firm.objects.select_related("registered_district")
                                 .only("pk", "name", "credit_code", "is_filed", "filed_on",
                                       "registered_district__name"), pk=kwargs["pk"])
        years = published_years()
        scores = scores_by_firm([firm.pk], years)
        ctx.update({
            "firm": firm, "records": public_records(today).filter(firm=firm).order_by("-confirmed_on", "-pk"),
            "scores": [(y, scores.get((firm.pk, y))) for y in years],
            "entries": public_blacklist(today).filter(firm=firm), "today": today, "public_tab": "credit",
        })
        return ctx


class PublicCreditRecordView(TemplateView):
    template_name = "enterprises/public_credit_record.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["record"] = get_object_or_404(public_records(timezone.localdate()), pk=kwargs["pk"])
        ctx["public_tab"] = "credit"
        return ctx


class PublicBlacklistView(ListView):
    template_name = "enterprises/public_blacklist.html"
    paginate_by = 30

    def get_queryset(self):
        qs = public_blacklist(timezone.localdate())
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(Q(firm__name__icontains=q) | Q(firm__credit_code__iexact=q.upper()))
        return qs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "public_tab": "blacklist", "q": self.request.GET.get("q", "")}
