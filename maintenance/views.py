"""Maintenance-fund pages: the applications (list, Excel list, detail with the chain's steps), applying
for an estate (its eligibility and cap shown before the form), the year's totals, the policy versions.

Views parse input, read the clock once, and call a selector or a service; every rule is the service's.
Outside one's scope a page or an application is "not found" (404).
"""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.excel import build_workbook, xlsx_response
from accounts.history import history_rows
from accounts.scope import scope_of
from accounts.versions import ids_in_force
from accounts.views import ScopedListView
from communities.models import DEFAULT_OLD_ESTATE_CUTOFF, District, cutoff_years

from .filters import ApplicationFilter, PolicyFilter
from .forms import ApplicationForm, PolicyForm, TransitionForm, form_errors
from .models import OPEN_STATUSES, ApplicationStatus, FundApplication, MaintenancePolicy
from .selectors import (
    MONEY_OUT,
    ZERO,
    applications_for,
    applies_somewhere,
    budget_use,
    eligibility,
    estates_to_apply_for,
    sees_district,
    years_with_applications,
    yearly_totals,
)
from .services.applications import (
    allowed_actions,
    application_resubmit,
    application_submit,
    application_transition,
    may_resubmit,
    quote,
)
from .services.policy import policy_create, policy_for

ACTIONS = {
    "review": (gettext_lazy("审核通过"), "primary", "bi-clipboard-check"),
    "approve": (gettext_lazy("批准"), "success", "bi-check2-circle"),
    "disburse": (gettext_lazy("登记拨付"), "primary", "bi-bank"),
    "return": (gettext_lazy("退回街道"), "outline-danger", "bi-arrow-counterclockwise"),
    "withdraw": (gettext_lazy("撤回申请"), "outline-secondary", "bi-x-circle"),
}


def not_found():
    return Http404(_("页面不存在"))


# --- the applications --------------------------------------------------------------------------------------

EXPORT_HEADERS = (gettext_lazy("区"), gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("小区"),
                  gettext_lazy("年度"), gettext_lazy("申请日期"), gettext_lazy("归集单位"), gettext_lazy("电梯房"),
                  gettext_lazy("申请面积（㎡）"), gettext_lazy("交存标准（元/㎡）"), gettext_lazy("核定金额（元）"),
                  gettext_lazy("区财政配套（元）"), gettext_lazy("合计（元）"), gettext_lazy("状态"),
                  gettext_lazy("拨付日期"), gettext_lazy("拨付凭证号"), gettext_lazy("维修项目"))


class ApplicationListView(ScopedListView):
    model = FundApplication
    template_name = "maintenance/application_list.html"
    filterset_class = ApplicationFilter
    sort_fields = {"submitted_on": "submitted_on", "estate": "estate__name", "street": "street__name",
                   "granted": "granted", "status": "status"}
    default_sort = ("-submitted_on", "-pk")
    export_filename = gettext_lazy("老旧小区维修资金申请清单")
    export_headers = EXPORT_HEADERS

    def get_base_queryset(self):
        return applications_for(self.request.user)

    def export_row(self, app):
        return (app.district.name, app.street.name, app.estate.community.name, app.estate.name, app.year,
                app.submitted_on, app.get_collector_display(), app.has_lift, app.area, app.per_sqm, app.granted,
                app.matched, app.total, app.get_status_display(), app.disbursed_on, app.disbursement_voucher,
                app.repair_items)

    def export(self, queryset):
        """The list's rows, then one 合计 row of the amounts (Decimal sums, never floats)."""
        rows = list(queryset[: self.export_max_rows])
        body = [self.export_row(app) for app in rows]
        area = sum((a.area for a in rows), ZERO)
        granted = sum((a.granted for a in rows), ZERO)
        matched = sum((a.matched for a in rows), ZERO)
        body.append((_("合计"), "", "", _("%(n)d 份申请") % {"n": len(rows)}, None, None, "", None, area, None,
                     granted, matched, granted + matched, "", None, "", ""))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        content = build_workbook(self.export_headers, body, sheet=str(self.export_filename),
                                 title=str(self.export_filename))
        return xlsx_response(content, f"{self.export_filename}-{stamp}.xlsx")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["may_apply"] = applies_somewhere(self.request.user)
        ctx["sums"] = self.object_list.order_by().aggregate(
            granted=Coalesce(Sum("granted"), ZERO, output_field=MONEY_OUT),
            matched=Coalesce(Sum("matched"), ZERO, output_field=MONEY_OUT))
        return ctx


class EstateChoiceView(LoginRequiredMixin, View):
    """新建申请, step 1: the street's estates, each with what the rules say of it (old or not, the cap, an open
    application) before anything is filled in."""

    template_name = "maintenance/estate_choice.html"
    page_size = 50

    def get(self, request):
        if not applies_somewhere(request.user):
            raise not_found()
        today = timezone.localdate()
        open_apps = FundApplication.objects.filter(estate=OuterRef("pk"), status__in=OPEN_STATUSES)
        estates = (estates_to_apply_for(request.user).with_cutoff_year(today)
                   .annotate(old_rank=Case(When(completion_year__lte=F("cutoff_year"), then=Value(0)),
                                           default=Value(1), output_field=IntegerField()),
                             open_id=Subquery(open_apps.values("pk")[:1]),
                             open_status=Subquery(open_apps.values("status")[:1]))
                   .order_by("old_rank", "community__street__name", "community__name", "name", "pk"))
        q = request.GET.get("q", "").strip()
        if q:
            estates = estates.filter(name__icontains=q)
        page = Paginator(estates, self.page_size).get_page(request.GET.get("page"))
        policies = {}
        status_labels = dict(ApplicationStatus.choices)
        for estate in page:
            district_id = estate.community.street.district_id
            if district_id not in policies:
                policies[district_id] = policy_for(district_id, today)
            policy = policies[district_id]
            estate.is_old_now = estate.completion_year <= estate.cutoff_year
            estate.policy = policy
            estate.cap = policy.cap_for(estate.has_lift) if policy else None
            estate.open_label = status_labels.get(estate.open_status, "")
        return render(request, self.template_name, {"page_obj": page, "estates": page, "q": q, "today": today})


def _form_context(request, *, elig, form, quoted=None, app=None) -> dict:
    return {"elig": elig, "estate": elig.estate, "form": form, "quote": quoted, "app": app,
            "quote_key": _quote_key(quoted) if quoted else "", "scope": scope_of(request.user)}


def _quote_key(q) -> str:
    """The figures a 核算 showed: 确认提交 submits only these (changed figures are shown again first)."""
    return f"{q.area}|{q.per_sqm}|{int(q.has_lift)}"


def _confirmed(request, quoted) -> bool:
    return request.POST.get("step") == "submit" and request.POST.get("quoted") == _quote_key(quoted)


class ApplicationCreateView(LoginRequiredMixin, View):
    """新建申请, step 2: the estate's eligibility and cap at the top; the form; 核算 shows the amounts;
    确认提交 submits them (the service checks everything again)."""

    template_name = "maintenance/application_form.html"

    def estate(self, request, estate_pk):
        return get_object_or_404(estates_to_apply_for(request.user), pk=estate_pk)

    def get(self, request, estate_pk):
        estate = self.estate(request, estate_pk)
        elig = eligibility(estate, today=timezone.localdate())
        form = ApplicationForm(elig=elig, initial=ApplicationForm.initial_for(elig))
        return render(request, self.template_name, _form_context(request, elig=elig, form=form))

    def post(self, request, estate_pk):
        estate = self.estate(request, estate_pk)
        today = timezone.localdate()
        elig = eligibility(estate, today=today)
        form = ApplicationForm(request.POST, elig=elig, initial=ApplicationForm.initial_for(elig))
        quoted = None
        if form.is_valid():
            data = form.service_data()
            try:
                quoted = quote(elig, area=data["area"], has_lift=data["has_lift"], per_sqm=data["per_sqm"])
                if _confirmed(request, quoted):
                    app = application_submit(actor=request.user, estate=estate, today=today, **data)
                    messages.success(request, _("已提交“%(e)s”维修资金申请：核定 %(g)s 元，区财政配套 %(m)s 元。") % {
                        "e": estate.name, "g": f"{app.granted:,.2f}", "m": f"{app.matched:,.2f}"})
                    return redirect("maintenance:application_detail", pk=app.pk)
            except ValidationError as exc:
                form_errors(form, exc)
                quoted = None
        return render(request, self.template_name, _form_context(request, elig=elig, form=form, quoted=quoted))


class ApplicationResubmitView(LoginRequiredMixin, View):
    """A returned application, corrected by its street and submitted again (the same two steps)."""

    template_name = "maintenance/application_form.html"

    def application(self, request, pk):
        app = get_object_or_404(applications_for(request.user), pk=pk)
        if not may_resubmit(app, request.user):
            raise not_found()
        return app

    @staticmethod
    def initial(app):
        return {"collector": app.collector, "repair_items": app.repair_items, "area": app.area,
                "has_lift": app.has_lift, "per_sqm": app.per_sqm}

    def get(self, request, pk):
        app = self.application(request, pk)
        elig = eligibility(app.estate, today=timezone.localdate(), exclude=app.pk)
        form = ApplicationForm(elig=elig, initial=self.initial(app))
        return render(request, self.template_name, _form_context(request, elig=elig, form=form, app=app))

    def post(self, request, pk):
        app = self.application(request, pk)
        today = timezone.localdate()
        elig = eligibility(app.estate, today=today, exclude=app.pk)
        form = ApplicationForm(request.POST, elig=elig, initial=self.initial(app))
        quoted = None
        if form.is_valid():
            data = form.service_data()
            try:
                quoted = quote(elig, area=data["area"], has_lift=data["has_lift"], per_sqm=data["per_sqm"])
                if _confirmed(request, quoted):
                    app = application_resubmit(actor=request.user, application=app, today=today, **data)
                    messages.success(request, _("已重新提交“%(e)s”维修资金申请。") % {"e": app.estate.name})
                    return redirect("maintenance:application_detail", pk=app.pk)
            except ValidationError as exc:
                form_errors(form, exc)
                quoted = None
        return render(request, self.template_name, _form_context(request, elig=elig, form=form, quoted=quoted,
                                                                  app=app))


def _action_forms(app, user, budget, bound=None):
    forms = []
    for action in allowed_actions(app, user):
        form = bound if bound is not None and bound.action == action else TransitionForm(
            action=action, over_budget=bool(budget and budget["over"]))
        label, css, icon = ACTIONS[action]
        forms.append({"action": action, "form": form, "label": label, "css": css, "icon": icon})
    return forms


def detail_context(request, app, *, bound=None) -> dict:
    user = request.user
    whole = sees_district(user, app.district_id)
    budget = budget_use(app) if whole else None
    return {
        "app": app,
        "scope": scope_of(user),
        "budget": budget,
        "events": app.events.select_related("actor").order_by("at", "pk"),
        "actions": _action_forms(app, user, budget, bound),
        "may_resubmit": may_resubmit(app, user),
        "history": history_rows(app),
    }


class ApplicationDetailView(LoginRequiredMixin, View):
    template_name = "maintenance/application_detail.html"

    def get(self, request, pk):
        app = get_object_or_404(applications_for(request.user), pk=pk)
        return render(request, self.template_name, detail_context(request, app))


class ApplicationTransitionView(LoginRequiredMixin, View):
    """POST one step of the chain (review, approve, disburse, return, withdraw)."""

    def post(self, request, pk):
        app = get_object_or_404(applications_for(request.user), pk=pk)
        action = request.POST.get("action", "")
        budget = budget_use(app) if sees_district(request.user, app.district_id) else None
        form = TransitionForm(request.POST, action=action, over_budget=bool(budget and budget["over"]))
        error = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                app = application_transition(actor=request.user, application=app, action=action,
                                             comment=data.get("comment", ""),
                                             override_reason=data.get("override_reason", ""),
                                             disbursed_on=data.get("disbursed_on"), voucher=data.get("voucher", ""),
                                             today=timezone.localdate())
            except ValidationError as exc:
                form_errors(form, exc)
                error = exc
            else:
                messages.success(request, _("%(a)s：“%(e)s”维修资金申请现为“%(s)s”。") % {
                    "a": ACTIONS[action][0], "e": app.estate.name, "s": app.get_status_display()})
                return redirect("maintenance:application_detail", pk=app.pk)
        app = get_object_or_404(applications_for(request.user), pk=pk)
        ctx = detail_context(request, app, bound=form)
        problems = error.messages if error is not None else [e for errs in form.errors.values() for e in errs]
        if problems and not any(a["form"] is form for a in ctx["actions"]):
            # The step's form is not on the page (done already, not one's role): say it above.
            messages.error(request, "；".join(problems))
        return render(request, ApplicationDetailView.template_name, ctx)


# --- the year's totals -----------------------------------------------------------------------------------------

TOTAL_HEADERS = (gettext_lazy("区"), gettext_lazy("街道"), gettext_lazy("申请数"), gettext_lazy("已批准数"),
                 gettext_lazy("批准面积（㎡）"), gettext_lazy("核定金额（元）"), gettext_lazy("区财政配套（元）"),
                 gettext_lazy("合计（元）"), gettext_lazy("已拨付数"), gettext_lazy("已拨付（元）"))


def _year(request, today: datetime.date) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else today.year


class TotalsView(LoginRequiredMixin, View):
    """The fund's year per district (and street): granted, the district's match, disbursed; Excel too."""

    template_name = "maintenance/totals.html"

    def get(self, request):
        today = timezone.localdate()
        year = _year(request, today)
        totals = yearly_totals(request.user, year)
        if request.GET.get("export") == "xlsx":
            return self.export(totals)
        years = sorted(set(years_with_applications(request.user)) | {today.year}, reverse=True)
        return render(request, self.template_name, {"totals": totals, "year": year, "years": years,
                                                    "scope": scope_of(request.user)})

    @staticmethod
    def _row(district, street, r):
        return (district, street, r["applications"], r["committed"], r["area"], r["granted"], r["matched"],
                r["total"], r["disbursed_count"], r["disbursed"])

    def export(self, totals):
        names = {d["district_id"]: d["district__name"] for d in totals["districts"]}
        rows = [self._row(d["district__name"], _("全区"), d) for d in totals["districts"]]
        rows += [self._row(names.get(s["district_id"], ""), s["street__name"], s) for s in totals["streets"]]
        rows.append(self._row(_("合计"), "", totals["overall"]))
        title = _("%(y)d 年度老旧小区维修资金汇总") % {"y": totals["year"]}
        content = build_workbook(TOTAL_HEADERS, rows, sheet=title, title=title)
        return xlsx_response(content, f"{title}.xlsx")


# --- the policy -----------------------------------------------------------------------------------------------

class PolicyListView(ScopedListView):
    model = MaintenancePolicy
    template_name = "maintenance/policy_list.html"
    filterset_class = PolicyFilter
    select_related = ("district", "created_by")
    default_sort = ("district__name", "-effective_from", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        ctx["in_force"] = ids_in_force(MaintenancePolicy, today)
        ctx["editable_districts"] = list(District.objects.editable_by(self.request.user).order_by("name"))
        cutoffs = cutoff_years(today)
        districts = District.objects.visible_to(self.request.user).order_by("name")
        ctx["cutoffs"] = [(d, cutoffs.get(d.pk, DEFAULT_OLD_ESTATE_CUTOFF)) for d in districts]
        return ctx


def _first_of_next_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


class PolicyCreateView(LoginRequiredMixin, View):
    """新版本 of a district's policy (its administrators), prefilled from the version in force."""

    template_name = "maintenance/policy_form.html"

    def district(self, request, district_pk):
        return get_object_or_404(District.objects.editable_by(request.user), pk=district_pk)

    @staticmethod
    def current(district, today):
        return policy_for(district.pk, today) or (
            MaintenancePolicy.objects.filter(district=district).order_by("-effective_from").first())

    def render(self, request, district, form, current):
        return render(request, self.template_name, {"form": form, "district": district, "current": current,
                                                    "scope": scope_of(request.user)})

    def get(self, request, district_pk):
        district = self.district(request, district_pk)
        today = timezone.localdate()
        current = self.current(district, today)
        form = PolicyForm(initial=PolicyForm.initial_from(current, _first_of_next_month(today)))
        return self.render(request, district, form, current)

    def post(self, request, district_pk):
        district = self.district(request, district_pk)
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                policy = policy_create(actor=request.user, district=district,
                                       effective_from=form.cleaned_data["effective_from"], data=form.service_data())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已保存%(d)s维修资金政策新版本（%(f)s 起生效）。") % {
                    "d": district.name, "f": policy.effective_from})
                return redirect(reverse("maintenance:policy_list") + f"?district={district.pk}")
        return self.render(request, district, form, self.current(district, timezone.localdate()))
