"""The city's credit pages: the rule catalogue and its versions, the yearly scores (compute, review,
publish), the blacklist inside the portal and its printable letters (抄告函, 建议函)."""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from accounts.scope import scope_of
from accounts.views import ScopedListView
from enterprises.models import (
    BlacklistEntry,
    ContractStatus,
    CreditPolicy,
    CreditRule,
    CreditScore,
    CreditYear,
    CreditYearAction,
    CreditYearStatus,
    ServiceContract,
)

from ..credit.forms import CreditPolicyForm, CreditRuleFormSet, ReasonForm, YearRunForm
from ..credit.permissions import is_city_admin, may_print_letters
from ..credit.policy import BUILTIN_KINDS, POLICY_FIELDS, RULE_FIELDS, credit_policy_create, policy_for
from ..credit.scores import (
    credit_year_publish,
    credit_year_recompute,
    credit_year_refusal,
    credit_year_review,
    credit_year_run,
)
from .firms import _form_errors


# --- the rule catalogue -------------------------------------------------------------------------------------

class CreditRulesView(LoginRequiredMixin, TemplateView):
    """信用规则: every version, the one in force highlighted, with its rules (every logged-in user may read
    them: firms are told what counts)."""

    template_name = "enterprises/credit_rules.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        current = policy_for(timezone.localdate())
        versions = CreditPolicy.objects.select_related("created_by").prefetch_related(
            Prefetch("rules", queryset=CreditRule.objects.order_by("order", "pk"))).order_by("-effective_from")
        ctx.update({"versions": versions, "current": current, "can_edit": is_city_admin(self.request.user),
                    "scope": scope_of(self.request.user)})
        return ctx


class CreditRulesCreateView(LoginRequiredMixin, View):
    """新版本 of the catalogue, prefilled from the version in force (city administrators)."""

    template_name = "enterprises/credit_rules_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_city_admin(request.user):
            raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        current = policy_for(timezone.localdate())
        today = timezone.localdate()
        initial = {f: getattr(current, f) for f in POLICY_FIELDS}
        initial["effective_from"] = datetime.date(today.year + 1, 1, 1)
        form = CreditPolicyForm(initial=initial)
        formset = CreditRuleFormSet(initial=[{f: getattr(r, f) for f in RULE_FIELDS}
                                             for r in current.rules.order_by("order", "pk")], prefix="rules")
        return self.render(request, form, formset, current)

    def post(self, request):
        current = policy_for(timezone.localdate())
        form = CreditPolicyForm(request.POST)
        formset = CreditRuleFormSet(request.POST, prefix="rules")
        if form.is_valid() and formset.is_valid():
            data = {f: form.cleaned_data[f] for f in POLICY_FIELDS}
            try:
                policy = credit_policy_create(actor=request.user, effective_from=form.cleaned_data["effective_from"],
                                              data=data, rules=formset.rules())
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已保存企业信用规则新版本（%(d)s 起生效）。") % {"d": policy.effective_from})
                return redirect("enterprises:credit_rules")
        return self.render(request, form, formset, current)

    def render(self, request, form, formset, current):
        return render(request, self.template_name, {"form": form, "formset": formset, "current": current,
                                                    "builtin": BUILTIN_KINDS, "scope": scope_of(request.user)})


# --- yearly scores ------------------------------------------------------------------------------------------

class CreditYearListView(LoginRequiredMixin, TemplateView):
    template_name = "enterprises/credit_years.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        years = CreditYear.objects.select_related("policy", "published_by").order_by("-year")
        if not is_city_admin(user):
            years = years.filter(status=CreditYearStatus.PUBLISHED)
        today = timezone.localdate()
        ctx.update({"years": years, "can_run": is_city_admin(user),
                    "run_form": YearRunForm(initial={"year": today.year - 1}), "scope": scope_of(user)})
        return ctx


class CreditYearRunView(LoginRequiredMixin, View):
    def post(self, request):
        form = YearRunForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写要计算的年度（2000–2100）。"))
            return redirect("enterprises:credit_years")
        try:
            cy = credit_year_run(year=form.cleaned_data["year"], today=timezone.localdate(), now=timezone.now(),
                                 actor=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect("enterprises:credit_years")
        messages.success(request, _("%(y)d 年度信用记分已计算，请核对后审核。") % {"y": cy.year})
        return redirect("enterprises:credit_year", year=cy.year)


class CreditYearDetailView(ScopedListView):
    """One year's scores (city administrators before publication; everyone in scope after)."""

    model = CreditScore
    template_name = "enterprises/credit_year.html"
    select_related = ("firm__registered_district", "credit_year")
    sort_fields = {"firm": "firm__name", "score": "score", "good": "good_points", "bad": "bad_points",
                   "level": "score"}
    default_sort = ("score", "firm__name")
    paginate_by = 50
    export_filename = gettext_lazy("年度信用记分")
    export_headers = (gettext_lazy("年度"), gettext_lazy("企业名称"), gettext_lazy("统一社会信用代码"),
                      gettext_lazy("良好信息分"), gettext_lazy("不良信息分"), gettext_lazy("记录数"),
                      gettext_lazy("信用记分"), gettext_lazy("信用等级"))

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            qs = CreditYear.objects.select_related("policy", "reviewed_by", "published_by")
            if not is_city_admin(request.user):
                qs = qs.filter(status=CreditYearStatus.PUBLISHED)
            self.credit_year = get_object_or_404(qs, year=kwargs["year"])
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return super().get_base_queryset().filter(credit_year=self.credit_year)

    def export_row(self, s):
        return (self.credit_year.year, s.firm.name, s.firm.credit_code, s.good_points, s.bad_points, s.record_count,
                s.score, s.level)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, today, cy = self.request.user, timezone.localdate(), self.credit_year
        ctx.update({
            "credit_year": cy, "policy": cy.policy, "events": cy.events.select_related("actor"),
            "review_note": credit_year_refusal(user, cy, CreditYearAction.REVIEW, today),
            "publish_note": credit_year_refusal(user, cy, CreditYearAction.PUBLISH, today),
            "recompute_note": credit_year_refusal(user, cy, CreditYearAction.RECOMPUTE, today),
            "compute_note": credit_year_refusal(user, cy, CreditYearAction.COMPUTE, today),
            "reason_form": ReasonForm(), "city_admin": is_city_admin(user),
            "listings": BlacklistEntry.objects.filter(second_score__credit_year=cy).select_related("firm"),
        })
        return ctx


class CreditYearActionView(LoginRequiredMixin, View):
    ACTIONS = {"review": (credit_year_review, gettext_lazy("%(y)d 年度信用记分已审核，可以公布。")),
               "publish": (credit_year_publish, gettext_lazy("%(y)d 年度信用记分已公布。")),
               "recompute": (credit_year_recompute, gettext_lazy("%(y)d 年度信用记分已退回并重新计算。")),
               "compute": (None, gettext_lazy("%(y)d 年度信用记分已重新计算。"))}

    def post(self, request, year, action):
        if action not in self.ACTIONS:
            raise Http404(_("页面不存在"))
        cy = get_object_or_404(CreditYear.objects.all(), year=year)
        service, message = self.ACTIONS[action]
        today, now = timezone.localdate(), timezone.now()
        try:
            if action == "compute":
                credit_year_run(year=cy.year, today=today, now=now, actor=request.user)
            elif action == "recompute":
                credit_year_recompute(actor=request.user, credit_year=cy, reason=request.POST.get("reason", ""),
                                      today=today, now=now)
            else:
                service(actor=request.user, credit_year=cy, today=today, now=now)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, message % {"y": cy.year})
        return redirect("enterprises:credit_year", year=cy.year)


# --- the blacklist inside the portal, and its letters ----------------------------------------------------------

class CreditBlacklistView(ScopedListView):
    """Every entry the user sees, in force or not, with its dates and basis."""

    model = BlacklistEntry
    template_name = "enterprises/credit_blacklist.html"
    select_related = ("firm", "district", "trigger_record", "second_score__credit_year")
    default_sort = ("-starts_on", "firm__name", "pk")
    paginate_by = 30

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        ctx["today"] = today
        for entry in ctx["object_list"]:
            entry.in_force = entry.in_force_on(today)
            entry.can_print = may_print_letters(self.request.user, entry)
        return ctx


class _LetterView(LoginRequiredMixin, View):
    template_name = ""

    def get(self, request, pk):
        entry = get_object_or_404(BlacklistEntry.objects.visible_to(request.user).select_related(
            "firm", "district", "trigger_record__rule", "first_score__credit_year", "second_score__credit_year"),
            pk=pk)
        if not may_print_letters(request.user, entry):
            raise Http404(_("页面不存在"))
        contracts = (ServiceContract.objects.filter(firm=entry.firm, status=ContractStatus.ACTIVE)
                     .select_related("estate__community__street").order_by("estate__community__street__name",
                                                                             "estate__name"))
        issuer = (_("%(d)s住房保障服务中心") % {"d": entry.district.name}) if entry.district else _("市住房管理中心")
        return render(request, self.template_name, {
            "entry": entry, "firm": entry.firm, "contracts": contracts, "issuer": issuer,
            "today": timezone.localdate(), "back": reverse("enterprises:credit_file", args=[entry.firm_id]),
        })


class CreditBlacklistNoticeView(_LetterView):
    """抄告函 to the market-regulation, tax and government-procurement offices."""

    template_name = "enterprises/credit_notice.html"


class CreditBlacklistLettersView(_LetterView):
    """建议函 to the owners' assembly of each estate the firm serves: end the contract, replace the firm."""

    template_name = "enterprises/credit_letters.html"
