"""Pages of the two-way evaluation: the campaigns, one campaign (its window, questionnaires and what the user
still has to fill), filling a questionnaire, the results, one filled questionnaire.

Views parse input, read the clock once and call a selector or a service. A campaign outside the user's scope,
a questionnaire the user may not see, a unit the user does not fill for: "not found" (404).
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.scope import scope_of
from accounts.views import ScopedListView
from communities.models import District

from .forms import CampaignForm, QuestionForm, ResponseForm, form_errors, parse_unit, unit_key
from .models import PAIRS, Campaign, CampaignStatus, Direction, Question, Response, UnitKind
from .selectors import (
    MODELS,
    fill_refusal,
    may_fill_for,
    pairs_for,
    results,
    sees_all_results,
    targets,
    visible_results,
)
from .services import (
    campaign_confirm,
    campaign_create,
    campaign_publish,
    campaign_update,
    question_add,
    question_remove,
    response_submit,
)


def not_found():
    return Http404(_("页面不存在"))


def _campaign(request, pk) -> Campaign:
    return get_object_or_404(Campaign.objects.visible_to(request.user).select_related("district"), pk=pk)


def _manages(user, campaign: Campaign) -> bool:
    return District.objects.editable_by(user).filter(pk=campaign.district_id).exists()


class CampaignListView(ScopedListView):
    model = Campaign
    template_name = "evaluations/campaign_list.html"
    select_related = ("district",)
    default_sort = ("-year", "district__name", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["today"] = timezone.localdate()
        ctx["editable_districts"] = list(District.objects.editable_by(self.request.user).order_by("name"))
        return ctx


class CampaignCreateView(LoginRequiredMixin, View):
    template_name = "evaluations/campaign_form.html"

    def district(self, request, district_pk):
        return get_object_or_404(District.objects.editable_by(request.user), pk=district_pk)

    def get(self, request, district_pk):
        district = self.district(request, district_pk)
        today = timezone.localdate()
        form = CampaignForm(initial={"year": today.year, "poor_line": "3.00"})
        return render(request, self.template_name, {"form": form, "district": district})

    def post(self, request, district_pk):
        district = self.district(request, district_pk)
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = campaign_create(actor=request.user, district=district, **form.cleaned_data)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已创建%(c)s（草稿）：请检查问卷后发布。") % {"c": campaign})
                return redirect("evaluations:campaign_detail", pk=campaign.pk)
        return render(request, self.template_name, {"form": form, "district": district})


class CampaignEditView(LoginRequiredMixin, View):
    template_name = "evaluations/campaign_form.html"

    def campaign(self, request, pk):
        campaign = _campaign(request, pk)
        if not _manages(request.user, campaign):
            raise not_found()
        return campaign

    def get(self, request, pk):
        c = self.campaign(request, pk)
        form = CampaignForm(editing=True, initial={"opens_on": c.opens_on, "closes_on": c.closes_on,
                                                   "feeds_credit": c.feeds_credit, "poor_line": c.poor_line,
                                                   "note": c.note})
        return render(request, self.template_name, {"form": form, "district": c.district, "campaign": c})

    def post(self, request, pk):
        c = self.campaign(request, pk)
        form = CampaignForm(request.POST, editing=True)
        if form.is_valid():
            try:
                campaign_update(actor=request.user, campaign=c, **form.cleaned_data)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("evaluations:campaign_detail", pk=c.pk)
        return render(request, self.template_name, {"form": form, "district": c.district, "campaign": c})


def _detail_context(request, campaign, today, question_form=None) -> dict:
    user = request.user
    pairs = pairs_for(user, campaign, today) if campaign.status != CampaignStatus.DRAFT else []
    for p in pairs:
        p.url = ("" if p.response else
                 f"fill/{unit_key(p.evaluator_kind, p.evaluator.pk)}/{unit_key(p.target_kind, p.target.pk)}/")
    questions = list(campaign.questions.order_by("direction", "order", "pk"))
    return {
        "campaign": campaign, "today": today, "scope": scope_of(user),
        "refusal": fill_refusal(campaign, today),
        "manages": _manages(user, campaign),
        "questionnaires": [(d, [q for q in questions if q.direction == d.value]) for d in Direction],
        "question_form": question_form or QuestionForm(),
        "pairs": pairs,
        "pending": sum(1 for p in pairs if p.response is None),
        "shows_results": bool(visible_results(user, campaign, today)),
        "events": campaign.events.select_related("actor"),
    }


class CampaignDetailView(LoginRequiredMixin, View):
    template_name = "evaluations/campaign_detail.html"

    def get(self, request, pk):
        campaign = _campaign(request, pk)
        return render(request, self.template_name, _detail_context(request, campaign, timezone.localdate()))


class QuestionAddView(LoginRequiredMixin, View):
    def post(self, request, pk):
        campaign = _campaign(request, pk)
        form = QuestionForm(request.POST)
        if form.is_valid():
            try:
                question_add(actor=request.user, campaign=campaign, **form.cleaned_data)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已添加题目。"))
                return redirect("evaluations:campaign_detail", pk=campaign.pk)
        return render(request, CampaignDetailView.template_name,
                      _detail_context(request, campaign, timezone.localdate(), question_form=form))


class QuestionRemoveView(LoginRequiredMixin, View):
    def post(self, request, pk, question_pk):
        campaign = _campaign(request, pk)
        question = get_object_or_404(Question, pk=question_pk, campaign=campaign)
        try:
            question_remove(actor=request.user, question=question)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("已删除题目。"))
        return redirect("evaluations:campaign_detail", pk=campaign.pk)


class CampaignPublishView(LoginRequiredMixin, View):
    def post(self, request, pk):
        campaign = _campaign(request, pk)
        try:
            campaign_publish(actor=request.user, campaign=campaign, today=timezone.localdate())
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("已发布，已通知各街道、社区和物业企业。"))
        return redirect("evaluations:campaign_detail", pk=campaign.pk)


class CampaignConfirmView(LoginRequiredMixin, View):
    def post(self, request, pk):
        campaign = _campaign(request, pk)
        now = timezone.now()
        try:
            written = campaign_confirm(actor=request.user, campaign=campaign, today=timezone.localdate(now), now=now)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("已确认评价结果。") + (
                _("已记录 %(n)d 条企业信用信息。") % {"n": len(written)} if written else ""))
        return redirect("evaluations:campaign_detail", pk=campaign.pk)


class FillView(LoginRequiredMixin, View):
    """One questionnaire: the window's dates first; outside it no form. A committee's paper questionnaire is
    entered by its street's or community's clerk, with the paper's number and date."""

    template_name = "evaluations/fill.html"

    def prepare(self, request, pk, evaluator, target):
        campaign = _campaign(request, pk)
        ev, tg = parse_unit(evaluator), parse_unit(target)
        if ev is None or tg is None or (ev[0], tg[0]) not in PAIRS or tg[0] == UnitKind.COMMITTEE:
            raise not_found()
        if not may_fill_for(request.user, campaign, *ev):
            raise not_found()
        today = timezone.localdate()
        if not targets(ev[0], ev[1], tg[0], today, campaign=campaign).filter(pk=tg[1]).exists():
            raise not_found()
        done = Response.objects.filter(campaign=campaign, **{
            f"evaluator_{ev[0]}": ev[1], f"target_{tg[0]}": tg[1]}).first()
        questions = list(campaign.questions.filter(direction=PAIRS[(ev[0], tg[0])]).order_by("order", "pk"))
        return campaign, ev, tg, today, done, questions

    def render(self, request, campaign, ev, tg, today, done, form):
        return render(request, self.template_name, {
            "campaign": campaign, "today": today, "refusal": fill_refusal(campaign, today), "done": done,
            "evaluator": MODELS[ev[0]].objects.get(pk=ev[1]), "evaluator_kind": UnitKind(ev[0]),
            "target": MODELS[tg[0]].objects.get(pk=tg[1]), "target_kind": UnitKind(tg[0]), "form": form,
            "paper": ev[0] == UnitKind.COMMITTEE})

    def get(self, request, pk, evaluator, target):
        campaign, ev, tg, today, done, questions = self.prepare(request, pk, evaluator, target)
        form = ResponseForm(questions=questions, paper=ev[0] == UnitKind.COMMITTEE)
        return self.render(request, campaign, ev, tg, today, done, form)

    def post(self, request, pk, evaluator, target):
        campaign, ev, tg, today, done, questions = self.prepare(request, pk, evaluator, target)
        form = ResponseForm(request.POST, questions=questions, paper=ev[0] == UnitKind.COMMITTEE)
        if form.is_valid():
            try:
                response = response_submit(actor=request.user, campaign=campaign, evaluator_kind=ev[0],
                                           evaluator_id=ev[1], target_kind=tg[0], target_id=tg[1], today=today,
                                           **form.service_data())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已提交对“%(t)s”的评价。") % {"t": response.target})
                return redirect("evaluations:campaign_detail", pk=campaign.pk)
        done = Response.objects.filter(campaign=campaign, **{
            f"evaluator_{ev[0]}": ev[1], f"target_{tg[0]}": tg[1]}).first()
        return self.render(request, campaign, ev, tg, today, done, form)


class ResultsView(LoginRequiredMixin, View):
    template_name = "evaluations/results.html"

    def get(self, request, pk):
        campaign = _campaign(request, pk)
        today = timezone.localdate()
        visible = visible_results(request.user, campaign, today)
        sections = []
        for kind, direction in ((UnitKind.FIRM, Direction.OF_FIRM), (UnitKind.STREET, Direction.OF_OFFICE),
                                (UnitKind.COMMUNITY, Direction.OF_OFFICE)):
            if kind not in visible:
                continue
            questions = list(campaign.questions.filter(direction=direction).order_by("order", "pk"))
            rows = results(campaign, kind, visible[kind])
            sections.append({"kind": UnitKind(kind), "questions": questions,
                             "rows": [(r, r.cells(questions)) for r in rows]})
        return render(request, self.template_name, {
            "campaign": campaign, "today": today, "sections": sections,
            "whole": sees_all_results(request.user, campaign), "closed": campaign.is_closed(today)})


class ResponseDetailView(LoginRequiredMixin, View):
    template_name = "evaluations/response_detail.html"

    def get(self, request, pk):
        response = get_object_or_404(Response.objects.visible_to(request.user).select_related(
            "campaign__district", "entered_by"), pk=pk)
        answers = response.answers.select_related("question").order_by("question__order", "question__pk")
        return render(request, self.template_name, {"response": response, "answers": answers,
                                                    "campaign": response.campaign})
