"""Period pages: the list and the run form (district admins), the results of a period (sortable,
filterable, Excel), publication, an estate's breakdown with appeals, the appeal decision, 我的星级."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.scope import scope_of
from accounts.views import ScopedListView
from communities.models import District

from ..filters import MyRatingFilter, PeriodFilter, ResultFilter
from ..forms import AppealDecideForm, AppealForm, RunPeriodForm
from ..models import Appeal, AppealStatus, PeriodStatus, RatingPeriod, StarRating
from ..selectors import PLAQUE_MIN_TIER, quarter_inspections, score_terms
from ..services.periods import appeal_decide, appeal_submit, period_run, previous_quarter, publish_period
from ._common import NullsLastListView, form_errors, not_found, safe_next

RESULT_SORTS = {
    "estate": "estate__name", "street": "estate__community__street__name", "firm": "firm__name",
    "count": "inspection_count", "inspection": "inspection_score", "opinion": "opinion_score",
    "satisfaction": "satisfaction_score", "score": "score", "tier": "tier",
}
RESULT_HEADERS = tuple(gettext_lazy(h) for h in (
    "评定期", "区", "街道", "社区", "小区", "物业企业", "检查次数", "检查平均分", "业主及业委会意见得分",
    "第三方满意度得分", "综合得分", "星级", "未评星原因", "状态"))


def result_row(r: StarRating):
    c = r.estate.community
    return (r.period.label, c.street.district.name, c.street.name, c.name, r.estate.name,
            r.firm.name if r.firm else "", r.inspection_count, r.inspection_score, r.opinion_score,
            r.satisfaction_score, r.score, r.tier, r.get_no_tier_reason_display(), r.period.get_status_display())


def is_district_admin(user, district_id) -> bool:
    return District.objects.editable_by(user).filter(pk=district_id).exists()


def can_appeal(user, rating: StarRating, today=None) -> bool:
    """Whether to offer the appeal form (appeal_submit decides; this only hides a useless button)."""
    today = today or timezone.localdate()
    period = rating.period
    return (rating.firm_id is not None and rating.firm_id in scope_of(user).ids("firm", edit=True)
            and period.status == PeriodStatus.PROVISIONAL and period.appeal_deadline is not None
            and today <= period.appeal_deadline)


class PeriodListView(ScopedListView):
    model = RatingPeriod
    template_name = "ratings/period_list.html"
    filterset_class = PeriodFilter
    select_related = ("district", "policy", "published_by")
    sort_fields = {"district": "district__name", "period": "year", "status": "status",
                   "computed_at": "computed_at"}
    default_sort = ("-year", "-quarter", "district__name", "pk")
    export_filename = gettext_lazy("星级评定期")
    export_headers = tuple(gettext_lazy(h) for h in (
        "区", "年度", "季度", "状态", "计算时间", "申诉截止", "公布时间", "参评小区", "评星小区"))

    def counts(self, periods) -> dict[int, dict]:
        """Rated / starred estates per period, counting only the rows the user may see (one query)."""
        rows = (StarRating.objects.visible_to(self.request.user).filter(period__in=periods)
                .values("period_id").annotate(n=Count("pk"), starred=Count("pk", filter=Q(tier__gt=0))).order_by())
        return {r["period_id"]: r for r in rows}

    def export_row(self, p):
        c = self._export_counts.get(p.pk, {})
        return (p.district.name, p.year, p.quarter, p.get_status_display(), p.computed_at, p.appeal_deadline,
                p.published_at, c.get("n", 0), c.get("starred", 0))

    def export(self, queryset):
        self._export_counts = self.counts([p.pk for p in queryset[: self.export_max_rows]])
        return super().export(queryset)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        counts = self.counts([p.pk for p in ctx["object_list"]])
        for p in ctx["object_list"]:
            p.counts = counts.get(p.pk, {"n": 0, "starred": 0})
        if District.objects.editable_by(self.request.user).exists():
            year, quarter = previous_quarter(timezone.localdate())
            form = RunPeriodForm(user=self.request.user, initial={"year": year, "quarter": quarter})
            for field in form.fields.values():  # compact, like the filter bar below it
                field.widget.attrs["class"] += " form-select-sm"
            ctx["run_form"] = form
        return ctx


class PeriodRunView(LoginRequiredMixin, View):
    """计算 / 重新计算 a district's quarter (the same service as the quarterly job)."""

    template_name = "ratings/period_run.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not District.objects.editable_by(request.user).exists():
            raise not_found()
        return super().dispatch(request, *args, **kwargs)

    def render(self, request, form):
        return render(request, self.template_name, {"form": form, "scope": scope_of(request.user)})

    def get(self, request):
        year, quarter = previous_quarter(timezone.localdate())
        return self.render(request, RunPeriodForm(user=request.user, initial={"year": year, "quarter": quarter}))

    def post(self, request):
        form = RunPeriodForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                period = period_run(actor=request.user, district=d["district"], year=d["year"], quarter=d["quarter"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已计算%(d)s %(p)s 暂定结果：%(n)d 个参评小区；申诉截止 %(a)s。") % {
                    "d": period.district.name, "p": period.label, "n": period.ratings.count(),
                    "a": period.appeal_deadline})
                return redirect("ratings:period_detail", pk=period.pk)
        return self.render(request, form)


class PeriodDetailView(NullsLastListView):
    """The period's results (the rows the user may see), its appeals, and the publish button."""

    model = StarRating
    template_name = "ratings/period_detail.html"
    filterset_class = ResultFilter
    select_related = ("estate__community__street__district", "firm", "period")
    sort_fields = RESULT_SORTS
    default_sort = ("-score", "estate__name", "pk")
    paginate_by = 50
    export_headers = RESULT_HEADERS

    def get_period(self):
        if not hasattr(self, "period"):
            qs = RatingPeriod.objects.visible_to(self.request.user).select_related("district", "policy",
                                                                                   "published_by")
            self.period = get_object_or_404(qs, pk=self.kwargs["pk"])
        return self.period

    @property
    def export_filename(self):
        period = self.get_period()
        return _("星级评定结果-%(d)s-%(p)s") % {"d": period.district.name, "p": period.label}

    def get_base_queryset(self):
        return super().get_base_queryset().filter(period=self.get_period())

    def get_queryset(self):
        qs = super().get_queryset()
        if not self.request.GET.get("sort"):
            qs = qs.order_by(F("score").desc(nulls_last=True), "estate__name", "pk")
        return qs

    def export_row(self, r):
        return result_row(r)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, period = self.request.user, self.get_period()
        admin = period.status == PeriodStatus.PROVISIONAL and is_district_admin(user, period.district_id)
        appeals = list(Appeal.objects.visible_to(user).filter(rating__period=period)
                       .select_related("rating__estate", "firm", "submitted_by", "decided_by")
                       .order_by("status", "-submitted_at"))
        ctx.update({
            "period": period, "policy": period.policy, "can_publish": admin, "can_decide": admin,
            "open_appeals": [a for a in appeals if a.status == AppealStatus.OPEN],
            "decided_appeals": [a for a in appeals if a.status != AppealStatus.OPEN],
            "decide_form": AppealDecideForm(), "today": timezone.localdate(),
            "in_appeal_window": period.appeal_deadline and timezone.localdate() <= period.appeal_deadline,
            "is_firm": bool(scope_of(user).ids("firm", edit=True)),
            "plaque_min_tier": PLAQUE_MIN_TIER,
        })
        return ctx


class PeriodPublishView(LoginRequiredMixin, View):
    """确认并公布: the service refuses inside the appeal window, with open appeals, or twice."""

    def post(self, request, pk):
        period = get_object_or_404(RatingPeriod.objects.visible_to(request.user), pk=pk)
        try:
            period = publish_period(actor=request.user, period=period)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("%(d)s %(p)s 星级评定结果已确认并公布。") % {
                "d": period.district.name, "p": period.label})
        return redirect("ratings:period_detail", pk=pk)


def _visible_rating(request, pk):
    qs = StarRating.objects.visible_to(request.user).select_related(
        "estate__community__street__district", "firm", "period__policy", "period__district")
    return get_object_or_404(qs, pk=pk)


class RatingDetailView(LoginRequiredMixin, View):
    """An estate's result: components, the quarter's inspections, the weights, the computation written
    out; its appeals; the appeal form (firm, in the window) and the decision form (district admin)."""

    template_name = "ratings/rating_detail.html"

    def context(self, request, rating, appeal_form=None):
        user = request.user
        appeals = list(Appeal.objects.visible_to(user).filter(rating=rating)
                       .select_related("submitted_by", "decided_by").order_by("-submitted_at"))
        has_open = any(a.status == AppealStatus.OPEN for a in appeals)
        period = rating.period
        return {
            "rating": rating, "period": period, "policy": period.policy, "estate": rating.estate,
            "inspections": quarter_inspections(user, rating), "terms": score_terms(rating),
            "appeals": appeals,
            "can_appeal": can_appeal(user, rating) and not has_open,
            "appeal_form": appeal_form or AppealForm(),
            "can_decide": period.status == PeriodStatus.PROVISIONAL and is_district_admin(user, period.district_id),
            "decide_form": AppealDecideForm(),
            "has_plaque": period.status == PeriodStatus.PUBLISHED and rating.tier >= PLAQUE_MIN_TIER,
            "scope": scope_of(user),
        }

    def get(self, request, pk):
        rating = _visible_rating(request, pk)
        return render(request, self.template_name, self.context(request, rating))

    def post(self, request, pk):
        """申诉 (firm users)."""
        rating = _visible_rating(request, pk)
        form = AppealForm(request.POST)
        if form.is_valid():
            try:
                appeal_submit(actor=request.user, rating=rating, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("申诉已提交，区住房保障服务中心将在公布前处理。"))
                return redirect("ratings:rating_detail", pk=rating.pk)
        if form.non_field_errors():
            for e in form.non_field_errors():
                messages.error(request, e)
        return render(request, self.template_name, self.context(request, rating, appeal_form=form))


class AppealDecideView(LoginRequiredMixin, View):
    def post(self, request, pk):
        appeal = get_object_or_404(Appeal.objects.visible_to(request.user).select_related("rating"), pk=pk)
        fallback = reverse("ratings:rating_detail", args=[appeal.rating_id])
        form = AppealDecideForm(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(f"{form.fields[f].label}：{' '.join(e)}" if f in form.fields else
                                             " ".join(e) for f, e in form.errors.items()))
            return redirect(safe_next(request, fallback))
        d = form.cleaned_data
        try:
            appeal = appeal_decide(actor=request.user, appeal=appeal, upheld=d["upheld"], decision=d["decision"],
                                   adjusted_tier=d["adjusted_tier"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("申诉已处理：%(s)s。") % {"s": appeal.get_status_display()})
        return redirect(safe_next(request, fallback))


class MyRatingsView(ScopedListView):
    """我的星级: a firm's estates' results, with the tier each estate holds now (latest published)."""

    model = StarRating
    template_name = "ratings/my_ratings.html"
    filterset_class = MyRatingFilter
    select_related = ("estate__community__street__district", "firm", "period")
    sort_fields = {"period": "period__year", "estate": "estate__name", "score": "score", "tier": "tier"}
    default_sort = ("-period__year", "-period__quarter", "estate__name", "pk")
    export_filename = gettext_lazy("我的星级")
    export_headers = RESULT_HEADERS

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            scope = scope_of(request.user)
            if not scope.ids("firm"):  # firm users only; a firm sees the estates it serves (estate__firm)
                raise not_found()
        return super().dispatch(request, *args, **kwargs)

    def export_row(self, r):
        return result_row(r)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        held = {}
        for r in (StarRating.objects.visible_to(self.request.user).published()
                  .select_related("estate", "period").order_by("estate__name", "estate_id", "-period__year",
                                                               "-period__quarter")):
            held.setdefault(r.estate_id, r)
        ctx["held"] = list(held.values())
        ctx["plaque_min_tier"] = PLAQUE_MIN_TIER
        ctx["today"] = timezone.localdate()
        return ctx
