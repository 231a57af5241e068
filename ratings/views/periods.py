"""Period pages: the list and the run form (district admins), the results of a period (sortable,
filterable, Excel) with its timeline and the lifecycle buttons (公示, 重新计算, 确认并公布), an estate's
breakdown with appeals, versions and the correction form, the appeal decision, 我的星级.

Which buttons a page offers is answered by the services' own refusal functions (period_refusal,
appeal_refusal, correction_refusal), so a page never offers what the service would refuse."""
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
from enterprises.models import Firm
from enterprises.selectors import firms_serving

from ..forms import (
    AppealDecideForm,
    AppealForm,
    DiscardForm,
    PeriodChoiceForm,
    RatingCorrectForm,
    RecomputeForm,
    RunPeriodForm,
)
from ..models import Appeal, AppealStatus, PeriodAction, PeriodStatus, RatingPeriod, StarRating
from ..selectors import (
    PLAQUE_MIN_TIER,
    plaque_ratings,
    quarter_inspections,
    recheck_decision,
    results_visible_to,
    revocation_of,
    score_terms,
    sees_provisional,
)
from ..services.corrections import correction_refusal, rating_correct, rating_versions
from ..services.periods import (
    CONFIRM_LABEL,
    appeal_decide,
    appeal_refusal,
    appeal_submit,
    is_district_admin,
    period_announce,
    period_discard,
    period_preview,
    period_publish,
    period_recompute,
    period_refusal,
    period_run,
    previous_quarter,
    quarter_bounds,
)
from ._common import NullsLastListView, form_errors, not_found, safe_next

# The run page lists at most this many estates per group (the counts are always exact).
PREVIEW_LIST_LIMIT = 200

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


def can_appeal(user, rating: StarRating, today) -> bool:
    """Whether to offer the appeal form: exactly when appeal_submit would accept one."""
    return appeal_refusal(user, rating, today) is None


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
        "区", "年度", "季度", "状态", "计算时间", "公示时间", "申诉截止", "公布时间", "参评小区", "评星小区"))

    def counts(self, periods) -> dict[int, dict]:
        """Rated / starred estates per period, counting only the rows the user may see (one query)."""
        rows = (results_visible_to(self.request.user).filter(period__in=periods)
                .values("period_id").annotate(n=Count("pk"), starred=Count("pk", filter=Q(tier__gt=0))).order_by())
        return {r["period_id"]: r for r in rows}

    def export_row(self, p):
        c = self._export_counts.get(p.pk, {})
        return (p.district.name, p.year, p.quarter, p.get_status_display(), p.computed_at, p.announced_at,
                p.appeal_deadline, p.published_at, c.get("n", 0), c.get("starred", 0))

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
            form = PeriodChoiceForm(user=self.request.user, initial={"year": year, "quarter": quarter})
            for field in form.fields.values():  # compact, like the filter bar below it
                field.widget.attrs["class"] += " form-select-sm"
            ctx["run_form"] = form
        return ctx


class PeriodRunView(LoginRequiredMixin, View):
    """计算 a district's quarter by hand (the same computation as the quarterly job), after a preview.

    GET shows the preview of the chosen district and quarter (the quarter just ended by default): the
    participating estates with and without inspections in the quarter, and why computing is refused
    today (quarter not over, period announced or published) beside a disabled button. POST computes the
    previewed quarter; when most participants have no inspection the confirmation box is required (the
    service refuses without it too)."""

    template_name = "ratings/period_run.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not District.objects.editable_by(request.user).exists():
            raise not_found()
        return super().dispatch(request, *args, **kwargs)

    def render(self, request, form, preview=None):
        return render(request, self.template_name, {
            "form": form, "preview": preview, "scope": scope_of(request.user),
            "list_limit": PREVIEW_LIST_LIMIT, "confirm_label": CONFIRM_LABEL})

    def preview(self, request, form, today):
        d = form.cleaned_data if hasattr(form, "cleaned_data") else {}
        if not all(d.get(k) is not None for k in ("district", "year", "quarter")):
            return None
        return period_preview(user=request.user, district=d["district"], year=d["year"], quarter=d["quarter"],
                              today=today)

    def get(self, request):
        today = timezone.localdate()
        if any(k in request.GET for k in ("district", "year", "quarter")):
            form = PeriodChoiceForm(request.GET, user=request.user)
        else:
            year, quarter = previous_quarter(today)
            first = District.objects.editable_by(request.user).order_by("name").first()
            form = PeriodChoiceForm({"district": first.pk, "year": year, "quarter": quarter}, user=request.user)
        form.is_valid()
        return self.render(request, form, self.preview(request, form, today))

    def post(self, request):
        now = timezone.now()
        today = timezone.localdate(now)
        form = RunPeriodForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                period = period_run(actor=request.user, district=d["district"], year=d["year"], quarter=d["quarter"],
                                    today=today, now=now, confirmed=d["confirm"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已计算%(d)s %(p)s 暂定结果：%(n)d 个参评小区。核对无误后请公示，"
                                            "公示之日起开始申诉期。") % {
                    "d": period.district.name, "p": period.label, "n": period.ratings.count()})
                return redirect("ratings:period_detail", pk=period.pk)
        return self.render(request, form, self.preview(request, form, today))


class PeriodDetailView(NullsLastListView):
    """The period's results (the current rows the user may see; firms once announced), its appeals, its
    timeline, and the lifecycle buttons the district admin may use today."""

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
        return (results_visible_to(self.request.user).select_related(*self.select_related)
                .filter(period=self.get_period()))

    def get_queryset(self):
        qs = super().get_queryset()
        if not self.request.GET.get("sort"):
            qs = qs.order_by(F("score").desc(nulls_last=True), "estate__name", "pk")
        return qs

    def export_row(self, r):
        return result_row(r)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, period, today = self.request.user, self.get_period(), timezone.localdate()
        admin = is_district_admin(user, period.district_id)
        appeals = list(Appeal.objects.visible_to(user).filter(rating__period=period)
                       .select_related("rating__estate", "firm", "submitted_by", "decided_by")
                       .order_by("status", "-submitted_at"))
        refusals = {a: period_refusal(user, period, a, today, admin=admin) for a in
                    (PeriodAction.ANNOUNCE, PeriodAction.RECOMPUTE, PeriodAction.PUBLISH,
                     PeriodAction.DISCARD)} if admin else {}
        events = list(period.events.select_related("actor"))
        discarded = next((e for e in reversed(events) if e.action == PeriodAction.DISCARD), None)
        ctx.update({
            "can_discard": admin and refusals[PeriodAction.DISCARD] is None,
            # Why 作废 is not offered once the results were announced or published (a discarded period says
            # so in its own notice).
            "discard_note": (refusals[PeriodAction.DISCARD]
                             if admin and period.status in (PeriodStatus.ANNOUNCED, PeriodStatus.PUBLISHED)
                             else None),
            "discard_form": getattr(self, "discard_form", None) or DiscardForm(),
            "discarded": discarded if period.status == PeriodStatus.DISCARDED else None,
            "can_compute": admin and period.status == PeriodStatus.DISCARDED,
            "period": period, "policy": period.policy,
            "can_announce": admin and refusals[PeriodAction.ANNOUNCE] is None,
            "can_recompute": admin and refusals[PeriodAction.RECOMPUTE] is None,
            "can_publish": admin and refusals[PeriodAction.PUBLISH] is None,
            # Why 确认并公布 is not offered yet, while the period is announced (the window, open appeals).
            "publish_note": (refusals[PeriodAction.PUBLISH]
                             if admin and period.status == PeriodStatus.ANNOUNCED else None),
            "can_decide": admin and period.status == PeriodStatus.ANNOUNCED,
            "recompute_form": self.recompute_form if hasattr(self, "recompute_form") else RecomputeForm(),
            "events": events,
            "open_appeals": [a for a in appeals if a.status == AppealStatus.OPEN],
            "decided_appeals": [a for a in appeals if a.status != AppealStatus.OPEN],
            "decide_form": AppealDecideForm(), "today": today,
            "in_appeal_window": (period.status == PeriodStatus.ANNOUNCED and period.appeal_deadline
                                 and today <= period.appeal_deadline),
            "is_firm": bool(scope_of(user).ids("firm", edit=True)),
            "results_hidden": (period.status in (PeriodStatus.PROVISIONAL, PeriodStatus.DISCARDED)
                               and not sees_provisional(user)),
            "plaque_min_tier": PLAQUE_MIN_TIER,
        })
        return ctx


class PeriodAnnounceView(LoginRequiredMixin, View):
    """公示: once; the service refuses twice, before a computation, or for anyone but the district admin."""

    def post(self, request, pk):
        period = get_object_or_404(RatingPeriod.objects.visible_to(request.user), pk=pk)
        try:
            period = period_announce(actor=request.user, period=period, today=timezone.localdate(),
                                     now=timezone.now())
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("%(d)s %(p)s 星级评定暂定结果已公示，申诉截止 %(a)s。") % {
                "d": period.district.name, "p": period.label, "a": period.appeal_deadline})
        return redirect("ratings:period_detail", pk=pk)


class PeriodRecomputeView(LoginRequiredMixin, View):
    """重新计算 after the announcement, with a reason (reopens the appeal window)."""

    def post(self, request, pk):
        period = get_object_or_404(RatingPeriod.objects.visible_to(request.user), pk=pk)
        form = RecomputeForm(request.POST)
        if form.is_valid():
            try:
                period = period_recompute(actor=request.user, period=period, reason=form.cleaned_data["reason"],
                                          today=timezone.localdate(), now=timezone.now())
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            else:
                messages.success(request, _("%(d)s %(p)s 已重新计算，申诉期重新开始，截止 %(a)s。") % {
                    "d": period.district.name, "p": period.label, "a": period.appeal_deadline})
        else:
            messages.error(request, _("重新计算须填写原因。"))
        return redirect("ratings:period_detail", pk=pk)


class PeriodDiscardView(LoginRequiredMixin, View):
    """作废 a computation never announced, with a reason; the service refuses once announced or published."""

    def post(self, request, pk):
        period = get_object_or_404(RatingPeriod.objects.visible_to(request.user), pk=pk)
        form = DiscardForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("作废暂定结果须填写原因。"))
            return redirect("ratings:period_detail", pk=pk)
        try:
            period = period_discard(actor=request.user, period=period, reason=form.cleaned_data["reason"],
                                    today=timezone.localdate())
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            event = period.events.filter(action=PeriodAction.DISCARD).order_by("-at", "-pk").first()
            messages.success(request, _("%(d)s %(p)s 的 %(n)d 个暂定结果已作废（未公示，企业未收到通知）。"
                                        "定时任务不再自动计算本期，需要时可重新计算。") % {
                "d": period.district.name, "p": period.label, "n": event.discarded_results})
        return redirect("ratings:period_detail", pk=pk)


class PeriodPublishView(LoginRequiredMixin, View):
    """确认并公布: the service refuses before the announcement, inside the appeal window, with open
    appeals, or twice."""

    def post(self, request, pk):
        period = get_object_or_404(RatingPeriod.objects.visible_to(request.user), pk=pk)
        try:
            period = period_publish(actor=request.user, period=period, today=timezone.localdate(),
                                    now=timezone.now())
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("%(d)s %(p)s 星级评定结果已确认并公布。") % {
                "d": period.district.name, "p": period.label})
        return redirect("ratings:period_detail", pk=pk)


def _visible_rating(request, pk):
    """Any version of a result the user may see (old versions stay readable: payouts and plaques name
    them); firms see nothing of a period not yet announced."""
    qs = results_visible_to(request.user, current=False).select_related(
        "estate__community__street__district", "firm", "period__policy", "period__district", "superseded_by",
        "corrected_by")
    return get_object_or_404(qs, pk=pk)


class RatingDetailView(LoginRequiredMixin, View):
    """An estate's result: components, the quarter's inspections, the weights, the computation written
    out; its appeals; the appeal form (firm, in the window) and the decision form (district admin)."""

    template_name = "ratings/rating_detail.html"

    def context(self, request, rating, appeal_form=None, correct_form=None):
        user, today = request.user, timezone.localdate()
        appeals = list(Appeal.objects.visible_to(user).filter(rating__period_id=rating.period_id,
                                                              rating__estate_id=rating.estate_id)
                       .select_related("submitted_by", "decided_by", "rating").order_by("-submitted_at"))
        has_open = any(a.status == AppealStatus.OPEN for a in appeals)
        period = rating.period
        start, end = quarter_bounds(period.year, period.quarter)
        serving = firms_serving(rating.estate_id, start, end)
        firms = Firm.objects.in_bulk(serving)
        admin = is_district_admin(user, period.district_id)
        return {
            "rating": rating, "period": period, "policy": period.policy, "estate": rating.estate,
            "inspections": quarter_inspections(user, rating), "terms": score_terms(rating),
            "appeals": appeals,
            "can_appeal": can_appeal(user, rating, today) and not has_open,
            "appeal_form": appeal_form or AppealForm(),
            "can_decide": admin and period.status == PeriodStatus.ANNOUNCED,
            "decide_form": AppealDecideForm(),
            "has_plaque": plaque_ratings().filter(pk=rating.pk).exists(),
            "serving_firms": [firms[f] for f in serving if f in firms],
            "versions": list(rating_versions(rating)) if period.status == PeriodStatus.PUBLISHED else [rating],
            "can_correct": admin and correction_refusal(user, rating) is None,
            "correct_form": correct_form or RatingCorrectForm(initial={"tier": rating.tier}),
            "revocation": revocation_of(rating) if rating.tier else None,
            "recheck": recheck_decision(rating.estate_id, period.year),
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
                appeal_submit(actor=request.user, rating=rating, reason=form.cleaned_data["reason"],
                              today=timezone.localdate())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("申诉已提交，区住房保障服务中心将在公布前处理。"))
                return redirect("ratings:rating_detail", pk=rating.pk)
        if form.non_field_errors():
            for e in form.non_field_errors():
                messages.error(request, e)
        return render(request, self.template_name, self.context(request, rating, appeal_form=form))


class RatingCorrectView(LoginRequiredMixin, View):
    """更正 a published result (district admin, with a reason): a new version; the page shows both."""

    template_name = "ratings/rating_detail.html"

    def post(self, request, pk):
        rating = _visible_rating(request, pk)
        form = RatingCorrectForm(request.POST)
        if form.is_valid():
            try:
                new = rating_correct(actor=request.user, rating=rating, tier=form.cleaned_data["tier"],
                                     reason=form.cleaned_data["reason"], now=timezone.now())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("评定结果已更正为第 %(v)d 版，原结果保留在版本记录中。") % {"v": new.version})
                return redirect("ratings:rating_detail", pk=new.pk)
        for e in form.non_field_errors():
            messages.error(request, e)
        return render(request, self.template_name,
                      RatingDetailView().context(request, rating, correct_form=form), status=200)


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
                                   adjusted_tier=d["adjusted_tier"], now=timezone.now())
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

    def get_base_queryset(self):
        return results_visible_to(self.request.user).select_related(*self.select_related)

    def export_row(self, r):
        return result_row(r)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        held = {}
        for r in (StarRating.objects.visible_to(self.request.user).published()
                  .select_related("estate", "period").order_by("estate__name", "estate_id", "-period__year",
                                                               "-period__quarter")):
            held.setdefault(r.estate_id, r)
        plaques = set(plaque_ratings().filter(pk__in=[r.pk for r in held.values()]).values_list("pk", flat=True))
        for r in held.values():
            r.has_plaque = r.pk in plaques
        ctx["held"] = list(held.values())
        ctx["plaque_min_tier"] = PLAQUE_MIN_TIER
        ctx["today"] = timezone.localdate()
        return ctx
